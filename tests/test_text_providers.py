"""The text-message contract, run against both TextSender adapters: GOV.UK Notify (its
official client against tests/fake_notify.py) and AWS End User Messaging SMS (boto3
against tests/fake_sms_voice.py). Then what only one provider does, and how each
provider's errors are sorted."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from notifications_python_client.errors import HTTPError

from subscriber_lambda.adapters.govuk_notify import NotifyTexts, e164, is_stop
from subscriber_lambda.adapters.govuk_notify import classify as classify_notify
from subscriber_lambda.adapters.sms_voice import AmazonTexts
from subscriber_lambda.adapters.sms_voice import classify as classify_sms
from subscriber_lambda.ports import (
    DeliveryDeferred,
    DeliveryRefused,
    OptOut,
    ProviderUnavailable,
    TextSender,
)
from tests.fake_notify import API_KEY, SERVICE_ID, SMS_TEMPLATE, FakeNotify, fake_notify
from tests.fake_sms_voice import FakeSmsVoice, fake_sms_voice
from tests.moto_server import CREDENTIALS
from tests.services import free_port

NUMBER = "+447700900123"
T0 = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
BODY = "Flood warning for Riverside: move to higher ground.\nUpdated 09:00 £"


@dataclass
class TextProvider:
    """A TextSender, and ways to see what its provider took and to make it fail."""

    sender: TextSender
    sent: Callable[[], list[tuple[str, str, str | None]]]  # (number, body, reference)
    refuse: Callable[[str], None]  # the provider refuses this number as invalid
    throttle: Callable[[int], None]  # the next n requests are rate-limited
    fail: Callable[[int], None]  # the next n requests get a server error
    stop: Callable[[], None]  # the provider stops listening
    opt_out: Callable[[str, datetime], None]  # this E.164 number asks to stop, then
    page_size: Callable[[int], None]  # how many opt-outs a page lists


def sms_client(fake: FakeSmsVoice) -> Any:
    """boto3 pointed at the stand-in; one attempt, so failures come back at once."""
    config = Config(retries={"total_max_attempts": 1}, connect_timeout=2, read_timeout=5)
    return boto3.client(
        "pinpoint-sms-voice-v2", endpoint_url=fake.url, config=config, **CREDENTIALS
    )


def notify_provider(fake: FakeNotify) -> TextProvider:
    def opt_out(number: str, at: datetime) -> None:
        # Notify gives the number as its provider did, without the plus.
        fake.receive(number.removeprefix("+"), "Stop", at)

    return TextProvider(
        sender=NotifyTexts(API_KEY, SMS_TEMPLATE, base_url=fake.url),
        sent=lambda: [(a.to, a.personalisation["body"], a.reference) for a in fake.sent("sms")],
        refuse=fake.invalid.add,
        throttle=lambda n: fake.fail_next(n, 429),
        fail=lambda n: fake.fail_next(n, 500),
        stop=fake.stop,
        opt_out=opt_out,
        page_size=lambda n: setattr(fake, "page_size", n),
    )


def amazon_provider(fake: FakeSmsVoice) -> TextProvider:
    return TextProvider(
        sender=AmazonTexts("NOTICEBOARD", "noticeboard", client=sms_client(fake)),
        sent=lambda: [(s.number, s.body, s.context.get("reference")) for s in fake.sent],
        refuse=fake.invalid.add,
        throttle=lambda n: fake.fail_next(n, "ThrottlingException"),
        fail=lambda n: fake.fail_next(n, "InternalServerException"),
        stop=fake.stop,
        opt_out=lambda number, at: fake.opt_out(number, at),
        page_size=lambda n: setattr(fake, "page_size", n),
    )


@pytest.fixture(params=["notify", "amazon"])
def text_provider(request: pytest.FixtureRequest) -> Iterator[TextProvider]:
    if request.param == "notify":
        with fake_notify() as notify:
            yield notify_provider(notify)
    else:
        with fake_sms_voice() as sms:
            yield amazon_provider(sms)


# --- the contract ------------------------------------------------------------------------


def test_a_text_is_accepted_with_its_body_and_reference(text_provider: TextProvider) -> None:
    text_provider.sender.send_text(NUMBER, BODY, "alerts/flood-riverside")
    text_provider.sender.send_text("+447700900456", "Bins: Tuesday", "bins/2026-12")
    assert text_provider.sent() == [
        (NUMBER, BODY, "alerts/flood-riverside"),
        ("+447700900456", "Bins: Tuesday", "bins/2026-12"),
    ]


@pytest.mark.parametrize("number", ["+447700900999", "not a number"])
def test_an_invalid_number_is_refused_without_naming_it_and_the_next_text_goes(
    text_provider: TextProvider, number: str
) -> None:
    text_provider.refuse("+447700900999")
    with pytest.raises(DeliveryRefused) as refused:
        text_provider.sender.send_text(number, BODY, "alerts/flood")
    assert number not in str(refused.value)
    assert "7700900999" not in str(refused.value)
    text_provider.sender.send_text(NUMBER, BODY, "alerts/flood")
    assert len(text_provider.sent()) == 1


def test_a_rate_limit_defers_that_text(text_provider: TextProvider) -> None:
    text_provider.throttle(1)
    with pytest.raises(DeliveryDeferred) as deferred:
        text_provider.sender.send_text(NUMBER, BODY, "alerts/flood")
    assert NUMBER not in str(deferred.value)
    text_provider.sender.send_text(NUMBER, BODY, "alerts/flood")
    assert len(text_provider.sent()) == 1


def test_a_server_error_makes_the_provider_unavailable(text_provider: TextProvider) -> None:
    text_provider.fail(1)
    with pytest.raises(ProviderUnavailable) as unavailable:
        text_provider.sender.send_text(NUMBER, BODY, "alerts/flood")
    assert NUMBER not in str(unavailable.value)


def test_a_provider_that_stopped_is_unavailable(text_provider: TextProvider) -> None:
    text_provider.sender.send_text(NUMBER, BODY, "alerts/flood")
    text_provider.stop()
    for _ in range(2):
        with pytest.raises(ProviderUnavailable):
            text_provider.sender.send_text(NUMBER, BODY, "alerts/flood")
    with pytest.raises(ProviderUnavailable):
        list(text_provider.sender.opt_outs(T0))


def test_opt_outs_since_a_time_are_listed_in_e164_with_their_time(
    text_provider: TextProvider,
) -> None:
    text_provider.page_size(2)  # the answer spans pages
    text_provider.opt_out("+447700900001", T0 - timedelta(days=1))  # before: left out
    text_provider.opt_out("+447700900002", T0)  # at ``since``: in
    for n in range(3, 7):
        text_provider.opt_out(f"+44770090000{n}", T0 + timedelta(hours=n))
    found = sorted(text_provider.sender.opt_outs(T0), key=lambda o: o.number)
    assert found == [OptOut("+447700900002", T0)] + [
        OptOut(f"+44770090000{n}", T0 + timedelta(hours=n)) for n in range(3, 7)
    ]
    assert all(o.at.tzinfo is not None for o in found)
    assert list(text_provider.sender.opt_outs(T0 + timedelta(days=1))) == []


# --- GOV.UK Notify -----------------------------------------------------------------------


@pytest.fixture
def notify() -> Iterator[FakeNotify]:
    with fake_notify() as fake:
        yield fake


def test_notify_gets_the_template_personalisation_and_a_token_it_accepts(
    notify: FakeNotify,
) -> None:
    NotifyTexts(API_KEY, SMS_TEMPLATE, base_url=notify.url).send_text(NUMBER, BODY, "x/1")
    (accepted,) = notify.sent("sms")
    assert (accepted.template_id, accepted.personalisation) == (SMS_TEMPLATE, {"body": BODY})


def test_a_key_notify_refuses_makes_it_unavailable(notify: FakeNotify) -> None:
    wrong = f"noticeboard_test-{SERVICE_ID}-00000000-0000-0000-0000-000000000000"
    with pytest.raises(ProviderUnavailable, match="403: AuthError"):
        NotifyTexts(wrong, SMS_TEMPLATE, base_url=notify.url).send_text(NUMBER, BODY, "x/1")
    assert notify.sent("sms") == []


def test_a_team_only_key_is_about_our_account_not_the_number(notify: FakeNotify) -> None:
    notify.team_only = True
    with pytest.raises(ProviderUnavailable, match="team-only API key"):
        NotifyTexts(API_KEY, SMS_TEMPLATE, base_url=notify.url).send_text(NUMBER, BODY, "x/1")


def test_a_uk_landline_is_refused_as_notify_says(notify: FakeNotify) -> None:
    with pytest.raises(DeliveryRefused, match="phone_number Not a UK mobile number"):
        NotifyTexts(API_KEY, SMS_TEMPLATE, base_url=notify.url).send_text(
            "+441632960001", BODY, "x/1"
        )


def test_notify_replies_are_read_newest_first_only_as_far_as_since(notify: FakeNotify) -> None:
    notify.page_size = 2
    for n in range(10):  # old replies, pages of them
        notify.receive(f"4477009001{n:02}", "STOP", T0 - timedelta(days=2, minutes=n))
    notify.receive("07700900555", "  unsubscribe. ", T0 + timedelta(minutes=1))
    notify.receive("447700900556", "When are the bins collected?", T0 + timedelta(minutes=2))
    notify.receive("447700900557", "Cancel", T0 + timedelta(minutes=3))
    texts = NotifyTexts(API_KEY, SMS_TEMPLATE, base_url=notify.url)
    before = notify.requests
    found = list(texts.opt_outs(T0))
    assert found == [
        OptOut("+447700900557", T0 + timedelta(minutes=3)),
        OptOut("+447700900555", T0 + timedelta(minutes=1)),
    ]
    assert notify.requests - before == 2  # the page holding the first older reply, no more


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("447700900123", "+447700900123"),
        ("07700900123", "+447700900123"),
        ("+447700900123", "+447700900123"),
        ("33612345678", "+33612345678"),
        ("12", None),
    ],
)
def test_numbers_notify_gives_become_e164(given: str, expected: str | None) -> None:
    assert e164(given) == expected


@pytest.mark.parametrize(
    ("content", "stop"),
    [
        ("STOP", True),
        (" stop\n", True),
        ("Stop.", True),
        ("STOPALL", True),
        ("Unsubscribe", True),
        ("quit", True),
        ("end", True),
        ("cancel", True),
        ("please stop", False),
        ("Stop sending me these", True),  # a reply that starts with STOP asks to stop
        ("STOP texts please", True),
        ("Ending soon?", False),
        ("", False),
    ],
)
def test_which_replies_ask_to_stop(content: str, stop: bool) -> None:
    assert is_stop(content) is stop


class _Response:
    def __init__(self, status: int, body: Any) -> None:
        self.status_code, self._body = status, body

    def json(self) -> Any:
        return self._body


def notify_error(status: int, error: str, message: str) -> HTTPError:
    body = {"status_code": status, "errors": [{"error": error, "message": message}]}
    return HTTPError(_Response(status, body))  # type: ignore[arg-type]


TEAM_ONLY = "Can't send to this recipient using a team-only API key"
TRIAL_MODE = (
    "Can't send to this recipient when service is in trial mode - see "
    "https://www.notifications.service.gov.uk/trial-mode"
)
CLOCK = "Error: Your system clock must be accurate to within 30 seconds"
RATE_LIMIT = "Exceeded rate limit for key type LIVE of 3000 requests per 60 seconds"


@pytest.mark.parametrize(
    ("status", "error", "message", "failure"),
    [
        (400, "ValidationError", "phone_number Not a UK mobile number", DeliveryRefused),
        (400, "ValidationError", "phone_number Not a valid phone number", DeliveryRefused),
        (400, "ValidationError", "phone_number Too many digits", DeliveryRefused),
        (400, "ValidationError", "email_address Not a valid email address", DeliveryRefused),
        (400, "BadRequestError", TEAM_ONLY, ProviderUnavailable),
        (400, "BadRequestError", TRIAL_MODE, ProviderUnavailable),
        (400, "BadRequestError", "Missing personalisation: body", ProviderUnavailable),
        (400, "ValidationError", "template_id is not a valid UUID", ProviderUnavailable),
        (403, "AuthError", CLOCK, ProviderUnavailable),
        (403, "AuthError", "Invalid token: API key not found", ProviderUnavailable),
        (429, "RateLimitError", RATE_LIMIT, DeliveryDeferred),
        (429, "TooManyRequestsError", "Exceeded send limits (250000) for today", DeliveryDeferred),
        (500, "Exception", "Internal server error", ProviderUnavailable),
        (503, "", "Request failed", ProviderUnavailable),
    ],
)
def test_notify_errors_are_sorted_as_its_documentation_describes_them(
    status: int, error: str, message: str, failure: type[Exception]
) -> None:
    classified = classify_notify(notify_error(status, error, message), NUMBER)
    assert type(classified) is failure
    assert message.split(" - ")[0] in str(classified)


def test_no_connection_is_a_503_the_client_made() -> None:
    """The client turns requests' exceptions into HTTPError 503 'Request failed'."""
    texts = NotifyTexts(API_KEY, SMS_TEMPLATE, base_url=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(ProviderUnavailable, match="Notify 503: Request failed"):
        texts.send_text(NUMBER, BODY, "x/1")


# --- AWS End User Messaging SMS ----------------------------------------------------------


@pytest.fixture
def sms() -> Iterator[FakeSmsVoice]:
    with fake_sms_voice() as fake:
        yield fake


def test_amazon_sends_a_transactional_text_from_our_identity(sms: FakeSmsVoice) -> None:
    AmazonTexts("NOTICEBOARD", "noticeboard", client=sms_client(sms)).send_text(
        NUMBER, BODY, "alerts/flood"
    )
    (sent,) = sms.sent
    assert sent.message_type == "TRANSACTIONAL"
    assert (sent.origination_identity, sent.configuration_set) == ("NOTICEBOARD", "noticeboard")
    assert sent.context == {"reference": "alerts/flood"}


def test_amazon_without_identity_or_configuration_set_leaves_them_to_aws(
    sms: FakeSmsVoice,
) -> None:
    AmazonTexts(client=sms_client(sms)).send_text(NUMBER, BODY, "")
    (sent,) = sms.sent
    assert (sent.origination_identity, sent.configuration_set, sent.context) == (None, None, {})


def test_a_number_on_the_opt_out_list_is_refused(sms: FakeSmsVoice) -> None:
    sms.opt_out(NUMBER, T0)
    with pytest.raises(DeliveryRefused, match="DESTINATION_PHONE_NUMBER_OPTED_OUT") as refused:
        AmazonTexts(client=sms_client(sms)).send_text(NUMBER, BODY, "alerts/flood")
    assert NUMBER not in str(refused.value)


@pytest.mark.parametrize(
    ("kind", "failure"),
    [
        ("ServiceQuotaExceededException", DeliveryDeferred),
        ("AccessDeniedException", ProviderUnavailable),
        ("ThrottlingException", DeliveryDeferred),
        ("InternalServerException", ProviderUnavailable),
    ],
)
def test_amazon_errors_are_sorted(sms: FakeSmsVoice, kind: str, failure: type[Exception]) -> None:
    sms.fail_next(1, kind)
    with pytest.raises(failure, match=kind):
        AmazonTexts(client=sms_client(sms)).send_text(NUMBER, BODY, "alerts/flood")


def test_an_origination_identity_aws_does_not_know_makes_it_unavailable(
    sms: FakeSmsVoice,
) -> None:
    with pytest.raises(ProviderUnavailable, match="ResourceNotFoundException"):
        AmazonTexts("+447700900000", client=sms_client(sms)).send_text(NUMBER, BODY, "x/1")


def test_an_opt_out_list_aws_does_not_know_makes_it_unavailable(sms: FakeSmsVoice) -> None:
    texts = AmazonTexts(client=sms_client(sms), opt_out_list="Noticeboard")
    with pytest.raises(ProviderUnavailable, match="ResourceNotFoundException"):
        list(texts.opt_outs(T0))


def aws_error(code: str, message: str, **extra: Any) -> ClientError:
    response: Any = {"Error": {"Code": code, "Message": message}, **extra}
    return ClientError(response, "SendTextMessage")


@pytest.mark.parametrize(
    ("error", "failure"),
    [
        (
            aws_error(
                "ValidationException",
                "Invalid",
                Reason="INVALID_PARAMETER",
                Fields=[{"Name": "DestinationPhoneNumber", "Message": "Invalid"}],
            ),
            DeliveryRefused,
        ),
        (
            aws_error("ValidationException", "Blocked", Reason="DESTINATION_COUNTRY_BLOCKED"),
            DeliveryRefused,
        ),
        (
            aws_error(
                "ConflictException", "Opted out", Reason="DESTINATION_PHONE_NUMBER_OPTED_OUT"
            ),
            DeliveryRefused,
        ),
        (
            aws_error("ValidationException", "Bad body", Reason="MISSING_PARAMETER"),
            ProviderUnavailable,
        ),
        (
            aws_error("ValidationException", "Not registered", Reason="SENDER_ID_NOT_REGISTERED"),
            ProviderUnavailable,
        ),
        (aws_error("ConflictException", "Busy", Reason="RESOURCE_NOT_ACTIVE"), ProviderUnavailable),
        (aws_error("ThrottlingException", "Slow down"), DeliveryDeferred),
        (aws_error("ServiceQuotaExceededException", "Spend limit"), DeliveryDeferred),
        (aws_error("AccessDeniedException", "No"), ProviderUnavailable),
        (aws_error("ResourceNotFoundException", "No such pool"), ProviderUnavailable),
        (aws_error("InternalServerException", "Oops"), ProviderUnavailable),
    ],
)
def test_amazon_errors_are_sorted_by_code_and_reason(
    error: ClientError, failure: type[Exception]
) -> None:
    assert type(classify_sms(error, NUMBER)) is failure
