"""Pelican plugin: publishes the postcode lookup as /api/v1/postcodes/{OUTWARD}.json, one
small file per outward code (CT16.json), so the "Find your area" form fetches only what it
needs. The lookup itself is made by ``make postcodes`` (importer.py) from the ONS file."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pelican import signals

from .nspl import outward_code

POSTCODES_SAVE_AS = "api/v1/postcodes/{outward}.json"


def by_outward(lookup: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """One document per outward code: its postcodes and their ward slugs."""
    groups: dict[str, dict[str, str]] = defaultdict(dict)
    for postcode, ward in lookup["postcodes"].items():
        groups[outward_code(postcode)][postcode] = ward
    return {
        outward: {
            "outward": outward,
            "ward_vintage": lookup["ward_vintage"],
            "postcodes": postcodes,
        }
        for outward, postcodes in sorted(groups.items())
    }


def publish_postcodes(pelican: Any) -> None:
    source = Path(pelican.settings.get("POSTCODES_FILE") or "")
    if not source.is_file():
        return  # no lookup imported yet: the form falls back to the list of wards
    lookup = json.loads(source.read_text(encoding="utf-8"))
    for outward, document in by_outward(lookup).items():
        path = Path(pelican.output_path) / POSTCODES_SAVE_AS.format(outward=outward)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            json.dumps(document, ensure_ascii=False, separators=(",", ":")), encoding="utf-8"
        )


def register() -> None:
    signals.finalized.connect(publish_postcodes)
