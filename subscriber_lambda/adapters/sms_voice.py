"""Text messages through AWS End User Messaging SMS (boto3's ``pinpoint-sms-voice-v2``).

For a council already on AWS (the SES and Lambda deployment) this keeps texts in the same
account, paid per message, with its own opt-out list: residents who reply STOP to the
origination number are put on the list by AWS, which then refuses to text them
(ConflictException, DESTINATION_PHONE_NUMBER_OPTED_OUT), and ``opt_outs`` reads the list
so the subscription ends on our side too.

Messages are TRANSACTIONAL (alerts and notices the resident asked for), sent from the
given origination identity (a phone number, sender ID or pool) and configuration set
(for delivery events) when given, with our reference in ``Context`` (logged to the event
destination, never personal).

AWS's errors are sorted into the ports' failures:

- ValidationException about the destination number (its field, or a destination country
  we cannot send to) and ConflictException DESTINATION_PHONE_NUMBER_OPTED_OUT:
  DeliveryRefused.
- ThrottlingException and ServiceQuotaExceededException (the spend or message quota):
  DeliveryDeferred, after botocore's own retries.
- Everything else is about our account or AWS and would fail for every number alike:
  ProviderUnavailable (AccessDeniedException, ResourceNotFoundException for the
  origination identity or configuration set, InternalServerException, any other
  validation error, no connection or a timeout).

Nothing here logs or raises a phone number: AWS's messages may hold the destination,
which DeliveryError takes out.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from ..ports import (
    DeliveryDeferred,
    DeliveryError,
    DeliveryRefused,
    OptOut,
    ProviderUnavailable,
)

log = logging.getLogger(__name__)

DEFAULT_OPT_OUT_LIST = "Default"
CLIENT_CONFIG = Config(connect_timeout=5, read_timeout=10, retries={"mode": "standard"})
DEFERRED = {"ThrottlingException", "ServiceQuotaExceededException"}
DESTINATION_FIELD = "DestinationPhoneNumber"
# Validation reasons that are about the destination number itself.
DESTINATION_REASONS = {"DESTINATION_COUNTRY_BLOCKED", "CANNOT_PARSE"}


def _about_destination(error: ClientError) -> bool:
    response: dict[str, Any] = dict(error.response)
    fields = response.get("Fields") or []
    if any(isinstance(f, dict) and f.get("Name") == DESTINATION_FIELD for f in fields):
        return True
    if response.get("Reason") in DESTINATION_REASONS:
        return True
    text = str(response.get("Error", {}).get("Message", "")).lower()
    return "destination" in text and "phone number" in text


def classify(error: ClientError, recipient: str) -> DeliveryError:
    """What an error from End User Messaging SMS (after any retries) means for this
    message."""
    code = str(error.response.get("Error", {}).get("Code", ""))
    text = str(error.response.get("Error", {}).get("Message", ""))
    why = str(dict(error.response).get("Reason") or "")
    reason = f"{code}{f' ({why})' if why else ''}: {text}"
    if code in DEFERRED:
        return DeliveryDeferred(reason, recipient)
    if code == "ConflictException" and why == "DESTINATION_PHONE_NUMBER_OPTED_OUT":
        return DeliveryRefused(reason, recipient)
    if code == "ValidationException" and _about_destination(error):
        return DeliveryRefused(reason, recipient)
    return ProviderUnavailable(reason, recipient)


class AmazonTexts:
    """The TextSender port on AWS End User Messaging SMS."""

    def __init__(
        self,
        origination_identity: str | None = None,
        configuration_set: str | None = None,
        client: Any = None,
        opt_out_list: str = DEFAULT_OPT_OUT_LIST,
    ) -> None:
        self._client = client or boto3.client("pinpoint-sms-voice-v2", config=CLIENT_CONFIG)
        self._origination_identity = origination_identity
        self._configuration_set = configuration_set
        self._opt_out_list = opt_out_list

    def send_text(self, number: str, body: str, reference: str) -> None:
        request: dict[str, Any] = {
            "DestinationPhoneNumber": number,
            "MessageBody": body,
            "MessageType": "TRANSACTIONAL",
        }
        if self._origination_identity:
            request["OriginationIdentity"] = self._origination_identity
        if self._configuration_set:
            request["ConfigurationSetName"] = self._configuration_set
        if reference:
            request["Context"] = {"reference": reference}
        try:
            self._client.send_text_message(**request)
        except ClientError as error:
            raise classify(error, number) from error
        except BotoCoreError as error:  # no connection or a timeout, after the retries
            raise ProviderUnavailable(f"SMS: {type(error).__name__}", number) from error

    def opt_outs(self, since: datetime) -> Iterator[OptOut]:
        """Entries of the opt-out list made at or after ``since``. The list has no order
        to stop early by, so every page is read."""
        pages = self._client.get_paginator("describe_opted_out_numbers").paginate(
            OptOutListName=self._opt_out_list
        )
        listed = 0
        try:
            for page in pages:
                for entry in page.get("OptedOutNumbers", []):
                    listed += 1
                    at = entry["OptedOutTimestamp"]
                    if not isinstance(at, datetime):
                        at = datetime.fromtimestamp(float(at), UTC)
                    at = at.astimezone(UTC) if at.tzinfo else at.replace(tzinfo=UTC)
                    if at >= since:
                        yield OptOut(str(entry["OptedOutNumber"]), at)
        except ClientError as error:
            raise classify(error, "") from error
        except BotoCoreError as error:
            raise ProviderUnavailable(f"SMS: {type(error).__name__}") from error
        log.info("SMS: %d entries of the opt-out list read", listed)
