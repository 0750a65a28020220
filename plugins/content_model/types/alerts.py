"""Emergency alerts (``content/alerts/``): CAP 1.2 fields, chains of updates and
cancellations, the banner while in force, and a CAP message each (the ``cap`` output)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from ..items import Item, Problem
from ..places import Places
from ..schema import ALERT_TITLE_MAX, COMMON_FIELDS, ContentType, Field, Rule
from ..values import did_you_mean, shape_problem
from ..wards import Ward
from .words import N_, shown

# Each event (the Event field's choices, in this order) and its CAP 1.2 <category>.
CAP_CATEGORY = {
    "flooding": "Met",
    "road-closure": "Transport",
    "public-health": "Health",
    "severe-weather": "Met",
    "water-supply": "Infra",
    "power-outage": "Infra",
    "fire": "Fire",
    "pollution": "Env",
    "other": "Other",
}
# What each event is called (CAP's <event>, feeds' categories, the site's labels).
EVENTS = {
    "flooding": N_("Flooding"),
    "road-closure": N_("Road closure"),
    "public-health": N_("Public health"),
    "severe-weather": N_("Severe weather"),
    "water-supply": N_("Water supply"),
    "power-outage": N_("Power outage"),
    "fire": N_("Fire"),
    "pollution": N_("Pollution"),
    "other": N_("Other"),
}
SEVERITIES = {
    "extreme": N_("Extreme"),
    "severe": N_("Severe"),
    "moderate": N_("Moderate"),
    "minor": N_("Minor"),
}
SEVERITY_ORDER = {severity: rank for rank, severity in enumerate(SEVERITIES)}
STATUSES = ("active", "expired", "updated", "cancelled", "cancellation")

FIELDS: tuple[Field, ...] = (
    Field(
        "Event",
        "choice",
        shared=True,
        category=True,
        required=True,
        choices=tuple(CAP_CATEGORY),
        labels=tuple(EVENTS.items()),
        help="What kind of hazard.",
    ),
    Field(
        "Severity",
        "choice",
        shared=True,
        category=True,
        required=True,
        choices=tuple(SEVERITIES),
        labels=tuple(SEVERITIES.items()),
        help="CAP 1.2 severity.",
    ),
    Field(
        "Urgency",
        "choice",
        shared=True,
        default="expected",
        choices=("immediate", "expected", "future", "past"),
        help="CAP 1.2 urgency.",
    ),
    Field(
        "Certainty",
        "choice",
        shared=True,
        default="likely",
        choices=("observed", "likely", "possible", "unlikely"),
        help="CAP 1.2 certainty.",
    ),
    Field(
        "Expires",
        "datetime",
        shared=True,
        required=True,
        help="When the alert stops applying; after it the alert leaves the banner.",
        example="2026-11-29 18:00",
    ),
    Field("Onset", "datetime", shared=True, help="When the hazard begins."),
    Field("Instruction", "text", help="What residents should do, plain text."),
    Field("Area", "text", help="A plain description of the area."),
    Field(
        "Polygon",
        "polygon",
        shared=True,
        help="CAP polygon: 'lat,lon lat,lon ...', at least four points, first = last.",
        example="51.27,1.33 51.28,1.35 51.26,1.36 51.27,1.33",
    ),
    Field("Updates", "slug-ref", shared=True, help="Slug of the alert this one updates."),
    Field("Cancels", "slug-ref", shared=True, help="Slug of the alert this one cancels."),
    Field(
        "Exercise",
        "yes-no",
        shared=True,
        default="no",
        choices=("yes", "no"),
        help="'yes' marks a test or exercise; never emailed as real.",
    ),
)


def rules(values: Mapping[str, Any]) -> Iterable[Rule]:
    published: datetime | None = values.get("date")
    expires: datetime | None = values.get("expires")
    onset: datetime | None = values.get("onset")
    title: str = values.get("title", "")
    if len(title) > ALERT_TITLE_MAX:
        yield (
            "Title",
            f"is {len(title)} characters long; alert headlines must be {ALERT_TITLE_MAX} or fewer",
        )
    if title and title == values.get("summary"):
        yield "Summary", "repeats the Title; say in a sentence what is happening and where"
    if published and expires and expires <= published:
        yield "Expires", f"must be after Date ({shown(published)})"
    if onset and expires and onset >= expires:
        yield "Onset", f"must be before Expires ({shown(expires)})"
    if values.get("updates") and values.get("cancels"):
        yield "Cancels", "an alert either updates or cancels another, not both; keep one"


def warnings(values: Mapping[str, Any], wards: Mapping[str, Ward]) -> Iterable[Rule]:
    """Emergency systems place a CAP alert on a map by ONS codes (geocodes) or a polygon;
    a ward with neither reaches them by name only (areaDesc)."""
    if "polygon" in values:
        return
    named = [wards[s] for s in values.get("wards", ()) if s in wards]
    uncoded = [ward.name for ward in named if not ward.gss and not ward.outline]
    if uncoded:
        one = len(uncoded) == 1
        yield (
            "Wards",
            f"{', '.join(uncoded)} {'has' if one else 'have'} no ONS code in the wards file "
            "and the alert has no Polygon, so emergency systems get "
            f"{'it' if one else 'them'} by name only (CAP areaDesc: no geocode, no polygon) "
            f"and cannot place {'it' if one else 'them'} on a map; add the codes to the wards "
            "file, or a Polygon",
        )


NEAR_DEGREES = 0.2  # about 14 km east-west and 22 km north-south in England


def place_rules(values: Mapping[str, Any], places: Places) -> Iterable[Rule]:
    """Every point of a Polygon must be near the district, when the wards' outlines say
    where that is (a swapped latitude and longitude, or a mistyped digit, would send the
    alert to the sea off Africa, or cover half of England)."""
    polygon = values.get("polygon")
    if not polygon:
        return
    points = [p for ward in places.wards.values() for ring in ward.outline for p in ring]
    if not points:  # where the district is is not known: its shape, at least
        if problem := shape_problem(polygon):
            yield "Polygon", problem
        return
    south, north = min(p[0] for p in points), max(p[0] for p in points)
    west, east = min(p[1] for p in points), max(p[1] for p in points)
    near = [
        south - NEAR_DEGREES <= lat <= north + NEAR_DEGREES
        and west - NEAR_DEGREES <= lon <= east + NEAR_DEGREES
        for lat, lon in polygon
    ]
    far = [f"{lat:g},{lon:g}" for (lat, lon), ok in zip(polygon, near, strict=True) if not ok]
    if far:
        yield (
            "Polygon",
            f"is not all near the district's wards ({south:.2f},{west:.2f} to "
            f"{north:.2f},{east:.2f}): {', '.join(far[:3])}{'...' if len(far) > 3 else ''}; "
            f"write each point latitude first, like {(south + north) / 2:.2f},"
            f"{(west + east) / 2:.2f}, or leave the Polygon out to place the alert by its wards",
        )
    elif problem := shape_problem(polygon):
        yield "Polygon", problem


def supersedes(item: Item) -> str | None:
    """The slug of the alert this one updates or cancels."""
    target: str | None = item.values.get("updates") or item.values.get("cancels")
    return target


def site_rules(items: Sequence[Item], default_lang: str) -> Iterable[Problem]:
    """Updates and cancellations point at one earlier, published alert each."""
    versions = [i for i in items if i.lang == default_lang]
    originals: dict[str, Item] = {}
    for version in versions:
        originals.setdefault(version.slug, version)
    superseded_by: dict[str, Item] = {}
    for item in versions:
        for name in ("updates", "cancels"):
            target_slug = item.values.get(name)
            if not target_slug:
                continue
            field_name = name.title()
            target = originals.get(target_slug)
            if target is None:
                message = f"no alert has the Slug '{target_slug}'" + did_you_mean(
                    target_slug, list(originals)
                )
            elif target is item:
                message = "an alert cannot update or cancel itself"
            elif target.values.get("status") == "draft":
                message = f"'{target_slug}' is a draft; publish it first, or remove {field_name}"
            elif target.values["date"] >= item.values["date"]:
                message = (
                    f"'{target_slug}' was published at the same time or later; Date must be "
                    f"after its Date ({shown(target.values['date'])})"
                )
            elif target_slug in superseded_by:
                message = (
                    f"'{target_slug}' is already updated or cancelled by "
                    f"{superseded_by[target_slug].path}; "
                    f"point this alert at '{superseded_by[target_slug].slug}' instead"
                )
            else:
                superseded_by[target_slug] = item
                continue
            yield Problem(item.path, field_name, message)


def status(item: Item, now: datetime, successor: Item | None) -> str:
    """One of STATUSES."""
    if item.values.get("cancels"):
        return "cancellation"
    if successor is not None:
        return "cancelled" if successor.values.get("cancels") == item.slug else "updated"
    if item.values["expires"] <= now:
        return "expired"
    return "active"


def in_force(item: Item, item_status: str, now: datetime) -> bool:
    """What emergency systems polling the CAP feed must see: alerts in force, and
    cancellations until they expire (a cancellation must reach them too)."""
    return item_status == "active" or (
        item_status == "cancellation" and item.values["expires"] > now
    )


def most_severe_first(item: Item) -> int:
    return SEVERITY_ORDER[item.values["severity"]]


TYPE = ContentType(
    folder="alerts",
    label=N_("Emergency alerts"),
    singular=N_("Emergency alert"),
    fields=COMMON_FIELDS + FIELDS,
    template="alert",
    intro=N_(
        "Warnings about flooding, road closures, public health and other emergencies: "
        "those in force first."
    ),
    nav_label=N_("Alerts"),
    current_heading=N_("Emergency alerts"),
    none_current=N_("There are no emergency alerts in force."),
    on_home=False,  # alerts in force are in the banner at the top of every page
    urgent=True,
    topic_detail="event",
    outputs=frozenset({"cap"}),
    statuses=STATUSES,
    current_statuses=frozenset({"active"}),
    status=status,
    changes_notified=frozenset({"active"}),
    current_order=most_severe_first,
    rules=rules,
    warnings=warnings,
    place_rules=place_rules,
    site_rules=site_rules,
    supersedes=supersedes,
)
