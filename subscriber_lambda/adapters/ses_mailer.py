"""The mailer on Amazon SES (v2): raw MIME, a configuration set (for bounce, complaint and
delivery events), SES's send rate honoured, throttling and transient errors retried with
backoff.

The From address is also given as ``FromEmailAddress``, so that IAM's ``ses:FromAddress``
condition (template.yaml lets the functions send only from MAIL_FROM) is evaluated on it
rather than left to what SES reads from the raw headers. The account's send rate is
asked of SES (``GetSendQuota``) on the first send, so a function that builds a mailer but
never sends (publish, sweep) needs no SES permission at all.

SES's errors are sorted into the Mailer port's failures: a message rejected, or a request
refused because of its address, is DeliveryRefused (mailboxes that bounce later arrive as
SES events instead). Everything else is about the account or the service, so
ProviderUnavailable: throttling or a service error still failing after the retries, sending
paused, a missing configuration set, an identity not verified (which SES also reports as
MessageRejected, and would otherwise suppress every address in the sandbox), no
connection. SES never refuses one message for now, so it never raises DeliveryDeferred.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from email.message import Message
from email.utils import parseaddr
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from ..core.messages import ITEM_HEADER
from ..core.reach import item_tag
from ..ports import DeliveryError, DeliveryRefused, ProviderUnavailable

RETRYABLE = {
    "Throttling",
    "ThrottlingException",
    "TooManyRequestsException",
    "ServiceUnavailable",
    "InternalFailure",
    "InternalServerError",
    "LimitExceededException",
}
ATTEMPTS = 6


def classify(error: ClientError, recipient: str) -> DeliveryError:
    """What an error SES gave after any retries means for this message."""
    code = str(error.response["Error"].get("Code", ""))
    text = str(error.response["Error"].get("Message", ""))
    reason = f"{code}: {text}"
    if code == "MessageRejected" and "not verified" not in text.lower():
        return DeliveryRefused(reason, recipient)
    if code == "BadRequestException" and "address" in text.lower():
        return DeliveryRefused(reason, recipient)
    return ProviderUnavailable(reason, recipient)


class SesMailer:
    def __init__(
        self,
        configuration_set: str,
        client_options: dict[str, Any] | None = None,
        max_rate: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._options = client_options or {}
        self._ses = boto3.client("sesv2", **self._options)
        self._configuration_set = configuration_set
        self._max_rate = max_rate
        self._interval: float | None = None  # seconds between sends, once known
        self._clock, self._sleep = clock, sleep
        self._next = clock()
        self.calls = 0  # SES API calls made, for the benchmark

    def _send_interval(self) -> float:
        """Seconds between sends at the account's maximum send rate."""
        rate = self._max_rate
        if rate is None:  # SESv2 has no quota call every endpoint answers; v1's does
            try:
                quota = boto3.client("ses", **self._options).get_send_quota()
            except (ClientError, BotoCoreError) as error:
                raise ProviderUnavailable(f"GetSendQuota: {error}") from error
            rate = float(quota["MaxSendRate"])
        return 1.0 / rate if rate > 0 else 0.0

    def _wait_for_rate(self) -> None:
        if self._interval is None:
            self._interval = self._send_interval()
        now = self._clock()
        if now < self._next:
            self._sleep(self._next - now)
            now = self._next
        self._next = now + self._interval

    def send(self, message: Message) -> None:
        data = message.as_bytes()
        recipient = str(message["To"])
        sender = parseaddr(str(message["From"]))[1]
        item = message.get(ITEM_HEADER)
        tags = [{"Name": "item", "Value": item_tag(str(item))}] if item else []
        for attempt in range(ATTEMPTS):
            self._wait_for_rate()
            try:
                self.calls += 1
                self._ses.send_email(
                    FromEmailAddress=sender,
                    Destination={"ToAddresses": [recipient]},
                    Content={"Raw": {"Data": data}},
                    ConfigurationSetName=self._configuration_set,
                    EmailTags=tags,
                )
                return
            except ClientError as error:
                code = error.response["Error"]["Code"]
                if code not in RETRYABLE or attempt == ATTEMPTS - 1:
                    raise classify(error, recipient) from error
                self._sleep(min(2**attempt * 0.2, 10.0))  # 0.2 s, 0.4 s, ... at most 10 s
            except BotoCoreError as error:  # no connection, after botocore's own retries
                raise ProviderUnavailable(str(error), recipient) from error
