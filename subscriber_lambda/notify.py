"""``python -m subscriber_lambda notify PATH_OR_URL``: email each new item of the notify
manifest to the confirmed subscribers it concerns.

- Alerts first, in a pass of their own, so they never wait behind routine notices.
- Each subscriber gets an item revision at most once: the ledger row is claimed
  ('pending') before the message goes to the mailer and marked 'sent' after. A run killed
  half-way, then run again, skips nobody and resends at most the message in flight.
- Nobody gets an item published before they confirmed. An alert that updates or cancels
  another also goes to everyone who got that one. Exercises go to nobody unless
  SUBSCRIBER_SEND_EXERCISES is yes.
- Items for daily or weekly subscribers wait for their digest (``digest`` command).
Subscribers are streamed, so memory does not grow with their number.
"""

from __future__ import annotations

import json
import sys
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any, TextIO

from .core.matching import goes_at_once, version_for, wants
from .core.messages import Envelope, build_message
from .core.tokens import Purpose, Signer
from .ports import Mailer, Queue, Store, Subscriber

Clock = Callable[[], datetime]


@dataclass
class NotifyReport:
    sent: int = 0
    queued_for_digest: int = 0
    items: int = 0
    skipped: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        return (
            f"notify: {self.items} items; {self.sent} emails sent, "
            f"{self.queued_for_digest} queued for digests"
        )


def load_manifest(source: str) -> dict[str, Any]:
    """The manifest from a file, an http(s) URL (the published site) or s3://bucket/key."""
    if source.startswith("s3://"):
        import boto3

        bucket, _, key = source.removeprefix("s3://").partition("/")
        body = boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
        s3_data: dict[str, Any] = json.loads(body)
        return s3_data
    if source.startswith(("http://", "https://")):
        with urllib.request.urlopen(source, timeout=30) as response:
            data: dict[str, Any] = json.load(response)
            return data
    loaded: dict[str, Any] = json.loads(Path(source).read_text(encoding="utf-8"))
    return loaded


@dataclass
class Links:
    """Each subscriber's own manage and unsubscribe links."""

    signer: Signer
    site_url: str

    def envelope(
        self, recipient: str, email_hash: str, sender: str, host: str, now: datetime
    ) -> Envelope:
        data = {"h": email_hash}
        manage = self.signer.make(Purpose.MANAGE, data, now)
        unsubscribe = self.signer.make(Purpose.UNSUBSCRIBE, data, now)
        return Envelope(
            sender=sender,
            recipient=recipient,
            manage_url=f"{self.site_url}/subscriptions/manage?token={manage}",
            unsubscribe_url=f"{self.site_url}/subscriptions/unsubscribe?token={unsubscribe}",
            list_id=host,
        )


@dataclass(frozen=True)
class Delivery:
    """One item for one subscriber: what the queue carries (the subscriber is passed along
    in memory by the inline queue, and looked up again by workers)."""

    email_hash: str
    item_id: str
    subscriber: Subscriber | None = field(default=None, compare=False)

    def to_list(self) -> list[str]:
        return [self.email_hash, self.item_id]


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

    def run(self, manifest: Mapping[str, Any], source: str = "") -> NotifyReport:
        """Plan every delivery and hand them to the queue: alerts first, in their own lane,
        so they never wait behind routine items."""
        report = NotifyReport(items=len(manifest["items"]))
        by_id = {item["id"]: item for item in manifest["items"]}
        alerts = [i for i in manifest["items"] if i["urgency"] == "immediate"]
        routine = [i for i in manifest["items"] if i["urgency"] != "immediate"]
        for lane, items in (("alerts", alerts), ("routine", routine)):
            if items:
                worker = partial(self.deliver, by_id, report)
                self.queue.submit(lane, self.plan(items, report), worker, source)
        if self.progress:
            self.progress.write("\n")
        return report

    def plan(self, items: list[Mapping[str, Any]], report: NotifyReport) -> Iterator[Delivery]:
        """Each item's candidates from the store (on DynamoDB, one query per ward), decided
        by the core. A subscriber who wants several items gets one email for each."""
        followers = {
            item["id"]: self.store.recipients_of(item["supersedes"])
            for item in items
            if item.get("supersedes")
        }
        count = 0
        for item in items:
            wards = None if item["district_wide"] else item["wards"]
            also = followers.get(item["id"], set())
            for subscriber in self.store.candidates(item["type"], wards, also):
                count += 1
                if self.progress and count % 1000 == 0:
                    self.progress.write(
                        f"\r{count:,} subscribers checked, {report.sent:,} emails sent"
                    )
                if self._concerns(subscriber, item, also):
                    yield Delivery(subscriber.email_hash, item["id"], subscriber)

    def _concerns(
        self, subscriber: Subscriber, item: Mapping[str, Any], followers: set[str]
    ) -> bool:
        if datetime.fromisoformat(item["published"]) < subscriber.confirmed_at:
            return False
        if item["exercise"] and not self.send_exercises:
            return False
        return subscriber.id in followers or wants(
            subscriber.preferences, item, self.send_exercises
        )

    def deliver(
        self, items: Mapping[str, Mapping[str, Any]], report: NotifyReport, delivery: Delivery
    ) -> None:
        """Send (or queue for a digest) one delivery. Safe to repeat: the ledger decides."""
        subscriber = delivery.subscriber or self.store.subscriber_by_hash(delivery.email_hash)
        item = items.get(delivery.item_id)
        if subscriber is None or item is None:
            return  # unsubscribed since it was planned, or not in this manifest
        now = self.clock()
        item_id, revision = item["id"], item["revision"]
        if not self.store.claim(subscriber.id, item_id, revision, now):
            return  # already sent, or already waiting for a digest
        version = version_for(subscriber.preferences, item)
        if not goes_at_once(subscriber.preferences, item):
            details = {
                "title": version["title"],
                "summary": version["summary"],
                "url": version["url"],
            }
            self.store.mark(subscriber.id, item_id, revision, "digest", now, details)
            report.queued_for_digest += 1
            return
        envelope = self.links.envelope(
            subscriber.email, subscriber.email_hash, self.sender, self.host, now
        )
        self.mailer.send(build_message(version["email"], envelope, now, item_id))
        self.store.mark(subscriber.id, item_id, revision, "sent", self.clock())
        report.sent += 1


def progress_stream() -> TextIO | None:
    return sys.stderr if sys.stderr.isatty() else None
