"""What a mail system's report says about one of our emails, read from the report itself.

On the embedded default the SMTP conversation tells of refusals at once. Later news comes
back by email: a relay that accepted an email and then could not deliver it sends a
delivery status notification (DSN, RFC 3464) to the sender's address, and a mailbox
provider whose user marked it as spam sends an abuse report (ARF, RFC 5965) to the
address the council registered for its feedback loop. Both are ``multipart/report``
messages quoting the email they are about, or its headers.

The email is recognised by the unsubscribe link every one of ours carries in
``List-Unsubscribe``: its token is signed and names the subscriber (a keyed hash) and
the item. Anything else in a report (its addresses, its Message-ID) is ignored, because
anyone can send a report: without the signed token a crafted email to the abuse mailbox
could suppress any resident's address and stop their emergency alerts.
"""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import Message
from email.parser import HeaderParser
from urllib.parse import parse_qs, urlsplit

from .mail_status import about_the_address
from .reach import BOUNCED_HARD, BOUNCED_SOFT, COMPLAINTS, DEFERRED

# The feedback types (RFC 5965 section 7.3) that are a resident's complaint; "not-spam",
# "virus" and "other" are not.
COMPLAINT_TYPES = frozenset({"abuse", "fraud"})
# Content types that quote the email reported on, whole or its headers only: the email
# package parses the ``message/*`` ones as messages; the text one is parsed here.
QUOTED_MESSAGE = (
    "message/rfc822",
    "message/global",
    "message/rfc822-headers",
    "message/global-headers",
)
QUOTED_HEADERS = "text/rfc822-headers"


@dataclass(frozen=True)
class MailReport:
    """One report: what it adds to reach, whether it suppresses the address and why, and
    the unsubscribe token of the email it is about (None when it quotes none)."""

    kind: str  # how the summary names one: "complaint", "hard bounce"... (plural: + "s")
    counter: str | None  # a reach counter (core.reach), or None when nothing is counted
    suppress: str | None  # the suppression's reason ("complaint", "bounce"), or None
    token: str | None


def read_report(raw: bytes) -> MailReport | None:
    """The report in an email's bytes, or None when it is no report this module reads
    (an out-of-office reply, a bounce written as prose, spam to the abuse mailbox)."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    if message.get_content_type() != "multipart/report":
        return None
    parts = [part for part in message.walk() if part is not message]
    token = unsubscribe_token(quoted_headers(parts))
    report_type = str(message.get_param("report-type", "")).lower()
    if report_type == "feedback-report":
        fields = first_block(parts, "message/feedback-report")
        feedback = str(fields.get("Feedback-Type", "")).strip().lower() if fields else ""
        if feedback in COMPLAINT_TYPES:
            return MailReport("complaint", COMPLAINTS, "complaint", token)
        return MailReport("other feedback report", None, None, token)  # not-spam, virus...
    if report_type == "delivery-status":
        return delivery_status(parts, token)
    return None


def delivery_status(parts: Sequence[Message], token: str | None) -> MailReport | None:
    """A DSN's outcome for its recipient (ours have one each). Failed with a status about
    the address (``core.mail_status``) is a hard bounce; failed otherwise (a full mailbox,
    the council's sending address blocked) a soft one, which suppresses nobody. Delayed
    is a deferral. Success notices are never asked for (no NOTIFY=SUCCESS), so one is
    not counted: anyone could send them."""
    blocks = [
        block
        for part in parts
        if part.get_content_type() == "message/delivery-status"
        for block in part.get_payload()
        if isinstance(block, Message) and block.get("Action")
    ]
    if not blocks:
        return None
    actions = {first_word(str(b["Action"])): b for b in blocks}
    if "failed" in actions:
        status = str(actions["failed"].get("Status", "")).strip()
        if status.startswith("5") and about_the_address(status):
            return MailReport("hard bounce", BOUNCED_HARD, "bounce", token)
        return MailReport("soft bounce", BOUNCED_SOFT, None, token)
    if "delayed" in actions:
        return MailReport("delay", DEFERRED, None, token)
    return MailReport("success notice", None, None, token)


def first_word(field: str) -> str:
    """A field's value without what may follow it: "failed (permanent)" is failed."""
    words = re.split(r"[\s;(]", field.strip().lower(), maxsplit=1)
    return words[0]


def first_block(parts: Sequence[Message], content_type: str) -> Message | None:
    """The header block of the first part of this type (the email package parses a
    ``message/*`` part's fields as a message of headers)."""
    for part in parts:
        if part.get_content_type() == content_type:
            payload = part.get_payload()
            if isinstance(payload, list) and payload and isinstance(payload[0], Message):
                return payload[0]
    return None


def quoted_headers(parts: Sequence[Message]) -> Message | None:
    """The headers of the email a report quotes, whole or as headers alone."""
    for part in parts:
        kind = part.get_content_type()
        if kind in QUOTED_MESSAGE:
            return first_block([part], kind)
        if kind == QUOTED_HEADERS:
            raw = part.get_payload(decode=True)
            text = raw.decode("latin-1") if isinstance(raw, bytes) else ""  # any charset: ASCII
            return HeaderParser(policy=email.policy.default).parsestr(text)
    return None


def unsubscribe_token(headers: Message | None) -> str | None:
    """The token of the HTTPS unsubscribe link in ``List-Unsubscribe`` (folding and
    spaces a relay put inside the angle brackets taken out)."""
    if headers is None:
        return None
    value = str(headers.get("List-Unsubscribe", ""))
    for bracketed in value.split("<")[1:]:
        url = "".join(bracketed.split(">", 1)[0].split())
        parts = urlsplit(url)
        tokens = parse_qs(parts.query).get("token")
        if parts.scheme in ("https", "http") and tokens:
            return tokens[0]
    return None
