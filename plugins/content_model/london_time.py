"""Dates and times as officers write them: ISO 8601, in Europe/London unless an offset is given.

A local time that does not exist (clocks go forward in March) or happens twice (clocks go
back in October) is refused rather than guessed, because a guessed hour can publish a
notice early or expire an alert an hour late.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")

_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$")

DATETIME_HINT = "write it like 2026-11-28 09:30 (London time) or 2026-11-28T09:30+00:00"
DATE_HINT = "write it like 2026-11-28"


class TimeProblem(ValueError):
    """A date or time that cannot be used, with a message for officers."""


def parse_date(text: str) -> date:
    """Parse ``YYYY-MM-DD`` into a calendar date."""
    if not _DATE_ONLY.match(text):
        raise TimeProblem(f"'{text}' is not a date; {DATE_HINT}")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise TimeProblem(f"'{text}' is not a real date; {DATE_HINT}") from None


def parse_datetime(text: str) -> datetime:
    """Parse an ISO 8601 date or date and time into an aware datetime.

    A date alone means midnight at the start of that day in London.
    """
    if _DATE_ONLY.match(text):
        return london_datetime(datetime.combine(parse_date(text), datetime.min.time()), text)
    if not _DATE_TIME.match(text):
        raise TimeProblem(f"'{text}' is not an ISO 8601 date and time; {DATETIME_HINT}")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise TimeProblem(f"'{text}' is not a real date and time; {DATETIME_HINT}") from None
    if parsed.tzinfo is not None:
        return parsed
    return london_datetime(parsed, text)


def london_datetime(naive: datetime, text: str) -> datetime:
    """Attach Europe/London to a wall-clock time.

    Refuses the times the clock change skips (March) or repeats (October).
    """
    first = naive.replace(tzinfo=LONDON, fold=0)
    second = naive.replace(tzinfo=LONDON, fold=1)
    round_trip = first.astimezone(ZoneInfo("UTC")).astimezone(LONDON)
    if round_trip.replace(tzinfo=None) != naive:
        raise TimeProblem(
            f"'{text}' does not exist in London: the clocks go forward an hour then; "
            "use a time an hour later or earlier"
        )
    if first.utcoffset() != second.utcoffset():
        raise TimeProblem(
            f"'{text}' happens twice in London when the clocks go back; add the offset: "
            f"{_with_offset(first)} (first, BST) or {_with_offset(second)} (second, GMT)"
        )
    return first


def _with_offset(moment: datetime) -> str:
    return moment.isoformat(timespec="minutes")


def end_of_day(day: date) -> datetime:
    """The last moment of a calendar day in London (for 'respond by' style deadlines)."""
    next_midnight = datetime.combine(day + timedelta(days=1), datetime.min.time())
    return next_midnight.replace(tzinfo=LONDON) - timedelta(microseconds=1)
