"""The rounds as open data: ``/api/v1/rounds.json`` (every round, its services and what it
covers) and ``/api/v1/rounds/{round}.json`` (its collections over the next 12 months, bin
changes folded in), with their JSON Schemas. For calendar and home-automation tools."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from plugins.content_model.rounds import WEEKDAYS, Collection, Round
from plugins.content_model.types.bin_changes import COLLECTED, SERVICE_NAMES

from .schedule import BinDays

Record = dict[str, Any]
PAGE = "bin-days/{round}/"
CALENDAR = "bin-days/{round}.ics"
CALENDAR_WITH_ALARM = "bin-days/{round}/evening-alarm.ics"
ROUNDS_JSON = "api/v1/rounds.json"
ROUND_JSON = "api/v1/rounds/{round}.json"


def round_record(round_: Round, site: str) -> Record:
    slug = round_.slug
    return {
        "slug": slug,
        "name": round_.name,
        "url": f"{site}/{PAGE.format(round=slug)}",
        "calendar_url": f"{site}/{CALENDAR.format(round=slug)}",
        "calendar_with_alarm_url": f"{site}/{CALENDAR_WITH_ALARM.format(round=slug)}",
        "json_url": f"{site}/{ROUND_JSON.format(round=slug)}",
        "wards": sorted(round_.wards),
        "services": [
            {
                "service": s.service,
                "name": SERVICE_NAMES[s.service],
                "weekday": WEEKDAYS[s.weekday],
                "every_weeks": s.every,
                "anchor": s.anchor.isoformat(),
                "covers": [str(c) for c in s.covers],
            }
            for s in round_.services
        ],
    }


def collection_record(collection: Collection) -> Record:
    move = collection.move
    return {
        "date": collection.day.isoformat(),
        "service": collection.service,
        "usual_date": collection.usual.isoformat(),
        "changed": move is not None,
        "reason": (move.reason or None) if move else None,
        "bin_change": f"bin-changes/{move.change}" if move else None,
        "bin_change_url": move.url if move else None,
    }


def round_file(
    round_: Round, schedule: Sequence[Collection], bin_days: BinDays, site: str
) -> Record:
    return {
        "round": round_record(round_, site),
        "from": bin_days.today.isoformat(),
        "until": bin_days.until.isoformat(),
        "collections": [collection_record(c) for c in schedule],
    }


COMMON = "common.schema.json#/$defs/"
NULLABLE_TEXT = {"type": ["string", "null"]}
ROUND_SCHEMA: Record = {
    "type": "object",
    "required": [
        "slug",
        "name",
        "url",
        "calendar_url",
        "calendar_with_alarm_url",
        "json_url",
        "wards",
        "services",
    ],
    "properties": {
        "slug": {"$ref": COMMON + "slug"},
        "name": {"type": "string", "minLength": 1},
        "url": {"$ref": COMMON + "url"},
        "calendar_url": {"$ref": COMMON + "url"},
        "calendar_with_alarm_url": {"$ref": COMMON + "url"},
        "json_url": {"$ref": COMMON + "url"},
        "wards": {"type": "array", "items": {"$ref": COMMON + "slug"}},
        "services": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["service", "name", "weekday", "every_weeks", "anchor", "covers"],
                "properties": {
                    "service": {"enum": list(COLLECTED)},
                    "name": {"type": "string"},
                    "weekday": {"enum": list(WEEKDAYS)},
                    "every_weeks": {"type": "integer", "minimum": 1},
                    "anchor": {"$ref": COMMON + "date"},
                    "covers": {"type": "array", "minItems": 1, "items": {"type": "string"}},
                },
                "additionalProperties": False,
            },
        },
    },
    "additionalProperties": False,
}
ENVELOPE = {"council": {"type": "string"}, "site_url": {"$ref": COMMON + "url"}}
SCHEMAS: dict[str, Record] = {
    "rounds.schema.json": {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Bin collection rounds",
        "type": "object",
        "required": ["council", "site_url", "rounds"],
        "properties": {**ENVELOPE, "rounds": {"type": "array", "items": ROUND_SCHEMA}},
        "additionalProperties": False,
    },
    "round.schema.json": {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "A bin collection round's collections over the next 12 months",
        "type": "object",
        "required": ["council", "site_url", "round", "from", "until", "collections"],
        "properties": {
            **ENVELOPE,
            "round": ROUND_SCHEMA,
            "from": {"$ref": COMMON + "date"},
            "until": {"$ref": COMMON + "date"},
            "collections": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": [
                        "date",
                        "service",
                        "usual_date",
                        "changed",
                        "reason",
                        "bin_change",
                        "bin_change_url",
                    ],
                    "properties": {
                        "date": {"$ref": COMMON + "date"},
                        "service": {"enum": list(COLLECTED)},
                        "usual_date": {"$ref": COMMON + "date"},
                        "changed": {"type": "boolean"},
                        "reason": NULLABLE_TEXT,
                        "bin_change": {
                            "type": ["string", "null"],
                            "pattern": "^bin-changes/[a-z0-9-]+$",
                        },
                        "bin_change_url": {"anyOf": [{"$ref": COMMON + "url"}, {"type": "null"}]},
                    },
                    "additionalProperties": False,
                },
            },
        },
        "additionalProperties": False,
    },
}
