"""The wards' outlines: where each ward is, for CAP polygons and checks, as ``make wards``
imported them from the ONS boundaries (WARD_OUTLINES_FILE, GeoJSON in WGS 84).

An outline is the ward's polygons, each a ring of (latitude, longitude) points, first equal
to last: CAP's order, not GeoJSON's (longitude first). Holes are left out: CAP has none,
and a ward with a hole in it is rare (the hole is another ward, which has its own outline).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import Polygon

Point = tuple[float, float]  # (latitude, longitude)
Ring = tuple[Point, ...]
Outline = tuple[Ring, ...]


class OutlinesFileError(ValueError):
    """The outlines file is unusable; the message names it and says what to do."""


@dataclass(frozen=True)
class Outlines:
    """Every ward's outline by slug, and the boundaries' vintage (``WD24``)."""

    by_ward: dict[str, Outline] = field(default_factory=dict)
    vintage: str = ""

    def bounds(self) -> tuple[float, float, float, float] | None:
        """(south, west, north, east) of every ward, or None without outlines."""
        points = [p for outline in self.by_ward.values() for ring in outline for p in ring]
        if not points:
            return None
        lats, lons = [p[0] for p in points], [p[1] for p in points]
        return min(lats), min(lons), max(lats), max(lons)


def rings_of(geometry: dict[str, Any]) -> Outline:
    """The outer rings of a GeoJSON Polygon or MultiPolygon, as (lat, lon) points."""
    kind, coordinates = geometry.get("type"), geometry.get("coordinates")
    polygons = [coordinates] if kind == "Polygon" else coordinates if kind == "MultiPolygon" else []
    return tuple(
        tuple((float(lat), float(lon)) for lon, lat, *_ in polygon[0])
        for polygon in polygons or []
        if polygon
    )


def load_outlines(path: Path | None) -> Outlines:
    """The outlines file ``make wards`` writes; none (no outlines) when it does not exist."""
    if path is None or not path.is_file():
        return Outlines()
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        by_ward = {
            str(feature["properties"]["slug"]): rings_of(feature["geometry"])
            for feature in document["features"]
        }
    except (ValueError, KeyError, TypeError) as error:
        raise OutlinesFileError(
            f"{path}: is not the outlines file 'make wards' writes ({error}); "
            "run make wards BOUNDARIES=FILE again"
        ) from None
    return Outlines(by_ward, str(document.get("vintage", "")))


def area_of(outlines: Iterable[Outline]) -> Outline:
    """The area the outlines cover together, as CAP polygons: neighbouring wards merged
    into one ring, one ring per separate part (a ward of two islands gives two)."""
    parts = [Polygon([(lon, lat) for lat, lon in ring]) for o in outlines for ring in o]
    if not parts:
        return ()
    merged = shapely.set_precision(shapely.union_all(parts), 1e-5)
    polygons = getattr(merged, "geoms", [merged])
    return tuple(
        tuple((round(lat, 5), round(lon, 5)) for lon, lat in polygon.exterior.coords)
        for polygon in polygons
        if polygon.geom_type == "Polygon" and not polygon.is_empty
    )
