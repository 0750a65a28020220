"""What the noticeboard shows at a moment: each type's items, their statuses, what is
current (alerts in force, notices open for comments, coming bin changes and meetings).

Pure functions over published entries (Pelican articles carrying a checked ``.item``),
so that the home page, ward pages, feeds and tests all agree on one definition. What a
status or "current" means for a type is that type's own (``content_model/types/``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any, Protocol

from plugins.content_model.items import Item
from plugins.content_model.london_time import LONDON
from plugins.content_model.registry import ITEM_TYPES
from plugins.content_model.schema import ContentType
from plugins.content_model.wards import Ward


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


def superseding(entries: Iterable[Entry]) -> dict[tuple[str, str], Entry]:
    """For each (type, slug), the published entry that supersedes it (an alert's update
    or cancellation)."""
    later: dict[tuple[str, str], Entry] = {}
    for entry in entries:
        target = entry.item.type.supersedes(entry.item)
        if target:
            later[(entry.item.kind, target)] = entry
    return later


def affecting(entries: Iterable[Entry], ward: str) -> list[Entry]:
    return [e for e in entries if e.item.affects(ward)]


@dataclass
class Board:
    """Published items grouped the ways the pages need them."""

    now: datetime
    wards: Mapping[str, Ward]
    by_kind: dict[str, list[Entry]] = field(default_factory=dict)  # newest first
    _later: Mapping[tuple[str, str], Entry] = field(default_factory=dict, repr=False)
    # (kind, slug) -> {lang: the translation}
    _translations: Mapping[tuple[str, str], Mapping[str, Entry]] = field(
        default_factory=dict, repr=False
    )

    @classmethod
    def from_entries(
        cls, entries: Iterable[Any], now: datetime, wards: Mapping[str, Ward]
    ) -> Board:
        board = cls(now, wards, {kind: [] for kind in ITEM_TYPES})
        published = [e for e in entries if getattr(e, "item", None)]
        listings = [Listing(e.item, e.url) for e in published]
        for entry in newest_first(listings):
            group = board.by_kind.get(entry.item.kind)
            if group is not None:
                group.append(entry)
        board._later = superseding(board.everything)
        board._translations = {
            (e.item.kind, e.item.slug): {t.lang: Listing(t.item, t.url) for t in e.translations}
            for e in published
            if getattr(e, "translations", None)
        }
        return board

    @cached_property
    def languages(self) -> set[str]:
        """The languages some item is published in (each has its feed)."""
        originals = {e.item.lang for e in self.everything}
        return originals | {lang for versions in self._translations.values() for lang in versions}

    def in_language(self, entry: Entry, lang: str) -> Entry | None:
        """The entry's translation into ``lang``, if it has one."""
        return self._translations.get((entry.item.kind, entry.item.slug), {}).get(lang)

    def of(self, kind: str) -> list[Entry]:
        """Every published item of a type, newest first."""
        return self.by_kind.get(kind, [])

    @property
    def types(self) -> list[ContentType]:
        return list(ITEM_TYPES.values())

    # Cached: every page of the site asks, and the board does not change during a build.
    @cached_property
    def everything(self) -> list[Entry]:
        return newest_first(e for entries in self.by_kind.values() for e in entries)

    @cached_property
    def _by_kind_and_slug(self) -> dict[tuple[str, str], Entry]:
        return {(e.item.kind, e.item.slug): e for e in self.everything}

    def find(self, kind: str, slug: str) -> Entry | None:
        return self._by_kind_and_slug.get((kind, slug))

    def successor(self, entry: Entry) -> Entry | None:
        """The entry that updates or cancels this one."""
        return self._later.get((entry.item.kind, entry.item.slug))

    def status(self, entry: Entry) -> str:
        """The entry's status now, as its type defines it ('' for a type without)."""
        successor = self.successor(entry)
        later = successor.item if successor is not None else None
        return entry.item.type.status(entry.item, self.now, later)

    def earlier(self, entry: Entry) -> list[Entry]:
        """The entries this one supersedes, directly or through them, oldest first."""
        chain: list[Entry] = []
        current: Entry | None = entry
        while current is not None:
            target = current.item.type.supersedes(current.item)
            current = self.find(current.item.kind, target) if target else None
            if current is not None:
                chain.insert(0, current)
        return chain

    def current(self, kind: str, entries: Sequence[Entry] | None = None) -> list[Entry]:
        """A type's current entries (of ``entries``, default all), in its type's order."""
        content_type = ITEM_TYPES[kind]
        chosen = self.of(kind) if entries is None else [e for e in entries if e.item.kind == kind]
        found = [e for e in chosen if self.status(e) in content_type.current_statuses]
        order = content_type.current_order
        return found if order is None else sorted(found, key=lambda e: order(e.item))

    def current_first(self, entries: Sequence[Any]) -> list[Any]:
        """A type's list as its page shows it: its current entries in its order (coming
        meetings soonest first, alerts in force most severe first), then the others latest
        first (past meetings by when they took place, others newest published first)."""
        if not entries:
            return []
        content_type = entries[0].item.type
        current = self.current(content_type.folder, entries)
        chosen = set(map(id, current))
        others = [e for e in entries if id(e) not in chosen]
        if (order := content_type.past_order) is not None:
            others.sort(key=lambda e: order(e.item), reverse=True)
        return [*current, *others]

    @cached_property
    def active_alerts(self) -> list[Entry]:
        """What the banner shows: current entries of the urgent types, in their order."""
        return [e for t in self.types if t.urgent for e in self.current(t.folder)]

    def active_alerts_for(self, ward: str) -> list[Entry]:
        return affecting(self.active_alerts, ward)

    def for_ward(self, ward: str) -> list[Entry]:
        return affecting(self.everything, ward)

    def ward_list(self, slugs: Iterable[str]) -> list[Ward]:
        """The wards an item names, in the wards file's order; empty means the whole district."""
        chosen = set(slugs)
        return [] if "all" in chosen else [w for s, w in self.wards.items() if s in chosen]

    def by_year(self, kind: str) -> dict[int, list[Entry]]:
        """A type's entries by the year they were published, newest year first."""
        years: dict[int, list[Entry]] = defaultdict(list)
        for entry in self.of(kind):
            years[entry.item.values["date"].astimezone(LONDON).year].append(entry)
        return dict(sorted(years.items(), reverse=True))
