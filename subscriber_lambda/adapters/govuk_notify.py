"""Text messages and email through GOV.UK Notify, with its official client
(notifications-python-client).

Councils can use Notify free for email and within a yearly allowance of texts, and it
handles senders, deliverability and replies: so it is the public sector's first choice
for both channels. Each Notify template holds only placeholders (an email template
``((subject))`` / ``((body))``, a text template ``((body))``), because the site builds
every message itself; Notify renders the email's HTML from the plain text, so the HTML
part we build for SMTP and SES is not sent.

Notify has no opt-out list of its own: residents who reply STOP to the service's inbound
number arrive as received text messages, which ``opt_outs`` reads (Notify keeps them for
7 days, so read them at least that often).

Notify's errors (https://docs.notifications.service.gov.uk/python.html, "Error codes")
are sorted into the ports' failures:

- 400 ValidationError about ``phone_number`` or ``email_address``: DeliveryRefused, the
  address is not one Notify can send to.
- 429 RateLimitError or TooManyRequestsError (the daily limit): DeliveryDeferred.
- Everything else is about our account, key, templates or Notify itself, and would fail
  for every recipient alike: ProviderUnavailable. That includes the 400
  BadRequestErrors "Can't send to this recipient using a team-only API key" and "...when
  service is in trial mode" (they are about the key and the service, not the resident),
  a missing personalisation or template, 403 AuthError, 500, and no connection or a
  timeout (which the client reports as an HTTPError with status 503).

Nothing here logs or raises a phone number or an address.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from email.header import decode_header, make_header
from email.message import Message
from email.utils import parseaddr
from typing import Any

import phonenumbers
import requests
from notifications_python_client.errors import APIError
from notifications_python_client.notifications import NotificationsAPIClient

from ..core.messages import ITEM_HEADER
from ..ports import (
    DeliveryDeferred,
    DeliveryError,
    DeliveryRefused,
    OptOut,
    ProviderUnavailable,
)

log = logging.getLogger(__name__)

TIMEOUT = 10.0  # seconds; the client's default is 30
# Replies that ask to stop, compared trimmed and case-folded (the usual carrier keywords).
STOP_WORDS = frozenset({"stop", "stopall", "unsubscribe", "cancel", "end", "quit"})
RECIPIENT_FIELDS = ("phone_number", "email_address")
ABOUT_THE_RECIPIENT = {"ValidationError", "InvalidPhoneError", "InvalidEmailError"}


def _errors(error: APIError) -> list[tuple[str, str]]:
    """Notify's (error, message) pairs: its body is ``{"status_code": ..., "errors":
    [{"error": "ValidationError", "message": "..."}]}``, which the client's ``message``
    gives as that list (or as a string when there was no JSON body)."""
    message: Any = error.message
    if isinstance(message, list):
        return [
            (str(e.get("error", "")), str(e.get("message", "")))
            for e in message
            if isinstance(e, Mapping)
        ]
    return [("", str(message))]


def classify(error: APIError, recipient: str) -> DeliveryError:
    """What an error from Notify's client means for this message."""
    status = error.status_code
    errors = _errors(error)
    reason = f"Notify {status}: " + "; ".join(
        f"{name}: {text}" if name else text for name, text in errors
    )
    if status == 429:
        return DeliveryDeferred(reason, recipient)
    if status == 400 and any(
        name in ABOUT_THE_RECIPIENT and text.startswith(RECIPIENT_FIELDS) for name, text in errors
    ):
        return DeliveryRefused(reason, recipient)
    return ProviderUnavailable(reason, recipient)


def e164(number: str) -> str | None:
    """A number as Notify gives it (``447700900123``, ``07700900123``, ``+44...``) in E.164,
    or None if it is not a possible phone number."""
    number = number.strip()
    if number[:1].isdigit() and not number.startswith("0"):
        number = "+" + number  # Notify drops the plus of international numbers
    try:
        parsed = phonenumbers.parse(number, "GB")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def is_stop(content: str) -> bool:
    words = content.casefold().replace(".", " ").replace("!", " ").split()
    return bool(words) and words[0] in STOP_WORDS  # "Stop", "STOP texts please"


def _client(api_key: str, base_url: str | None) -> Any:
    """The official client (untyped, so Any here). It asserts a base_url is given, and
    its default is Notify's: pass one only when there is one."""
    client: Any = NotificationsAPIClient
    if base_url is None:
        return client(api_key, timeout=TIMEOUT)
    return client(api_key, base_url=base_url, timeout=TIMEOUT)


class NotifyTexts:
    """The TextSender port on GOV.UK Notify."""

    def __init__(self, api_key: str, sms_template_id: str, base_url: str | None = None) -> None:
        self._client = _client(api_key, base_url)
        self._template_id = sms_template_id

    def send_text(self, number: str, body: str, reference: str) -> None:
        try:
            self._client.send_sms_notification(
                phone_number=number,
                template_id=self._template_id,
                personalisation={"body": body},
                reference=reference or None,
            )
        except APIError as error:
            raise classify(error, number) from error
        except requests.RequestException as error:  # the client wraps these; in case not
            raise ProviderUnavailable(f"Notify: {type(error).__name__}", number) from error

    def opt_outs(self, since: datetime) -> Iterator[OptOut]:
        """Replies of STOP received at or after ``since``. Notify lists received texts
        newest first, so reading stops at the first one older than ``since``."""
        read = skipped = 0
        try:
            for text in self._client.get_received_texts_iterator():
                received_at = datetime.fromisoformat(str(text["created_at"]))
                if received_at.tzinfo is None:
                    received_at = received_at.replace(tzinfo=UTC)
                if received_at < since:
                    break
                read += 1
                if not is_stop(str(text.get("content", ""))):
                    continue
                number = e164(str(text.get("user_number", "")))
                if number is None:
                    skipped += 1
                    continue
                yield OptOut(number, received_at)
        except APIError as error:
            raise classify(error, "") from error
        except requests.RequestException as error:
            raise ProviderUnavailable(f"Notify: {type(error).__name__}") from error
        log.info("Notify: %d received texts read, %d unreadable numbers skipped", read, skipped)


def _header(message: Message, name: str) -> str:
    value = message.get(name)
    return "" if value is None else str(make_header(decode_header(str(value))))


def plain_text(message: Message) -> str:
    """The message's first text/plain part, decoded."""
    for part in message.walk():
        if part.get_content_type() == "text/plain" and not part.is_multipart():
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                return payload.decode(part.get_content_charset() or "utf-8", "replace")
            return str(part.get_payload())
    return ""


class NotifyMailer:
    """The Mailer port on GOV.UK Notify: the subject and plain text of a built message."""

    def __init__(self, api_key: str, email_template_id: str, base_url: str | None = None) -> None:
        self._client = _client(api_key, base_url)
        self._template_id = email_template_id

    def send(self, message: Message) -> None:
        recipient = parseaddr(str(message["To"]))[1] or str(message["To"])
        item = message.get(ITEM_HEADER)
        try:
            self._client.send_email_notification(
                email_address=recipient,
                template_id=self._template_id,
                personalisation={
                    "subject": _header(message, "Subject"),
                    "body": plain_text(message),
                },
                reference=_header(message, ITEM_HEADER) if item is not None else None,
            )
        except APIError as error:
            raise classify(error, recipient) from error
        except requests.RequestException as error:
            raise ProviderUnavailable(f"Notify: {type(error).__name__}", recipient) from error
