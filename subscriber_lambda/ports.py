"""The backend's ports. The core and the commands use these; adapters implement them:
the store (SQLite, DynamoDB), the queues (inline, SQS), and one delivery port per channel:
email (SMTP, SES, GOV.UK Notify), text messages (GOV.UK Notify, Amazon SMS) and the
council's social accounts (Bluesky, Mastodon)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from email.message import Message
from typing import TYPE_CHECKING, Any, Protocol

from .core.preferences import Preferences
from .core.reach import Tally

if TYPE_CHECKING:
    from .mail_jobs import MailJob


# The channels a subscriber is reached on: each is a contact point of its own, confirmed
# on its own, with a ledger of its own (a text and an email of one item are two rows).
EMAIL, TEXT = "email", "text"
SOCIAL = "social"  # the council's own accounts: reach is counted for it too


@dataclass(frozen=True)
class Phone:
    """A mobile number: a subscriber's second contact point once confirmed by the code
    sent to it (``confirmed_at``), or one waiting for its code (``confirmed_at`` None)."""

    number: str  # E.164
    number_hash: str
    stop_code: str  # in every text's stop link (core.phones.stop_code)
    confirmed_at: datetime | None


@dataclass(frozen=True)
class Subscriber:
    """A resident, known by their confirmed email address (``email_hash`` keys them), with
    what they chose and, if they gave one, their confirmed mobile number (``phone``) and a
    number waiting for its code (``waiting_phone``: a new one, or their first)."""

    id: str
    email: str
    email_hash: str
    preferences: Preferences
    confirmed_at: datetime
    phone: Phone | None = None
    waiting_phone: Phone | None = None

    def confirmed_since(self, channel: str) -> datetime | None:
        """When the contact point for ``channel`` was confirmed; None if it has none."""
        if channel == EMAIL:
            return self.confirmed_at
        return self.phone.confirmed_at if self.phone else None

    def topics_by(self, channel: str) -> frozenset[str]:
        """The topics the resident wants on ``channel``."""
        if channel == EMAIL:
            return self.preferences.topics
        return self.preferences.text_topics if self.phone else frozenset()


@dataclass(frozen=True)
class LedgerEntry:
    """One row of the sent-ledger, as an export shows it."""

    item_id: str
    revision: str
    state: str
    updated_at: datetime
    channel: str = EMAIL


@dataclass(frozen=True)
class Owed:
    """A ledger row the store still owes its subscriber: claimed but never marked (a
    worker died), or deferred and due again."""

    subscriber_id: str
    email_hash: str
    item_id: str
    revision: str
    channel: str = EMAIL


# The rate-limit key of one address (web.py counts requests against it): it belongs to
# the address, so deleting the subscriber deletes it too.
ADDRESS_LIMIT = "address:"


def address_limit_key(email_hash: str) -> str:
    return ADDRESS_LIMIT + email_hash


def newest_first(entries: Iterable[LedgerEntry]) -> list[LedgerEntry]:
    return sorted(entries, key=lambda e: (e.updated_at, e.item_id, e.revision), reverse=True)


# A post on a social network, as its adapter needs it to reply (on Bluesky its uri and
# cid, on Mastodon its id) with its public ``url``: stored as it is, opaque to the core.
PostRef = dict[str, str]


class Store(Protocol):
    def save_subscriber(
        self, email: str, email_hash: str, preferences: Preferences, now: datetime
    ) -> Subscriber:
        """Create, or update the preferences of, a confirmed subscriber (idempotent)."""

    def subscriber_by_hash(self, email_hash: str) -> Subscriber | None: ...

    def subscriber_by_phone(self, number_hash: str) -> Subscriber | None:
        """The subscriber who confirmed the mobile number with this keyed hash."""

    def subscriber_by_stop_code(self, stop_code: str) -> Subscriber | None:
        """The subscriber whose texts carry this stop link (their confirmed number's)."""

    def save_phone(
        self, email_hash: str, phone: Phone, code_hash: str, code_expires: datetime
    ) -> bool:
        """Keep this number as the subscriber's waiting one, for the code whose keyed hash
        is ``code_hash`` (replacing any number or code waiting before; its attempts start
        again). Nothing else changes until the code is typed: their confirmed number keeps
        its texts, and so does anyone else's (typing a stranger's number takes nothing from
        them). False if the subscriber has gone."""

    def drop_waiting_phone(self, email_hash: str) -> None:
        """Forget the number waiting for its code (the provider refused to text it, or it
        has had too many codes); without a confirmed number, the text topics go too."""

    def confirm_phone(self, email_hash: str, code_hash: str, now: datetime) -> bool | None:
        """Check a typed code: True makes the waiting number the subscriber's (confirmed
        at ``now``), replacing their old one (and its text ledger), and takes it from any
        other subscriber (the phone is in this resident's hand); False is a wrong code,
        counted; None when no code is waiting, it has expired, or it has been tried
        ``core.phones.CODE_ATTEMPTS`` times (a new code is needed)."""

    def remove_phone(self, email_hash: str) -> bool:
        """Stop texts to the subscriber (STOP, the provider refused their number for good,
        they asked): their numbers, confirmed and waiting, their text ledger and their
        text topics go; they keep their emails. The numbers' rate-limit windows stay until
        they expire, so removing and adding a number again sends no more codes. False if
        they had no number."""

    def subscribers(self) -> Iterator[Subscriber]:
        """Every confirmed subscriber, streamed (memory must not grow with their number)."""

    def candidates(
        self, topic: str, wards: Iterable[str] | None, also: Iterable[str]
    ) -> Iterator[Subscriber]:
        """Subscribers who may want an item of ``topic`` in ``wards`` (None: district-wide),
        plus the subscribers ``also`` names; the core makes the final decision. A store may
        simply return everyone."""

    def delete_subscriber(self, email_hash: str) -> bool:
        """Forget the address and everything held under it or its hash: the subscriber,
        their ledger (sent, pending and digest-waiting rows, and any index of them), their
        memberships and their address's rate-limit window (``address_limit_key``). Not a
        suppression: that keyed hash is what stops a bounced or complaining address being
        mailed again. False if the address was not subscribed."""

    def deliveries_of(self, email_hash: str) -> list[LedgerEntry]:
        """The subscriber's ledger rows, newest first (empty when not subscribed)."""

    def delivery_state(
        self, subscriber_id: str, item_id: str, revision: str, channel: str = EMAIL
    ) -> str | None:
        """The state of one ledger row ('pending', 'sent', 'deferred'...), or None when
        there is none: one read, for a run that could not claim it and must say why."""

    def claim(
        self, subscriber_id: str, item_id: str, revision: str, now: datetime, channel: str = EMAIL
    ) -> bool:
        """Record that this revision is about to go to this subscriber on ``channel``
        ('pending'); every ledger method keys rows by channel too. True if
        it is new, was left pending by a run that stopped (its claim older than
        ``retry.CLAIM_LEASE``: a younger one is another run's, still sending), or was
        deferred and its retry time has come; False if it was sent, waits for a digest,
        failed, or is deferred until later (and, where the store can tell, if the
        subscriber has gone)."""

    def mark(
        self,
        subscriber_id: str,
        item_id: str,
        revision: str,
        state: str,
        now: datetime,
        details: dict[str, str] | None = None,
        channel: str = EMAIL,
    ) -> None:
        """'sent' after the mailer accepted it, 'digest' when it waits for a digest (with
        the title, summary and url the digest lists, in the subscriber's language), or
        'failed' when the mail system refused it for good."""

    def defer(
        self,
        subscriber_id: str,
        item_id: str,
        revision: str,
        now: datetime,
        count_attempt: bool = True,
        channel: str = EMAIL,
    ) -> datetime | None:
        """The mail system refused it for now: the row becomes 'deferred' until the time
        returned (``core.retry``), or 'failed' (None) after too many attempts. When the
        mail system itself was down (``count_attempt`` False) the attempt is not held
        against the message, and it is due again at once."""

    def overdue(self, before: datetime) -> Iterator[Owed]:
        """Ledger rows still owed since before ``before``: 'pending' ones claimed before it,
        and 'deferred' ones whose retry time is before it. A store keeps these rows where
        they can be found without reading the others (on DynamoDB, a sparse index)."""

    def mark_planned(self, item_id: str, revision: str, now: datetime) -> None:
        """Record that every delivery of this revision has been handed to the queue."""

    def planned(self, revisions: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
        """Which of these (item_id, revision) pairs ``mark_planned`` has recorded."""

    def recipients_of(self, item_id: str, channel: str = EMAIL) -> set[str]:
        """Subscribers who were sent any revision of an item on ``channel`` (its updates
        and cancels go to them there)."""

    def digest_due(self, frequency: str) -> Iterator[tuple[Subscriber, list[dict[str, str]]]]:
        """Subscribers of that frequency with items waiting, and those items."""

    def is_suppressed(self, email_hash: str) -> bool: ...

    def suppress(self, email_hash: str, reason: str, now: datetime) -> None: ...

    def suppressed_count(self) -> int:
        """How many addresses are suppressed (for the reach report)."""

    def count(
        self,
        subject: str,
        channel: str,
        day: date,
        counts: Mapping[str, int],
        sent_at: datetime | None = None,
    ) -> None:
        """Add ``counts`` to the reach counters of ``subject`` (an item id, or
        ``core.reach.SUBSCRIPTIONS``) on ``channel`` on ``day``, in one write; with
        ``sent_at``, widen the day's first and last sent times to it. Counters are never
        derived from the ledger, and nothing in them is about a person (ADR 25)."""

    def tallies(self, since: date | None = None) -> Iterator[Tally]:
        """Every day's counters, from ``since`` (every day when None)."""

    def claim_post(self, network: str, item_id: str, revision: str, now: datetime) -> bool:
        """Record that this revision is about to be posted on the council's account on
        ``network``. True only the first time, ever: a post whose claim outlived its run
        (the run died mid-post) is never made again, since it may have been made."""

    def mark_post(
        self, network: str, item_id: str, revision: str, ref: PostRef | None, now: datetime
    ) -> None:
        """The post was made (``ref`` says where), or, with ``ref`` None, the network did
        not take it: the claim is released, so that a later run tries again."""

    def posts_of(self, network: str, item_ids: Iterable[str]) -> list[PostRef]:
        """The posts made on ``network`` for these items, oldest first (a thread's root,
        then its replies)."""

    def hit(self, key: str, limit: int, window_seconds: int, now: datetime) -> bool:
        """Count one request against a rate limit; False when over it."""

    def used(self, key: str, window_seconds: int, now: datetime) -> int:
        """How many requests ``hit`` has counted in the key's current window (0 when it
        has none, or it has ended), counting nothing."""

    def note_change(self, email_hash: str, now: datetime, keep_until: datetime) -> None:
        """Record that an address's subscription changed (confirmed, changed, ended) at
        ``now``, keeping the note (a keyed hash and a time) until ``keep_until``."""

    def changed_since(self, email_hash: str, moment: datetime) -> bool:
        """Whether the address's subscription changed at or after ``moment``: a link
        made before then no longer speaks for the resident."""


class DeliveryError(Exception):
    """A message the provider (mail system, text provider, social network) did not take.
    The text never holds the address: it can end up in logs, and addresses must not."""

    def __init__(self, reason: str, recipient: str = "") -> None:
        if recipient:
            reason = re.sub(re.escape(recipient), "recipient", reason, flags=re.IGNORECASE)
        super().__init__(reason)


class DeliveryRefused(DeliveryError):
    """Refused for good, because of the address: it does not exist, its mailbox is
    disabled, it is not an address at all. Sending again would be refused again."""


class DeliveryDeferred(DeliveryError):
    """Refused for now, this message only (SMTP 4xx to the recipient or the data): try
    it again later."""


class ProviderUnavailable(DeliveryError):
    """The provider itself (mail system, text provider, network) is not taking messages
    (no connection, the relay closing, a refused login, throttling that outlasted the
    retries, a paused account, a missing configuration set), or refuses something that
    is not about this address (our sender, our message, a policy about us): every message
    would fail alike. Stop, and try later."""


class Mailer(Protocol):
    """The email channel's port."""

    def send(self, message: Message) -> None:
        """Hand one message to the mail system. Raises DeliveryRefused, DeliveryDeferred or
        ProviderUnavailable if it was not accepted."""


@dataclass(frozen=True)
class OptOut:
    """A number that asked the text provider to stop (replied STOP, or is on the
    provider's opt-out list), and when."""

    number: str  # E.164, like +447700900123
    at: datetime  # aware


class TextSender(Protocol):
    """The text-message channel's port."""

    def send_text(self, number: str, body: str, reference: str) -> None:
        """Send ``body`` as it is to ``number`` (E.164); ``reference`` is ours (an item id
        or a job kind), for the provider's records, never personal. Raises
        DeliveryRefused (not a mobile number, or the number opted out at the provider),
        DeliveryDeferred (rate-limited for this message: try it later) or
        ProviderUnavailable (the provider is down, or refuses our key or sender)."""

    def opt_outs(self, since: datetime) -> Iterator[OptOut]:
        """Numbers that asked the provider to stop since ``since``: replies of STOP (or
        its usual synonyms) received, or entries of the provider's opt-out list."""


@dataclass(frozen=True)
class Thread:
    """Where a reply goes: the first post of the thread, and the post it answers."""

    root: PostRef
    parent: PostRef


@dataclass(frozen=True)
class PostKey:
    """What makes a post the same post when it is asked for again: its item revision."""

    name: str  # unique per item revision, like "alerts/flood@2026-11-28T09:00:00+00:00"
    at: datetime  # the revision's time


class SocialAccount(Protocol):
    """The social channel's port: one of the council's own accounts."""

    network: str  # "bluesky", "mastodon": the ledger's key, and what logs call it

    def post(self, text: str, lang: str, key: PostKey, reply_to: Thread | None = None) -> PostRef:
        """Publish ``text`` (already within the network's limits; links in it made
        links), tagged with ``lang`` (a BCP 47 tag), as a reply when ``reply_to`` is
        given. Asked again with the same ``key`` (a retry after a lost answer), it makes
        no second post, by the network's own means (a record key, an idempotency key).
        Raises DeliveryDeferred (rate-limited: later), DeliveryRefused (the network
        refuses this post for good: too long, a duplicate) or ProviderUnavailable (down,
        or our credentials refused)."""


class Queue(Protocol):
    def submit(
        self, lane: str, deliveries: Iterator[Any], worker: Callable[[Any], None], source: str
    ) -> int:
        """Hand deliveries over: run ``worker`` on each now (inline), or send them to the
        lane's queue for workers (SQS); ``source`` is where workers find the manifest.
        Returns how many were handed over."""


class JobQueue(Protocol):
    def post(self, job: MailJob) -> None:
        """Keep a job for the senders (embedded: the SQLite file; AWS: SQS); it is sent
        after the request that posted it has been answered."""
