"""iCalendar (RFC 5545) calendars of changed bin collection days and notice deadlines.

Pure: checked items in, bytes out. Events are all-day dates, so they fall on the same day
wherever the calendar is read; UIDs are made from the item's slug and the day it
concerns, so they stay the same across rebuilds and calendar apps update, not duplicate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, timedelta

from icalendar import Calendar, Event, Timezone, vDuration, vText

from plugins.content_model.model import Item
from plugins.govuk_theme.formatting import london_weekday_date

REFRESH = timedelta(hours=6)
# The span of clock changes written into the calendar's time zone (fixed, so rebuilds agree).
TZ_FROM, TZ_UNTIL = date(2020, 1, 1), date(2040, 1, 1)
SERVICE_NAMES = {
    "refuse": "Rubbish",
    "recycling": "recycling",
    "food": "food waste",
    "garden": "garden waste",
}


@dataclass(frozen=True)
class Listed:
    item: Item
    url: str  # absolute


@dataclass(frozen=True)
class CalendarInfo:
    name: str
    description: str
    host: str
    lang: str = "en"


def services_text(services: Sequence[str]) -> str:
    if "all" in services:
        return "All collections"
    names = [SERVICE_NAMES[s] for s in services]
    text = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
    return text[0].upper() + text[1:]


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


def all_day(uid: str, day: date, summary: str, listed: Listed, text: str) -> bytes:
    """One all-day event, serialised (a district-wide change is in every ward's calendar,
    so each event is written once and shared)."""
    values = listed.item.values
    event = Event()
    event.add("uid", uid)
    # When the event was made: the item's last change, not the build, so rebuilds agree.
    event.add("dtstamp", (values.get("modified") or values["date"]).astimezone(UTC))
    event.add("dtstart", day)
    event.add("dtend", day + timedelta(days=1))
    event.add("summary", vText(summary))
    event.add("description", vText(f"{text}\n\n{listed.url}"))
    event.add("url", listed.url)
    event.add("transp", "TRANSPARENT")
    return bytes(event.to_ical())


def bin_change_events(listed: Listed, info: CalendarInfo, since: date) -> list[bytes]:
    """An all-day event on each new collection day from ``since``, saying which day it
    replaces. (Calendars hold the past year and what is to come; the JSON API has all.)"""
    values = listed.item.values
    events = []
    for move in (m for m in values["changes"] if m.new >= since):
        usual = london_weekday_date(move.usual, info.lang)
        summary = f"{services_text(values['services'])} collected today instead of {usual}"
        reason = f" ({values['reason']})" if values.get("reason") else ""
        text = f"{values['title']}{reason}. {values['summary']}"
        uid = f"{listed.item.slug}-{move.usual.isoformat()}@{info.host}"
        events.append(all_day(uid, move.new, summary, listed, text))
    return events


def deadline_events(listed: Listed, info: CalendarInfo, since: date) -> list[bytes]:
    """An all-day event on a notice's last day for comments, if it has one from ``since``."""
    values = listed.item.values
    if not values.get("respond_by") or values["respond_by"] < since:
        return []
    summary = f"Last day to comment: {values['title']} ({values['reference']})"
    where = f"\n\nSend responses to: {values['respond_to']}" if values.get("respond_to") else ""
    uid = f"{listed.item.slug}-respond-by@{info.host}"
    return [all_day(uid, values["respond_by"], summary, listed, values["summary"] + where)]


def calendar_file(info: CalendarInfo, events: Sequence[bytes]) -> bytes:
    """The calendar's properties and time zone, then the events."""
    head = bytes(new_calendar(info).to_ical())
    end = b"END:VCALENDAR\r\n"
    return head.removesuffix(end) + b"".join(events) + end
