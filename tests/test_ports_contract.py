"""The mailer and queue contracts, run against both sets of adapters: SMTP (aiosmtpd on
127.0.0.1) and SES (moto's server); the inline queue and SQS (moto's server)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from aiosmtpd.controller import Controller

from subscriber_lambda.adapters.inline_queue import InlineQueue
from subscriber_lambda.adapters.ses_mailer import SesMailer
from subscriber_lambda.adapters.smtp_mailer import SmtpMailer
from subscriber_lambda.adapters.sqs_queue import SqsQueue
from subscriber_lambda.core.messages import Envelope, build_message
from subscriber_lambda.notify import Delivery
from subscriber_lambda.ports import Mailer, Queue
from tests.moto_server import moto_with_ses
from tests.services import free_port
from tests.test_subscriptions import Inbox

MESSAGE = build_message(
    {"subject": "Flood", "text": "Flood ((unsubscribe_url))", "html": "<p>Flood</p>"},
    Envelope("C <noticeboard@example.org>", "r@example.net", "https://x/m", "https://x/u", "x"),
    datetime(2026, 11, 28, tzinfo=UTC),
)


@pytest.fixture(scope="module")
def moto() -> Iterator[dict[str, str]]:
    with moto_with_ses() as options:
        yield options


@pytest.fixture(params=["smtp", "ses"])
def mailer_and_count(request: pytest.FixtureRequest) -> Iterator[tuple[Mailer, Any]]:
    if request.param == "smtp":
        inbox, port = Inbox(), free_port()
        controller = Controller(inbox, hostname="127.0.0.1", port=port)
        controller.start()
        mailer = SmtpMailer("127.0.0.1", port)
        yield mailer, lambda: len(inbox.messages)
        mailer.close()
        controller.stop()
    else:
        options = request.getfixturevalue("moto")
        ses = boto3.client("ses", **options)
        yield (
            SesMailer("noticeboard", options, sleep=lambda s: None),
            lambda: ses.get_send_quota()["SentLast24Hours"],
        )


def test_a_mailer_hands_each_message_over(mailer_and_count: tuple[Mailer, Any]) -> None:
    mailer, count = mailer_and_count
    before = count()
    mailer.send(MESSAGE)
    mailer.send(MESSAGE)
    assert count() >= before + 2


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
