"""The embedded mailer: any SMTP relay (host, port, STARTTLS, login), one connection
reused for a whole run.

The relay's answers are sorted into the Mailer port's three failures:

- An answer to one recipient or one message is about that message, never a reason to
  stop the run, since relays and mailboxes answer per recipient (greylisting 451 4.7.1,
  a recipient's policy 550 5.7.1):
  - refused for good, DeliveryRefused, and the address is suppressed, only when the
    answer is about the address (``core.mail_status``: x.1.x, 5.2.1, 5.4.4), or, without
    an enhanced status, 550, 551 or 553;
  - anything else, DeliveryDeferred: 4xx, a full mailbox (5.2.2, 552), and a 5xx about
    a policy, the message or the mail system (5.7.x, 5.6.x, 5.3.x...). Such a message is
    tried again on later runs and given up after a dozen, but the address is kept:
    answers that would refuse every address alike must never empty the list.
- No connection, a timeout or a dropped connection (after one reconnect), 421, a refused
  login or STARTTLS, our sender refused: ProviderUnavailable (the run stops after a few).

After a refused recipient or data smtplib resets the transaction (RSET), so the same
connection goes on to the next message.
"""

from __future__ import annotations

import contextlib
import smtplib
from email.message import Message

from ..core.mail_status import about_the_address, enhanced_status
from ..ports import DeliveryDeferred, DeliveryError, DeliveryRefused, ProviderUnavailable

REFUSED_WITHOUT_ENHANCED = {550, 551, 553}  # mailbox unavailable, not local, name not allowed


def classify(code: int, text: str, recipient: str) -> DeliveryError:
    """The failure an SMTP answer to one recipient's transaction means."""
    reason = f"{code} {text}".strip()
    if code == 421 or not 400 <= code < 600:
        return ProviderUnavailable(reason, recipient)
    if code >= 500 and (
        about_the_address(text)
        or (enhanced_status(text) is None and code in REFUSED_WITHOUT_ENHANCED)
    ):
        return DeliveryRefused(reason, recipient)
    return DeliveryDeferred(reason, recipient)


def _text(message: bytes | str) -> str:
    return message.decode("utf-8", "replace") if isinstance(message, bytes) else message


class SmtpMailer:
    def __init__(
        self,
        host: str,
        port: int,
        starttls: bool = False,
        username: str | None = None,
        password: str | None = None,
        timeout: float = 30,
    ) -> None:
        self._host, self._port, self._starttls = host, port, starttls
        self._login = (username, password) if username and password else None
        self._timeout = timeout
        self._connection: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        connection = smtplib.SMTP(self._host, self._port, timeout=self._timeout)
        try:
            if self._starttls:
                connection.starttls()
            if self._login:
                connection.login(*self._login)
        except OSError:
            connection.close()
            raise
        return connection

    def send(self, message: Message) -> None:
        recipient = str(message["To"])
        reused = self._connection is not None
        try:
            self._hand_over(message, recipient)
        except OSError as error:  # no connection, or it broke (smtplib's errors are OSErrors)
            self._drop()
            if not reused:
                raise ProviderUnavailable(f"{self._host}:{self._port}: {error}") from error
            # Relays close idle connections: one fresh connection, then give up.
            try:
                self._hand_over(message, recipient)
            except OSError as again:
                self._drop()
                raise ProviderUnavailable(f"{self._host}:{self._port}: {again}") from again

    def _hand_over(self, message: Message, recipient: str) -> None:
        """One try on the current connection (made if there is none). Raises a
        DeliveryError for the relay's answer, or OSError when there is no connection
        (refused, timed out, a 421 greeting, a refused login) or it broke."""
        if self._connection is None:
            self._connection = self._connect()
        try:
            self._connection.send_message(message)
        except smtplib.SMTPRecipientsRefused as error:
            code, text = next(iter(error.recipients.values()))
            raise self._answer(code, _text(text), recipient) from error
        except smtplib.SMTPDataError as error:
            raise self._answer(error.smtp_code, _text(error.smtp_error), recipient) from error
        except smtplib.SMTPSenderRefused as error:  # our From: every message would be refused
            self._drop()
            reason = f"sender refused: {error.smtp_code} {_text(error.smtp_error)}"
            raise ProviderUnavailable(reason) from error

    def _answer(self, code: int, text: str, recipient: str) -> DeliveryError:
        failure = classify(code, text, recipient)
        if isinstance(failure, ProviderUnavailable):
            self._drop()
        return failure

    def _drop(self) -> None:
        """Forget the connection (closing it quietly): the next message makes a new one."""
        if self._connection is not None:
            with contextlib.suppress(OSError):
                self._connection.close()
            self._connection = None

    def close(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(smtplib.SMTPException):
                self._connection.quit()
            self._connection = None
