"""``python -m subscriber_lambda reminders [--on YYYY-MM-DD]``: the evening-before bin-day
reminders. Run it from a schedule at 18:00 London time: each confirmed subscriber who
asked for them (``bin-days``) and gave a postcode gets one email naming the bins collected
the day after ``--on`` (default today in London), and, if they chose texts about bin
changes and have a confirmed number, one text.

- The collections are the site's: each round's published file (``api/v1/rounds/``, bin
  changes folded in by the build) and the postcode files' rounds of each household, read
  once per run (ADR 23). A changed day says so, with the change's reason and page.
- Never twice: each reminder is a row of the delivery ledger, keyed by (subscriber,
  ``bin-days/{day}``, channel), claimed before it goes and marked sent after, as notify's
  items are. A second run for the same day sends only what the first did not (deferred
  ones, once their retry time has come).
- One address never holds up the others (ADR 14): refused for good, it is suppressed;
  refused for now, it is deferred; when the mail system is down, the run stops after 3
  in a row (exit 1; run it again: nothing sent is sent twice).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TextIO
from urllib.parse import quote
from zoneinfo import ZoneInfo

from babel.dates import format_date

from .core.catalogues import SPEAKING, speaking
from .core.messages import build_message
from .core.preferences import BIN_DAYS
from .core.reminders import REVISION, Collection, collections_on, covered_span, reminder_id
from .core.texts import fit_text, stop_line, text_length
from .languages import answer_language, gettext, ngettext
from .notify import (
    EX_TEMPFAIL,
    Clock,
    DeliveryCounts,
    Links,
    Outage,
    deferred,
    number_refused,
    refused,
)
from .pages import Pages, and_list, service_name
from .ports import (
    EMAIL,
    TEXT,
    DeliveryDeferred,
    DeliveryRefused,
    Mailer,
    ProviderUnavailable,
    Store,
    Subscriber,
    TextSender,
)
from .reach import count_sent
from .site_data import SiteData, SiteFiles

logger = logging.getLogger(__name__)

LONDON = ZoneInfo("Europe/London")
TEXT_TOPIC = "bin-changes"  # reminders go by text to those who want bin changes by text


def london_today(now: datetime) -> date:
    """The day it is in London at ``now`` (an aware time): the default ``--on``."""
    return now.astimezone(LONDON).date()


@dataclass
class RemindersReport(DeliveryCounts):
    day: date | None = None  # the collections' day
    texts: int = 0
    segments: int = 0
    numbers_removed: int = 0
    texting: bool = False
    # Deferred by an earlier run and not yet due again: a run after their time sends them.
    waiting: int = 0

    @property
    def exit_status(self) -> int:
        """As notify's; and 75 while reminders deferred by an earlier run still wait, so a
        run too soon after it does not say that all went."""
        status = super().exit_status
        return EX_TEMPFAIL if status == 0 and self.waiting else status

    def summary(self) -> str:
        when = "sent if run again"
        if self.next_try:
            when += f" after {self.next_try:%H:%M %Z}".rstrip()
        failed = f", {self.failed} failed (deferred too often)" if self.failed else ""
        if self.waiting:
            failed += f", {self.waiting} still deferred by an earlier run (sent by a later one)"
        summary = f"reminders for {self.day}: {self.counts('emails', when)}{failed}"
        if self.texting:
            summary += (
                f"; {self.texts} texts sent ({self.segments} segments), "
                f"{self.numbers_removed} numbers removed (refused for good)"
            )
        return summary


def long_date(day: date) -> str:
    """'Saturday 26 December', in the language being spoken."""
    return format_date(day, "EEEE d MMMM", locale=SPEAKING.get().replace("-", "_"))


@dataclass(frozen=True)
class Reminder:
    """What one household is told: its bins, the day, and any changed day."""

    day: str  # as ``long_date`` says it
    bins: str  # 'rubbish and food waste'
    count: int  # how many bins
    changes: list[dict[str, str]]  # line (``changed_line``), url: one per distinct change
    rounds: list[str]  # the rounds' pages


def reminder_of(collections: list[Collection], site_url: str, site: SiteData) -> Reminder:
    """The reminder of one household's collections, in the language being spoken, its
    links on ``site_url`` (as the resident's manage links are), to the round pages in that
    language where the site has them."""
    names = list(dict.fromkeys(service_name(c.service) for c in collections))
    changes = []
    for c in collections:
        url = f"{site_url}/{quote(c.change)}/" if c.change else ""
        change = {"line": changed_line(long_date(c.usual), c.reason), "url": url}
        if c.changed and change not in changes:
            changes.append(change)
    lang = SPEAKING.get()
    rounds = dict.fromkeys(f"{site_url}{site.bin_days_page(lang, c.round)}" for c in collections)
    return Reminder(long_date(collections[0].day), and_list(names), len(names), changes, [*rounds])


def subject_of(reminder: Reminder) -> str:
    return ngettext(
        "Put out your %(bins)s bin tonight", "Put out your %(bins)s bins tonight", reminder.count
    ) % {"bins": reminder.bins}


def changed_line(usual: str, reason: str) -> str:
    """'This is a changed day: usually Friday 25 December. Christmas.' (the reason is the
    officer's, as they wrote it)."""
    line = gettext("This is a changed day: usually %(day)s.") % {"day": usual}
    reason = reason.strip().rstrip(".")
    return f"{line} {reason}." if reason else line


def reminder_email(pages: Pages, reminder: Reminder) -> dict[str, str]:
    """Subject, text and HTML in the notify manifest's shape, with its placeholders (the
    resident's manage and unsubscribe links), in the language being spoken."""
    return pages.email("reminder", subject_of(reminder), reminder=reminder)


def reminder_text(reminder: Reminder, site_url: str) -> str:
    """The text's lines, fitted to two parts with room for the stop link."""
    lines = [
        gettext("Bin day tomorrow, %(day)s: %(bins)s.")
        % {"day": reminder.day, "bins": reminder.bins},
        *(change["line"] for change in reminder.changes),
    ]
    return fit_text(lines, reminder.rounds[0], site_url, stop_label=gettext("Stop"))


@dataclass
class Reminders:
    store: Store
    mailer: Mailer
    links: Links
    sender: str
    host: str
    pages: Pages
    clock: Clock
    texts: TextSender | None = None
    progress: TextIO | None = None
    # Where each run reads the rounds and postcode files, afresh (on Lambda, a bucket
    # reader of its own, so a warm container never keeps last week's rounds).
    site_files: Callable[[], SiteFiles] | None = None

    def run(self, on: date) -> RemindersReport:
        """The reminders for the collections of the day after ``on``."""
        day = on + timedelta(days=1)
        report = RemindersReport(day=day, texting=self.texts is not None)
        site = self.pages.site.for_one_run(self.site_files() if self.site_files else None)
        outage, checked, stale = Outage(), 0, set[str]()
        try:
            for subscriber in self.store.subscribers():
                checked += 1
                if self.progress and checked % 1000 == 0:
                    self.progress.write(
                        f"\r{checked:,} subscribers checked, {report.sent:,} reminders sent"
                    )
                collections = self.collections(site, subscriber, day, stale)
                if not collections:
                    continue
                try:
                    self._remind(subscriber, collections, report)
                except ProviderUnavailable:
                    if outage.failed():
                        raise
                else:
                    outage.answered()
        except ProviderUnavailable as error:
            report.stopped = str(error)
        if self.progress:
            self.progress.write("\n")
        return report

    def collections(
        self, site: SiteData, subscriber: Subscriber, day: date, stale: set[str]
    ) -> list[Collection]:
        """The subscriber's collections on ``day``, if they asked for reminders. A round
        whose published collections do not cover ``day`` is logged once a run
        (``stale``)."""
        preferences = subscriber.preferences
        if BIN_DAYS not in preferences.reminders or not preferences.postcode:
            return []
        rounds = site.rounds_for_postcode(preferences.postcode)
        for slug in set(rounds.values()) - stale:
            span = covered_span(site.round_schedule(slug))
            if span is not None and not span[0] <= day <= span[1]:
                stale.add(slug)
                logger.warning(
                    "round %s: its published collections are from %s to %s, not %s: build "
                    "the site (or check --on)",
                    slug,
                    *span,
                    day,
                )
        return collections_on(rounds, site.round_schedule, day)

    def _remind(
        self, subscriber: Subscriber, collections: list[Collection], report: RemindersReport
    ) -> None:
        """The email, then the text: each claimed in the ledger first, so each goes once.
        ProviderUnavailable from either is let out once it is recorded."""
        lang = answer_language(
            remembered=subscriber.preferences.lang, default=self.pages.site.interface_lang
        )
        item_id = reminder_id(collections[0].day)
        with speaking(lang):
            reminder = reminder_of(collections, self.links.site_url, self.pages.site)
            kept = self._email(subscriber, item_id, reminder, lang, report)
            if kept and self._texting(subscriber):
                self._text(subscriber, item_id, reminder, report)

    def _texting(self, subscriber: Subscriber) -> bool:
        return (
            self.texts is not None
            and subscriber.phone is not None
            and TEXT_TOPIC in subscriber.topics_by(TEXT)
        )

    def _email(
        self,
        subscriber: Subscriber,
        item_id: str,
        reminder: Reminder,
        lang: str,
        report: RemindersReport,
    ) -> bool:
        """False when the address was refused for good: the subscriber is gone (their
        number too), so no text follows."""
        now = self.clock()
        if not self.store.claim(subscriber.id, item_id, REVISION, now):
            # Sent already, in flight, failed, or deferred until later (counted).
            if self.store.delivery_state(subscriber.id, item_id, REVISION) == "deferred":
                report.waiting += 1  # its retry time has not come
            return True
        envelope = self.links.envelope(
            subscriber.email, subscriber.email_hash, self.sender, self.host, now, lang, item_id
        )
        message = build_message(reminder_email(self.pages, reminder), envelope, now, item_id)
        try:
            self.mailer.send(message)
        except DeliveryRefused as error:
            refused(self.store, subscriber, item_id, REVISION, report, error, self.clock())
            return False
        except DeliveryDeferred as error:
            deferred(self.store, subscriber, item_id, REVISION, report, error, self.clock())
            return True
        except ProviderUnavailable as error:
            deferred(self.store, subscriber, item_id, REVISION, report, error, self.clock(), False)
            raise
        sent = self.clock()
        self.store.mark(subscriber.id, item_id, REVISION, "sent", sent)
        count_sent(self.store, item_id, EMAIL, sent)
        report.sent += 1
        return True

    def _text(
        self, subscriber: Subscriber, item_id: str, reminder: Reminder, report: RemindersReport
    ) -> None:
        assert subscriber.phone is not None and self.texts is not None
        now = self.clock()
        if not self.store.claim(subscriber.id, item_id, REVISION, now, TEXT):
            return
        site_url = self.links.site_url
        body = reminder_text(reminder, site_url)
        body += "\n" + stop_line(site_url, subscriber.phone.stop_code, gettext("Stop"))
        try:
            self.texts.send_text(subscriber.phone.number, body, item_id)
        except DeliveryRefused as error:
            number_refused(self.store, subscriber, item_id, REVISION, error, self.clock())
            report.numbers_removed += 1
            return
        except DeliveryDeferred as error:
            deferred(
                self.store, subscriber, item_id, REVISION, report, error, self.clock(), channel=TEXT
            )
            return
        except ProviderUnavailable as error:
            deferred(
                self.store, subscriber, item_id, REVISION, report, error, self.clock(), False, TEXT
            )
            raise
        sent, segments = self.clock(), text_length(body).segments
        self.store.mark(subscriber.id, item_id, REVISION, "sent", sent, channel=TEXT)
        count_sent(self.store, item_id, TEXT, sent, segments=segments)
        report.texts += 1
        report.segments += segments
