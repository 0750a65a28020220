"""A round's iCalendar file: an all-day event for each collection of each service over the
next 12 months, moved collections on their new day saying why; optionally with an alarm
the evening before.

An all-day event is a date, so clock changes never move it, and the alarm (six hours
before the day starts) rings at 6 pm in the household's own time. Each event's UID is the
round, the service and the usual day, so when a bin change moves a collection, calendar
apps move the event they already have instead of adding another.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta

from babel.dates import format_date
from icalendar import Alarm, Event, vText

from plugins.calendars.ics import CalendarInfo, new_calendar
from plugins.content_model.rounds import Collection, Round
from plugins.content_model.types.bin_changes import SERVICE_NAMES

EVENING_BEFORE = timedelta(hours=-6)  # 6 pm the day before an all-day event
EPOCH = datetime(2020, 1, 1, tzinfo=UTC)


def stamp(moment: object, fallback: date) -> datetime:
    """When an event last changed: its bin change's time, else its usual day (so that
    rebuilds agree)."""
    if isinstance(moment, datetime):
        return moment.astimezone(UTC)
    return datetime.combine(fallback, time(), tzinfo=UTC)


def collection_event(
    round_: Round, collection: Collection, host: str, page_url: str, alarm: bool
) -> Event:
    service = SERVICE_NAMES[collection.service]
    move = collection.move
    event = Event()
    event.add("uid", f"{round_.slug}-{collection.service}-{collection.usual.isoformat()}@{host}")
    changed = stamp(move.published if move else None, collection.usual)
    event.add("dtstamp", changed)
    event.add("last-modified", changed)
    # Grows with each change of a moved collection, as RFC 5546 asks of updates.
    event.add("sequence", int((changed - EPOCH).total_seconds() // 60) if move else 0)
    event.add("dtstart", collection.day)
    event.add("dtend", collection.day + timedelta(days=1))
    event.add("transp", "TRANSPARENT")
    if move:
        usual = format_date(collection.usual, "EEEE d MMMM", locale="en")
        reason = f": {move.reason}" if move.reason else ""
        event.add("summary", vText(f"{service} collection (moved from {usual}{reason})"))
        description = f"{move.title}. Usually collected on {usual}.\n\n{move.url}"
        event.add("url", move.url)
    else:
        event.add("summary", vText(f"{service} collection"))
        description = f"{round_.name}: {service.lower()} collection.\n\n{page_url}"
        event.add("url", page_url)
    event.add("description", vText(description))
    event.add("categories", [service])
    event.add("status", "CONFIRMED")
    if alarm:
        reminder = Alarm()
        reminder.add("action", "DISPLAY")
        reminder.add("description", vText(f"Put out your {service.lower()} tonight"))
        reminder.add("trigger", EVENING_BEFORE)
        event.add_component(reminder)
    return event


def round_calendar(
    round_: Round,
    schedule: Sequence[Collection],
    info: CalendarInfo,
    page_url: str,
    alarm: bool = False,
) -> bytes:
    calendar = new_calendar(info)
    for collection in schedule:
        calendar.add_component(collection_event(round_, collection, info.host, page_url, alarm))
    return bytes(calendar.to_ical())
