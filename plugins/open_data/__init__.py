"""Pelican plugin: the open data API under /api/v1/, its JSON Schemas, the notify manifest
for the subscription backend (``manifest.py``), and item pages' JSON-LD.

Records are built by ``records.py`` (pure); ``api.py`` gathers what Pelican read, and this
module writes the files.
"""

from __future__ import annotations

import json
from typing import Any

from markupsafe import Markup
from pelican import signals
from pelican.generators import Generator

from plugins.content_model.registry import ITEM_TYPES
from plugins.output_files import write_document

from .api import Catalogue, as_json, council_of
from .manifest import MANIFEST_FIRST, write_manifest, write_manifest_first
from .records import ward_record
from .schemas import api_schemas

API = "api/v1"


def ward_calendar_kind() -> str:
    """The type whose calendar each ward's record points to (the first with one per ward)."""
    return next((t.folder for t in ITEM_TYPES.values() if t.calendar and t.calendar.per_ward), "")


class OpenDataGenerator(Generator):  # type: ignore[misc]
    def generate_output(self, writer: Any) -> None:
        catalogue = Catalogue(self.context, self.settings)
        council = council_of(self.settings, catalogue)

        def write(name: str, data: Any) -> None:
            write_document(writer, self.context, f"{API}/{name}", as_json(data))

        for content_type in ITEM_TYPES.values():
            write(f"{content_type.folder}.json", {**council, **catalogue.type_file(content_type)})
        calendar_kind = ward_calendar_kind()
        write(
            "wards.json",
            {
                **council,
                "local_authority_code": self.settings.get("LOCAL_AUTHORITY_CODE"),
                "wards": [
                    ward_record(w, catalogue.site, calendar_kind) for w in catalogue.wards.values()
                ],
            },
        )
        if not self.settings.get(MANIFEST_FIRST):  # else written before any page
            write_manifest(self, writer)
        for name, schema in api_schemas(ITEM_TYPES.values()).items():
            # Each with its own absolute $id, so its relative $refs (common.schema.json#/...)
            # resolve for any validator, wherever it is read from.
            write(f"schema/{name}", {"$id": f"{catalogue.site}/{API}/schema/{name}", **schema})


def add_structured_data(generator: Any) -> None:
    """``json_ld(article)`` for item pages: the API record as schema.org JSON-LD, for the
    types that define it (a notice's CreativeWork, a meeting's Event)."""

    made: list[Catalogue] = []  # made at the first page that asks, once the board exists

    def json_ld_script(article: Any) -> Markup:
        make_json_ld = article.item.type.json_ld
        if make_json_ld is None:
            return Markup("")
        if not made:
            made.append(Catalogue(generator.context, generator.settings))
        catalogue = made[0]
        entry = catalogue.board.find(article.item.kind, article.item.slug)
        data = make_json_ld(catalogue.record(entry), generator.settings["COUNCIL_NAME"])
        text = json.dumps(data, ensure_ascii=False).replace("<", "\\u003c")
        return Markup(f'<script type="application/ld+json">{text}</script>')

    generator.env.globals["json_ld"] = json_ld_script


def open_data_generator(pelican: Any) -> type[Generator]:
    return OpenDataGenerator


def register() -> None:
    signals.generator_init.connect(add_structured_data)
    signals.get_generators.connect(open_data_generator)
    signals.get_writer.connect(write_manifest_first)
