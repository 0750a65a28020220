"""The SES mailer: raw MIME through SESv2 (moto's server on 127.0.0.1), the send rate,
retries on throttling (botocore's Stubber, with a recorded sleep: no wall clock), and
which of SES's errors refuse an address and which mean SES is unavailable."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import boto3
import pytest
from botocore.config import Config
from botocore.stub import Stubber

from subscriber_lambda.adapters.ses_mailer import ATTEMPTS, SesMailer
from subscriber_lambda.core.messages import Envelope, build_message
from subscriber_lambda.ports import DeliveryRefused, ProviderUnavailable
from tests.moto_server import CREDENTIALS, moto_with_ses
from tests.services import free_port

ENVELOPE = Envelope(
    "C <noticeboard@example.org>", "r@example.net", "https://x/m", "https://x/u", "x"
)
MESSAGE = build_message(
    {"subject": "Flood", "text": "Flood", "html": "<p>Flood</p>"},
    ENVELOPE,
    datetime(2026, 11, 28, tzinfo=UTC),
)


@pytest.fixture(scope="module")
def moto() -> Iterator[dict[str, str]]:
    with moto_with_ses() as options:
        yield options


def test_a_message_goes_through_ses(moto: dict[str, str]) -> None:
    ses = boto3.client("ses", **moto)
    before = ses.get_send_quota()["SentLast24Hours"]
    mailer = SesMailer("noticeboard", moto, sleep=lambda s: None)
    mailer.send(MESSAGE)
    assert ses.get_send_quota()["SentLast24Hours"] > before
    assert mailer.calls == 1


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 3))
        self.now += seconds


def stubbed(mailer: SesMailer) -> Stubber:
    return Stubber(mailer._ses)


def test_the_send_rate_is_honoured(moto: dict[str, str]) -> None:
    time = FakeTime()
    mailer = SesMailer("noticeboard", moto, max_rate=4, clock=time.clock, sleep=time.sleep)
    with stubbed(mailer) as stub:
        for _ in range(3):
            stub.add_response("send_email", {"MessageId": "m"})
        for _ in range(3):
            mailer.send(MESSAGE)
    assert time.slept == [0.25, 0.25]


def test_throttling_is_retried_with_backoff(moto: dict[str, str]) -> None:
    time = FakeTime()
    mailer = SesMailer("noticeboard", moto, max_rate=1000, clock=time.clock, sleep=time.sleep)
    with stubbed(mailer) as stub:
        stub.add_client_error(
            "send_email", service_error_code="TooManyRequestsException", http_status_code=429
        )
        stub.add_client_error(
            "send_email", service_error_code="InternalFailure", http_status_code=500
        )
        stub.add_response("send_email", {"MessageId": "m"})
        mailer.send(MESSAGE)
    assert [s for s in time.slept if s >= 0.2] == [0.2, 0.4]
    assert mailer.calls == 3


def test_a_rejected_message_is_not_retried(moto: dict[str, str]) -> None:
    mailer = SesMailer("noticeboard", moto, max_rate=1000, sleep=lambda s: None)
    with stubbed(mailer) as stub, pytest.raises(DeliveryRefused):
        stub.add_client_error(
            "send_email", service_error_code="MessageRejected", http_status_code=400
        )
        mailer.send(MESSAGE)
    assert mailer.calls == 1


def test_throttling_that_outlasts_the_retries_means_ses_is_unavailable(
    moto: dict[str, str],
) -> None:
    time = FakeTime()
    mailer = SesMailer("noticeboard", moto, max_rate=1000, clock=time.clock, sleep=time.sleep)
    with stubbed(mailer) as stub, pytest.raises(ProviderUnavailable, match="TooManyRequests"):
        for _ in range(ATTEMPTS):
            stub.add_client_error(
                "send_email", service_error_code="TooManyRequestsException", http_status_code=429
            )
        mailer.send(MESSAGE)
    assert mailer.calls == ATTEMPTS
    assert [s for s in time.slept if s >= 0.2] == [0.2, 0.4, 0.8, 1.6, 3.2]


@pytest.mark.parametrize(
    ("code", "message", "failure"),
    [
        ("MessageRejected", "Message contains a virus", DeliveryRefused),
        ("BadRequestException", "Illegal address", DeliveryRefused),
        # In the sandbox, or before the domain is verified, every message is refused alike.
        (
            "MessageRejected",
            "Email address is not verified. The following identities failed the check "
            "in region EU-WEST-2: r@example.net",
            ProviderUnavailable,
        ),
        ("BadRequestException", "Invalid tag value", ProviderUnavailable),
        ("SendingPausedException", "Sending is paused for this account", ProviderUnavailable),
        ("NotFoundException", "Configuration set noticeboard does not exist", ProviderUnavailable),
        ("AccountSuspendedException", "Suspended", ProviderUnavailable),
    ],
)
def test_ses_refuses_an_address_only_when_its_error_is_about_the_message(
    moto: dict[str, str], code: str, message: str, failure: type[Exception]
) -> None:
    mailer = SesMailer("noticeboard", moto, max_rate=1000, sleep=lambda s: None)
    with stubbed(mailer) as stub, pytest.raises(failure) as raised:
        stub.add_client_error(
            "send_email", service_error_code=code, service_message=message, http_status_code=400
        )
        mailer.send(MESSAGE)
    assert type(raised.value) is failure and "r@example.net" not in str(raised.value)
    assert mailer.calls == 1


def test_no_connection_to_ses_means_it_is_unavailable() -> None:
    nowhere = {**CREDENTIALS, "endpoint_url": f"http://127.0.0.1:{free_port()}"}
    options = {**nowhere, "config": Config(retries={"max_attempts": 1}, connect_timeout=2)}
    mailer = SesMailer("noticeboard", options, max_rate=1000, sleep=lambda s: None)
    with pytest.raises(ProviderUnavailable, match="Could not connect"):
        mailer.send(MESSAGE)


def test_a_message_is_tagged_with_its_item_for_event_counts(moto: dict[str, str]) -> None:
    tagged = build_message(
        {"subject": "Flood", "text": "Flood", "html": "<p>Flood</p>"},
        ENVELOPE,
        datetime(2026, 11, 28, tzinfo=UTC),
        item_id="alerts/flood",
    )
    mailer = SesMailer("noticeboard", moto, max_rate=1000, sleep=lambda s: None)
    with stubbed(mailer) as stub:
        stub.add_response(
            "send_email",
            {"MessageId": "m"},
            {
                "FromEmailAddress": "noticeboard@example.org",  # for IAM's ses:FromAddress
                "Destination": {"ToAddresses": ["r@example.net"]},
                "Content": {"Raw": {"Data": tagged.as_bytes()}},
                "ConfigurationSetName": "noticeboard",
                "EmailTags": [{"Name": "item", "Value": "alerts_flood"}],
            },
        )
        mailer.send(tagged)
