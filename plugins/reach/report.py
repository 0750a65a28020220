"""The reach report (``python -m subscriber_lambda report --json FILE``) read and checked.

The file is the backend's, made elsewhere and perhaps by hand or by an older version: each
field is checked for its kind before the page uses it, so that a wrong file stops the
build with what is wrong and where, never with a template's traceback or a page of zeros.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from math import inf
from pathlib import Path
from typing import Any

COUNT = "a whole number"
SHARE = "a share from 0 to 1"
RATE = "a number of 0 or more"
TEXT = "text"
CHANNEL = "email, text or social"
WEB_ADDRESS = "a web address (https://...)"
MOMENT = "an ISO 8601 date and time with its offset"
DAY = "a date (YYYY-MM-DD)"
OPTIONAL = " or null"

ITEM_FIELDS = {
    "id": TEXT,
    "url": WEB_ADDRESS + OPTIONAL,
    "title": TEXT + OPTIONAL,
    "type": TEXT,
    "published": MOMENT + OPTIONAL,
    "channel": CHANNEL,
    "recipients": COUNT,
    "sent": COUNT,
    "delivered": COUNT + OPTIONAL,
    "deferred": COUNT,
    "bounced": COUNT,
    "bounced_hard": COUNT,
    "bounced_soft": COUNT,
    "failed": COUNT,
    "complaints": COUNT,
    "unsubscribes": COUNT,
    "segments": COUNT + OPTIONAL,
    "posts": COUNT + OPTIONAL,
    "opens": COUNT + OPTIONAL,
    "clicks": COUNT + OPTIONAL,
    "first_sent": MOMENT + OPTIONAL,
    "last_sent": MOMENT + OPTIONAL,
    "within_1m": SHARE + OPTIONAL,
    "within_5m": SHARE + OPTIONAL,
    "within_15m": SHARE + OPTIONAL,
}
DAY_FIELDS = {
    "date": DAY,
    "channel": CHANNEL,
    **{name: COUNT for name in ("recipients", "sent", "deferred", "bounced")},
    **{name: COUNT for name in ("complaints", "unsubscribes")},
}
COUNTS = "counts"  # an object of whole numbers by name
SUBSCRIBER_FIELDS = {
    "total": COUNT,
    **{f"by_{name}": COUNTS for name in ("topic", "ward", "language", "channel", "frequency")},
    "suppressed": COUNT,
    "sign_ups": COUNT,
    "confirmations": COUNT,
    # Over 1 when a period's confirmations include sign-ups from before it (docs/reach.md).
    "confirmation_rate": RATE + OPTIONAL,
}
GROWTH_FIELDS = {"date": DAY, "joined": COUNT, "left": COUNT}
REPORT_FIELDS = {"council": TEXT, "generated": MOMENT, "since": DAY + OPTIONAL}
MOST_SHOWN = 10  # problems listed; the rest counted


class ReachFileError(SystemExit):
    """The reach file is missing or wrong; exits non-zero with where and what."""


def fits(value: Any, kind: str) -> bool:
    """Whether ``value`` is of ``kind`` (one of the kinds above, perhaps ``OPTIONAL``)."""
    if value is None:
        return kind.endswith(OPTIONAL)
    kind = kind.removesuffix(OPTIONAL)
    if isinstance(value, bool):
        return False  # JSON's true is not a count
    if kind == COUNT:
        return isinstance(value, int) and value >= 0
    if kind in (SHARE, RATE):
        return isinstance(value, int | float) and 0 <= value <= (1 if kind == SHARE else inf)
    if kind == COUNTS:
        return isinstance(value, dict) and all(fits(v, COUNT) for v in value.values())
    if not isinstance(value, str):
        return False
    if kind == CHANNEL:
        return value in ("email", "text", "social")
    if kind == WEB_ADDRESS:  # links on the page: never a script's address
        return value.startswith(("https://", "http://"))
    try:
        if kind == MOMENT:
            return datetime.fromisoformat(value).tzinfo is not None
        elif kind == DAY:
            date.fromisoformat(value)
    except ValueError:
        return False
    return True


def field_problems(record: Any, fields: Mapping[str, str], where: str) -> list[str]:
    if not isinstance(record, dict):
        return [f"{where}: should be an object"]
    return [
        f"{where}.{name}: " + ("missing" if name not in record else f"should be {kind}")
        for name, kind in fields.items()
        if name not in record or not fits(record[name], kind)
    ]


def list_problems(data: Mapping[str, Any], name: str, fields: Mapping[str, str]) -> list[str]:
    records = data.get(name)
    if not isinstance(records, list):
        return [f"{name}: should be a list"]
    return [
        p
        for i, record in enumerate(records)
        for p in field_problems(record, fields, f"{name}[{i}]")
    ]


def report_problems(data: Any) -> list[str]:
    """Everything wrong with a report's shape, each as ``where: what``."""
    if not isinstance(data, dict):
        return ["should be an object with council, generated, items, days and subscribers"]
    problems = field_problems(data, REPORT_FIELDS, "report")
    problems += list_problems(data, "items", ITEM_FIELDS)
    problems += list_problems(data, "days", DAY_FIELDS)
    subscribers = data.get("subscribers")
    problems += field_problems(subscribers, SUBSCRIBER_FIELDS, "subscribers")
    if isinstance(subscribers, dict):
        problems += [
            f"subscribers.{p}" for p in list_problems(subscribers, "growth", GROWTH_FIELDS)
        ]
    return [p.removeprefix("report.") for p in problems]


@dataclass(frozen=True)
class ItemReach:
    """One item's figures on one channel; None where the channel does not measure it."""

    id: str
    url: str | None
    title: str | None
    type: str
    published: datetime | None
    channel: str
    recipients: int
    sent: int
    delivered: int | None
    deferred: int
    bounced: int
    bounced_hard: int
    bounced_soft: int
    failed: int  # given up after its retries
    complaints: int
    unsubscribes: int
    segments: int | None
    posts: int | None
    opens: int | None
    clicks: int | None
    first_sent: datetime | None
    last_sent: datetime | None
    within_1m: float | None
    within_5m: float | None
    within_15m: float | None


@dataclass(frozen=True)
class DayReach:
    date: date
    channel: str
    recipients: int
    sent: int
    deferred: int
    bounced: int
    complaints: int
    unsubscribes: int


@dataclass(frozen=True)
class Growth:
    date: date
    joined: int
    left: int


@dataclass(frozen=True)
class Subscribers:
    total: int
    by_topic: Mapping[str, int]
    by_ward: Mapping[str, int]
    by_language: Mapping[str, int]
    by_channel: Mapping[str, int]
    by_frequency: Mapping[str, int]
    suppressed: int
    sign_ups: int
    confirmations: int
    confirmation_rate: float | None
    growth: Sequence[Growth]


@dataclass(frozen=True)
class Reach:
    """A checked report."""

    council: str
    generated: datetime
    since: date | None
    items: Sequence[ItemReach]
    days: Sequence[DayReach]
    subscribers: Subscribers


def parsed(record: Mapping[str, Any], fields: Mapping[str, str]) -> dict[str, Any]:
    """A checked record's fields, dates and times as Python's (unknown fields dropped)."""
    values = {}
    for name, kind in fields.items():
        value = record[name]
        if value is not None and kind.startswith(MOMENT):
            value = datetime.fromisoformat(value)
        elif value is not None and kind.startswith(DAY):
            value = date.fromisoformat(value)
        values[name] = value
    return values


def reach_from(data: Mapping[str, Any]) -> Reach:
    """A report already checked by ``report_problems``."""
    subscribers = data["subscribers"]
    return Reach(
        **parsed(data, REPORT_FIELDS),
        items=[ItemReach(**parsed(r, ITEM_FIELDS)) for r in data["items"]],
        days=sorted(
            (DayReach(**parsed(r, DAY_FIELDS)) for r in data["days"]),
            key=lambda d: (d.date, d.channel),
        ),
        subscribers=Subscribers(
            **parsed(subscribers, SUBSCRIBER_FIELDS),
            growth=sorted(
                (Growth(**parsed(r, GROWTH_FIELDS)) for r in subscribers["growth"]),
                key=lambda g: g.date,
            ),
        ),
    )


def load_reach(path: Path, shown: str) -> Reach:
    """The report in ``path`` (named ``shown`` in problems), or ``ReachFileError``."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ReachFileError(f"{shown}: REACH_FILE: no such file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ReachFileError(f"{shown}: REACH_FILE: cannot be read: {error}") from None
    except json.JSONDecodeError as error:
        raise ReachFileError(f"{shown}: REACH_FILE: not JSON: {error}") from None
    problems = report_problems(data)
    if problems:
        more = len(problems) - MOST_SHOWN
        lines = [f"{shown}: {p}" for p in problems[:MOST_SHOWN]]
        if more > 0:
            lines.append(f"{shown}: and {more} more problems")
        lines.append(
            f"{shown}: not a reach report as `python -m subscriber_lambda report --json` writes"
        )
        raise ReachFileError("\n".join(lines))
    return reach_from(data)
