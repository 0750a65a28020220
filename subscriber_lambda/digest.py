"""``python -m subscriber_lambda digest --frequency daily|weekly``: one email per daily or
weekly subscriber listing what they have not yet received. Run it from a schedule (cron,
a systemd timer, EventBridge) once a day, and once a week with --frequency weekly.

Each waiting item is marked sent only after the digest went to the mailer, so a run
killed half-way resends at most the one digest in flight. An address refused for good is
suppressed and the others still get theirs; a digest refused for now keeps its items
waiting for the next run (run it again soon: only what still waits is sent). Like notify,
the run stops when the mail system itself is unavailable."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from .core.catalogues import speaking
from .core.messages import build_message
from .core.reach import BOUNCED_HARD, DEFERRED, SENT
from .languages import answer_language, ngettext
from .notify import Clock, DeliveryCounts, Links, Outage, suppress
from .pages import Pages
from .ports import (
    EMAIL,
    DeliveryDeferred,
    DeliveryRefused,
    Mailer,
    ProviderUnavailable,
    Store,
    Subscriber,
)
from .reach import count

logger = logging.getLogger(__name__)


@dataclass
class DigestReport(DeliveryCounts):
    frequency: str = "daily"

    def summary(self) -> str:
        return f"digest: {self.counts(f'{self.frequency} summaries', 'waiting for the next run')}"


def digest_email(pages: Pages, frequency: str, items: list[dict[str, str]]) -> dict[str, str]:
    """Subject, text and HTML in the notify manifest's shape, with the same placeholders,
    in the language being spoken (each item in its own)."""
    count = len(items)
    if frequency == "weekly":
        subject = ngettext(
            "Your weekly summary from %(council)s: %(num)s new item",
            "Your weekly summary from %(council)s: %(num)s new items",
            count,
        )
    else:
        subject = ngettext(
            "Your daily summary from %(council)s: %(num)s new item",
            "Your daily summary from %(council)s: %(num)s new items",
            count,
        )
    values = {"council": pages.site.council, "num": count}
    return pages.email("digest", subject % values, items=items)


@dataclass
class Digester:
    store: Store
    mailer: Mailer
    links: Links
    sender: str
    host: str
    pages: Pages
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
        lang = answer_language(
            remembered=subscriber.preferences.lang, default=self.pages.site.interface_lang
        )
        envelope = self.links.envelope(
            subscriber.email, subscriber.email_hash, self.sender, self.host, now, lang
        )
        with speaking(lang):
            email = digest_email(self.pages, frequency, items)
        message = build_message(email, envelope, now)
        try:
            self.mailer.send(message)
        except DeliveryRefused as error:
            suppress(self.store, subscriber, report, error, self.clock())
            self._count(items, {BOUNCED_HARD: 1})
            return
        except DeliveryDeferred as error:
            report.deferred += 1
            logger.info("digest: subscriber %s deferred: %s", subscriber.email_hash[:8], error)
            self._count(items, {DEFERRED: 1})
            return
        for item in items:
            self.store.mark(subscriber.id, item["item_id"], item["revision"], "sent", self.clock())
        self._count(items, {SENT: 1}, sent=True)
        report.sent += 1

    def _count(
        self, items: list[dict[str, str]], counts: dict[str, int], sent: bool = False
    ) -> None:
        """A digest's outcome counts for each item in it (each was counted as a recipient
        when it was held for the digest)."""
        now = self.clock()
        for item in items:
            count(self.store, item["item_id"], EMAIL, now, counts, sent)
