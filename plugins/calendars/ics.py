"""iCalendar (RFC 5545) files of the events each type's items declare
(``ContentType.events``): changed bin collection days, notices' and consultations' last
days, public meetings.

Pure: checked items in, bytes out. A day is an all-day date, so it falls on the same day
wherever the calendar is read; a time is written in Europe/London. UIDs are made from the
item's slug and the event's key (a calendar holds one type), so they stay the same across
rebuilds and calendar apps update (a moved or cancelled meeting), not duplicate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from icalendar import Calendar, Event, Timezone, vDuration, vText

from plugins.content_model.items import Item
from plugins.content_model.london_time import LONDON
from plugins.content_model.schema import CalendarEvent

REFRESH = timedelta(hours=6)
# The span of clock changes written into the calendar's time zone (fixed, so rebuilds agree).
TZ_FROM, TZ_UNTIL = date(2020, 1, 1), date(2040, 1, 1)


@dataclass(frozen=True)
class Listed:
    item: Item
    url: str  # absolute


@dataclass(frozen=True)
class CalendarInfo:
    name: str
    description: str
    host: str


def new_calendar(info: CalendarInfo) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", "-//Council noticeboard//iCalendar//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    # TEXT values (RFC 5545 3.3.11): the icalendar library escapes only the properties it
    # knows as TEXT, and NAME and the X-WR- ones are not among them, so all are vText.
    for name in ("name", "x-wr-calname"):
        calendar.add(name, vText(info.name))
    for name in ("description", "x-wr-caldesc"):
        calendar.add(name, vText(info.description))
    calendar.add("x-wr-timezone", "Europe/London")
    calendar.add("refresh-interval", vDuration(REFRESH), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(REFRESH))
    calendar.add_component(
        Timezone.from_tzid("Europe/London", first_date=TZ_FROM, last_date=TZ_UNTIL)
    )
    return calendar


def first_day(event: CalendarEvent) -> date:
    start = event.start
    return start.astimezone(LONDON).date() if isinstance(start, datetime) else start


def event_ical(listed: Listed, event: CalendarEvent, host: str) -> bytes:
    """One event, serialised (a district-wide change is in every ward's calendar, so each
    event is written once and shared)."""
    item, values = listed.item, listed.item.values
    changed = (values.get("modified") or values["date"]).astimezone(UTC)
    ical = Event()
    ical.add("uid", f"{item.slug}-{event.key}@{host}")
    # When the event was made: the item's last change, not the build, so rebuilds agree;
    # SEQUENCE grows with each change (a minute's resolution), as RFC 5546 asks of updates.
    ical.add("dtstamp", changed)
    ical.add("last-modified", changed)
    ical.add("sequence", int((changed - values["date"].astimezone(UTC)).total_seconds() // 60))
    if isinstance(event.start, datetime):
        ical.add("dtstart", event.start.astimezone(LONDON))
        if isinstance(event.end, datetime):
            ical.add("dtend", event.end.astimezone(LONDON))
        ical.add("transp", "OPAQUE")
    else:
        ical.add("dtstart", event.start)
        ical.add(
            "dtend", (event.end if isinstance(event.end, date) else event.start) + timedelta(days=1)
        )
        ical.add("transp", "TRANSPARENT")
    ical.add("summary", vText(event.summary))
    ical.add("description", vText(f"{event.description}\n\n{listed.url}"))
    if event.location:
        ical.add("location", vText(event.location))
    ical.add("url", listed.url)
    ical.add("status", "CANCELLED" if event.cancelled else "CONFIRMED")
    return bytes(ical.to_ical())


def item_events(
    listed: Listed, host: str, since: date, events: Sequence[CalendarEvent] | None = None
) -> list[bytes]:
    """The item's events (by default its type's ``events``) from ``since``. (Calendars
    hold the past year and what is to come; the JSON API has everything.)"""
    chosen = listed.item.type.events(listed.item) if events is None else events
    return [event_ical(listed, event, host) for event in chosen if first_day(event) >= since]


def calendar_file(info: CalendarInfo, events: Sequence[bytes]) -> bytes:
    """The calendar's properties and time zone, then the events."""
    head = bytes(new_calendar(info).to_ical())
    end = b"END:VCALENDAR\r\n"
    return head.removesuffix(end) + b"".join(events) + end
