"""The JSON API's records: one plain dict per item, the same shape whatever reads it
(the API files, a notice's JSON-LD, the notify manifest). Field names are a contract,
documented in docs/api.md and fixed by the schemas in schemas/."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from plugins.content_model.london_time import LONDON
from plugins.content_model.model import Item
from plugins.content_model.wards import Ward

Record = dict[str, Any]


@dataclass(frozen=True)
class Published:
    """An item with what the build knows about it."""

    item: Item
    url: str  # absolute
    translations: tuple[tuple[str, str], ...]  # (lang, absolute url)
    status: str  # alerts: active/expired/updated/cancelled/cancellation; notices: open/closed


def iso(value: date | datetime | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(LONDON).isoformat(timespec="seconds")
    return value.isoformat()


def ward_slugs(item: Item, wards: Mapping[str, Ward]) -> list[str]:
    """The wards an item affects, 'all' expanded to every ward."""
    chosen = item.values["wards"]
    return list(wards) if "all" in chosen else list(chosen)


def common(published: Published, wards: Mapping[str, Ward]) -> Record:
    item = published.item
    values = item.values
    return {
        "id": f"{item.kind}/{item.slug}",
        "slug": item.slug,
        "url": published.url,
        "title": values["title"],
        "summary": values["summary"],
        "lang": item.lang,
        "translations": [{"lang": lang, "url": url} for lang, url in published.translations],
        "published": iso(values["date"]),
        "modified": iso(values.get("modified")),
        "wards": ward_slugs(item, wards),
        "district_wide": "all" in values["wards"],
    }


def alert_record(published: Published, wards: Mapping[str, Ward], cap_url: str) -> Record:
    values = published.item.values
    polygon = values.get("polygon")
    return {
        **common(published, wards),
        "status": published.status,
        "event": values["event"],
        "severity": values["severity"],
        "urgency": values["urgency"],
        "certainty": values["certainty"],
        "onset": iso(values.get("onset")),
        "expires": iso(values["expires"]),
        "area": values.get("area"),
        "instruction": values.get("instruction"),
        "polygon": [list(point) for point in polygon] if polygon else None,
        "updates": values.get("updates"),
        "cancels": values.get("cancels"),
        "exercise": values["exercise"],
        "cap_url": cap_url,
    }


def notice_record(published: Published, wards: Mapping[str, Ward], documents_url: str) -> Record:
    values = published.item.values
    return {
        **common(published, wards),
        "status": published.status,
        "reference": values["reference"],
        "notice_type": values["notice_type"],
        "legislation": values["legislation"],
        "effective": iso(values.get("effective")),
        "respond_by": iso(values.get("respond_by")),
        "location": values.get("location"),
        "documents": [
            {"name": name, "url": f"{documents_url}/{name}"} for name in values.get("documents", ())
        ],
    }


def bin_change_record(published: Published, wards: Mapping[str, Ward]) -> Record:
    values = published.item.values
    return {
        **common(published, wards),
        "services": list(values["services"]),
        "reason": values.get("reason"),
        "changes": [
            {"usual_date": iso(m.usual), "new_date": iso(m.new)} for m in values["changes"]
        ],
    }


def moved_collections(records: Sequence[Record]) -> list[Record]:
    """Every moved collection of every bin change, by usual date: what bin apps need."""
    moves = [
        {
            "usual_date": change["usual_date"],
            "new_date": change["new_date"],
            "services": record["services"],
            "wards": record["wards"],
            "district_wide": record["district_wide"],
            "bin_change": record["id"],
            "url": record["url"],
        }
        for record in records
        for change in record["changes"]
    ]
    return sorted(moves, key=lambda m: (m["usual_date"], m["bin_change"]))


def ward_record(ward: Ward, site_url: str) -> Record:
    return {
        "slug": ward.slug,
        "name": ward.name,
        "gss": ward.gss,
        "url": f"{site_url}/wards/{ward.slug}/",
        "feed_url": f"{site_url}/feeds/wards/{ward.slug}.atom.xml",
        "calendar_url": f"{site_url}/wards/{ward.slug}/bin-changes.ics",
    }


def notice_json_ld(record: Record, council: str) -> Record:
    """schema.org for a statutory notice's page, from its API record: only properties
    schema.org defines for each type used (tests check it with the schema-dts types)."""
    data: Record = {
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
