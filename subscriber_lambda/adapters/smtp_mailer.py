"""The embedded mailer: any SMTP relay (host, port, STARTTLS, login), one connection
reused for a whole run."""

from __future__ import annotations

import contextlib
import smtplib
from email.message import Message


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
        if self._starttls:
            connection.starttls()
        if self._login:
            connection.login(*self._login)
        return connection

    def send(self, message: Message) -> None:
        """Raises smtplib.SMTPException (or OSError) if the relay did not accept it."""
        for attempt in (1, 2):  # one reconnect: relays close idle connections
            if self._connection is None:
                self._connection = self._connect()
            try:
                self._connection.send_message(message)
                return
            except smtplib.SMTPServerDisconnected:
                self._connection = None
                if attempt == 2:
                    raise

    def close(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(smtplib.SMTPException):
                self._connection.quit()
            self._connection = None
