"""The mailer and queue contracts, run against every adapter: SMTP (aiosmtpd on
127.0.0.1), SES (moto's server, with SES's refusals and throttling added) and GOV.UK Notify
(tests/fake_notify.py); the inline queue and SQS (moto's server)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import Message
from typing import Any

import boto3
import pytest
from aiosmtpd.controller import Controller

from subscriber_lambda.adapters.govuk_notify import NotifyMailer
from subscriber_lambda.adapters.inline_queue import InlineQueue
from subscriber_lambda.adapters.ses_mailer import SesMailer
from subscriber_lambda.adapters.smtp_mailer import SmtpMailer, classify
from subscriber_lambda.adapters.sqs_queue import SqsQueue
from subscriber_lambda.core.messages import Envelope, build_message
from subscriber_lambda.notify import Delivery
from subscriber_lambda.ports import (
    DeliveryDeferred,
    DeliveryRefused,
    Mailer,
    ProviderUnavailable,
    Queue,
)
from tests.fake_notify import API_KEY, EMAIL_TEMPLATE, fake_notify
from tests.moto_server import SesFaults, moto_with_ses
from tests.services import free_port
from tests.test_subscriptions import Inbox


def message_to(recipient: str) -> Message:
    return build_message(
        {"subject": "Flood", "text": "Flood ((unsubscribe_url))", "html": "<p>Flood</p>"},
        Envelope("C <noticeboard@example.org>", recipient, "https://x/m", "https://x/u", "x"),
        datetime(2026, 11, 28, tzinfo=UTC),
    )


MESSAGE = message_to("r@example.net")


@pytest.fixture(scope="module")
def moto() -> Iterator[dict[str, str]]:
    with moto_with_ses() as options:
        yield options


@dataclass
class MailSystem:
    """A mailer, and ways to see what it handed over and to make its mail system fail."""

    mailer: Mailer
    delivered: Callable[[], int]
    refuse: Callable[[str], None]  # refuse this address for good
    defer: Callable[[str], None] | None  # refuse it for now (SES never does)
    go_down: Callable[[], None]


@pytest.fixture(params=["smtp", "ses", "notify"])
def mail_system(request: pytest.FixtureRequest) -> Iterator[MailSystem]:
    if request.param == "notify":
        with fake_notify() as notify:
            yield MailSystem(
                NotifyMailer(API_KEY, EMAIL_TEMPLATE, base_url=notify.url),
                lambda: len(notify.sent("email")),
                notify.invalid.add,  # answered "email_address Not a valid email address"
                None,  # Notify takes or refuses each message; later failures are callbacks
                notify.stop,
            )
    elif request.param == "smtp":
        inbox, port = Inbox(), free_port()
        controller = Controller(inbox, hostname="127.0.0.1", port=port)
        controller.start()
        running = [True]

        def go_down() -> None:
            controller.stop()
            running[0] = False

        mailer = SmtpMailer("127.0.0.1", port, timeout=5)
        yield MailSystem(
            mailer, lambda: len(inbox.messages), inbox.refuse.add, inbox.defer.add, go_down
        )
        mailer.close()
        if running[0]:
            controller.stop()
    else:
        options = request.getfixturevalue("moto")
        ses_mailer = SesMailer("noticeboard", options, max_rate=1000, sleep=lambda s: None)
        faults = SesFaults(ses_mailer._ses)
        yield MailSystem(
            ses_mailer,
            lambda: len(faults.accepted),
            faults.refused.add,
            None,
            lambda: setattr(faults, "down", True),
        )


def test_a_mailer_hands_each_message_over(mail_system: MailSystem) -> None:
    before = mail_system.delivered()
    mail_system.mailer.send(MESSAGE)
    mail_system.mailer.send(MESSAGE)
    assert mail_system.delivered() >= before + 2


def test_an_address_refused_for_good_raises_refused_and_the_next_message_goes(
    mail_system: MailSystem,
) -> None:
    mail_system.refuse("gone@example.net")
    before = mail_system.delivered()
    with pytest.raises(DeliveryRefused) as refused:
        mail_system.mailer.send(message_to("gone@example.net"))
    assert "gone@example.net" not in str(refused.value)  # errors end up in logs
    mail_system.mailer.send(message_to("r@example.net"))
    assert mail_system.delivered() == before + 1


def test_a_message_refused_for_now_raises_deferred(mail_system: MailSystem) -> None:
    if mail_system.defer is None:
        pytest.skip("SES and Notify take or refuse each message at once; bounces come later")
    mail_system.defer("busy@example.net")
    with pytest.raises(DeliveryDeferred) as deferred:
        mail_system.mailer.send(message_to("busy@example.net"))
    assert str(deferred.value).startswith("451 4.2.1 <recipient>:")
    before = mail_system.delivered()
    mail_system.mailer.send(message_to("r@example.net"))
    assert mail_system.delivered() == before + 1


def test_a_mail_system_that_is_down_raises_unavailable(mail_system: MailSystem) -> None:
    mail_system.mailer.send(MESSAGE)  # a connection (or client) in use...
    mail_system.go_down()  # ...when the relay stops, or SES throttles past the retries
    with pytest.raises(ProviderUnavailable):
        mail_system.mailer.send(MESSAGE)
    with pytest.raises(ProviderUnavailable):
        mail_system.mailer.send(MESSAGE)


def test_notify_gets_the_subject_plain_text_and_item_but_not_the_html() -> None:
    message = build_message(
        {"subject": "Flood: Ynys Môn", "text": "Move to higher ground £", "html": "<p>x</p>"},
        Envelope("C <noticeboard@example.org>", "r@example.net", "https://x/m", "https://x/u", "x"),
        datetime(2026, 11, 28, tzinfo=UTC),
        item_id="alerts/flood-riverside",
    )
    with fake_notify() as notify:
        NotifyMailer(API_KEY, EMAIL_TEMPLATE, base_url=notify.url).send(message)
        NotifyMailer(API_KEY, EMAIL_TEMPLATE, base_url=notify.url).send(MESSAGE)
        first, second = notify.sent("email")
    assert (first.to, first.template_id) == ("r@example.net", EMAIL_TEMPLATE)
    assert first.personalisation == {
        "subject": "Flood: Ynys Môn",
        "body": "Move to higher ground £",
    }
    assert first.reference == "alerts/flood-riverside"
    assert second.reference is None  # no item, no reference


def test_after_a_refused_recipient_smtp_goes_on_over_the_same_connection() -> None:
    inbox, port = Inbox(refuse={"gone@example.net"}, defer={"busy@example.net"}), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    mailer = SmtpMailer("127.0.0.1", port)
    try:
        mailer.send(message_to("a@example.net"))
        with pytest.raises(DeliveryRefused):
            mailer.send(message_to("gone@example.net"))
        with pytest.raises(DeliveryDeferred):
            mailer.send(message_to("busy@example.net"))
        mailer.send(message_to("b@example.net"))
    finally:
        mailer.close()
        controller.stop()
    assert [m["To"] for m in inbox.messages] == ["a@example.net", "b@example.net"]
    assert inbox.connections[0] == inbox.connections[1]  # one connection throughout


def test_a_relay_that_is_not_there_is_unavailable_at_once() -> None:
    mailer = SmtpMailer("127.0.0.1", free_port())
    with pytest.raises(ProviderUnavailable, match="Connection refused"):
        mailer.send(MESSAGE)


@pytest.mark.parametrize(
    ("code", "text", "failure"),
    [
        (550, "5.1.1 <x@example.net>: User unknown", DeliveryRefused),
        (553, "mailbox name not allowed", DeliveryRefused),
        (550, "No such user here", DeliveryRefused),
        (554, "5.4.4 Unable to route", DeliveryRefused),
        (550, "5.2.1 Mailbox disabled", DeliveryRefused),
        (450, "4.2.0 Mailbox busy", DeliveryDeferred),
        (452, "Insufficient system storage for this message", DeliveryDeferred),
        (552, "5.2.2 Mailbox full", DeliveryDeferred),  # full mailboxes empty again
        (451, "4.7.1 Greylisted, try again later", DeliveryDeferred),
        (550, "5.7.1 Rejected by the recipient's policy", DeliveryDeferred),
        (554, "5.7.1 <x@example.net>: Relay access denied", DeliveryDeferred),
        (552, "5.3.4 Message size exceeds fixed limit", DeliveryDeferred),
        (554, "Transaction failed", DeliveryDeferred),
        (421, "4.3.2 Service shutting down", ProviderUnavailable),
    ],
)
def test_smtp_answers_refuse_an_address_only_when_they_are_about_it(
    code: int, text: str, failure: type[Exception]
) -> None:
    """Only an answer about the address suppresses it; a policy, a limit or the relay's
    trouble defers that one message (an answer that refuses every address alike must
    never empty the list, nor stop the alert reaching the rest)."""
    classified = classify(code, text, "x@example.net")
    assert type(classified) is failure
    assert "x@example.net" not in str(classified)


@pytest.fixture(params=["inline", "sqs"])
def queue_and_drain(request: pytest.FixtureRequest) -> Iterator[tuple[Queue, Any]]:
    if request.param == "inline":
        yield InlineQueue(), None
        return
    options = request.getfixturevalue("moto")
    sqs = boto3.client("sqs", **options)
    urls = {
        lane: sqs.create_queue(QueueName=f"contract-{lane}")["QueueUrl"]
        for lane in ("alerts", "routine")
    }

    def drain(lane: str) -> list[list[str]]:
        found = []
        while messages := sqs.receive_message(QueueUrl=urls[lane], MaxNumberOfMessages=10).get(
            "Messages"
        ):
            for message in messages:
                found += json.loads(message["Body"])["deliveries"]
                sqs.delete_message(QueueUrl=urls[lane], ReceiptHandle=message["ReceiptHandle"])
        return found

    yield SqsQueue(urls, options), drain


def test_a_queue_hands_over_every_delivery_in_its_lane(queue_and_drain: tuple[Queue, Any]) -> None:
    queue, drain = queue_and_drain
    deliveries = [Delivery(f"hash-{n}", "alerts/flood") for n in range(123)]
    worked: list[Delivery] = []
    assert queue.submit("alerts", iter(deliveries), worked.append, "s3://site/notify.json") == 123
    handed = [d.to_list() for d in worked] if drain is None else drain("alerts")
    assert sorted(map(tuple, handed)) == sorted(tuple(d.to_list()) for d in deliveries)
    if drain is not None:
        assert drain("routine") == []
