"""What the noticeboard shows at a moment: active alerts, open notices, coming bin changes.

Pure functions over published entries (Pelican articles carrying a checked ``.item``),
so that the home page, ward pages, feeds and tests all agree on one definition.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from typing import Any, Protocol

from plugins.content_model.london_time import LONDON
from plugins.content_model.model import Item
from plugins.content_model.wards import Ward

SEVERITY_ORDER = {"extreme": 0, "severe": 1, "moderate": 2, "minor": 3}


class Entry(Protocol):
    """A published piece of content: its checked item and its address."""

    @property
    def item(self) -> Item: ...

    @property
    def url(self) -> str: ...


@dataclass(frozen=True)
class Listing:
    """A published item and its address, fixed once per build (Pelican formats URLs on
    every access, and every item is listed on several pages)."""

    item: Item
    url: str


def newest_first(entries: Iterable[Entry]) -> list[Entry]:
    return sorted(entries, key=lambda e: (e.item.values["date"], e.item.slug), reverse=True)


def superseding(alerts: Iterable[Entry]) -> dict[str, Entry]:
    """For each alert slug, the published alert that updates or cancels it."""
    later: dict[str, Entry] = {}
    for entry in alerts:
        for link in ("updates", "cancels"):
            target = entry.item.values.get(link)
            if target:
                later[target] = entry
    return later


def alert_status(entry: Entry, later: Mapping[str, Entry], now: datetime) -> str:
    """One of 'active', 'expired', 'updated', 'cancelled' or 'cancellation'."""
    item = entry.item
    if item.values.get("cancels"):
        return "cancellation"
    successor = later.get(item.slug)
    if successor is not None:
        return "cancelled" if successor.item.values.get("cancels") == item.slug else "updated"
    if item.values["expires"] <= now:
        return "expired"
    return "active"


def active_alerts(alerts: Iterable[Entry], now: datetime) -> list[Entry]:
    """Alerts in force: published, not expired, not updated or cancelled; most severe first."""
    alerts = list(alerts)
    later = superseding(alerts)
    active = [a for a in alerts if alert_status(a, later, now) == "active"]
    return sorted(newest_first(active), key=lambda e: SEVERITY_ORDER[e.item.values["severity"]])


def today(now: datetime) -> date:
    return now.astimezone(LONDON).date()


def is_open(notice: Entry, now: datetime) -> bool:
    """A notice is open for representations until the end of its Respond-By day."""
    respond_by: date | None = notice.item.values.get("respond_by")
    return respond_by is not None and respond_by >= today(now)


def is_upcoming(bin_change: Entry, now: datetime) -> bool:
    """A bin change matters while any of its moved collections is still to come."""
    day = today(now)
    return any(move.new >= day or move.usual >= day for move in bin_change.item.values["changes"])


def of_kind(entries: Iterable[Entry], kind: str) -> list[Entry]:
    return [e for e in entries if e.item.kind == kind]


def affecting(entries: Iterable[Entry], ward: str) -> list[Entry]:
    return [e for e in entries if e.item.affects(ward)]


@dataclass
class Board:
    """Published items grouped the ways the pages need them."""

    now: datetime
    wards: Mapping[str, Ward]
    alerts: list[Entry] = field(default_factory=list)
    notices: list[Entry] = field(default_factory=list)
    bin_changes: list[Entry] = field(default_factory=list)
    _later: Mapping[str, Entry] = field(default_factory=dict, repr=False)

    @classmethod
    def from_entries(
        cls, entries: Iterable[Any], now: datetime, wards: Mapping[str, Ward]
    ) -> Board:
        board = cls(now, wards)
        groups = {
            "alerts": board.alerts,
            "notices": board.notices,
            "bin-changes": board.bin_changes,
        }
        listings = [Listing(e.item, e.url) for e in entries if getattr(e, "item", None)]
        for entry in newest_first(listings):
            group = groups.get(entry.item.kind)
            if group is not None:
                group.append(entry)
        board._later = superseding(board.alerts)
        return board

    # Cached: every page of the site asks, and the board does not change during a build.
    @cached_property
    def everything(self) -> list[Entry]:
        return newest_first([*self.alerts, *self.notices, *self.bin_changes])

    @cached_property
    def active_alerts(self) -> list[Entry]:
        return active_alerts(self.alerts, self.now)

    def active_alerts_for(self, ward: str) -> list[Entry]:
        return affecting(self.active_alerts, ward)

    @cached_property
    def alerts_in_force(self) -> list[Entry]:
        """Active alerts, and cancellations until they expire: what emergency systems
        polling the CAP feed must see (a cancellation must reach them too)."""
        return [
            a
            for a in self.alerts
            if self.status(a) == "active"
            or (self.status(a) == "cancellation" and a.item.values["expires"] > self.now)
        ]

    @cached_property
    def _by_kind_and_slug(self) -> dict[tuple[str, str], Entry]:
        return {(e.item.kind, e.item.slug): e for e in self.everything}

    def find(self, kind: str, slug: str) -> Entry | None:
        return self._by_kind_and_slug.get((kind, slug))

    def alert(self, slug: str) -> Entry | None:
        return self.find("alerts", slug)

    def earlier(self, alert: Entry) -> list[Entry]:
        """The messages this alert updates or cancels, directly or through them, oldest first."""
        chain: list[Entry] = []
        current: Entry | None = alert
        while current is not None:
            target = current.item.values.get("updates") or current.item.values.get("cancels")
            current = self.alert(target) if target else None
            if current is not None:
                chain.insert(0, current)
        return chain

    def status(self, alert: Entry) -> str:
        return alert_status(alert, self._later, self.now)

    def successor(self, alert: Entry) -> Entry | None:
        return self._later.get(alert.item.slug)

    def open_notices(self, entries: Sequence[Entry] | None = None) -> list[Entry]:
        """Notices (of ``entries``, default all) still open for representations."""
        chosen = self.notices if entries is None else of_kind(entries, "notices")
        return [n for n in chosen if is_open(n, self.now)]

    def upcoming_bin_changes(self, entries: Sequence[Entry] | None = None) -> list[Entry]:
        """Bin changes (of ``entries``, default all) still to come, soonest first."""
        chosen = self.bin_changes if entries is None else of_kind(entries, "bin-changes")
        return sorted(
            (b for b in chosen if is_upcoming(b, self.now)),
            key=lambda b: min(m.usual for m in b.item.values["changes"]),
        )

    def for_ward(self, ward: str) -> list[Entry]:
        return affecting(self.everything, ward)

    def ward_list(self, slugs: Iterable[str]) -> list[Ward]:
        """The wards an item names, in the wards file's order; empty means the whole district."""
        chosen = set(slugs)
        return [] if "all" in chosen else [w for s, w in self.wards.items() if s in chosen]

    def notices_by_year(self) -> dict[int, list[Entry]]:
        years: dict[int, list[Entry]] = defaultdict(list)
        for notice in self.notices:
            years[notice.item.values["date"].astimezone(LONDON).year].append(notice)
        return dict(sorted(years.items(), reverse=True))
