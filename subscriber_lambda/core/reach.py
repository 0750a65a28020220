"""Reach: aggregate counters of what became of each item's messages, and of subscriptions,
and the report made from them (docs/reach.md defines every figure; ADR 25 says why).

Counters are added as deliveries happen, per subject (an item id such as ``alerts/flood``
or ``bin-days/2026-11-29``, or ``SUBSCRIPTIONS``), channel and London day. They are never
derived from the ledger: its rows go when a resident unsubscribes or is erased, and the
figures must not. Nothing here is about a person: no address, hash or ledger row.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")
# The subject of the subscription counters (an item id always has a "/": no clash).
SUBSCRIPTIONS = "subscriptions"

# Item counters (docs/reach.md).
RECIPIENTS, SENT, DELIVERED, DEFERRED, FAILED = (
    "recipients",
    "sent",
    "delivered",
    "deferred",
    "failed",
)
BOUNCED_HARD, BOUNCED_SOFT, COMPLAINTS = "bounced_hard", "bounced_soft", "complaints"
UNSUBSCRIBES, SEGMENTS, POSTS, OPENS, CLICKS = (
    "unsubscribes",
    "segments",
    "posts",
    "opens",
    "clicks",
)
# Subscription counters.
SIGN_UPS, CONFIRMATIONS, JOINED, LEFT = "sign_ups", "confirmations", "joined", "left"

# Recipients reached within these times of the item's publication.
WITHIN = {
    "within_1m": timedelta(minutes=1),
    "within_5m": timedelta(minutes=5),
    "within_15m": timedelta(minutes=15),
}

# What each SES event (its eventType, and a bounce's bounceType) adds to its item's email
# counters. DeliveryDelay is SES's own deferral; a Transient bounce is one it gave up on.
SES_EVENTS = {
    "Delivery": DELIVERED,
    "DeliveryDelay": DEFERRED,
    "Complaint": COMPLAINTS,
    "Open": OPENS,
    "Click": CLICKS,
    "Bounce/Permanent": BOUNCED_HARD,
    "Bounce/Transient": BOUNCED_SOFT,
}


@dataclass(frozen=True)
class Tally:
    """One subject's counters on one channel on one day, with the first and last time a
    message of it was sent that day (None when none was: a day of events only)."""

    subject: str  # an item id, or SUBSCRIPTIONS
    channel: str  # email, text, social
    day: date  # London
    counts: Mapping[str, int] = field(default_factory=dict)
    first_sent: datetime | None = None
    last_sent: datetime | None = None


# Counters shown only where the provider reports them (null until one has been counted).
REPORTED = (DELIVERED, OPENS, CLICKS)


def day_of(moment: datetime) -> date:
    """The council's day (London) of an aware time: the day a counter is added to."""
    return moment.astimezone(LONDON).date()


def reached(published: datetime | None, now: datetime) -> dict[str, int]:
    """The time-to-reach counters one recipient reached at ``now`` adds (none without a
    publication time: reminders and digests are not measured against one)."""
    if published is None:
        return {}
    late = now - published
    return {name: 1 for name, limit in WITHIN.items() if late <= limit}


def item_tag(item_id: str) -> str:
    """An item id as an SES message tag may hold it (letters, digits, ``_`` and ``-``)."""
    return "".join(c if c.isascii() and (c.isalnum() or c in "_-") else "_" for c in item_id)


def item_of_tag(tag: str) -> str:
    """The item id of an SES tag: the first ``_`` was the ``/`` after the type (a type's
    name has none). Reminders' ``bin-days/DAY`` and every item id round-trip."""
    kind, _, rest = tag.partition("_")
    return f"{kind}/{rest}" if rest else tag


def ses_counter(message: Mapping[str, Any]) -> str | None:
    """The counter an SES event notification adds to, or None for events not counted."""
    kind = str(message.get("eventType") or message.get("notificationType") or "")
    if kind == "Bounce":
        kind += "/" + str(message.get("bounce", {}).get("bounceType", ""))
    return SES_EVENTS.get(kind)
