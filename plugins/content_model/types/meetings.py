"""Public meetings (``content/meetings/``): when and where, the agenda and the webcast; a
calendar in which a moved or cancelled meeting updates its event rather than adding one."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from ..items import Item
from ..schema import COMMON_FIELDS, Calendar, CalendarEvent, ContentType, Field, Rule
from ..wards import Ward
from .words import N_

FIELDS: tuple[Field, ...] = (
    Field(
        "Starts",
        "datetime",
        required=True,
        shared=True,
        help="When the meeting starts (Europe/London unless it has an offset).",
        example="2026-12-10 18:30",
    ),
    Field(
        "Ends",
        "datetime",
        shared=True,
        help="When it is expected to end.",
        example="2026-12-10 20:30",
    ),
    Field(
        "Venue",
        "text",
        required=True,
        help="Where it takes place, or 'online'.",
        example="Council Chamber, White Cliffs Business Park, Dover",
    ),
    Field(
        "Agenda",
        "document-or-link",
        help="The agenda: a file name under content/meetings/documents/, or a web address.",
        example="planning-committee-2026-12-10.pdf",
    ),
    Field("Webcast", "url", help="Web address where the meeting can be watched."),
    Field(
        "Cancelled",
        "yes-no",
        default="no",
        choices=("yes", "no"),
        shared=True,
        help="'yes' when the meeting will not take place (keep the file: residents, feeds "
        "and calendars are told).",
    ),
)
STATUSES = ("upcoming", "cancelled", "past")


def rules(values: Mapping[str, Any]) -> Iterable[Rule]:
    starts: datetime | None = values.get("starts")
    ends: datetime | None = values.get("ends")
    if starts and ends and ends <= starts:
        yield "Ends", "must be after Starts"


def warnings(values: Mapping[str, Any], wards: Mapping[str, Ward]) -> Iterable[Rule]:
    """Subscribers hear of a change only through a new revision (Modified)."""
    if values.get("cancelled") and not values.get("modified"):
        yield (
            "Cancelled",
            "the meeting is cancelled but has no Modified line, so residents who were told "
            "about it are not emailed that it is cancelled; add 'Modified:' with the time "
            "of the change",
        )


def over_at(item: Item) -> datetime:
    over: datetime = item.values.get("ends") or item.values["starts"]
    return over


def status(item: Item, now: datetime, successor: Item | None) -> str:
    """Past once it is over (cancelled or not); until then upcoming, or cancelled."""
    if over_at(item) <= now:
        return "past"
    return "cancelled" if item.values["cancelled"] else "upcoming"


def headline(item: Item) -> str:
    """In feeds: 'Cancelled: ...' or 'Changed: ...' once it is (Modified)."""
    title: str = item.values["title"]
    if item.values["cancelled"]:
        return f"Cancelled: {title}"
    return f"Changed: {title}" if item.values.get("modified") else title


def starting_soonest_first(item: Item) -> datetime:
    starts: datetime = item.values["starts"]
    return starts


def events(item: Item) -> list[CalendarEvent]:
    """One event; the same key whatever changes, so a calendar app moves or cancels it."""
    values = item.values
    cancelled = bool(values["cancelled"])
    summary = f"Cancelled: {values['title']}" if cancelled else values["title"]
    return [
        CalendarEvent(
            key="meeting",
            start=values["starts"],
            end=values.get("ends"),
            summary=summary,
            description=values["summary"],
            location=values["venue"],
            cancelled=cancelled,
        )
    ]


def json_ld(record: dict[str, Any], council: str) -> dict[str, Any]:
    """schema.org for a meeting's page, from its API record: an Event that search engines
    can show, scheduled or cancelled, in person, online or both."""
    online = record["venue"].strip().lower() == "online"
    if online:
        mode = "OnlineEventAttendanceMode"
    elif record["webcast"] and not record["cancelled"]:
        mode = "MixedEventAttendanceMode"
    else:
        mode = "OfflineEventAttendanceMode"
    status = "EventCancelled" if record["cancelled"] else "EventScheduled"
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Event",
        "@id": record["url"],
        "url": record["url"],
        "name": record["title"],
        "description": record["summary"],
        "inLanguage": record["lang"],
        "startDate": record["starts"],
        "eventStatus": f"https://schema.org/{status}",
        "eventAttendanceMode": f"https://schema.org/{mode}",
        "organizer": {"@type": "GovernmentOrganization", "name": council},
        "isAccessibleForFree": True,
    }
    if record["ends"]:
        data["endDate"] = record["ends"]
    location: list[dict[str, Any]] = []
    if not online:
        location.append({"@type": "Place", "name": record["venue"], "address": record["venue"]})
    if record["webcast"] and not record["cancelled"]:
        location.append({"@type": "VirtualLocation", "url": record["webcast"]})
    if location:
        data["location"] = location if len(location) > 1 else location[0]
    return data


TYPE = ContentType(
    folder="meetings",
    label=N_("Public meetings"),
    singular=N_("Public meeting"),
    fields=COMMON_FIELDS + FIELDS,
    template="meeting",
    intro=N_("Council and committee meetings the public can attend or watch: coming ones first."),
    nav_label=N_("Meetings"),
    current_heading=N_("Coming meetings"),
    none_current=N_("No meetings are coming up."),
    documents=True,
    calendar=Calendar(
        N_("public meetings"),
        N_("Council and committee meetings."),
        per_item=True,
        item_description=N_("This meeting, kept up to date if it moves or is cancelled."),
    ),
    statuses=STATUSES,
    current_statuses=frozenset({"upcoming", "cancelled"}),
    status=status,
    changes_notified=frozenset({"upcoming", "cancelled"}),
    current_order=starting_soonest_first,
    past_order=starting_soonest_first,
    rules=rules,
    warnings=warnings,
    events=events,
    headline=headline,
    json_ld=json_ld,
)
