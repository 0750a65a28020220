"""Pelican plugin: the postcode lookup on the site.

For the "Find your area" form's script, /api/v1/postcodes/{OUTWARD}.json: one small file
per outward code (CT16.json), so that it fetches only what it needs. For residents
without JavaScript, whom the same form takes to the list of wards: the wards of each
outward code there (``postcode_areas`` in templates), and where an outward code is split
between wards a page saying which postcodes are in which (/wards/postcodes/{OUTWARD}/).
The lookup itself is made by ``make postcodes`` (noticeboard/import_postcodes.py) from
the ONS file; without it, ``postcode_areas`` is empty and the form says postcodes cannot be
looked up yet. With bin collection rounds, each postcode's file also says its round for each
service, for "Find your bin days".
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pelican import signals
from pelican.generators import Generator

from plugins.content_model import checked_content
from plugins.content_model.rounds import NO_ROUNDS, Rounds
from plugins.output_files import write_document

from .areas import postcode_areas
from .nspl import outward_code

POSTCODES_SAVE_AS = "api/v1/postcodes/{outward}.json"
AREA_SAVE_AS = "wards/postcodes/{outward}/index.html"
AREAS = "postcode_areas"
LOOKUP = "postcode_lookup"


def read_lookup(settings: Mapping[str, Any]) -> dict[str, Any] | None:
    source = Path(settings.get("POSTCODES_FILE") or "")
    if not source.is_file():
        return None  # no lookup imported yet
    lookup: dict[str, Any] = json.loads(source.read_text(encoding="utf-8"))
    return lookup


def by_outward(lookup: Mapping[str, Any], rounds: Rounds = NO_ROUNDS) -> dict[str, dict[str, Any]]:
    """One document per outward code: its postcodes, their ward slugs and, where the
    lookup has them, where they are; and with rounds, each one's round per service."""
    groups: dict[str, dict[str, str]] = defaultdict(dict)
    for postcode, ward in lookup["postcodes"].items():
        groups[outward_code(postcode)][postcode] = ward
    located: Mapping[str, list[float]] = lookup.get("locations") or {}

    def document(outward: str, postcodes: dict[str, str]) -> dict[str, Any]:
        found = {"outward": outward, "ward_vintage": lookup["ward_vintage"], "postcodes": postcodes}
        if located:  # a lookup imported before locations were kept has none
            found["locations"] = {p: located[p] for p in postcodes if p in located}
        if rounds:
            households = {p: rounds.household(p, ward) for p, ward in postcodes.items()}
            found["rounds"] = {p: served for p, served in households.items() if served}
        return found

    return {outward: document(outward, pcs) for outward, pcs in sorted(groups.items())}


def add_postcode_areas(generator: Any) -> None:
    """Once per build, into the context every generator shares."""
    if AREAS not in generator.context:
        lookup = read_lookup(generator.settings)
        generator.context[LOOKUP] = lookup
        generator.context[AREAS] = postcode_areas(lookup["postcodes"]) if lookup else []


class PostcodePagesGenerator(Generator):  # type: ignore[misc]
    """Writes /api/v1/postcodes/{OUTWARD}.json for each outward code, and
    /wards/postcodes/{OUTWARD}/ for each one split between wards."""

    def generate_output(self, writer: Any) -> None:
        lookup = self.context[LOOKUP]
        rounds = checked_content(self.context).rounds
        for code, document in by_outward(lookup, rounds).items() if lookup else ():
            text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
            save_as = POSTCODES_SAVE_AS.format(outward=code)
            write_document(writer, self.context, save_as, text)
        for outward in self.context[AREAS]:
            if len(outward.wards) > 1:
                save_as = AREA_SAVE_AS.format(outward=outward.code)
                writer.write_file(
                    save_as,
                    self.get_template("postcode_area"),
                    self.context,
                    url=save_as.removesuffix("index.html"),
                    outward=outward,
                )


def postcode_pages_generator(pelican: Any) -> type[Generator]:
    return PostcodePagesGenerator


def register() -> None:
    signals.generator_init.connect(add_postcode_areas)
    signals.get_generators.connect(postcode_pages_generator)
