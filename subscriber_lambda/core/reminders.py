"""Bin-day reminders: which of a household's collections fall on a day, read from the
rounds the site publishes (``api/v1/rounds/{round}.json``: each round's collections for
the next twelve months, bin changes already folded in). The backend never works out a
schedule itself: the site's build is the one place that knows weekdays, fortnights and
bank holidays (ADR 23).

Pure: the postcode's rounds and the rounds' published collections in, the day's
collections out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

REMINDER_TYPE = "bin-days"  # the ledger's item ids: ``bin-days/2026-12-26``
REVISION = "evening-before"  # every reminder has one revision: the ledger's key needs one
# The order bins are named in (the order residents put them out); others after, by name.
SERVICE_ORDER = ("refuse", "recycling", "food", "garden")

Schedule = Mapping[str, Any]  # a round's published JSON


def reminder_id(day: date) -> str:
    """The ledger's item id of the reminders for the collections of ``day``."""
    return f"{REMINDER_TYPE}/{day.isoformat()}"


@dataclass(frozen=True, order=True)
class Collection:
    """One service collected from a household on a day; ``usual`` is the day it would have
    been without a bin change (the same day when ``changed`` is False)."""

    service: str
    round: str
    day: date
    usual: date
    changed: bool = False
    reason: str = ""
    change: str = ""  # the bin change that moved it (its path: ``bin-changes/SLUG``)


def service_order(service: str) -> tuple[int, str]:
    known = SERVICE_ORDER.index(service) if service in SERVICE_ORDER else len(SERVICE_ORDER)
    return known, service


def collections_on(
    rounds: Mapping[str, str], schedule_of: Callable[[str], Schedule | None], day: date
) -> list[Collection]:
    """The household's collections on ``day``: for each service, from its own round
    (``rounds``: service -> round slug, as the postcode file gives them), only if that
    round collects that service that day. ``schedule_of`` gives a round's published JSON
    (None if the site has no such round). In ``SERVICE_ORDER``."""
    wanted = day.isoformat()
    found = []
    for service, slug in rounds.items():
        schedule = schedule_of(slug)
        for entry in (schedule or {}).get("collections", []):
            if entry.get("date") != wanted or entry.get("service") != service:
                continue
            found.append(
                Collection(
                    service=service,
                    round=slug,
                    day=day,
                    usual=date.fromisoformat(entry.get("usual_date") or wanted),
                    changed=bool(entry.get("changed")),
                    reason=str(entry.get("reason") or ""),
                    change=str(entry.get("bin_change") or ""),
                )
            )
    return sorted(found, key=lambda c: service_order(c.service))


def covered_span(schedule: Schedule | None) -> tuple[date, date] | None:
    """The days a round's published collections cover (its ``from`` and ``until``), if it
    says."""
    try:
        return (
            date.fromisoformat(str((schedule or {})["from"])),
            date.fromisoformat(str((schedule or {})["until"])),
        )
    except (KeyError, ValueError):
        return None


def single_round(rounds: Mapping[str, str]) -> str | None:
    """The household's one round, when every service comes from it; else None."""
    slugs = set(rounds.values())
    return next(iter(slugs)) if len(slugs) == 1 else None
