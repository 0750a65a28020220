"""The JSON Schemas of the API, generated at each build from the registry of content types:
a type's file lists its items with the common fields (``common.schema.json``), its status
and one property per field of its own, in the shape ``records.py`` writes them.

Definitions no type owns (dates, URLs, wards, postcodes, the notify manifest's envelope) are
written by hand in ``schemas/``; the parts of them that name types are filled in here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from plugins.content_model.schema import COMMON_FIELDS, ContentType, Field

from .records import CAP_URL, Record

HAND_WRITTEN = Path(__file__).resolve().parent / "schemas"
COMMON = "common.schema.json"
COMMON_KEYS = frozenset(f.key for f in COMMON_FIELDS)
NULL = {"type": "null"}


def ref(name: str) -> Record:
    return {"$ref": f"{COMMON}#/$defs/{name}"}


POINT = {
    "type": "array",
    "prefixItems": [
        {"type": "number", "minimum": -90, "maximum": 90},
        {"type": "number", "minimum": -180, "maximum": 180},
    ],
    "items": False,
    "minItems": 2,
}


def value_schema(spec: Field) -> Record:
    """What one field's value looks like in a record (before null is allowed)."""
    kind = spec.kind
    if kind in ("text", "summary", "contact"):
        return {"type": "string", "minLength": 1}
    if kind in ("datetime", "date", "url", "slug", "lang"):
        return ref(kind)
    if kind == "rounds":
        return {"type": "array", "minItems": 1, "items": ref("slug")}
    if kind == "slug-ref":
        return ref("slug")
    if kind == "document-or-link":
        return ref("url")
    if kind == "choice":
        return {"enum": list(spec.choices)}
    if kind == "choices":
        return {"type": "array", "minItems": 1, "items": {"enum": list(spec.choices)}}
    if kind == "yes-no":
        return {"type": "boolean"}
    if kind == "polygon":
        return {"type": "array", "minItems": 4, "items": POINT}
    if kind == "changes":
        day = ref("date")
        return {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["usual_date", "new_date"],
                "properties": {"usual_date": day, "new_date": day},
                "additionalProperties": False,
            },
        }
    if kind == "documents":
        return {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name", "url"],
                "properties": {"name": {"type": "string"}, "url": ref("url")},
                "additionalProperties": False,
            },
        }
    raise ValueError(f"{spec.name}: no JSON Schema for fields of kind {kind!r}")


def always_present(spec: Field) -> bool:
    """Lists, yes/no and fields with a value or default are never null."""
    return spec.required or spec.default is not None or spec.kind == "documents"


def field_schema(spec: Field) -> Record:
    schema = value_schema(spec)
    if spec.kind == "document-or-link":  # officers write a file name; the API gives its address
        schema = {"description": f"The web address of the {spec.name.lower()}.", **schema}
    elif spec.help:
        schema = {"description": spec.help, **schema}
    return schema if always_present(spec) else {"oneOf": [schema, NULL]}


def own_fields(content_type: ContentType) -> list[Field]:
    """The fields a type adds to the common ones."""
    return [f for f in content_type.fields if f.key not in COMMON_KEYS]


def type_schema(content_type: ContentType) -> Record:
    """The schema of ``/api/v1/{folder}.json``."""
    properties: Record = {spec.attr: field_schema(spec) for spec in own_fields(content_type)}
    if content_type.statuses:
        properties = {"status": {"enum": list(content_type.statuses)}, **properties}
    if "cap" in content_type.outputs:
        properties[CAP_URL] = ref("url")
    extra = {name: schema for name, (_, schema) in content_type.api_extras.items()}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": content_type.label,
        "type": "object",
        "allOf": [ref("envelope")],
        "required": [content_type.json_key, *extra],
        "properties": {
            "council": True,
            "site_url": True,
            content_type.json_key: {
                "type": "array",
                "items": {
                    "type": "object",
                    "allOf": [ref("item")],
                    "required": list(properties),
                    "properties": properties,
                    "unevaluatedProperties": False,
                },
            },
            **extra,
        },
        "additionalProperties": False,
    }


def id_pattern(types: Iterable[ContentType]) -> str:
    folders = "|".join(t.folder for t in types)
    return f"^({folders})/[a-z0-9-]+$"


def hand_written(name: str, types: Iterable[ContentType]) -> Record:
    """A hand-written schema, with the types it names filled in from the registry."""
    schema: Record = json.loads((HAND_WRITTEN / name).read_text(encoding="utf-8"))
    types = list(types)
    if name == COMMON:
        schema["$defs"]["item"]["properties"]["id"]["pattern"] = id_pattern(types)
    if name == "notify.schema.json":
        item = schema["properties"]["items"]["items"]["properties"]
        item["id"]["pattern"] = id_pattern(types)
        item["type"]["enum"] = [t.folder for t in types]
    return schema


def api_schemas(types: Iterable[ContentType]) -> dict[str, Record]:
    """Every schema the API publishes, by file name."""
    types = list(types)
    schemas = {
        path.name: hand_written(path.name, types) for path in sorted(HAND_WRITTEN.glob("*.json"))
    }
    schemas.update({f"{t.folder}.schema.json": type_schema(t) for t in types})
    return schemas
