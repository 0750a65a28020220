"""``python -m subscriber_lambda report``: the reach report, made from the store's
aggregate counters (``core.reach``) and today's subscribers; and the helpers every
sending command records those counters with. docs/reach.md defines each figure; the JSON
shape is the officers' dashboard's contract.
"""

from __future__ import annotations

import csv
import json
import logging
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, TextIO

from .core.reach import (
    BOUNCED_HARD,
    BOUNCED_SOFT,
    CLICKS,
    COMPLAINTS,
    CONFIRMATIONS,
    DEFERRED,
    DELIVERED,
    FAILED,
    JOINED,
    LEFT,
    OPENS,
    POSTS,
    RECIPIENTS,
    REPORTED,
    SEGMENTS,
    SENT,
    SIGN_UPS,
    SUBSCRIPTIONS,
    UNSUBSCRIBES,
    WITHIN,
    Tally,
    day_of,
    reached,
)
from .ports import EMAIL, SOCIAL, TEXT, Store, Subscriber

logger = logging.getLogger(__name__)


# --- recording, as deliveries happen ---------------------------------------------------


def count(
    store: Store,
    subject: str,
    channel: str,
    now: datetime,
    counts: Mapping[str, int],
    sent: bool = False,
) -> None:
    """Add ``counts`` to the subject's counters of the day it is at ``now`` (London);
    ``sent`` when a message of it was sent at ``now``. Called after the ledger is marked,
    so that a store that fails here never makes a message go twice."""
    store.count(subject, channel, day_of(now), counts, now if sent else None)


def count_sent(
    store: Store,
    item_id: str,
    channel: str,
    now: datetime,
    revised: str | None = None,
    segments: int = 0,
) -> None:
    """One recipient reached (the provider took the message) at ``now``: with the time of
    the item's revision being sent (ISO 8601: its publication, or an update's Modified), how
    soon; for a text, the segments it cost."""
    counts = {RECIPIENTS: 1, SENT: 1, **reached(parse(revised), now)}
    if segments:
        counts[SEGMENTS] = segments
    count(store, item_id, channel, now, counts, sent=True)


def parse(moment: str | None) -> datetime | None:
    return datetime.fromisoformat(moment) if moment else None


def count_change(store: Store, now: datetime, *counters: str) -> None:
    """Subscription counters (sign-ups, confirmations, joined, left): one each."""
    count(store, SUBSCRIPTIONS, EMAIL, now, dict.fromkeys(counters, 1))


def stop_texts(store: Store, email_hash: str, now: datetime) -> bool:
    """Stop texts to a subscriber (their stop link, or STOP to the text provider), counted
    as an unsubscribe from the last text they were sent. A text's stop link carries no
    item, to keep texts short (ADR 21), so the ledger says which text it was, read before
    ``remove_phone`` deletes the subscriber's text rows. False if they had no number."""
    texts = (e for e in store.deliveries_of(email_hash) if e.channel == TEXT)
    last = next((e.item_id for e in texts if e.state == "sent"), None)
    removed = store.remove_phone(email_hash)
    if removed and last:
        count(store, last, TEXT, now, {UNSUBSCRIBES: 1})
    return removed


# --- the report -----------------------------------------------------------------------


@dataclass
class Totals:
    """One subject and channel's counters over the days reported, with its sent times."""

    counts: Counter[str]
    first_sent: datetime | None = None
    last_sent: datetime | None = None

    def add(self, tally: Tally) -> None:
        self.counts.update(tally.counts)
        if tally.first_sent and (self.first_sent is None or tally.first_sent < self.first_sent):
            self.first_sent = tally.first_sent
        if tally.last_sent and (self.last_sent is None or tally.last_sent > self.last_sent):
            self.last_sent = tally.last_sent


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def item_row(
    item_id: str,
    channel: str,
    totals: Totals,
    item: Mapping[str, Any] | None,
    reported: set[str],
) -> dict[str, Any]:
    """One item on one channel, in the report's JSON shape."""
    counts = totals.counts
    version = item["versions"][0] if item else {}
    published = item.get("published") if item else None
    recipients = counts[RECIPIENTS]
    measured = channel in (EMAIL, TEXT) and published is not None

    def if_reported(name: str) -> int | None:
        """Emails only, and only once the provider has reported any (docs/reach.md)."""
        return counts[name] if channel == EMAIL and name in reported else None

    return {
        "id": item_id,
        "url": version.get("url"),
        "title": version.get("title"),
        "type": item["type"] if item else item_id.partition("/")[0],
        "published": published,
        "channel": channel,
        "recipients": recipients,
        "sent": counts[SENT],
        "delivered": if_reported(DELIVERED),
        "deferred": counts[DEFERRED],
        "bounced": counts[BOUNCED_HARD] + counts[BOUNCED_SOFT],
        "bounced_hard": counts[BOUNCED_HARD],
        "bounced_soft": counts[BOUNCED_SOFT],
        "failed": counts[FAILED],
        "complaints": counts[COMPLAINTS],
        "unsubscribes": counts[UNSUBSCRIBES],
        "segments": counts[SEGMENTS] if channel == TEXT else None,
        "posts": counts[POSTS] if channel == SOCIAL else None,
        "opens": if_reported(OPENS),
        "clicks": if_reported(CLICKS),
        "first_sent": iso(totals.first_sent),
        "last_sent": iso(totals.last_sent),
        **{name: share(counts[name], recipients) if measured else None for name in WITHIN},
    }


DAY_COUNTERS = (RECIPIENTS, SENT, DEFERRED, "bounced", COMPLAINTS, UNSUBSCRIBES)


def subscriber_figures(
    subscribers: Iterable[Subscriber], suppressed: int, growth: Mapping[str, Counter[str]]
) -> dict[str, Any]:
    """Today's totals (from every confirmed subscriber, streamed) and the counters."""
    total = 0
    by: dict[str, Counter[str]] = defaultdict(Counter)
    for subscriber in subscribers:
        total += 1
        chosen = subscriber.preferences
        by["topic"].update(chosen.topics | subscriber.topics_by(TEXT))
        by["ward"].update(chosen.wards)
        by["language"][chosen.lang] += 1
        by["frequency"][chosen.frequency] += 1
        by["channel"][EMAIL] += 1
        by["channel"][TEXT] += subscriber.confirmed_since(TEXT) is not None
    made = Counter[str]()
    for counts in growth.values():
        made.update(counts)
    return {
        "total": total,
        **{f"by_{name}": dict(sorted(by[name].items())) for name in ("topic", "ward", "language")},
        "by_channel": {EMAIL: by["channel"][EMAIL], TEXT: by["channel"][TEXT]},
        "by_frequency": dict(sorted(by["frequency"].items())),
        "suppressed": suppressed,
        "sign_ups": made[SIGN_UPS],
        "confirmations": made[CONFIRMATIONS],
        "confirmation_rate": share(made[CONFIRMATIONS], made[SIGN_UPS]),
        "growth": [
            {"date": day, "joined": counts[JOINED], "left": counts[LEFT]}
            for day, counts in sorted(growth.items())
            if counts[JOINED] or counts[LEFT]
        ],
    }


def build_report(
    council: str,
    generated: datetime,
    since: date | None,
    tallies: Iterable[Tally],
    items: Iterable[Mapping[str, Any]],
    subscribers: Iterable[Subscriber],
    suppressed: int,
) -> dict[str, Any]:
    """The report (its JSON shape is the dashboard's contract: docs/reach.md)."""
    by_id = {item["id"]: item for item in items}
    per_item: dict[tuple[str, str], Totals] = {}
    per_day: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    growth: dict[str, Counter[str]] = defaultdict(Counter)
    reported: set[str] = set()
    for tally in tallies:
        if since and tally.day < since:
            continue
        if tally.subject == SUBSCRIPTIONS:
            growth[tally.day.isoformat()].update(tally.counts)
            continue
        per_item.setdefault((tally.subject, tally.channel), Totals(Counter())).add(tally)
        day = per_day[(tally.day.isoformat(), tally.channel)]
        day.update(tally.counts)
        day["bounced"] += tally.counts.get(BOUNCED_HARD, 0) + tally.counts.get(BOUNCED_SOFT, 0)
        reported |= {name for name in REPORTED if tally.counts.get(name)}
    return {
        "council": council,
        "generated": generated.isoformat(),
        "since": since.isoformat() if since else None,
        "items": [
            item_row(item_id, channel, totals, by_id.get(item_id), reported)
            for (item_id, channel), totals in sorted(per_item.items(), key=item_order)
        ],
        "days": [
            {"date": day, "channel": channel, **{name: counts[name] for name in DAY_COUNTERS}}
            for (day, channel), counts in sorted(per_day.items())
        ],
        "subscribers": subscriber_figures(subscribers, suppressed, growth),
    }


CHANNELS = (EMAIL, TEXT, SOCIAL)


def item_order(entry: tuple[tuple[str, str], Totals]) -> tuple[str, int]:
    """By item id; an item's channels in the order email, text, social."""
    (item_id, channel), _ = entry
    return (item_id, CHANNELS.index(channel) if channel in CHANNELS else len(CHANNELS))


# --- output -----------------------------------------------------------------------------

ITEM_COLUMNS = (
    "id", "channel", "type", "title", "url", "published", "recipients", "sent", "delivered",
    "deferred", "bounced", "bounced_hard", "bounced_soft", "failed", "complaints", "unsubscribes",
    "segments", "posts", "opens", "clicks", "first_sent", "last_sent", "within_1m",
    "within_5m", "within_15m",
)  # fmt: skip
DAY_COLUMNS = ("date", "channel", *DAY_COUNTERS)


def subscriber_rows(figures: Mapping[str, Any]) -> list[tuple[str, str, Any]]:
    """The subscriber figures as (figure, key, value) rows: one table for CSV and screen."""
    rows: list[tuple[str, str, Any]] = [("total", "", figures["total"])]
    for name in ("by_topic", "by_ward", "by_language", "by_channel", "by_frequency"):
        rows += [(name, key, value) for key, value in figures[name].items()]
    rows += [
        (name, "", figures[name])
        for name in ("suppressed", "sign_ups", "confirmations", "confirmation_rate")
    ]
    for row in figures["growth"]:
        rows += [("joined", row["date"], row["joined"]), ("left", row["date"], row["left"])]
    return rows


def write_csv(report: Mapping[str, Any], folder: Path) -> list[Path]:
    """items.csv, days.csv and subscribers.csv (empty cells for nulls)."""
    folder.mkdir(parents=True, exist_ok=True)
    tables: dict[str, tuple[tuple[str, ...], list[Any]]] = {
        "items.csv": (ITEM_COLUMNS, [[row[c] for c in ITEM_COLUMNS] for row in report["items"]]),
        "days.csv": (DAY_COLUMNS, [[row[c] for c in DAY_COLUMNS] for row in report["days"]]),
        "subscribers.csv": (("figure", "key", "value"), subscriber_rows(report["subscribers"])),
    }
    written = []
    for name, (columns, rows) in tables.items():
        path = folder / name
        # With a byte order mark, so that Excel reads Welsh and Polish titles as UTF-8.
        with path.open("w", newline="", encoding="utf-8-sig") as file:
            writer = csv.writer(file)
            writer.writerow(columns)
            writer.writerows([[cell(value) for value in row] for row in rows])
        written.append(path)
    return written


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> Any:
    """A CSV cell: empty for null, and text a spreadsheet would run as a formula (a title
    beginning with "=") kept as text by a leading apostrophe."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_json(report: Mapping[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def summary(report: Mapping[str, Any]) -> str:
    """The one line the command prints when its output is not a terminal."""
    items = report["items"]
    figures = report["subscribers"]
    sent = sum(row["sent"] for row in items if row["channel"] != SOCIAL)
    return (
        f"report: {len({row['id'] for row in items})} items, {sent} messages sent, "
        f"{sum(row['bounced'] for row in items)} bounced, "
        f"{sum(row['complaints'] for row in items)} complaints, "
        f"{sum(row['unsubscribes'] for row in items)} unsubscribes; "
        f"{figures['total']} subscribers, {figures['suppressed']} suppressed"
    )


SCREEN_ITEMS = (
    "id", "channel", "recipients", "sent", "delivered", "deferred", "bounced", "complaints",
    "unsubscribes", "within_5m",
)  # fmt: skip


def shown(value: Any) -> str:
    """A figure on screen: a share as a percentage, null as a dash."""
    if value is None:
        return "-"
    return f"{value:.0%}" if isinstance(value, float) else str(value)


def table(columns: Iterable[str], rows: Iterable[Iterable[Any]]) -> str:
    """A plain text table, numbers right-aligned."""
    header = list(columns)
    cells = [[shown(value) for value in row] for row in rows]
    widths = [max(len(str(c)) for c in column) for column in zip(header, *cells, strict=False)]
    lines = [header, ["-" * w for w in widths], *cells]
    return "\n".join(
        "  ".join(
            cell.rjust(width) if cell[:1].isdigit() or cell == "-" else cell.ljust(width)
            for cell, width in zip(line, widths, strict=True)
        ).rstrip()
        for line in lines
    )


def print_tables(report: Mapping[str, Any], out: TextIO) -> None:
    """The report as readable tables, for a terminal."""
    since = f" since {report['since']}" if report["since"] else ""
    out.write(f"Reach for {report['council']}{since} (made {report['generated']})\n\n")
    out.write(
        "Items\n" + table(SCREEN_ITEMS, ([r[c] for c in SCREEN_ITEMS] for r in report["items"]))
    )
    out.write(
        "\n\nDays\n" + table(DAY_COLUMNS, ([r[c] for c in DAY_COLUMNS] for r in report["days"]))
    )
    rows = subscriber_rows(report["subscribers"])
    out.write("\n\nSubscribers\n" + table(("figure", "key", "value"), rows) + "\n")
