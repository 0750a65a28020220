"""Reading what mail systems send back (subscriber_lambda/core/mail_reports.py): one test
per rule. The journey through the ``feedback`` command, the store and the report is in
tests/test_reach_figures.py."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import cast

import pytest

from subscriber_lambda.core.mail_reports import MailReport, read_report
from subscriber_lambda.core.tokens import Signer
from subscriber_lambda.feedback import FeedbackCounts, take_report
from subscriber_lambda.ports import Store

LINK = "https://council.example/subscriptions/unsubscribe?token=abc.def&lang=cy"


def report(report_type: str, fields_type: str, fields: str, quote: str) -> bytes:
    return (
        "From: someone@relay.example\n"
        "MIME-Version: 1.0\n"
        f'Content-Type: multipart/report; report-type={report_type}; boundary="b"\n\n'
        "--b\nContent-Type: text/plain\n\nA report.\n\n"
        f"--b\nContent-Type: {fields_type}\n\n{fields}\n\n"
        f"--b\n{quote}\n--b--\n"
    ).encode()


def headers(list_unsubscribe: str = f"<{LINK}>", kind: str = "text/rfc822-headers") -> str:
    return f"Content-Type: {kind}\n\nSubject: Flood warning\nList-Unsubscribe: {list_unsubscribe}\n"


def dsn(action: str, status: str, quote: str | None = None) -> bytes:
    fields = f"Reporting-MTA: dns; relay.example\n\nAction: {action}\nStatus: {status}"
    return report("delivery-status", "message/delivery-status", fields, quote or headers())


def arf(feedback_type: str, quote: str | None = None) -> bytes:
    fields = f"Feedback-Type: {feedback_type}\nVersion: 1"
    return report("feedback-report", "message/feedback-report", fields, quote or headers())


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (arf("abuse"), MailReport("complaint", "complaints", "complaint", "abc.def")),
        (arf("fraud"), MailReport("complaint", "complaints", "complaint", "abc.def")),
        (arf("not-spam"), MailReport("other feedback report", None, None, "abc.def")),
        (arf("other"), MailReport("other feedback report", None, None, "abc.def")),
        (dsn("failed", "5.1.1"), MailReport("hard bounce", "bounced_hard", "bounce", "abc.def")),
        (dsn("failed", "5.2.1"), MailReport("hard bounce", "bounced_hard", "bounce", "abc.def")),
        (dsn("failed", "5.4.4"), MailReport("hard bounce", "bounced_hard", "bounce", "abc.def")),
        # Never suppressing: a full mailbox, the council's sending address blocked, a policy.
        (dsn("failed", "5.2.2"), MailReport("soft bounce", "bounced_soft", None, "abc.def")),
        (dsn("failed", "5.7.606"), MailReport("soft bounce", "bounced_soft", None, "abc.def")),
        (dsn("failed", "4.4.7"), MailReport("soft bounce", "bounced_soft", None, "abc.def")),
        (dsn("delayed", "4.4.1"), MailReport("delay", "deferred", None, "abc.def")),
        # Success notices are never asked for: anyone could send one.
        (dsn("delivered", "2.0.0"), MailReport("success notice", None, None, "abc.def")),
        (dsn("relayed", "2.0.0"), MailReport("success notice", None, None, "abc.def")),
    ],
)
def test_each_kind_of_report_counts_as_docs_reach_says(raw: bytes, expected: MailReport) -> None:
    assert read_report(raw) == expected


def test_the_email_may_be_quoted_whole_or_as_headers_of_any_kind() -> None:
    for kind in ("message/rfc822", "message/rfc822-headers", "message/global-headers"):
        found = read_report(arf("abuse", headers(kind=kind)))
        assert found is not None and found.token == "abc.def"


def test_a_folded_header_and_a_mailto_link_first_still_give_the_token() -> None:
    folded = (
        "<mailto:unsubscribe@council.example>,\n"
        " <https://council.example/subscriptions/\n unsubscribe?token=abc.def>"
    )
    found = read_report(arf("abuse", headers(folded)))
    assert found is not None and found.token == "abc.def"


def test_what_real_reports_add_to_their_fields_is_read_past() -> None:
    """Quoted headers in a charset Python does not know (``unknown-8bit`` is registered),
    and an action with a comment after it."""
    unknown = arf("abuse").replace(b"rfc822-headers", b"rfc822-headers; charset=unknown-8bit")
    found = read_report(unknown)
    assert found is not None and found.token == "abc.def"
    hard = MailReport("hard bounce", "bounced_hard", "bounce", "abc.def")
    assert read_report(dsn("failed (permanent)", "5.1.1 (user unknown)")) == hard


def test_a_report_quoting_no_unsubscribe_link_has_no_token() -> None:
    found = read_report(arf("abuse", "Content-Type: text/rfc822-headers\n\nSubject: hi\n"))
    assert found == MailReport("complaint", "complaints", "complaint", None)


@pytest.mark.parametrize(
    "raw",
    [
        b"From: r4@example.net\nSubject: Out of office\n\nBack on Monday.\n",
        report("disposition-notification", "message/disposition-notification", "X: y", headers()),
        dsn("", ""),  # no action: nothing said
        b"\xff\xfe not an email at all \x00",
    ],
)
def test_what_is_no_report_is_none(raw: bytes) -> None:
    assert read_report(raw) is None


def test_a_message_the_email_package_cannot_read_is_not_counted() -> None:
    """Anyone can mail the feedback address: a message nested a thousand deep, or bytes
    that are no email, is one message not counted, never a stopped run."""
    inner = b"Subject: x\n\n"
    for _ in range(1000):
        inner = b"Content-Type: message/rfc822\n\n" + inner
    nested = b'Content-Type: multipart/report; report-type=feedback-report; boundary="b"\n\n'
    nested += b"--b\n" + inner + b"\n--b--\n"
    junk = b'Content-Type: multipart/report; boundary="\xff"\n\n--\xff\n\x00\xfe'
    counts = FeedbackCounts()
    for raw in (nested, junk):
        take_report(cast(Store, None), Signer(b"k" * 32), raw, datetime.now(UTC), counts)
    assert (counts.read, counts.ignored, counts.kinds) == (2, 2, {})
