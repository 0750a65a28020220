"""Public consultations (``content/consultations/``): open from Opens to the end of Closes,
then closed, then decided once the council publishes its Outcome; a calendar of closing
dates."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from ..items import Item
from ..schema import COMMON_FIELDS, Calendar, CalendarEvent, ContentType, Field, Rule
from .words import N_, today

FIELDS: tuple[Field, ...] = (
    Field(
        "Opens",
        "date",
        required=True,
        shared=True,
        help="The first day residents can respond.",
        example="2026-12-01",
    ),
    Field(
        "Closes",
        "date",
        required=True,
        shared=True,
        help="The last day for responses.",
        example="2027-01-26",
    ),
    Field(
        "Respond-To",
        "contact",
        required=True,
        help="Where responses go: an email address, a web address or a postal address.",
        example="https://www.example.org/consultations/parking",
    ),
    Field(
        "Outcome",
        "text",
        help="What the council decided, added after the consultation closes.",
    ),
)
STATUSES = ("upcoming", "open", "closed", "decided")


def rules(values: Mapping[str, Any]) -> Iterable[Rule]:
    opens: date | None = values.get("opens")
    closes: date | None = values.get("closes")
    if opens and closes and closes < opens:
        yield "Closes", f"is before Opens ({opens.isoformat()}); give the last day for responses"


def status(item: Item, now: datetime, successor: Item | None) -> str:
    """One of STATUSES: the Outcome shows only once the consultation has closed."""
    day, values = today(now), item.values
    if day < values["opens"]:
        return "upcoming"
    if day <= values["closes"]:
        return "open"
    return "decided" if values.get("outcome") else "closed"


def withheld(item: Item, item_status: str) -> frozenset[str]:
    """An Outcome written early stays unpublished (page, API, emails) until it closes."""
    return frozenset() if item_status == "decided" else frozenset({"outcome"})


def closing_soonest_first(item: Item) -> date:
    closes: date = item.values["closes"]
    return closes


def events(item: Item) -> list[CalendarEvent]:
    values = item.values
    return [
        CalendarEvent(
            key="closes",
            start=values["closes"],
            end=None,
            summary=f"Consultation closes: {values['title']}",
            description=f"{values['summary']}\n\nRespond to: {values['respond_to']}",
        )
    ]


TYPE = ContentType(
    folder="consultations",
    label=N_("Consultations"),
    singular=N_("Consultation"),
    fields=COMMON_FIELDS + FIELDS,
    template="consultation",
    intro=N_("Have your say on the council's plans and proposals: open ones first."),
    nav_label=N_("Consultations"),
    current_heading=N_("Consultations you can respond to"),
    none_current=N_("No consultations are open or about to open."),
    calendar=Calendar(
        N_("consultations' closing dates"),
        N_("The last day to respond to each consultation."),
        per_item=True,
        item_title=N_("closing date of {title}"),
        item_description=N_("The last day to respond to this consultation."),
    ),
    statuses=STATUSES,
    current_statuses=frozenset({"upcoming", "open"}),
    status=status,
    changes_notified=frozenset({"upcoming", "open", "decided"}),
    current_order=closing_soonest_first,
    past_order=closing_soonest_first,
    rules=rules,
    events=events,
    withheld=withheld,
)
