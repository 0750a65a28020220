"""Maps drawn at build time, as SVG in the page: no tiles, no script, no request to anyone.

The district's wards, outlined and named for context, with an area highlighted (an
alert's Polygon or wards, or one ward). Longitude is scaled by the cosine of the latitude
(a local equirectangular projection: right for a district a few tens of kilometres
across), into a viewBox WIDTH units wide, coordinates rounded to a tenth of a unit: a map
of 17 wards is a few kilobytes (docs/performance.md gives the budget).

Pure: outlines in, markup out. The caller says in words what the map shows (the SVG's
``<title>`` and ``<desc>``, and the same words beside it for everyone).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import shapely
from markupsafe import escape
from shapely.geometry import Polygon

from plugins.content_model.outlines import Outline, Ring

WIDTH = 600  # viewBox units
MARGIN = 0.04  # of the district's size, around it
DISPLAY_TOLERANCE = 0.0004  # degrees (~30-40 m): finer than a 600-unit map can show
MAX_BYTES = 40_000  # the budget a map must stay within (docs/performance.md)


ZOOM_WHEN_SMALLER = 6  # an area six times smaller than the district is shown closer
ZOOM_CONTEXT = 4  # ...with four times its size around it
MIN_SPAN = 0.02  # degrees: never closer than about 2 km across


def bounds(rings: Iterable[Ring]) -> tuple[float, float, float, float]:
    """(south, west, north, east) of the rings' points."""
    points = [p for ring in rings for p in ring]
    lats, lons = [p[0] for p in points], [p[1] for p in points]
    return min(lats), min(lons), max(lats), max(lons)


@dataclass(frozen=True)
class Projection:
    west: float
    north: float
    scale: float  # viewBox units per degree of latitude
    shrink: float  # cos(latitude): degrees of longitude are narrower
    height: float

    @classmethod
    def around(cls, rings: Iterable[Ring], focus: Iterable[Ring] = ()) -> Projection:
        """Around the rings; or, when ``focus`` (the area shown) is small beside them, around
        it and enough of them to see where it is (what lies outside is cut off)."""
        south, west, north, east = bounds(rings)
        area = list(focus)
        if area:
            a_south, a_west, a_north, a_east = bounds(area)
            span = max(a_north - a_south, a_east - a_west)
            if span * ZOOM_WHEN_SMALLER < max(north - south, east - west):
                half = max(span * ZOOM_CONTEXT, MIN_SPAN) / 2
                middle_lat, middle_lon = (a_south + a_north) / 2, (a_west + a_east) / 2
                south, north = middle_lat - half, middle_lat + half
                west, east = middle_lon - half, middle_lon + half
        shrink = math.cos(math.radians((south + north) / 2))
        span_lat, span_lon = (north - south) or 0.01, ((east - west) or 0.01) * shrink
        pad = max(span_lat, span_lon) * MARGIN
        scale = WIDTH / (span_lon + 2 * pad)
        height = (span_lat + 2 * pad) * scale
        return cls(west - pad / shrink, north + pad, scale, shrink, height)

    def xy(self, lat: float, lon: float) -> tuple[float, float]:
        return (
            round((lon - self.west) * self.shrink * self.scale, 1),
            round((self.north - lat) * self.scale, 1),
        )

    def path(self, outline: Outline) -> str:
        parts = []
        for ring in outline:
            points = [self.xy(lat, lon) for lat, lon in ring]
            parts.append("M" + " ".join(f"{x:g},{y:g}" for x, y in points[:-1]) + "Z")
        return "".join(parts)


def simplified(outline: Outline) -> Outline:
    """An outline with no more detail than the map can show."""
    rings = []
    for ring in outline:
        polygon = Polygon([(lon, lat) for lat, lon in ring]).simplify(
            DISPLAY_TOLERANCE, preserve_topology=True
        )
        rings.append(tuple((lat, lon) for lon, lat in polygon.exterior.coords))
    return tuple(rings)


def label_point(outline: Outline) -> tuple[float, float] | None:
    """A point inside the ward's largest part, where its name goes."""
    polygons = [Polygon([(lon, lat) for lat, lon in ring]) for ring in outline]
    if not polygons:
        return None
    point = shapely.point_on_surface(max(polygons, key=lambda p: p.area))
    return point.y, point.x


LABEL_SIZE = 22  # viewBox units: about 13 px on a phone's 375 px, 22 px at full width
LABEL_WIDTH = 0.55  # of the size, per character (Arial, on average)


def placed_labels(wards: Iterable[tuple[str, Outline]], projection: Projection) -> list[str]:
    """Each ward's name inside it, largest wards first, moved in from the map's edges; a
    name that would overlap one already placed, or that is off the map, is left out (the
    caption says in words what the map shows)."""
    taken: list[tuple[float, float, float, float]] = []
    labels = []
    by_size = sorted(wards, key=lambda w: -sum(Polygon([(b, a) for a, b in r]).area for r in w[1]))
    for name, outline in by_size:
        point = label_point(outline)
        if point is None:
            continue
        x, y = projection.xy(*point)
        half = len(name) * LABEL_SIZE * LABEL_WIDTH / 2
        if half * 2 > WIDTH or not (0 <= y <= projection.height):
            continue
        x = min(max(x, half), WIDTH - half)
        box = (x - half, y - LABEL_SIZE, x + half, y + LABEL_SIZE * 0.3)
        if any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in taken):
            continue
        taken.append(box)
        labels.append(f'<text x="{x:g}" y="{y:g}">{escape(name)}</text>')
    return labels


def district_map(
    wards: Mapping[str, tuple[str, Outline]],
    highlighted: Sequence[Outline],
    title: str,
    map_id: str,
) -> str:
    """The SVG: every ward of ``wards`` (slug -> (name, outline)) outlined and named, the
    ``highlighted`` areas over them; '' without outlines, or with nothing to highlight.
    What it shows in words is the caller's to say beside it (a figure's caption)."""
    shown = {slug: (name, simplified(o)) for slug, (name, o) in wards.items() if o}
    if not shown:
        return ""
    area = [simplified(o) for o in highlighted if o]
    if not area:
        return ""
    projection = Projection.around(
        (ring for outline in [*(o for _, o in shown.values()), *area] for ring in outline),
        (ring for outline in area for ring in outline),
    )
    wards_paths = "".join(
        f'<path d="{projection.path(outline)}"/>' for _, outline in shown.values()
    )
    area_paths = "".join(f'<path d="{projection.path(outline)}"/>' for outline in area)
    labels = placed_labels(shown.values(), projection)
    title_id = f"{map_id}-title"
    return (
        f'<svg class="council-map" xmlns="http://www.w3.org/2000/svg" role="img" '
        f'viewBox="0 0 {WIDTH} {projection.height:.0f}" aria-labelledby="{title_id}">'
        f'<title id="{title_id}">{escape(title)}</title>'
        f'<g class="council-map__wards">{wards_paths}</g>'
        f'<g class="council-map__area">{area_paths}</g>'
        f'<g class="council-map__labels" aria-hidden="true">{"".join(labels)}</g>'
        "</svg>"
    )
