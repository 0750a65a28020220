"""Statutory notices (``content/notices/``): references unique across notices, open for
comments until Respond-By, documents, an archive by year and a calendar of last days."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from ..items import Item, Problem
from ..london_time import LONDON
from ..schema import COMMON_FIELDS, REFERENCE_MAX, Calendar, CalendarEvent, ContentType, Field, Rule
from .words import N_, shown, today

NOTICE_TYPES = {
    "environmental-protection": N_("Environmental protection"),
    "licensing": N_("Licensing"),
    "planning": N_("Planning"),
    "traffic-regulation-order": N_("Traffic regulation order"),
    "public-spaces-protection-order": N_("Public spaces protection order"),
    "highways": N_("Highways"),
    "elections": N_("Elections"),
    "council-tax": N_("Council Tax"),
    "housing": N_("Housing"),
    "other": N_("Other"),
}

FIELDS: tuple[Field, ...] = (
    Field(
        "Notice-Type",
        "choice",
        shared=True,
        category=True,
        required=True,
        choices=tuple(NOTICE_TYPES),
        labels=tuple(NOTICE_TYPES.items()),
        help="Which kind of statutory notice.",
    ),
    Field(
        "Reference",
        "text",
        shared=True,
        required=True,
        help=f"The council's reference, unique across notices (at most {REFERENCE_MAX} "
        "characters).",
        example="TRO/2026/041",
    ),
    Field(
        "Legislation",
        "text",
        required=True,
        help="Act and section, plain text.",
        example="Road Traffic Regulation Act 1984, section 14",
    ),
    Field(
        "Effective", "date", shared=True, help="Date the notice takes effect.", example="2026-12-07"
    ),
    Field(
        "Respond-By",
        "date",
        shared=True,
        help="Last date for representations or objections.",
        example="2026-12-19",
    ),
    Field(
        "Respond-To",
        "contact",
        help="Where responses go: an email address, a web address or a postal address.",
        example="licensing@example.org",
    ),
    Field("Location", "text", help="Address or place description."),
    Field(
        "Documents",
        "documents",
        help="File names under content/notices/documents/, separated by commas.",
        example="tro-2026-041-plan.pdf",
    ),
)


def rules(values: Mapping[str, Any]) -> Iterable[Rule]:
    published: datetime | None = values.get("date")
    respond_by: date | None = values.get("respond_by")
    reference: str = values.get("reference", "")
    if len(reference) > REFERENCE_MAX:
        yield "Reference", f"is longer than {REFERENCE_MAX} characters"
    if published and respond_by and respond_by < published.astimezone(LONDON).date():
        yield "Respond-By", f"is before Date ({shown(published)}); residents need time to respond"
    if respond_by and not values.get("respond_to"):
        yield (
            "Respond-To",
            "is needed with Respond-By: say where responses go (an email address, a web "
            "address or a postal address)",
        )


def site_rules(items: Sequence[Item], default_lang: str) -> Iterable[Problem]:
    """References are unique across notices."""
    seen: dict[str, Item] = {}
    for item in items:
        if item.lang != default_lang:
            continue
        reference = item.values["reference"].casefold()
        if reference in seen:
            yield Problem(
                item.path,
                "Reference",
                f"'{item.values['reference']}' is already the reference of {seen[reference].path}; "
                "references must be unique",
            )
        else:
            seen[reference] = item


def status(item: Item, now: datetime, successor: Item | None) -> str:
    """Open for representations until the end of its Respond-By day."""
    respond_by: date | None = item.values.get("respond_by")
    return "open" if respond_by is not None and respond_by >= today(now) else "closed"


def events(item: Item) -> list[CalendarEvent]:
    """The last day for comments, if the notice has one."""
    values = item.values
    if not values.get("respond_by"):
        return []
    where = f"\n\nSend responses to: {values['respond_to']}" if values.get("respond_to") else ""
    return [
        CalendarEvent(
            key="respond-by",
            start=values["respond_by"],
            end=None,
            summary=f"Last day to comment: {values['title']} ({values['reference']})",
            description=values["summary"] + where,
        )
    ]


def json_ld(record: dict[str, Any], council: str) -> dict[str, Any]:
    """schema.org for a statutory notice's page, from its API record: only properties
    schema.org defines for each type used (tests check it with the schema-dts types)."""
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "CreativeWork",
        "@id": record["url"],
        "url": record["url"],
        "name": record["title"],
        "description": record["summary"],
        "identifier": record["reference"],
        "genre": record["notice_type"],
        "inLanguage": record["lang"],
        "datePublished": record["published"],
        "dateModified": record["modified"] or record["published"],
        "publisher": {"@type": "GovernmentOrganization", "name": council},
        "isBasedOn": {"@type": "Legislation", "name": record["legislation"]},
        "creativeWorkStatus": record["status"],
    }
    if record["effective"]:  # in force from that date, open-ended (ISO 8601 interval)
        data["temporalCoverage"] = f"{record['effective']}/.."
    if record["respond_by"]:
        data["potentialAction"] = {
            "@type": "CommentAction",
            "name": "Send comments or objections",
            "endTime": record["respond_by"],
        }
    if record["location"]:
        data["spatialCoverage"] = {"@type": "Place", "name": record["location"]}
    if record["documents"]:
        data["associatedMedia"] = [
            {"@type": "MediaObject", "name": d["name"], "contentUrl": d["url"]}
            for d in record["documents"]
        ]
    return data


TYPE = ContentType(
    folder="notices",
    label=N_("Statutory notices"),
    singular=N_("Statutory notice"),
    fields=COMMON_FIELDS + FIELDS,
    template="notice",
    intro=N_("Notices the council must publish by law: those open for comments first."),
    nav_label=N_("Statutory notices"),
    current_heading=N_("Notices open for comments"),
    none_current=N_("No notices are open for comments."),
    # Residents should see every new notice, with or without a time to comment.
    latest_heading=N_("Latest statutory notices"),
    none_latest=N_("No notices have been published."),
    topic_detail="notice-type",
    documents=True,
    archive_by_year=True,
    calendar=Calendar(
        N_("last days to comment on notices"),
        N_("The last day to make representations or objections on each statutory notice."),
        per_item=True,
        item_title=N_("last day to comment on {title}"),
        item_description=N_("The last day to make representations or objections on this notice."),
    ),
    statuses=("open", "closed"),
    current_statuses=frozenset({"open"}),
    status=status,
    rules=rules,
    site_rules=site_rules,
    events=events,
    json_ld=json_ld,
)
