"""A round's iCalendar file: an all-day event for each collection of each service over the
next 12 months, moved collections on their new day saying why; optionally with an alarm
the evening before.

An all-day event is a date, so clock changes never move it, and the alarm (six hours
before the day starts) rings at 6 pm in the household's own time, once an evening: on the
day's first event, naming every bin of the day. Each event's UID is the
round, the service and the usual day, so when a bin change moves a collection, calendar
apps move the event they already have instead of adding another.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

from babel.dates import format_date
from icalendar import Alarm, Event, vText

from plugins.calendars.ics import CalendarInfo, new_calendar
from plugins.content_model.rounds import Collection, Round
from plugins.content_model.types.bin_changes import COLLECTED, SERVICE_NAMES

EVENING_BEFORE = timedelta(hours=-6)  # 6 pm the day before an all-day event
EPOCH = datetime(2020, 1, 1, tzinfo=UTC)


def stamp(moment: object, fallback: date) -> datetime:
    """When an event last changed: its bin change's time, else ``fallback``, the build's
    day (so that the day's rebuilds agree)."""
    if isinstance(moment, datetime):
        return moment.astimezone(UTC)
    return datetime.combine(fallback, time(), tzinfo=UTC)


def collection_event(
    round_: Round, collection: Collection, host: str, page_url: str, today: date
) -> bytes:
    """One collection, serialised once for both calendars (an all-day event with DTSTART
    alone lasts the day, RFC 5545 3.6.1)."""
    service = SERVICE_NAMES[collection.service]
    move = collection.move
    event = Event()
    event.add("uid", f"{round_.slug}-{collection.service}-{collection.usual.isoformat()}@{host}")
    changed = stamp(move.published if move else None, today)
    event.add("dtstamp", changed)
    event.add("dtstart", collection.day)
    event.add("transp", "TRANSPARENT")
    if move:
        # Grows with each change of a moved collection, as RFC 5546 asks of updates.
        event.add("sequence", int((changed - EPOCH).total_seconds() // 60))
        event.add("last-modified", changed)
        usual = format_date(collection.usual, "EEEE d MMMM", locale="en")
        reason = f": {move.reason}" if move.reason else ""
        event.add("summary", vText(f"{service} collection (moved from {usual}{reason})"))
        event.add("description", vText(f"{move.title}. Usually collected on {usual}."))
        event.add("url", move.url)
    else:
        event.add("summary", vText(f"{service} collection"))
        event.add("url", page_url)
    event.add("categories", [service])
    return bytes(event.to_ical())


@lru_cache(maxsize=64)
def evening_alarm(services: tuple[str, ...]) -> bytes:
    """The alarm on the first event of a day: every bin of the day, in one reminder (the
    same few for every round, so made once each)."""
    names = [SERVICE_NAMES[s].lower() for s in sorted(services, key=COLLECTED.index)]
    bins = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", vText(f"Put out your {bins} tonight"))
    alarm.add("trigger", EVENING_BEFORE)
    return bytes(alarm.to_ical())


END_EVENT = b"END:VEVENT\r\n"


def round_calendars(
    round_: Round,
    schedule: Sequence[Collection],
    info: CalendarInfo,
    page_url: str,
    today: date,
) -> tuple[bytes, bytes]:
    """The round's calendar, and the same with an alarm the evening before each collection
    day (``schedule`` is by day)."""
    head = bytes(new_calendar(info).to_ical()).removesuffix(b"END:VCALENDAR\r\n")
    by_day: dict[date, list[str]] = {}
    for collection in schedule:
        by_day.setdefault(collection.day, []).append(collection.service)
    plain, alarmed = [head], [head]
    for collection in schedule:
        event = collection_event(round_, collection, info.host, page_url, today)
        plain.append(event)
        services = by_day[collection.day]
        if services[0] == collection.service:  # the day's first: its alarm
            event = event.removesuffix(END_EVENT) + evening_alarm(tuple(services)) + END_EVENT
        alarmed.append(event)
    end = b"END:VCALENDAR\r\n"
    return b"".join(plain) + end, b"".join(alarmed) + end
