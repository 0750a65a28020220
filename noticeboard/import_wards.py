"""``make wards BOUNDARIES=FILE``: import the ONS ward boundaries for the council.

Reads the GeoJSON the ONS Open Geography Portal publishes ("Wards (December 2024)
Boundaries UK BGC" and the like, in WGS 84), feature by feature (the whole of the UK is
hundreds of megabytes: memory grows with the council's wards, not the file), keeping the
council's (LOCAL_AUTHORITY_CODE). Its field names carry their vintage (WD24CD, wd17cd...),
which is recorded. Each boundary is matched to a ward of the wards file by name (case,
'&' and 'and', punctuation and a trailing 'ward' do not matter), or by its code when the
wards file already has it, and:

- the ward's ONS code is written into the wards file's gss column;
- its outline, simplified as one coverage (neighbouring wards keep their shared edges)
  to at most MAX_POINTS points per ward, at about 1 m precision, is written to
  WARD_OUTLINES_FILE, from which alerts get their CAP polygons.

Every boundary or ward that could not be matched is reported, and then nothing is changed.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, TextIO

import ijson
import shapely
from pelican.settings import read_settings
from shapely.geometry import mapping, shape

from plugins.content_model.wards import GSS_CODE, Ward, comparable_name, load_wards

from .data_files import with_codes, write_atomically

MAX_POINTS = 200  # per ward: enough to follow streets, few enough for every CAP reader
PRECISION = 1e-5  # degrees: about 1.1 m north-south, 0.7 m east-west in England
FIRST_TOLERANCE = 2e-5  # degrees; doubled until every ward is within MAX_POINTS
PROGRESS_EVERY = 1000
CODE_FIELD = re.compile(r"^(WD\d{2})CD$", re.IGNORECASE)
AUTHORITY_FIELD = re.compile(r"^LAD\d{2}CD$", re.IGNORECASE)


class BoundariesError(ValueError):
    """The boundaries file cannot be used; the message says why and what to do."""


@dataclass
class Boundary:
    code: str
    name: str
    geometry: Any  # a shapely Polygon or MultiPolygon


@dataclass
class Boundaries:
    vintage: str = ""  # e.g. 'WD24'
    found: list[Boundary] = field(default_factory=list)
    features: int = 0


@dataclass(frozen=True)
class Fields:
    code: str
    name: str
    authority: str
    vintage: str


def fields_of(properties: Mapping[str, Any]) -> Fields:
    """The code, name and local authority fields of a feature, whatever their vintage."""
    code = next((k for k in properties if CODE_FIELD.match(k)), None)
    authority = next((k for k in properties if AUTHORITY_FIELD.match(k)), None)
    if code is None:
        raise BoundariesError(
            f"features have no ward code field like WD24CD (they have {', '.join(properties)}); "
            "download the ONS 'Wards ... Boundaries' GeoJSON"
        )
    if authority is None:
        raise BoundariesError(
            f"features have no local authority field like LAD24CD (they have "
            f"{', '.join(properties)}); download a ward boundaries file that names each "
            "ward's local authority"
        )
    name = code[:-2] + ("nm" if code[-2:].islower() else "NM")
    if name not in properties:
        raise BoundariesError(f"features have {code} but no {name} (the ward's name)")
    vintage = CODE_FIELD.match(code)
    assert vintage is not None
    return Fields(code, name, authority, vintage.group(1).upper())


def features(stream: BinaryIO) -> Iterator[dict[str, Any]]:
    """Each feature of a GeoJSON FeatureCollection, read one at a time."""
    try:
        yield from ijson.items(stream, "features.item", use_float=True)
    except ijson.JSONError as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else "unreadable"
        raise BoundariesError(f"is not GeoJSON ({first_line})") from None


def read_boundaries(stream: BinaryIO, authority: str, progress: TextIO | None = None) -> Boundaries:
    """The council's ward boundaries from a GeoJSON stream."""
    result = Boundaries()
    names: Fields | None = None
    started = time.monotonic()
    for feature in features(stream):
        result.features += 1
        properties = feature.get("properties") or {}
        names = names or fields_of(properties)
        if str(properties.get(names.authority, "")).strip() == authority:
            try:
                geometry = shape(feature["geometry"])
            except (KeyError, TypeError, AttributeError, ValueError, shapely.errors.GEOSException):
                raise BoundariesError(
                    f"feature {result.features}: {properties.get(names.code)} has no polygon "
                    "geometry; download the boundaries, not the names and codes"
                ) from None
            code = str(properties[names.code]).strip()
            result.found.append(checked(Boundary(code, str(properties[names.name]), geometry)))
        if progress and result.features % PROGRESS_EVERY == 0:
            rate = result.features / max(time.monotonic() - started, 1e-6)
            progress.write(
                f"\r{result.features:,} boundaries read, {len(result.found)} kept ({rate:,.0f}/s)"
            )
            progress.flush()
    if progress:
        progress.write("\n")
    if names is None:
        raise BoundariesError("has no features")
    result.vintage = names.vintage
    if not result.found:
        raise BoundariesError(
            f"has no wards in {authority} (LOCAL_AUTHORITY_CODE); is it the right council's "
            "code, or the right file?"
        )
    return together(result)


UK = (49.8, -8.7, 60.9, 2.0)  # south, west, north, east: where any council's wards are
NEIGHBOURS = 0.75  # degrees: how far a ward's centre may be from its council's others'


def checked(boundary: Boundary) -> Boundary:
    """A boundary that can be a ward: an ONS code, a valid polygon in the UK in degrees."""
    where = f"boundary {boundary.code!r} '{boundary.name.strip()}'"
    if not GSS_CODE.match(boundary.code):
        raise BoundariesError(f"{where}: its code is not an ONS code like E05009999")
    geometry = boundary.geometry
    if geometry.geom_type not in ("Polygon", "MultiPolygon"):
        raise BoundariesError(
            f"{where}: is a {geometry.geom_type}, not an outline; download the ward "
            "boundaries, not their centres"
        )
    west, south, east, north = geometry.bounds
    if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
        raise BoundariesError(
            "coordinates are not longitude and latitude (British National Grid "
            "metres?); download the GeoJSON in WGS 84"
        )
    if not (UK[0] <= south <= north <= UK[2] and UK[1] <= west <= east <= UK[3]):
        raise BoundariesError(
            f"{where}: is not in the United Kingdom ({south:.2f},{west:.2f} to "
            f"{north:.2f},{east:.2f}); is it the right file, with longitude first?"
        )
    if not geometry.is_valid:
        raise BoundariesError(f"{where}: its outline crosses itself; download the file again")
    return Boundary(boundary.code, boundary.name.strip(), geometry)


def together(boundaries: Boundaries) -> Boundaries:
    """The council's wards, checked to be near one another (a ward drawn in the wrong
    place would stretch every alert's area and the district's)."""
    centres = [b.geometry.centroid for b in boundaries.found]
    middle_x = sorted(c.x for c in centres)[len(centres) // 2]
    middle_y = sorted(c.y for c in centres)[len(centres) // 2]
    for boundary, centre in zip(boundaries.found, centres, strict=True):
        if abs(centre.x - middle_x) > NEIGHBOURS or abs(centre.y - middle_y) > NEIGHBOURS:
            raise BoundariesError(
                f"boundary {boundary.code!r} '{boundary.name}': is far from the council's "
                f"other wards (its centre {centre.y:.2f},{centre.x:.2f}); is the file right?"
            )
    return boundaries


def match(
    found: Iterable[Boundary], wards: Mapping[str, Ward]
) -> tuple[dict[str, Boundary], list[str]]:
    """Each ward's boundary (by slug), by its code if the wards file has it, else by name;
    and the problems: boundaries and wards left unmatched, each named."""
    by_code = {w.gss: slug for slug, w in wards.items() if w.gss}
    by_name = {comparable_name(w.name): slug for slug, w in wards.items()}
    matched: dict[str, Boundary] = {}
    problems = []
    for boundary in found:
        slug = by_code.get(boundary.code) or by_name.get(comparable_name(boundary.name))
        if slug is None:
            problems.append(
                f"boundary {boundary.code} '{boundary.name}' matches no ward of the wards file "
                "by code or name; add it, or correct the ward's name"
            )
        elif slug in matched:
            problems.append(f"ward '{slug}' matches two boundaries: {boundary.code} and "
                            f"{matched[slug].code}")  # fmt: skip
        else:
            matched[slug] = boundary
    for slug in wards:
        if slug not in matched:
            problems.append(
                f"ward '{slug}' ('{wards[slug].name}') has no boundary in the file; check its "
                "name against the ONS name (or its gss code), or the file's year"
            )
    return matched, problems


def simplified(geometries: list[Any]) -> list[Any]:
    """The outlines simplified together, keeping shared edges shared, to at most MAX_POINTS
    points each, at PRECISION."""
    tolerance = FIRST_TOLERANCE
    while True:
        result = shapely.coverage_simplify(geometries, tolerance)
        result = [shapely.set_precision(g, PRECISION) for g in result]
        if all(shapely.get_num_coordinates(g) <= MAX_POINTS for g in result) or tolerance > 0.05:
            return result
        tolerance *= 2


def outlines_document(
    matched: Mapping[str, Boundary],
    wards: Mapping[str, Ward],
    vintage: str,
    authority: str,
    source: str,
) -> dict[str, Any]:
    slugs = sorted(matched)
    shapes = simplified([matched[slug].geometry for slug in slugs])
    return {
        "type": "FeatureCollection",
        "source": source,
        "vintage": vintage,
        "local_authority_code": authority,
        "features": [
            {
                "type": "Feature",
                "properties": {"slug": slug, "name": wards[slug].name, "gss": matched[slug].code},
                "geometry": mapping(geometry),
            }
            for slug, geometry in zip(slugs, shapes, strict=True)
        ],
    }


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("boundaries", type=Path, help="the ONS ward boundaries (GeoJSON)")
    parser.add_argument("--settings", default="pelicanconf.py")
    args = parser.parse_args(list(argv) if argv is not None else None)
    settings = read_settings(args.settings)
    authority = settings["LOCAL_AUTHORITY_CODE"]
    wards_file, outlines_file = Path(settings["WARDS_FILE"]), Path(settings["WARD_OUTLINES_FILE"])
    progress = sys.stderr if sys.stderr.isatty() else None
    try:
        wards = load_wards(wards_file)
        with args.boundaries.open("rb") as stream:
            boundaries = read_boundaries(stream, authority, progress)
    except FileNotFoundError:
        print(f"{args.boundaries}: file: not found", file=sys.stderr)
        return 1
    except IsADirectoryError:
        print(f"{args.boundaries}: is a folder; give the GeoJSON file in it", file=sys.stderr)
        return 1
    except (BoundariesError, ValueError) as error:
        print(f"{args.boundaries}: {error}; nothing was changed.", file=sys.stderr)
        return 1
    matched, problems = match(boundaries.found, wards)
    if problems:
        print("\n".join(f"{args.boundaries}: {p}" for p in problems), file=sys.stderr)
        print(f"{args.boundaries}: nothing was changed.", file=sys.stderr)
        return 1
    document = outlines_document(
        matched, wards, boundaries.vintage, authority, args.boundaries.name
    )
    write_atomically(outlines_file, json.dumps(document, ensure_ascii=False) + "\n")
    codes = {slug: boundary.code for slug, boundary in matched.items()}
    write_atomically(wards_file, with_codes(wards_file, codes))
    points = sum(shapely.get_num_coordinates(shape(f["geometry"])) for f in document["features"])
    print(
        f"wards: {len(matched)} wards ({boundaries.vintage}) from {boundaries.features:,} "
        f"boundaries; {points:,} points in their outlines; codes written to {wards_file}, "
        f"outlines to {outlines_file}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
