"""``python -m subscriber_lambda notify PATH_OR_URL``: send each new item of the notify
manifest to the confirmed subscribers it concerns, on each channel they chose (email, and
text messages when a text provider is configured), and post it on the council's social
accounts.

- Deliveries are planned per (contact point, item, channel): a resident with an email
  address and a mobile number may get an alert both ways, each once (the ledger is kept
  per channel). Texts always go at once and never wait for a digest; each ends with the
  number's own stop link.
- Posts (``social``) go first, then alerts, then routine items. Each revision is posted
  once per network, ever; an update or cancellation is a reply in its item's thread.

- Alerts first, in a pass of their own, so they never wait behind routine notices.
- Each subscriber gets an item revision at most once: the ledger row is claimed
  ('pending') before the message goes to the mailer and marked 'sent' after. A run killed
  half-way, then run again, skips nobody and resends at most the message in flight.
- One address never holds up the others. An address the mail system refuses for good is
  suppressed (the subscriber is deleted; the ledger row is 'failed'). A message refused
  for now is 'deferred' and goes on a later run once its retry time has come (1 minute,
  doubling to 1 hour; 'failed' after 12 tries). When the mail system itself is down, the
  run stops after 3 deliveries in a row found it so, rather than wait for a timeout per
  subscriber; those are deferred, the rest not yet tried, and the next run sends them.
- Nobody gets an item revision made before they confirmed: an item published earlier
  reaches them when it changes (a meeting moved or cancelled: its Modified time is the
  revision). An alert that updates or cancels another also goes to everyone who got that
  one. Exercises go to nobody unless
  SUBSCRIBER_SEND_EXERCISES is yes.
- Items for daily or weekly subscribers wait for their digest (``digest`` command).
Subscribers are streamed, so memory does not grow with their number. Logs name a
subscriber by the first 8 characters of their keyed hash, never by address.
"""

from __future__ import annotations

import json
import logging
import sys
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import Enum
from functools import partial
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlencode

from .core.addresses import address_hash
from .core.catalogues import DEFAULT_LANGUAGE
from .core.matching import (
    email_for,
    goes_at_once,
    not_translated,
    text_for,
    translation_demand,
    version_for,
    wants,
)
from .core.messages import Envelope, build_message
from .core.reach import BOUNCED_HARD, DEFERRED, FAILED, LEFT, RECIPIENTS
from .core.texts import STOP_LABEL, stop_line, text_length
from .core.tokens import Purpose, Signer
from .ports import (
    EMAIL,
    TEXT,
    DeliveryDeferred,
    DeliveryError,
    DeliveryRefused,
    Mailer,
    ProviderUnavailable,
    Queue,
    Store,
    Subscriber,
    TextSender,
)
from .reach import count, count_change, count_sent, stop_texts
from .social import SocialPoster

Clock = Callable[[], datetime]
logger = logging.getLogger(__name__)

GIVE_UP_AFTER = 3  # deliveries in a row that found the mail system unavailable
EX_TEMPFAIL = 75  # sysexits.h: try again later


class Outcome(Enum):
    SKIPPED = "skipped"  # not for this manifest, or the ledger says it is done or not due
    QUEUED = "queued for a digest"
    SENT = "sent"
    DEFERRED = "deferred"
    FAILED = "failed"  # deferred too many times
    SUPPRESSED = "suppressed"


@dataclass
class Outage:
    """Deliveries in a row that found the mail system unavailable. A run gives up at
    GIVE_UP_AFTER: each may have waited for a connection timeout, and every one after
    would wait for its own."""

    in_a_row: int = 0

    def failed(self) -> bool:
        """One more; True when it is time to stop."""
        self.in_a_row += 1
        return self.in_a_row >= GIVE_UP_AFTER

    def answered(self) -> None:
        self.in_a_row = 0


@dataclass
class DeliveryCounts:
    """What became of a run's emails, and how the command should exit."""

    sent: int = 0
    deferred: int = 0
    suppressed: int = 0
    failed: int = 0
    next_try: datetime | None = None
    stopped: str | None = None  # why the run stopped early: the mail system was unavailable

    def deferred_until(self, when: datetime) -> None:
        self.deferred += 1
        self.next_try = min(self.next_try or when, when)

    def counts(self, noun: str, when: str) -> str:
        deferred = f"{self.deferred} deferred"
        if self.deferred:
            deferred += f" ({when})"
        suppressed = f"{self.suppressed} suppressed"
        if self.suppressed:
            suppressed += " (refused permanently)"
        return f"{self.sent} {noun} sent, {deferred}, {suppressed}"

    @property
    def exit_status(self) -> int:
        """1 when the run stopped (the mail system was unavailable), 75 (EX_TEMPFAIL) when
        deliveries wait to be tried again, else 0."""
        if self.stopped:
            return 1
        return EX_TEMPFAIL if self.deferred else 0


@dataclass
class NotifyReport(DeliveryCounts):
    queued_for_digest: int = 0
    items: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    texts: int = 0  # texts sent (``sent`` counts emails)
    segments: int = 0  # the parts those texts cost
    numbers_removed: int = 0  # refused for good by the text provider
    posts: int = 0
    texting: bool = False  # whether texts are configured, so the summary counts them
    posting: bool = False  # whether social accounts are

    def summary(self) -> str:
        when = "retried on the next run"
        if self.next_try:
            when += f" after {self.next_try:%H:%M %Z}".rstrip()
        failed = f"{self.failed} failed"
        if self.failed:
            failed += " (deferred too often)"
        summary = (
            f"notify: {self.items} items; {self.counts('emails', when)}, {failed}, "
            f"{self.queued_for_digest} queued for digests"
        )
        if self.texting:
            summary += (
                f"; {self.texts} texts sent ({self.segments} segments), "
                f"{self.numbers_removed} numbers removed (refused for good)"
            )
        if self.posting:
            summary += f"; {self.posts} posts"
        return summary


@dataclass
class Plan:
    """What a run will send, counted before it sends: ``notify`` prints it first, and
    DRY_RUN prints only it."""

    items: int = 0
    emails: int = 0
    texts: int = 0
    segments: int = 0
    posts: int = 0
    texting: bool = False  # whether texts are configured, so the plan counts them
    posting: bool = False
    demand: dict[str, Counter[str]] = field(default_factory=dict)  # translation_demand

    def summary(self) -> str:
        summary = (
            f"notify plan: {counted(self.items, 'new or changed item')}; "
            f"up to {counted(self.emails, 'email')}"
        )
        if self.texting:
            summary += f", {counted(self.texts, 'text')} ({counted(self.segments, 'segment')})"
        if self.posting:
            summary += f", {counted(self.posts, 'post')}"
        return "\n".join([summary, *demand_lines(self.demand)])


def demand_lines(demand: Mapping[str, Counter[str]]) -> list[str]:
    """One line per alert some residents will get in a language they did not choose."""
    return [
        f"translation demand: {item_id} has no version for "
        + ", ".join(
            f"{counted(n, 'resident')} who chose {lang}" for lang, n in wanted.most_common()
        )
        for item_id, wanted in demand.items()
        if wanted
    ]


def counted(number: int, noun: str) -> str:
    """'1 text', '2 texts', '1,204 emails'."""
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def lane_of(item: Mapping[str, Any]) -> str:
    return "alerts" if item["urgency"] == "immediate" else "routine"


def lanes(items: list[Mapping[str, Any]]) -> dict[str, list[Mapping[str, Any]]]:
    """The items by queue lane, alerts first; empty lanes left out."""
    found: dict[str, list[Mapping[str, Any]]] = {"alerts": [], "routine": []}
    for item in items:
        found[lane_of(item)].append(item)
    return {lane: listed for lane, listed in found.items() if listed}


class ManifestError(ValueError):
    """A notify manifest that cannot be used: the message says where and what to do."""


# What notify reads of each item: the manifest's contract with the site's build
# (plugins/open_data, schema api/v1/schema/notify.schema.json).
ITEM_KEYS = (
    "id", "revision", "type", "urgency", "published", "exercise", "wards", "district_wide",
    "versions",
)  # fmt: skip


VERSION_TEXTS = ("lang", "url", "title", "summary")
EMAIL_TEXTS = ("subject", "text", "html")


def item_problem(item: Any) -> str | None:
    """What is wrong with one manifest item, in words, or None: every value notify reads,
    of the type it needs, so that a bad item stops the run before anything is sent."""
    if not isinstance(item, dict):
        return "is not an object"
    missing = [key for key in ITEM_KEYS if key not in item]
    if missing:
        return f"has no {', '.join(missing)}"
    for key in ("id", "revision", "type", "urgency"):
        if not isinstance(item[key], str) or not item[key]:
            return f"has a {key} that is not text"
    for key in ("exercise", "district_wide"):
        if not isinstance(item[key], bool):
            return f"has a {key} that is not true or false"
    if not isinstance(item["wards"], list) or not all(isinstance(w, str) for w in item["wards"]):
        return "has wards that are not a list of ward slugs"
    if not isinstance(item.get("supersedes") or "", str):
        return "has a supersedes that is not an item id"
    for key in ("published", "revision"):
        try:
            moment = datetime.fromisoformat(item[key])
        except (TypeError, ValueError):
            return f"has a {key} that is not a date and time"
        if moment.tzinfo is None:
            return f"has a {key} without a time zone"
    versions = item["versions"]
    if not isinstance(versions, list) or not versions:
        return "has no versions"
    for version in versions:
        if not isinstance(version, dict) or not all(
            isinstance(version.get(key), str) for key in VERSION_TEXTS
        ):
            return f"has a version without {', '.join(VERSION_TEXTS)}"
        email = version.get("email")
        if not isinstance(email, dict) or not all(
            isinstance(email.get(key), str) for key in EMAIL_TEXTS
        ):
            return f"has a version whose email lacks {', '.join(EMAIL_TEXTS)}"
    return None


def load_manifest(source: str) -> dict[str, Any]:
    """The manifest from a file, an http(s) URL (the published site) or s3://bucket/key,
    checked before anything is sent: a broken one is refused whole (ManifestError)."""
    if source.startswith("s3://"):
        import boto3

        bucket, _, key = source.removeprefix("s3://").partition("/")
        body: bytes = boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    elif source.startswith(("http://", "https://")):
        with urllib.request.urlopen(source, timeout=30) as response:
            body = response.read()
    else:
        body = Path(source).read_bytes()
    try:
        data = json.loads(body)
    except ValueError as error:
        raise ManifestError(f"{source}: not JSON ({error}); rebuild the site") from None
    items = data.get("items") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise ManifestError(f"{source}: no list of items; rebuild the site")
    for number, item in enumerate(items, start=1):
        problem = item_problem(item)
        if problem:
            raise ManifestError(f"{source}: item {number} {problem}; rebuild the site")
    manifest: dict[str, Any] = data
    return manifest


@dataclass
class Links:
    """Each subscriber's own manage and unsubscribe links."""

    signer: Signer
    site_url: str

    def envelope(
        self,
        recipient: str,
        email_hash: str,
        sender: str,
        host: str,
        now: datetime,
        lang: str = DEFAULT_LANGUAGE,
        item_id: str = "",
    ) -> Envelope:
        """The links open their pages in ``lang``, the resident's language, whatever
        their browser's. An email about one item (``item_id``) has it in its unsubscribe
        link, signed, so that an unsubscribe from it counts for that item (docs/reach.md):
        the item, not the person, is what is counted."""
        data = {"h": email_hash}
        manage = self.signer.make(Purpose.MANAGE, data, now)
        unsubscribe = self.signer.make(
            Purpose.UNSUBSCRIBE, {**data, "i": item_id} if item_id else data, now
        )
        in_language = f"&{urlencode({'lang': lang})}"
        return Envelope(
            sender=sender,
            recipient=recipient,
            manage_url=f"{self.site_url}/subscriptions/manage?token={manage}{in_language}",
            unsubscribe_url=(
                f"{self.site_url}/subscriptions/unsubscribe?token={unsubscribe}{in_language}"
            ),
            list_id=host,
        )


@dataclass(frozen=True)
class Delivery:
    """One item for one subscriber on one channel: what the queue carries (the subscriber
    is passed along in memory by the inline queue, and looked up again by workers)."""

    email_hash: str
    item_id: str
    channel: str = EMAIL
    subscriber: Subscriber | None = field(default=None, compare=False)
    # Set by ``hold``: whether its claim of the ledger row succeeded, so that sending it
    # does not claim again (a second claim would find the row taken, by this very run).
    held: bool | None = field(default=None, compare=False)

    def to_list(self) -> list[str]:
        return [self.email_hash, self.item_id, self.channel]

    @classmethod
    def from_list(cls, values: list[str]) -> Delivery:
        """From ``to_list``; messages queued before channels existed are emails."""
        return cls(values[0], values[1], values[2] if len(values) > 2 else EMAIL)


@dataclass
class Notifier:
    store: Store
    mailer: Mailer
    queue: Queue
    links: Links
    sender: str
    host: str
    clock: Clock
    send_exercises: bool = False
    progress: TextIO | None = None
    texts: TextSender | None = None
    social: SocialPoster | None = None

    @property
    def channels(self) -> tuple[str, ...]:
        return (EMAIL, TEXT) if self.texts else (EMAIL,)

    def run(self, manifest: Mapping[str, Any], source: str = "") -> NotifyReport:
        """Post to the council's accounts, then plan every delivery and hand them to the
        queue: alerts first, in their own lane, so they never wait behind routine items.
        Once a lane's deliveries are all handed over, its items are recorded as planned.
        If the mail system is unavailable, the run stops early with ``report.stopped``
        saying why."""
        report = NotifyReport(items=len(manifest["items"]))
        report.texting, report.posting = self.texts is not None, self.social is not None
        by_id = {item["id"]: item for item in manifest["items"]}
        worker = partial(self._work, by_id, report, Outage())
        if self.social:
            report.posts = self.social.post_all(manifest["items"], self.send_exercises)
        try:
            for lane, items in lanes(manifest["items"]).items():
                self.queue.submit(lane, self.plan(items, report), worker, source)
                for item in items:
                    self.store.mark_planned(item["id"], item["revision"], self.clock())
        except ProviderUnavailable as error:
            report.stopped = str(error)
        if self.progress:
            self.progress.write("\n")
        return report

    def forecast(self, manifest: Mapping[str, Any]) -> Plan:
        """What ``run`` would send for the items no run has finished planning, counted
        without touching the ledger: deliveries per channel, the texts' segments (each
        text's own, stop link included), and posts."""
        items = self.unplanned(manifest["items"])
        plan = Plan(len(items), texting=self.texts is not None, posting=self.social is not None)
        segments: dict[tuple[str, str, int], int] = {}
        by_id = {item["id"]: item for item in items}
        for delivery in self.plan(items, NotifyReport()):
            if delivery.channel == EMAIL:
                plan.emails += 1
                continue
            subscriber, item = delivery.subscriber, by_id[delivery.item_id]
            assert subscriber is not None and subscriber.phone is not None
            version = version_for(subscriber.preferences, item)
            text = text_for(subscriber.preferences, item, version)
            key = (item["id"], text["body"], len(subscriber.phone.stop_code))
            if key not in segments:
                body = self.text_of(text, subscriber.phone.stop_code)
                segments[key] = text_length(body).segments
            plan.texts += 1
            plan.segments += segments[key]
        if self.social:
            plan.posts = self.social.count_due(items, self.send_exercises)
        if any(item["urgency"] == "immediate" for item in items):  # a pass of its own
            plan.demand = translation_demand(
                items, (s.preferences for s in self.store.subscribers()), self.clock()
            )
        return plan

    def text_of(self, text: Mapping[str, Any], stop_code: str) -> str:
        """A text as it is sent: the build's text, then the number's own stop link."""
        label = text.get("stop") or STOP_LABEL
        return f"{text['body']}\n{stop_line(self.links.site_url, stop_code, label)}"

    def unplanned(self, items: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
        """The items whose current revision no run has finished planning."""
        planned = self.store.planned((item["id"], item["revision"]) for item in items)
        return [item for item in items if (item["id"], item["revision"]) not in planned]

    def requeue(self, manifest: Mapping[str, Any], source: str, before: datetime) -> int:
        """Hand the queue again the deliveries the ledger has owed since before ``before``
        (see ``Store.overdue``). A row for a revision the manifest no longer holds is given
        up ('failed'): the item changed, and its new revision is planned on its own, or it
        left the manifest. Returns how many were handed over."""
        by_id = {item["id"]: item for item in manifest["items"]}
        owed: dict[str, list[Delivery]] = {}
        now = self.clock()
        for row in self.store.overdue(before):
            item = by_id.get(row.item_id)
            if item is None or item["revision"] != row.revision:
                self.store.mark(
                    row.subscriber_id, row.item_id, row.revision, "failed", now, channel=row.channel
                )
                logger.info(
                    "%s: subscriber %s owed revision %s, no longer in the manifest; given up",
                    row.item_id,
                    row.email_hash[:8],
                    row.revision,
                )
                continue
            owed.setdefault(lane_of(item), []).append(
                Delivery(row.email_hash, row.item_id, row.channel)
            )
        worker = partial(self._work, by_id, NotifyReport(), Outage())
        return sum(
            self.queue.submit(lane, iter(deliveries), worker, source)
            for lane, deliveries in owed.items()
        )

    def hold(self, items: Mapping[str, Mapping[str, Any]], delivery: Delivery) -> Delivery:
        """Claim a delivery's ledger row without sending it, so that the ledger shows it
        owed (``Store.overdue``) even if the message carrying it is lost. Returns the
        delivery with its subscriber, so that sending it need not look them up again."""
        found = self._found(items, delivery)
        if found is None:
            return delivery
        subscriber, item = found
        held = self.store.claim(
            subscriber.id, item["id"], item["revision"], self.clock(), delivery.channel
        )
        return Delivery(delivery.email_hash, delivery.item_id, delivery.channel, subscriber, held)

    def _found(
        self, items: Mapping[str, Mapping[str, Any]], delivery: Delivery
    ) -> tuple[Subscriber, Mapping[str, Any]] | None:
        """The delivery's subscriber and item; None when the subscriber has gone since it
        was planned, or the item is not in this manifest."""
        subscriber = delivery.subscriber or self.store.subscriber_by_hash(delivery.email_hash)
        item = items.get(delivery.item_id)
        return None if subscriber is None or item is None else (subscriber, item)

    def _work(
        self,
        items: Mapping[str, Mapping[str, Any]],
        report: NotifyReport,
        outage: Outage,
        delivery: Delivery,
    ) -> None:
        """The worker ``run`` hands its queue: deliver, and stop the run (by letting
        ProviderUnavailable out) when the mail system was unavailable too many times in a
        row. Only the mail system's answers end a streak: skipped deliveries do not."""
        try:
            outcome = self.deliver(items, report, delivery)
        except ProviderUnavailable:
            if outage.failed():
                raise
            return
        if outcome not in (Outcome.SKIPPED, Outcome.QUEUED):
            outage.answered()

    def plan(self, items: list[Mapping[str, Any]], report: NotifyReport) -> Iterator[Delivery]:
        """Each item's candidates from the store (on DynamoDB, one query per ward), decided
        by the core, channel by channel. A subscriber who wants several items gets one
        message for each, on each channel they chose for it."""
        followers = {
            (item["id"], channel): self.store.recipients_of(item["supersedes"], channel)
            for item in items
            if item.get("supersedes")
            for channel in self.channels
        }
        count = 0
        for item in items:
            wards = None if item["district_wide"] else item["wards"]
            also = {f for c in self.channels for f in followers.get((item["id"], c), set())}
            for subscriber in self.store.candidates(item["type"], wards, also):
                count += 1
                if self.progress and count % 1000 == 0:
                    self.progress.write(
                        f"\r{count:,} subscribers checked, {report.sent:,} messages sent"
                    )
                for channel in self.channels:
                    got_earlier = followers.get((item["id"], channel), set())
                    if self._concerns(subscriber, item, got_earlier, channel):
                        yield Delivery(subscriber.email_hash, item["id"], channel, subscriber)

    def _concerns(
        self,
        subscriber: Subscriber,
        item: Mapping[str, Any],
        followers: set[str],
        channel: str,
    ) -> bool:
        confirmed = subscriber.confirmed_since(channel)
        if confirmed is None or datetime.fromisoformat(item["revision"]) < confirmed:
            return False
        if item["exercise"] and not self.send_exercises:
            return False
        if channel == TEXT and "text" not in item["versions"][0]:
            return False  # a manifest built before texts: nothing to send by text
        if subscriber.id in followers:
            return True
        chosen = replace(subscriber.preferences, topics=subscriber.topics_by(channel))
        return wants(chosen, item, self.send_exercises)

    def deliver(
        self, items: Mapping[str, Mapping[str, Any]], report: NotifyReport, delivery: Delivery
    ) -> Outcome:
        """Send (or queue for a digest) one delivery. Safe to repeat: the ledger decides.
        A refused address is suppressed and a message refused for now is deferred; either
        way the caller goes on. When the mail system is unavailable the delivery is
        deferred and ProviderUnavailable raised: the caller decides whether to go on."""
        found = self._found(items, delivery)
        if found is None:
            return Outcome.SKIPPED
        subscriber, item = found
        now = self.clock()
        item_id, revision = item["id"], item["revision"]
        if delivery.channel == TEXT and (subscriber.phone is None or self.texts is None):
            return Outcome.SKIPPED  # the number went (STOP) after this was planned
        claimed = (
            delivery.held
            if delivery.held is not None
            else self.store.claim(subscriber.id, item_id, revision, now, delivery.channel)
        )
        if not claimed:  # already sent, waiting for a digest, failed, not due, or in flight
            return Outcome.SKIPPED
        version = version_for(subscriber.preferences, item)
        if delivery.channel == TEXT:
            return self._text(subscriber, item, version, report)
        if not goes_at_once(subscriber.preferences, item):
            details = {key: version[key] for key in VERSION_TEXTS}
            self.store.mark(subscriber.id, item_id, revision, "digest", now, details)
            count(self.store, item_id, EMAIL, now, {RECIPIENTS: 1})
            report.queued_for_digest += 1
            return Outcome.QUEUED
        lang = subscriber.preferences.lang
        envelope = replace(
            self.links.envelope(
                subscriber.email, subscriber.email_hash, self.sender, self.host, now, lang, item_id
            ),
            not_translated=not_translated(subscriber.preferences, item, version),
            reader_lang=lang,
        )
        try:
            email = email_for(subscriber.preferences, item, version)
            self.mailer.send(build_message(email, envelope, now, item_id))
        except DeliveryRefused as error:
            return self._refused(subscriber, item_id, revision, report, error)
        except DeliveryDeferred as error:
            return self._deferred(subscriber, item_id, revision, report, error)
        except ProviderUnavailable as error:
            self._deferred(subscriber, item_id, revision, report, error, count_attempt=False)
            raise
        sent = self.clock()
        self.store.mark(subscriber.id, item_id, revision, "sent", sent)
        count_sent(self.store, item_id, EMAIL, sent, item["revision"])
        report.sent += 1
        return Outcome.SENT

    def _text(
        self,
        subscriber: Subscriber,
        item: Mapping[str, Any],
        version: Mapping[str, Any],
        report: NotifyReport,
    ) -> Outcome:
        """Send one text. A number the provider refuses for good (not a mobile, opted out
        there) is forgotten; the resident keeps their emails."""
        assert subscriber.phone is not None and self.texts is not None
        item_id, revision = item["id"], item["revision"]
        text = text_for(subscriber.preferences, item, version)
        body = self.text_of(text, subscriber.phone.stop_code)
        try:
            self.texts.send_text(subscriber.phone.number, body, item_id)
        except DeliveryRefused as error:
            number_refused(self.store, subscriber, item_id, revision, error, self.clock())
            report.numbers_removed += 1
            return Outcome.SUPPRESSED
        except DeliveryDeferred as error:
            return self._deferred(subscriber, item_id, revision, report, error, channel=TEXT)
        except ProviderUnavailable as error:
            self._deferred(
                subscriber, item_id, revision, report, error, count_attempt=False, channel=TEXT
            )
            raise
        sent, segments = self.clock(), text_length(body).segments
        self.store.mark(subscriber.id, item_id, revision, "sent", sent, channel=TEXT)
        count_sent(self.store, item_id, TEXT, sent, item["revision"], segments)
        report.texts += 1
        report.segments += segments
        return Outcome.SENT

    def _refused(
        self,
        subscriber: Subscriber,
        item_id: str,
        revision: str,
        report: DeliveryCounts,
        error: DeliveryRefused,
    ) -> Outcome:
        return refused(self.store, subscriber, item_id, revision, report, error, self.clock())

    def _deferred(
        self,
        subscriber: Subscriber,
        item_id: str,
        revision: str,
        report: DeliveryCounts,
        error: DeliveryError,
        count_attempt: bool = True,
        channel: str = EMAIL,
    ) -> Outcome:
        return deferred(
            self.store,
            subscriber,
            item_id,
            revision,
            report,
            error,
            self.clock(),
            count_attempt,
            channel,
        )


# What becomes of a delivery its provider did not take, in the ledger (shared by every
# command that sends: notify, and reminders).


def refused(
    store: Store,
    subscriber: Subscriber,
    item_id: str,
    revision: str,
    report: DeliveryCounts,
    error: DeliveryRefused,
    now: datetime,
) -> Outcome:
    """An email refused for good. Marked 'failed' first, so that the row says so even if
    suppressing fails."""
    store.mark(subscriber.id, item_id, revision, "failed", now)
    suppress(store, subscriber, report, error, now)
    count(store, item_id, EMAIL, now, {RECIPIENTS: 1, BOUNCED_HARD: 1})
    return Outcome.SUPPRESSED


def deferred(
    store: Store,
    subscriber: Subscriber,
    item_id: str,
    revision: str,
    report: DeliveryCounts,
    error: DeliveryError,
    now: datetime,
    count_attempt: bool = True,
    channel: str = EMAIL,
) -> Outcome:
    """Refused for now: tried again once its retry time has come, or given up as failed
    after too many tries."""
    retry = store.defer(subscriber.id, item_id, revision, now, count_attempt, channel)
    if count_attempt:  # refused for now; when given up, the recipient's outcome is known
        given_up = {RECIPIENTS: 1, FAILED: 1} if retry is None else {}
        count(store, item_id, channel, now, {DEFERRED: 1, **given_up})
    who = subscriber.email_hash[:8]
    if retry is None:
        report.failed += 1
        logger.warning("%s: subscriber %s deferred too often; given up: %s", item_id, who, error)
        return Outcome.FAILED
    report.deferred_until(retry)
    logger.info("%s: subscriber %s deferred until %s: %s", item_id, who, f"{retry:%H:%M}", error)
    return Outcome.DEFERRED


def number_refused(
    store: Store,
    subscriber: Subscriber,
    item_id: str,
    revision: str,
    error: DeliveryRefused,
    now: datetime,
) -> None:
    """A number the text provider refuses for good (not a mobile, opted out there) is
    forgotten; the resident keeps their emails."""
    store.mark(subscriber.id, item_id, revision, "failed", now, channel=TEXT)
    store.remove_phone(subscriber.email_hash)
    count(store, item_id, TEXT, now, {RECIPIENTS: 1, BOUNCED_HARD: 1})
    logger.warning(
        "%s: subscriber %s's number refused for good; removed: %s",
        item_id,
        subscriber.email_hash[:8],
        error,
    )


def suppress(
    store: Store,
    subscriber: Subscriber,
    report: DeliveryCounts,
    error: DeliveryRefused,
    now: datetime,
) -> None:
    """An address refused for good gets nothing more: suppressed, and the subscriber
    deleted (as after a hard bounce)."""
    store.suppress(subscriber.email_hash, "refused", now)
    count_change(store, now, LEFT)
    report.suppressed += 1
    logger.warning(
        "subscriber %s refused for good; suppressed: %s", subscriber.email_hash[:8], error
    )


OPT_OUT_LOOKBACK = timedelta(days=7)  # GOV.UK Notify keeps received texts for 7 days


def apply_opt_outs(store: Store, texts: TextSender, key: bytes, now: datetime) -> int:
    """Forget the numbers that asked the provider to stop (replied STOP, or are on its
    opt-out list) since they were confirmed; returns how many. Run before each notify, so
    a STOP takes effect before the next text."""
    removed = 0
    for opt_out in texts.opt_outs(now - OPT_OUT_LOOKBACK):
        number_hash = address_hash(opt_out.number, key)
        subscriber = store.subscriber_by_phone(number_hash)  # who confirmed it
        if subscriber is None or subscriber.phone is None:
            continue
        confirmed = subscriber.phone.confirmed_at
        if confirmed is None or opt_out.at >= confirmed:  # not a STOP from before it
            removed += stop_texts(store, subscriber.email_hash, now)
    if removed:
        logger.info("%d numbers removed: they asked the text provider to stop", removed)
    return removed


def progress_stream() -> TextIO | None:
    return sys.stderr if sys.stderr.isatty() else None
