"""``python -m subscriber_lambda digest --frequency daily|weekly``: one email per daily or
weekly subscriber listing what they have not yet received. Run it from a schedule (cron,
a systemd timer, EventBridge) once a day, and once a week with --frequency weekly.

Each waiting item is marked sent only after the digest went to the mailer, so a run
killed half-way resends at most the one digest in flight. An address refused for good is
suppressed and the others still get theirs; a digest refused for now keeps its items
waiting for the next run (run it again soon: only what still waits is sent). Like notify,
the run stops when the mail system itself is unavailable."""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass

from .core.messages import build_message
from .notify import Clock, DeliveryCounts, Links, Outage, suppress
from .ports import DeliveryDeferred, DeliveryRefused, Mailer, ProviderUnavailable, Store, Subscriber

logger = logging.getLogger(__name__)

TITLES = {"daily": "Your daily summary", "weekly": "Your weekly summary"}


@dataclass
class DigestReport(DeliveryCounts):
    frequency: str = "daily"

    def summary(self) -> str:
        return f"digest: {self.counts(f'{self.frequency} summaries', 'waiting for the next run')}"


def digest_email(frequency: str, council: str, items: list[dict[str, str]]) -> dict[str, str]:
    """Subject, text and HTML in the notify manifest's shape, with the same placeholders."""
    subject = f"{TITLES[frequency]} from {council}: {len(items)} new"
    lines = [subject, ""]
    rows = []
    for item in items:
        lines += [item["title"], item["summary"], item["url"], ""]
        rows.append(
            f'<li style="margin-bottom:16px"><a href="{html.escape(item["url"])}" '
            f'style="color:#1d70b8;font-weight:bold">{html.escape(item["title"])}</a><br>'
            f"{html.escape(item['summary'])}</li>"
        )
    lines += ["--", "Change what you get: ((manage_url))", "Unsubscribe: ((unsubscribe_url))", ""]
    body = (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(subject)}'
        f'</title></head><body style="font-family:arial,sans-serif;font-size:19px;color:#0b0c0c">'
        f'<h1 style="font-size:27px">{html.escape(subject)}</h1><ul>{"".join(rows)}</ul>'
        '<p style="font-size:16px"><a href="((manage_url))">Change what you get</a> · '
        '<a href="((unsubscribe_url))">Unsubscribe</a></p></body></html>'
    )
    return {"subject": subject, "text": "\n".join(lines), "html": body}


@dataclass
class Digester:
    store: Store
    mailer: Mailer
    links: Links
    sender: str
    host: str
    council: str
    clock: Clock

    def run(self, frequency: str) -> DigestReport:
        report = DigestReport(frequency=frequency)
        outage = Outage()
        for subscriber, items in self.store.digest_due(frequency):
            try:
                self._deliver(frequency, subscriber, items, report)
            except ProviderUnavailable as error:
                report.deferred += 1
                if outage.failed():
                    report.stopped = str(error)
                    break
            else:
                outage.answered()
        return report

    def _deliver(
        self,
        frequency: str,
        subscriber: Subscriber,
        items: list[dict[str, str]],
        report: DigestReport,
    ) -> None:
        """One digest. Its items are marked sent only once the mailer took it."""
        now = self.clock()
        envelope = self.links.envelope(
            subscriber.email, subscriber.email_hash, self.sender, self.host, now
        )
        message = build_message(digest_email(frequency, self.council, items), envelope, now)
        try:
            self.mailer.send(message)
        except DeliveryRefused as error:
            suppress(self.store, subscriber, report, error, self.clock())
            return
        except DeliveryDeferred as error:
            report.deferred += 1
            logger.info("digest: subscriber %s deferred: %s", subscriber.email_hash[:8], error)
            return
        for item in items:
            self.store.mark(subscriber.id, item["item_id"], item["revision"], "sent", self.clock())
        report.sent += 1
