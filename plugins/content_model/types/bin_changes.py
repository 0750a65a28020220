"""Bin collection changes (``content/bin-changes/``): collections moved from their usual
day, in a calendar for the district and for each ward."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from babel.dates import format_date

from ..items import Item
from ..schema import COMMON_FIELDS, Calendar, CalendarEvent, ContentType, Field, Rule
from .words import N_, today

if TYPE_CHECKING:
    from ..places import Places
    from ..rounds import Move, Rounds, RoundService

SERVICE_NAMES = {
    "refuse": N_("Rubbish"),
    "recycling": N_("Recycling"),
    "food": N_("Food waste"),
    "garden": N_("Garden waste"),
    "all": N_("All collections"),
}
SERVICES = tuple(SERVICE_NAMES)
COLLECTED = tuple(s for s in SERVICES if s != "all")  # what a round's row may collect

FIELDS: tuple[Field, ...] = (
    Field(
        "Changes",
        "changes",
        shared=True,
        required=True,
        help="'YYYY-MM-DD -> YYYY-MM-DD' pairs (usual day -> new day) separated by ';'.",
        example="2026-12-25 -> 2026-12-27; 2026-12-26 -> 2026-12-28",
    ),
    Field(
        "Rounds",
        "rounds",
        shared=True,
        help="Round slugs from the rounds file, separated by commas: the change moves "
        "their collections as well as those of the rounds serving the Wards.",
        example="deal-monday",
    ),
    Field(
        "Services",
        "choices",
        shared=True,
        default="all",
        choices=SERVICES,
        labels=tuple(SERVICE_NAMES.items()),
        help="Which collections move, separated by commas, or 'all'.",
    ),
    Field("Reason", "text", help="Why the collections move, e.g. bank holiday."),
)


def services_text(services: Sequence[str]) -> str:
    """'Rubbish, recycling and food waste', for calendars (in English, as they are)."""
    if "all" in services:
        return SERVICE_NAMES["all"]
    names = [SERVICE_NAMES[s].lower() for s in services]
    text = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
    return text[0].upper() + text[1:]


def status(item: Item, now: datetime, successor: Item | None) -> str:
    """A change matters while any of its moved collections is still to come."""
    day = today(now)
    coming = any(move.new >= day or move.usual >= day for move in item.values["changes"])
    return "upcoming" if coming else "past"


def moves_of(
    values: Mapping[str, Any],
    rounds: Rounds,
    change: str = "",
    url: str = "",
    published: object = None,
) -> list[Move]:
    """The change's moves, each for the rounds it names and the rounds serving its wards."""
    from ..rounds import Move

    named = frozenset(values.get("rounds") or ()) | rounds.serving(values.get("wards", ()))
    return [
        Move(
            move.usual,
            move.new,
            frozenset(values.get("services", ("all",))),
            named,
            change,
            values.get("title", ""),
            values.get("reason") or "",
            published,
            url,
        )
        for move in values.get("changes", ())
    ]


def place_rules(values: Mapping[str, Any], places: Places) -> Iterable[Rule]:
    """A collection still to come cannot move to a day that has passed. With a rounds
    file, each move still to come must move some round's collection: a date typed wrong,
    or a change naming the wrong wards, would otherwise move nothing while residents are
    told it does."""
    rounds, day = places.rounds, places.today
    served = [s for r in rounds.by_slug.values() for s in r.services]
    for move in moves_of(values, rounds):
        if day and move.usual >= day > move.new:
            yield (
                "Changes",
                f"'{move.usual} -> {move.new}' moves a collection still to come to a day "
                "that has passed; check the new day's year and month",
            )
            continue
        if not rounds or (day and move.usual < day and move.new < day):
            continue
        if any(move.moves(s) for s in served):
            continue
        usual = format_date(move.usual, "EEEE d MMMM y", locale="en")
        what = "" if "all" in move.services else " " + services_text(tuple(move.services)).lower()
        near = nearest_collections(move, served)
        if not move.rounds:
            collect = "no round serves the Wards or Rounds named"
        elif not near:
            collect = f"none of their rounds collects{what} that week"
        else:
            days = [format_date(d, "EEEE d MMMM", locale="en") for d in near]
            shown = days[0] if len(days) == 1 else f"{', '.join(days[:-1])} and {days[-1]}"
            collect = f"their nearest collections{what.replace(' ', ' of ', 1)} are on {shown}"
        yield (
            "Changes",
            f"'{move.usual} -> {move.new}' moves nothing: no round of the Wards and Rounds "
            f"named collects{what} on {usual} ({collect}); check the date, the Wards, the "
            "Rounds and the Services",
        )


def events_in_ward(item: Item, ward: str, rounds: Rounds) -> list[CalendarEvent] | None:
    """With rounds, a ward's calendar has only the moves of collections of its rounds (a
    district-wide change moves Monday's to Friday's, and each ward has some of those),
    each naming the bins that really move there that day."""
    if not rounds:
        return None
    serving = rounds.serving([ward])
    found = []
    for move in moves_of(item.values, rounds):
        moved = {
            service.service
            for slug in serving & move.rounds
            for service in rounds.by_slug[slug].services
            if move.moves(service)
        }
        if moved:
            services = sorted(moved, key=COLLECTED.index)
            found.append(move_event(item, move.usual, move.new, services))
    return found


def nearest_collections(move: Move, served: Sequence[RoundService]) -> list[date]:
    """The usual collection days, within a week of the move's usual day, of the services it
    moves in the rounds it names: what an officer who typed the wrong day meant."""
    week = timedelta(days=7)
    return sorted(
        {
            day
            for service in served
            if service.round in move.rounds
            and ("all" in move.services or service.service in move.services)
            for day in service.usual_days(move.usual - week, move.usual + week)
        }
    )


def soonest_first(item: Item) -> date:
    first: date = min(m.usual for m in item.values["changes"])
    return first


def events(item: Item) -> list[CalendarEvent]:
    """An all-day event on each new collection day, saying which day it replaces."""
    services = tuple(item.values["services"])
    return [move_event(item, move.usual, move.new, services) for move in item.values["changes"]]


def move_event(item: Item, usual: date, new: date, services: Sequence[str]) -> CalendarEvent:
    values = item.values
    reason = f" ({values['reason']})" if values.get("reason") else ""
    return CalendarEvent(
        key=usual.isoformat(),
        start=new,
        end=None,
        summary=f"{services_text(services)} collected today instead of "
        + format_date(usual, "EEEE d MMMM y", locale="en"),
        description=f"{values['title']}{reason}. {values['summary']}",
    )


def moved_collections(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every moved collection of every bin change, by usual date: what bin apps need."""
    moves = [
        {
            "usual_date": change["usual_date"],
            "new_date": change["new_date"],
            "services": record["services"],
            "wards": record["wards"],
            "district_wide": record["district_wide"],
            "bin_change": record["id"],
            "url": record["url"],
        }
        for record in records
        for change in record["changes"]
    ]
    return sorted(moves, key=lambda m: (m["usual_date"], m["bin_change"]))


COMMON = "common.schema.json#/$defs/"
MOVED_COLLECTIONS_SCHEMA = {
    "description": "Every moved collection of every change, by usual date.",
    "type": "array",
    "items": {
        "type": "object",
        "required": [
            "usual_date",
            "new_date",
            "services",
            "wards",
            "district_wide",
            "bin_change",
            "url",
        ],
        "properties": {
            "usual_date": {"$ref": COMMON + "date"},
            "new_date": {"$ref": COMMON + "date"},
            "services": {"type": "array", "minItems": 1, "items": {"enum": list(SERVICES)}},
            "wards": {"type": "array", "items": {"$ref": COMMON + "slug"}},
            "district_wide": {"type": "boolean"},
            "bin_change": {"type": "string", "pattern": "^bin-changes/[a-z0-9-]+$"},
            "url": {"$ref": COMMON + "url"},
        },
        "additionalProperties": False,
    },
}


TYPE = ContentType(
    folder="bin-changes",
    label=N_("Bin collection changes"),
    singular=N_("Bin collection change"),
    fields=COMMON_FIELDS + FIELDS,
    template="bin_change",
    texts=True,  # a collection moved tomorrow is worth a text
    intro=N_("When bin collections move from their usual day: coming changes first."),
    nav_label=N_("Bin collections"),
    current_heading=N_("Coming changes to bin collections"),
    none_current=N_("Collections are on their usual days."),
    calendar=Calendar(
        N_("changed bin collections"),
        N_("Days when bin collections{place} move from their usual day."),
        per_ward=True,
        ward_events=events_in_ward,
    ),
    statuses=("upcoming", "past"),
    current_statuses=frozenset({"upcoming"}),
    status=status,
    changes_notified=frozenset({"upcoming"}),
    current_order=soonest_first,
    events=events,
    place_rules=place_rules,
    api_extras={"moved_collections": (moved_collections, MOVED_COLLECTIONS_SCHEMA)},
)
