"""Pelican plugin: maps of where an alert is, and of each ward, drawn at build time as SVG
from the wards' outlines (``make wards``), with the same words beside them. Without
outlines there are no maps, and the pages say where in words as before.

Templates call ``alert_map(item, title)``, ``ward_map(slug, title)`` and
``area_wards(item)`` (which wards an alert's area covers, for the words beside the map).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from markupsafe import Markup
from pelican import signals
from shapely import union_all
from shapely.geometry import Polygon

from plugins.content_model import checked_content
from plugins.content_model.outlines import Outline
from plugins.content_model.wards import Ward

from .svg import district_map

__all__ = ["district_map"]


def shape_of(outline: Outline) -> Any:
    return union_all([Polygon([(lon, lat) for lat, lon in ring]) for ring in outline])


def highlighted(item: Any, wards: Mapping[str, Ward]) -> list[Outline]:
    """An alert's area: its own Polygon, else its wards' outlines (every ward's when it is
    district-wide)."""
    if item.values.get("polygon"):
        return [(tuple(item.values["polygon"]),)]
    slugs = list(wards) if "all" in item.values["wards"] else item.values["wards"]
    return [wards[s].outline for s in slugs if s in wards and wards[s].outline]


def area_wards(context: Mapping[str, Any], item: Any) -> tuple[list[str], bool]:
    """The names of the wards an alert's area covers (a drawn Polygon's: those it
    overlaps), and whether it was drawn."""
    wards = checked_content(context).wards
    polygon = item.values.get("polygon")
    if not polygon:
        return [wards[s].name for s in item.values["wards"] if s in wards], False
    drawn = shape_of((tuple(polygon),))
    touched = [  # overlapped, not only touched along an edge
        w.name for w in wards.values() if w.outline and shape_of(w.outline).intersection(drawn).area
    ]
    return touched, True


def outlined(wards: Mapping[str, Ward]) -> dict[str, tuple[str, Outline]]:
    return {slug: (w.name, w.outline) for slug, w in wards.items() if w.outline}


def add_map_helpers(generator: Any) -> None:
    context = generator.context

    def alert_map(item: Any, title: str) -> Markup:
        wards = checked_content(context).wards
        svg = district_map(outlined(wards), highlighted(item, wards), title, f"map-{item.slug}")
        return Markup(svg)

    def ward_map(slug: str, title: str) -> Markup:
        """The ward among the district's; none when it has no outline (nothing to show)."""
        wards = checked_content(context).wards
        ward = wards.get(slug)
        area = [ward.outline] if ward and ward.outline else []
        return Markup(district_map(outlined(wards), area, title, f"map-{slug}"))

    generator.env.globals.update(
        alert_map=alert_map,
        ward_map=ward_map,
        area_wards=lambda item: area_wards(context, item),
    )


def register() -> None:
    signals.generator_init.connect(add_map_helpers)
