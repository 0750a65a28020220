"""Each round's collections over the coming year, with every published bin change folded
in: what the round pages, calendars and JSON files are made from.

Pure: the rounds and the published bin changes in, collections out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property
from typing import Any

from plugins.content_model.rounds import Collection, Move, Round, Rounds, collections
from plugins.content_model.types.bin_changes import moves_of

YEAR = timedelta(days=365)
SOON = timedelta(weeks=6)  # what a round's page lists in full


@dataclass(frozen=True)
class ChangedDay:
    """Collections a bin change moves from one day to another."""

    day: date
    usual: date
    move: Move
    services: tuple[str, ...]


@dataclass(frozen=True)
class BinDays:
    """The rounds and the moves of every published bin change, from ``today`` on."""

    rounds: Rounds
    moves: tuple[Move, ...]
    today: date

    @classmethod
    def from_entries(
        cls, rounds: Rounds, entries: Iterable[Any], site: str, today: date
    ) -> BinDays:
        """``entries``: the published bin changes (the board's), each with its ``url``."""
        moves = [
            move
            for entry in entries
            for move in moves_of(
                entry.item.values,
                rounds,
                change=entry.item.slug,
                url=f"{site}/{entry.url}",
                published=entry.item.values.get("modified") or entry.item.values["date"],
            )
        ]
        return cls(rounds, tuple(moves), today)

    @property
    def until(self) -> date:
        return self.today + YEAR - timedelta(days=1)

    @cached_property
    def schedules(self) -> Mapping[str, Sequence[Collection]]:
        """Each round's collections for the next 12 months, by round slug."""
        return {
            slug: collections(round_, self.moves, self.today, self.until)
            for slug, round_ in self.rounds.by_slug.items()
        }

    def soon(self, slug: str) -> list[Collection]:
        return [c for c in self.schedules[slug] if c.day < self.today + SOON]

    def next_by_service(self, slug: str) -> list[Collection]:
        """The next collection of each of the round's services, soonest first."""
        first: dict[str, Collection] = {}
        for collection in self.schedules[slug]:
            first.setdefault(collection.service, collection)
        return sorted(first.values(), key=lambda c: c.day)  # stable: the file's order

    def changed_days(self, slug: str) -> list[ChangedDay]:
        """The round's moved collections in the coming year, those a change moves to the
        same day together (Christmas moves rubbish and food waste to Saturday)."""
        days: dict[tuple[date, date, Move], list[str]] = {}
        for c in self.schedules[slug]:
            if c.move is not None:
                days.setdefault((c.day, c.usual, c.move), []).append(c.service)
        return [ChangedDay(*key, tuple(services)) for key, services in days.items()]

    def moved_by(self, change: str) -> list[Round]:
        """The rounds whose collections the bin change ``change`` (a slug) moves, in the
        coming year."""
        return [
            self.rounds.by_slug[slug]
            for slug, schedule in self.schedules.items()
            if any(c.move is not None and c.move.change == change for c in schedule)
        ]

    def in_ward(self, ward: str) -> list[Round]:
        """The rounds collecting in ``ward``."""
        serving = self.rounds.serving([ward])
        return [r for slug, r in self.rounds.by_slug.items() if slug in serving]
