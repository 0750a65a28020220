"""The JSON API's records: one plain dict per item, the same shape whatever reads it
(the API files, a notice's JSON-LD, the notify manifest). Field names are a contract,
documented in docs/api.md: the common fields, then each of the type's own fields under
its name (``Respond-By`` is ``respond_by``), in the shape ``schemas.py`` describes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from plugins.content_model.items import Item
from plugins.content_model.london_time import LONDON
from plugins.content_model.schema import COMMON_FIELDS, Field
from plugins.content_model.values import is_web_address
from plugins.content_model.wards import Ward

Record = dict[str, Any]
CAP_URL = "cap_url"  # the address of the item's CAP message, for types with that output
COMMON_KEYS = frozenset(f.key for f in COMMON_FIELDS)


@dataclass(frozen=True)
class Published:
    """An item with what the build knows about it."""

    item: Item
    url: str  # absolute
    translations: tuple[tuple[str, str], ...]  # (lang, absolute url)
    status: str  # as its type defines it (ContentType.statuses); '' for none
    documents_url: str  # absolute address of its type's documents folder


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


def field_value(spec: Field, value: Any, documents_url: str) -> Any:
    """One field's value as the API gives it."""
    if value is None:
        return [] if spec.kind == "documents" else None
    if spec.kind in ("date", "datetime"):
        return iso(value)
    if spec.kind in ("choices", "rounds"):
        return list(value)
    if spec.kind == "polygon":
        return [list(point) for point in value]
    if spec.kind == "changes":
        return [{"usual_date": iso(m.usual), "new_date": iso(m.new)} for m in value]
    if spec.kind == "documents":
        return [{"name": name, "url": f"{documents_url}/{name}"} for name in value]
    if spec.kind == "document-or-link":
        return value if is_web_address(value) else f"{documents_url}/{value}"
    return value


def item_record(published: Published, wards: Mapping[str, Ward], cap_url: str | None) -> Record:
    """The common fields, the item's status, then every field of its type's own."""
    item = published.item
    record = common(published, wards)
    if item.type.statuses:
        record["status"] = published.status
    withheld = item.type.withheld(item, published.status)
    for spec in item.type.fields:
        if spec.key not in COMMON_KEYS:
            value = None if spec.attr in withheld else item.values.get(spec.attr)
            record[spec.attr] = field_value(spec, value, published.documents_url)
    if cap_url is not None:
        record[CAP_URL] = cap_url
    return record


def ward_record(ward: Ward, site_url: str, calendar_kind: str) -> Record:
    return {
        "slug": ward.slug,
        "name": ward.name,
        "gss": ward.gss,
        "url": f"{site_url}/wards/{ward.slug}/",
        "feed_url": f"{site_url}/feeds/wards/{ward.slug}.atom.xml",
        "calendar_url": f"{site_url}/wards/{ward.slug}/{calendar_kind}.ics",
    }
