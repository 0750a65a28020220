"""The council's bin collection rounds (``data/rounds.csv``): which services each round
collects, on which weekday, how often, and which postcodes or wards it covers; and each
round's collection days, with bin changes folded in.

One row per round and service, exported from the contractor's system::

    round,name,service,weekday,every,anchor,covers
    deal-monday,Deal Monday,refuse,monday,2,2026-01-05,ward:north-deal;CT14 7

``every`` is the weeks between collections (1 weekly, 2 fortnightly...) counted from
``anchor``, a day that service is collected. ``covers`` lists postcode units (CT14 7JP),
sectors (CT14 7) and wards (ward:SLUG); for each service a household's round is the one
whose cover is most specific (its unit, then its sector, then its ward).

Pure: the rows in, problems or ``Rounds`` out; no files but the one read by ``load_rounds``.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property
from pathlib import Path

from subscriber_lambda.core.postcodes import normalise_postcode

from .items import Problem
from .values import MAX_MOVE_DAYS, SLUG_PATTERN, did_you_mean
from .wards import Ward

COLUMNS = ("round", "name", "service", "weekday", "every", "anchor", "covers")
HEADER = ",".join(COLUMNS)
SEPARATORS = {";": "semicolons", "\t": "tabs"}
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MAX_EVERY = 12  # weeks between collections
WARD_PREFIX = "ward:"
_SECTOR = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9])$")
# How specific a cover is: a household's round for a service is its most specific one.
UNIT, SECTOR, WARD = 3, 2, 1


@dataclass(frozen=True, order=True)
class Cover:
    """One area a round covers: ``(UNIT, 'CT14 7JP')``, ``(SECTOR, 'CT14 7')`` or
    ``(WARD, 'walmer')``."""

    level: int
    name: str

    def __str__(self) -> str:
        return f"{WARD_PREFIX}{self.name}" if self.level == WARD else self.name


@dataclass(frozen=True)
class RoundService:
    """One service of one round: a row of the rounds file."""

    round: str
    service: str
    weekday: int  # Monday 0
    every: int  # weeks
    anchor: date
    covers: tuple[Cover, ...]
    row: int = 0

    def usual_days(self, start: date, end: date) -> Iterator[date]:
        """Its usual collection days from ``start`` to ``end`` (both included)."""
        step = timedelta(weeks=self.every)
        offset = (start - self.anchor).days % step.days
        day = start if offset == 0 else start + timedelta(days=step.days - offset)
        while day <= end:
            yield day
            day += step

    def collects_on(self, day: date) -> bool:
        return (day - self.anchor).days % (7 * self.every) == 0


@dataclass(frozen=True)
class Round:
    slug: str
    name: str
    services: tuple[RoundService, ...]
    wards: frozenset[str] = frozenset()  # the wards it collects in, as far as is known


@dataclass(frozen=True)
class Move:
    """A bin change's move of one usual collection day, for the rounds it applies to."""

    usual: date
    new: date
    services: frozenset[str]  # or {'all'}
    rounds: frozenset[str]  # the round slugs it moves
    change: str  # the bin change's slug
    title: str
    reason: str
    published: object = None  # ordering of changes moving the same day: the latest wins
    url: str = ""  # the bin change's page

    def moves(self, service: RoundService) -> bool:
        return (
            service.round in self.rounds
            and ("all" in self.services or service.service in self.services)
            and service.collects_on(self.usual)
        )


@dataclass(frozen=True)
class Collection:
    """One collection of one service: on its usual day, or moved by a bin change."""

    day: date
    service: str
    usual: date
    move: Move | None = None

    @property
    def changed(self) -> bool:
        return self.move is not None


@dataclass(frozen=True)
class Rounds:
    """Every round, and how a household finds its own."""

    by_slug: Mapping[str, Round] = field(default_factory=dict)
    # (service, cover) -> the round slug covering it
    _index: Mapping[tuple[str, Cover], str] = field(default_factory=dict, repr=False)

    def __bool__(self) -> bool:
        return bool(self.by_slug)

    @cached_property
    def services(self) -> list[str]:
        """Every service some round collects, in the order of the rounds file."""
        found = (s.service for r in self.by_slug.values() for s in r.services)
        return list(dict.fromkeys(found))

    def household(self, postcode: str, ward: str | None) -> dict[str, str]:
        """service -> round slug for the household at ``postcode`` (in ``ward``)."""
        covers = [Cover(UNIT, postcode), Cover(SECTOR, postcode[:-2])]
        if ward:
            covers.append(Cover(WARD, ward))
        found: dict[str, str] = {}
        for service in self.services:
            for cover in covers:
                if (slug := self._index.get((service, cover))) is not None:
                    found[service] = slug
                    break
        return found

    def serving(self, wards: Iterable[str]) -> frozenset[str]:
        """The rounds that collect in any of ``wards`` ('all': every round)."""
        wanted = set(wards)
        if "all" in wanted:
            return frozenset(self.by_slug)
        return frozenset(slug for slug, r in self.by_slug.items() if r.wards & wanted)


NO_ROUNDS = Rounds()


def collections(round_: Round, moves: Sequence[Move], start: date, end: date) -> list[Collection]:
    """The round's collections from ``start`` to ``end``, by day, then services in the
    rounds file's order, each moved by the latest-published bin change that moves it. A
    collection moved onto a day its service is collected anyway is one collection (the
    moved one, which says why)."""
    # A collection moved into the span may usually fall outside it, by as much as a move
    # may be.
    margin = timedelta(days=MAX_MOVE_DAYS)
    latest = sorted(moves, key=lambda m: str(m.published))
    found = []
    for service in round_.services:
        for usual in service.usual_days(start - margin, end + margin):
            move = next(
                (m for m in reversed(latest) if m.usual == usual and m.moves(service)), None
            )
            day = move.new if move else usual
            if start <= day <= end:
                found.append(Collection(day, service.service, usual, move))
    one_a_day: dict[tuple[date, str], Collection] = {}
    for collection in sorted(found, key=lambda c: c.move is None):  # moved ones first
        one_a_day.setdefault((collection.day, collection.service), collection)
    order = {s.service: n for n, s in enumerate(round_.services)}  # the rounds file's
    return sorted(one_a_day.values(), key=lambda c: (c.day, order[c.service]))


def parse_cover(text: str) -> Cover | None:
    text = text.strip()
    if text.lower().startswith(WARD_PREFIX):
        return Cover(WARD, text[len(WARD_PREFIX) :].strip().lower())
    if unit := normalise_postcode(text):
        return Cover(UNIT, unit)
    squeezed = re.sub(r"\s+", "", text.upper())
    if match := _SECTOR.match(squeezed):
        return Cover(SECTOR, f"{match.group(1)} {match.group(2)}")
    return None


@dataclass(frozen=True)
class PostcodeWards:
    """The postcode lookup (``make postcodes``) as the rounds check needs it."""

    wards: Mapping[str, str]  # 'CT14 7JP' -> ward slug

    @property
    def sectors(self) -> dict[str, set[str]]:
        found: dict[str, set[str]] = defaultdict(set)
        for postcode, ward in self.wards.items():
            found[postcode[:-2]].add(ward)
        return found


Row = tuple[int, Mapping[str, str | None]]  # the line it starts on, and its cells


def read_rows(path: Path, shown: str) -> tuple[list[Row], list[Problem]]:
    """The file's rows by column name (the header's, in any case), each with its row number
    as a spreadsheet shows it (the header is row 1); rows with no value at all (a
    spreadsheet's trailing ',,,,') left out."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        return [], [Problem(shown, "file", "is not UTF-8 text; save it as UTF-8 CSV")]
    if text.lower().startswith("sep="):  # Excel's note of the separator (it hides the line)
        text = text.partition("\n")[2]
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [name.strip().lower() for name in reader.fieldnames or []]
    if not header:
        return [], [Problem(shown, "file", f"is empty; its first line is the header: {HEADER}")]
    reader.fieldnames = header
    if missing := [c for c in COLUMNS if c not in header]:
        first = text.splitlines()[0]
        separator = next((name for sep, name in SEPARATORS.items() if sep in first), "")
        hint = f"; it is separated by {separator}: save it as CSV (comma-separated)"
        return [], [
            Problem(
                shown,
                "columns",
                f"needs {', '.join(missing)}; the header row has: {', '.join(header)}"
                + (hint if separator else f"; it should be: {HEADER}"),
            )
        ]
    rows: list[Row] = [
        (reader.line_num, row)
        for row in reader
        if row.get(None) or any((value or "").strip() for value in row.values())
    ]
    if not rows:
        return [], [
            Problem(
                shown,
                "file",
                "has no rounds under its header; add a row for each round and service, or "
                "delete the file to publish bin changes only",
            )
        ]
    return rows, []


def load_rounds(
    path: Path | None,
    shown: str,
    wards: Mapping[str, Ward],
    services: Sequence[str],
    lookup: PostcodeWards | None,
) -> tuple[Rounds, list[Problem]]:
    """The rounds file's rounds, or its problems (each ``path: row N: column: what``).
    No file: no rounds, and bin days are not published."""
    if path is None or not path.is_file():
        return NO_ROUNDS, []
    rows, problems = read_rows(path, shown)
    if problems:
        return NO_ROUNDS, problems
    return check_rows(rows, shown, wards, services, lookup)


def check_rows(
    rows: Sequence[Row],
    shown: str,
    wards: Mapping[str, Ward],
    services: Sequence[str],
    lookup: PostcodeWards | None,
) -> tuple[Rounds, list[Problem]]:
    problems: list[Problem] = []
    names: dict[str, tuple[str, int]] = {}
    found: list[RoundService] = []
    seen: dict[tuple[str, str], int] = {}
    sectors = lookup.sectors if lookup else {}
    for number, row in rows:
        value = {c: (row.get(c) or "").strip() for c in COLUMNS}

        def report(column: str, message: str, number: int = number) -> None:
            problems.append(Problem(shown, f"row {number}: {column}", message))

        if extra := row.get(None):  # type: ignore[call-overload]  # DictReader's overflow
            report(
                "row",
                f"has {len(extra)} more cells than the header row; a value with a comma "
                'in it (a name like "Deal, Monday") must be in double quotes',
            )
            continue
        if broken := [c for c in COLUMNS if "\n" in value[c] or "\r" in value[c]]:
            report(broken[0], "has a line break in it; put the value on one line")
            continue
        slug, name, service = value["round"], value["name"], value["service"].lower()
        if not SLUG_PATTERN.match(slug):
            report("round", f"'{slug}' is not a slug like 'deal-monday' (a-z, 0-9, hyphens)")
        if not name:
            report("name", "is empty; give the round's name as residents should read it")
        elif slug in names and names[slug][0] != name:
            report(
                "name",
                f"'{name}' differs from row {names[slug][1]}'s '{names[slug][0]}'; "
                "give each round one name",
            )
        else:
            names.setdefault(slug, (name, number))
        if service not in services:
            report(
                "service",
                f"'{value['service']}' is not a service; use one of: {', '.join(services)}"
                + did_you_mean(service, services),
            )
        elif (slug, service) in seen:
            report(
                "service",
                f"round '{slug}' already collects {service} in row "
                f"{seen[(slug, service)]}; give each round and service one row",
            )
        seen.setdefault((slug, service), number)
        weekday = value["weekday"].lower()
        if weekday not in WEEKDAYS:
            report(
                "weekday",
                f"'{value['weekday']}' is not a day; use one of: "
                f"{', '.join(WEEKDAYS)}" + did_you_mean(weekday, WEEKDAYS),
            )
        every = int(value["every"]) if value["every"].isdigit() else 0
        if not 1 <= every <= MAX_EVERY:
            report(
                "every",
                f"'{value['every']}' is not a number of weeks from 1 (weekly) "
                f"to {MAX_EVERY}; fortnightly is 2",
            )
        try:
            anchor = date.fromisoformat(value["anchor"])
        except ValueError:
            anchor = None
            report("anchor", f"'{value['anchor']}' is not a date like 2026-01-05 (YYYY-MM-DD)")
        if anchor and weekday in WEEKDAYS and anchor.weekday() != WEEKDAYS.index(weekday):
            report(
                "anchor",
                f"{anchor} is a {WEEKDAYS[anchor.weekday()].title()}, not a "
                f"{weekday.title()}; give a day this service is collected",
            )
        covers: list[Cover] = []
        for part in (p for p in value["covers"].split(";") if p.strip()):
            cover = parse_cover(part)
            if cover is None:
                report(
                    "covers",
                    f"'{part.strip()}' is not a postcode (CT14 7JP), a postcode "
                    "sector (CT14 7) or a ward (ward:walmer)",
                )
            elif cover.level == WARD and cover.name not in wards:
                report(
                    "covers",
                    f"'{part.strip()}': '{cover.name}' is not a ward in the "
                    "wards file" + did_you_mean(cover.name, wards),
                )
            elif lookup and cover.level == UNIT and cover.name not in lookup.wards:
                report(
                    "covers",
                    f"'{cover}' is not a postcode in the council's area (the "
                    "postcode lookup from make postcodes); check it",
                )
            elif lookup and cover.level == SECTOR and cover.name not in sectors:
                report(
                    "covers",
                    f"'{cover}' has no postcodes in the council's area (the "
                    "postcode lookup from make postcodes); check it",
                )
            elif cover in covers:
                report("covers", f"'{cover}' is listed twice; list it once")
            else:
                covers.append(cover)
        if not value["covers"].strip():
            report(
                "covers",
                "is empty; list the postcodes, sectors or wards (ward:SLUG) "
                "the round covers, separated by ';'",
            )
        if anchor and weekday in WEEKDAYS and 1 <= every <= MAX_EVERY and covers:
            found.append(
                RoundService(
                    slug, service, WEEKDAYS.index(weekday), every, anchor, tuple(covers), number
                )
            )
    index: dict[tuple[str, Cover], str] = {}
    covered_by: dict[tuple[str, Cover], int] = {}
    for entry in found:
        for cover in entry.covers:
            key = (entry.service, cover)
            if key in covered_by:
                problems.append(
                    Problem(
                        shown,
                        f"row {entry.row}: covers",
                        f"'{cover}' is already covered for {entry.service} by row "
                        f"{covered_by[key]} (round '{index[key]}'); each household has one "
                        f"round for each service, so list it in one of them",
                    )
                )
            else:
                covered_by[key], index[key] = entry.row, entry.round
    if problems:
        return NO_ROUNDS, problems
    by_round: dict[str, list[RoundService]] = defaultdict(list)
    for entry in found:
        by_round[entry.round].append(entry)
    rounds = Rounds(
        {
            slug: Round(slug, names[slug][0], tuple(rows_of), wards_of(rows_of, lookup, sectors))
            for slug, rows_of in by_round.items()
        },
        index,
    )
    return rounds, list(uncovered(rounds, lookup, shown)) if lookup else []


def uncovered(rounds: Rounds, lookup: PostcodeWards, shown: str) -> Iterator[Problem]:
    """Warnings: for each service, the council's postcodes no round collects it from."""
    missing: dict[str, list[str]] = defaultdict(list)
    for postcode, ward in sorted(lookup.wards.items()):
        served = rounds.household(postcode, ward)
        for service in rounds.services:
            if service not in served:
                missing[service].append(postcode)
    for service, postcodes in missing.items():
        count = len(postcodes)
        examples = ", ".join(postcodes[:3]) + (", ..." if count > 3 else "")
        yield Problem(
            shown,
            "covers",
            f"no round collects {service} from {count} of the council's "
            f"{len(lookup.wards)} postcodes ({examples}); residents there will not find "
            "that collection in their bin days",
            warning=True,
        )


def wards_of(
    services: Sequence[RoundService],
    lookup: PostcodeWards | None,
    sectors: Mapping[str, set[str]],
) -> frozenset[str]:
    """The wards a round collects in: those it covers, and those of its postcodes."""
    found: set[str] = set()
    for cover in (c for s in services for c in s.covers):
        if cover.level == WARD:
            found.add(cover.name)
        elif lookup and cover.level == UNIT:
            found.add(lookup.wards[cover.name])
        elif cover.level == SECTOR:
            found.update(sectors.get(cover.name, ()))
    return frozenset(found)
