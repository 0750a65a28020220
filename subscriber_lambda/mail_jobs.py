"""The emails the routes send (confirm a sign-up, a link to change your emails), sent after
the response, never during the request.

So a sign-up or a manage-link request does the same work and takes the same time whether
or not the address is subscribed, and whether or not the mail relay is up: the route
records a ``MailJob`` and answers; a worker decides what, if anything, to send. Embedded,
jobs wait in the SQLite file (``adapters.sqlite_jobs``) for the server's sender threads,
each with its own store and mail connections; on AWS they go through SQS to the worker
Lambda.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol
from urllib.parse import urlencode

from .core.addresses import address_hash
from .core.catalogues import DEFAULT_LANGUAGE, N_, speaking
from .core.messages import build_message
from .core.phones import CODE_WINDOW, CODES_PER_HOUR, code_hash, new_code, stop_code
from .core.preferences import Preferences
from .core.tokens import Purpose, Signer
from .languages import answer_language
from .notify import Links
from .pages import Pages, said
from .ports import DeliveryRefused, Mailer, Phone, Store, TextSender, address_limit_key

log = logging.getLogger(__name__)

SUBSCRIBE, MANAGE_LINK, PHONE_CODE = "subscribe", "manage-link", "phone-code"
ALREADY = N_("You already get emails from us")
MANAGE_LINK_SUBJECT = N_("Change the emails you get")
CODE_LIFETIME = timedelta(minutes=30)


@dataclass(frozen=True)
class MailJob:
    """What a resident asked for: ``email`` as they typed it (checked), its keyed hash (so
    an erase can find the job), and for a sign-up the choices they made."""

    kind: str
    email: str
    email_hash: str
    preferences: dict[str, Any] | None = None
    phone: str = ""  # E.164: for a sign-up, the number to confirm after the address

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "email": self.email,
            "email_hash": self.email_hash,
            "preferences": self.preferences,
            "phone": self.phone,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MailJob:
        return cls(
            kind=str(data["kind"]),
            email=str(data["email"]),
            email_hash=str(data["email_hash"]),
            preferences=data.get("preferences"),
            phone=str(data.get("phone") or ""),
        )


@dataclass
class MailJobs:
    """Carries out one job: decides what to send (by what the store holds) and sends it."""

    store: Store
    mailer: Mailer
    signer: Signer
    pages: Pages
    site_url: str
    sender: str
    host: str
    clock: Callable[[], datetime]
    texts: TextSender | None = None
    key: bytes = b""  # keys the hashes of numbers and codes (SUBSCRIBER_SECRET)

    def run(self, job: MailJob) -> None:
        """An address the mail system refuses for good is suppressed, and the job is done;
        ``DeliveryDeferred`` and ``ProviderUnavailable`` are raised: try the job again later."""
        try:
            self._run(job)
        except DeliveryRefused:
            log.warning("mail job for %s refused: address suppressed", job.email_hash[:8])
            self.store.suppress(job.email_hash, "refused", self.clock())

    def _run(self, job: MailJob) -> None:
        """Each email in the resident's language: the one they chose on the form for a
        sign-up's confirmation, else the one their subscription has."""
        if self.store.is_suppressed(job.email_hash):
            return
        subscriber = self.store.subscriber_by_hash(job.email_hash)
        chosen = (job.preferences or {}).get("lang", "")
        remembered = subscriber.preferences.lang if subscriber else chosen
        lang = answer_language(remembered=remembered, default=self.pages.site.interface_lang)
        with speaking(lang):
            if job.kind == SUBSCRIBE and subscriber is not None:
                self._send(job, self.pages.email("already", said(ALREADY)), lang)
            elif job.kind == SUBSCRIBE and job.preferences is not None:
                self._send(job, self._confirmation(job, job.preferences), lang)
            elif job.kind == MANAGE_LINK and subscriber is not None:
                self._send(job, self.pages.email("manage_link", said(MANAGE_LINK_SUBJECT)), lang)
            elif job.kind == PHONE_CODE and subscriber is not None and job.phone:
                self._send_code(subscriber.email_hash, job.phone)

    def _send_code(self, email_hash: str, number: str) -> None:
        """A new code for the number, kept (hashed) with it, then sent by text. A number
        the provider refuses for good is forgotten; the address is not at fault."""
        if self.texts is None:
            log.warning("phone code for %s not sent: no SUBSCRIBER_TEXTS", email_hash[:8])
            return
        number_hash = address_hash(number, self.key)
        limit = address_limit_key(number_hash)
        if self.store.used(limit, CODE_WINDOW, self.clock()) >= CODES_PER_HOUR:
            log.warning("phone code for %s not sent: too many for its number", email_hash[:8])
            self.store.drop_waiting_phone(email_hash)
            return
        phone = Phone(number, number_hash, stop_code(self.key, number_hash), None)
        code = new_code()
        expires = self.clock() + CODE_LIFETIME
        if not self.store.save_phone(
            email_hash, phone, code_hash(self.key, number_hash, code), expires
        ):
            return
        body = self.pages.text("phone_code", code=code, minutes=CODE_LIFETIME.seconds // 60)
        try:
            self.texts.send_text(number, body, PHONE_CODE)
        except DeliveryRefused as error:
            log.warning("phone code for %s refused; number forgotten: %s", email_hash[:8], error)
            self.store.drop_waiting_phone(email_hash)
            return
        # Counted once sent: a job retried while the provider was down costs nothing.
        self.store.hit(limit, CODES_PER_HOUR, CODE_WINDOW, self.clock())

    def _confirmation(self, job: MailJob, preferences: dict[str, Any]) -> dict[str, str]:
        Preferences.from_dict(preferences)  # refuse to seal choices that cannot be read back
        now = self.clock()
        data = {
            "email": job.email,
            "preferences": preferences,
            "at": now.timestamp(),
            "phone": job.phone,
        }
        token = self.signer.make(Purpose.CONFIRM, data, now)
        # The page in the language they chose, whatever their browser's.
        query = {"token": token, "lang": preferences.get("lang", DEFAULT_LANGUAGE)}
        link = f"{self.site_url}/subscriptions/confirm?{urlencode(query)}"
        return self.pages.email(
            "confirm",
            said(N_("Confirm your email address")),
            link=link,
            choices=self.pages.choices_made(preferences),
        )

    def _send(self, job: MailJob, email: dict[str, str], lang: str) -> None:
        now = self.clock()
        links = Links(self.signer, self.site_url)
        envelope = links.envelope(job.email, job.email_hash, self.sender, self.host, now, lang)
        self.mailer.send(build_message(email, envelope, now))


class JobTable(Protocol):
    """What the embedded sender threads need of the jobs table (``adapters.sqlite_jobs``)."""

    def claim(self, now: datetime, hold_seconds: float) -> tuple[int, MailJob, int] | None:
        """The next due job (id, job, attempts so far), held from other senders."""

    def done(self, job_id: int) -> None: ...

    def retry(self, job_id: int, not_before: datetime) -> None: ...


RETRY_DELAYS = (5, 30, 120, 600, 1800, 3600)  # seconds; then the job is dropped


@dataclass
class JobRunner:
    """Sender threads for the embedded server. Each thread builds its own ``MailJobs``
    (its own store and mail connections) with ``make_worker``; a failure is retried
    later, and after the last delay the job is dropped and logged (without the address).

    The threads look for jobs every ``poll_seconds`` rather than being woken by each
    request: a job that starts while its request is still being answered (sending for a
    subscriber, nothing for a stranger) would make that answer's timing tell the two
    apart."""

    jobs: JobTable
    make_worker: Callable[[], MailJobs]
    clock: Callable[[], datetime]
    threads: int = 2
    poll_seconds: float = 0.5
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> None:
        for number in range(self.threads):
            thread = threading.Thread(target=self._loop, name=f"mail-sender-{number}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 10) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout)

    def _loop(self) -> None:
        worker = self.make_worker()
        try:
            while not self._stop.is_set():
                if not self.run_one(worker):
                    self._stop.wait(self.poll_seconds)
        finally:
            close = getattr(worker.mailer, "close", None)
            if close:
                close()

    def run_one(self, worker: MailJobs) -> bool:
        """Send the next due job, if any; True if there was one."""
        now = self.clock()
        claimed = self.jobs.claim(now, hold_seconds=120)
        if claimed is None:
            return False
        job_id, job, attempts = claimed
        try:
            worker.run(job)
        except Exception as error:  # the relay refused or is down: try again later
            # (the error's text may hold the address: only its kind is logged)
            if attempts >= len(RETRY_DELAYS):
                log.error(
                    "mail job %s dropped after %s attempts: %s",
                    job_id,
                    attempts,
                    type(error).__name__,
                )
                self.jobs.done(job_id)
            else:
                log.warning("mail job %s deferred: %s", job_id, type(error).__name__)
                self.jobs.retry(job_id, now + timedelta(seconds=RETRY_DELAYS[attempts]))
            return True
        self.jobs.done(job_id)
        return True
