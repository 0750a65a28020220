"""make wards BOUNDARIES=FILE: the ONS ward boundaries, in the field styles of two
vintages, give the wards file its ONS codes and the site its ward outlines."""

from __future__ import annotations

import json
import math
import re
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
import shapely
from lxml import etree
from shapely.geometry import shape

from noticeboard.import_wards import MAX_POINTS, main
from plugins.cap.message import CAP_NS
from plugins.content_model import ContentInvalid
from plugins.content_model.outlines import load_outlines
from plugins.maps.svg import MAX_BYTES
from tests.sitebuilder import ROOT, build, item, read

SCHEMA = ROOT.parent / "shared" / "standards" / "cap-v1.2.xsd"

AUTHORITY = "E07000108"
WARDS = (
    "slug,name,gss,places\n"
    "castle,Castle,,Dover Castle\n"
    "st-margarets,St Margaret's-at-Cliffe,,St Margaret's\n"
    "eastry-rural,Eastry Rural,,Eastry\n"
    "mill-hill,Mill Hill,,\n"
)
# The ONS names, as the file writes them (with '&', 'St.' and 'Ward').
ONS_NAMES = {
    "castle": ("E05012345", "Castle"),
    "st-margarets": ("E05012346", "St. Margaret's-at-Cliffe Ward"),
    "eastry-rural": ("E05012347", "Eastry Rural"),
    "mill-hill": ("E05012348", "Mill Hill"),
}


def wiggle(x: float, y: float) -> tuple[float, float]:
    """A point of an edge, moved a little by where it is: so neighbours' shared edges,
    made from the same points, stay the same, and there is something to simplify."""
    return (
        round(x + 0.00003 * math.sin(y * 9000), 7),
        round(y + 0.00003 * math.sin(x * 9000), 7),
    )


def square(west: float, south: float, size: float = 0.05, steps: int = 150) -> list[Any]:
    """A ward-sized square ring of 4 * steps points (GeoJSON order: longitude first)."""
    corners = [(west, south), (west + size, south), (west + size, south + size),
               (west, south + size), (west, south)]  # fmt: skip
    ring = []
    for (x0, y0), (x1, y1) in pairwise(corners):
        for i in range(steps):
            ring.append(wiggle(x0 + (x1 - x0) * i / steps, y0 + (y1 - y0) * i / steps))
    ring.append(ring[0])
    return [list(p) for p in ring]


def boundaries(style: str, names: dict[str, tuple[str, str]] = ONS_NAMES) -> dict[str, Any]:
    """A synthetic boundaries file: the council's four wards in a 2 x 2 grid by Dover, and
    two wards of another council. ``style``: 'WD24' (upper case) or 'wd17' (lower case)."""
    year = style[2:]
    code, name, authority = (f"{style}cd", f"{style}nm", f"lad{year}cd")
    if style.isupper():
        code, name, authority = code.upper(), name.upper(), authority.upper()
    cells = [(1.25, 51.10), (1.30, 51.10), (1.25, 51.15), (1.30, 51.15)]
    features = [
        {
            "type": "Feature",
            "properties": {code: gss, name: ons_name, authority: AUTHORITY, "GlobalID": slug},
            "geometry": {"type": "Polygon", "coordinates": [square(*cell)]},
        }
        for (slug, (gss, ons_name)), cell in zip(names.items(), cells, strict=True)
    ]
    features += [
        {
            "type": "Feature",
            "properties": {code: f"E0509999{i}", name: "Elsewhere", authority: "E07000999"},
            "geometry": {"type": "Polygon", "coordinates": [square(0.1 * i, 52.0)]},
        }
        for i in range(2)
    ]
    return {"type": "FeatureCollection", "features": features}


def council(tmp_path: Path, document: Any) -> tuple[Path, list[str]]:
    """A council's settings, wards file and boundaries file; the command's arguments."""
    (tmp_path / "wards.csv").write_text(WARDS, encoding="utf-8")
    settings = tmp_path / "settings.py"
    settings.write_text(
        f"LOCAL_AUTHORITY_CODE = {AUTHORITY!r}\n"
        f"WARDS_FILE = {str(tmp_path / 'wards.csv')!r}\n"
        f"WARD_OUTLINES_FILE = {str(tmp_path / 'outlines.geojson')!r}\n"
    )
    source = tmp_path / "Wards_Boundaries.geojson"
    source.write_text(document if isinstance(document, str) else json.dumps(document))
    return tmp_path, [str(source), "--settings", str(settings)]


@pytest.mark.parametrize(("style", "vintage"), [("WD24", "WD24"), ("wd17", "WD17")])
def test_the_boundaries_fill_the_ward_codes_and_outlines(
    tmp_path: Path, style: str, vintage: str, capsys: pytest.CaptureFixture[str]
) -> None:
    folder, args = council(tmp_path, boundaries(style))
    (folder / "wards.csv").chmod(0o664)
    assert main(args) == 0
    assert (folder / "wards.csv").stat().st_mode & 0o777 == 0o664  # as it was
    assert (folder / "outlines.geojson").stat().st_mode & 0o777 == 0o644
    assert f"4 wards ({vintage}) from 6 boundaries" in capsys.readouterr().out
    assert (folder / "wards.csv").read_text(encoding="utf-8") == (
        "slug,name,gss,places\n"
        "castle,Castle,E05012345,Dover Castle\n"
        "st-margarets,St Margaret's-at-Cliffe,E05012346,St Margaret's\n"
        "eastry-rural,Eastry Rural,E05012347,Eastry\n"
        "mill-hill,Mill Hill,E05012348,\n"
    )
    outlines = load_outlines(folder / "outlines.geojson")
    assert outlines.vintage == vintage and sorted(outlines.by_ward) == sorted(ONS_NAMES)
    document = json.loads((folder / "outlines.geojson").read_text())
    shapes = [shape(f["geometry"]) for f in document["features"]]
    for outline in shapes:
        assert outline.is_valid and 4 <= shapely.get_num_coordinates(outline) <= MAX_POINTS
        coordinates = shapely.get_coordinates(outline).ravel()
        assert all(abs(c * 1e5 - round(c * 1e5)) < 1e-6 for c in coordinates)  # ~1 m
    # Simplified together: neighbours still meet along their shared edges, no gaps or
    # overlaps between them.
    assert shapely.coverage_is_valid(shapely.GeometryCollection(shapes))
    assert shapely.union_all(shapes).geom_type == "Polygon"
    for slug, outline in outlines.by_ward.items():
        ring = outline[0]
        assert ring[0] == ring[-1] and 51 < ring[0][0] < 52 and 1 < ring[0][1] < 2, slug


def test_a_boundary_or_ward_that_cannot_be_matched_is_named_and_nothing_changes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    names = {**ONS_NAMES, "mill-hill": ("E05012348", "Maxton, Elms Vale and Priory")}
    folder, args = council(tmp_path, boundaries("WD24", names))
    assert main(args) == 1
    errors = capsys.readouterr().err
    assert "boundary E05012348 'Maxton, Elms Vale and Priory' matches no ward" in errors
    assert "ward 'mill-hill' ('Mill Hill') has no boundary in the file" in errors
    assert "nothing was changed" in errors
    assert (folder / "wards.csv").read_text(encoding="utf-8") == WARDS
    assert not (folder / "outlines.geojson").exists()


@pytest.mark.parametrize(
    ("document", "said"),
    [
        ("not json at all", "is not GeoJSON"),
        ({"type": "FeatureCollection", "features": []}, "has no features"),
        (
            {"features": [{"properties": {"NAME": "x"}, "geometry": None}]},
            "no ward code field like WD24CD",
        ),
        (
            {"features": [{"properties": {"WD24CD": "E05000001", "WD24NM": "x"}}]},
            "no local authority field like LAD24CD",
        ),
    ],
)
def test_a_file_that_is_not_ward_boundaries_is_refused(
    tmp_path: Path, document: Any, said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    folder, args = council(tmp_path, document)
    assert main(args) == 1
    assert said in capsys.readouterr().err
    assert (folder / "wards.csv").read_text(encoding="utf-8") == WARDS


def test_british_national_grid_coordinates_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = boundaries("WD24")
    for feature in document["features"]:
        ring = feature["geometry"]["coordinates"][0]
        feature["geometry"]["coordinates"][0] = [[x * 1e4 + 600000, y * 1e3] for x, y in ring]
    _, args = council(tmp_path, document)
    assert main(args) == 1
    assert "download the GeoJSON in WGS 84" in capsys.readouterr().err


# --- Alerts placed by their wards' outlines -------------------------------------------------

CAP = {"cap": CAP_NS}


def outlines_file(folder: Path) -> Path:
    """Outlines as make wards writes them: Walmer in two parts (one an island), Sandwich
    next to Walmer's first part."""

    def box(west: float, south: float, size: float = 0.02) -> list[list[float]]:
        return [[west, south], [west + size, south], [west + size, south + size],
                [west, south + size], [west, south]]  # fmt: skip

    features = [
        {
            "type": "Feature",
            "properties": {"slug": "walmer", "name": "Walmer", "gss": "E05012349"},
            "geometry": {
                "type": "MultiPolygon",
                "coordinates": [[box(1.38, 51.19)], [box(1.45, 51.19, 0.01)]],
            },
        },
        {
            "type": "Feature",
            "properties": {"slug": "sandwich", "name": "Sandwich", "gss": "E05012350"},
            "geometry": {"type": "Polygon", "coordinates": [box(1.40, 51.19)]},
        },
    ]
    path = folder / "outlines.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "vintage": "WD24",
                                "features": features}))  # fmt: skip
    return path


def cap_polygons(site: Path, slug: str) -> list[list[tuple[float, float]]]:
    message = etree.parse(str(site / "alerts" / f"{slug}.cap.xml"))
    return [
        [tuple(float(n) for n in point.split(",")) for point in polygon.text.split()]
        for polygon in message.iterfind("cap:info/cap:area/cap:polygon", CAP)
    ]


DRAWN = "51.2,1.39 51.21,1.39 51.21,1.4 51.2,1.39"


def test_an_alert_naming_wards_is_placed_by_their_outlines(tmp_path: Path) -> None:
    files = {
        "alerts/both.md": item("alerts", Slug="both", Wards="walmer, sandwich", drop=("Polygon",)),
        "alerts/drawn.md": item("alerts", Slug="drawn", Wards="walmer", Polygon=DRAWN),
    }
    site = build(tmp_path, files, WARD_OUTLINES_FILE=str(outlines_file(tmp_path)))
    both = cap_polygons(site, "both")
    # Walmer's first part and Sandwich merged into one ring, Walmer's island a second.
    assert len(both) == 2
    for ring in both:
        assert ring[0] == ring[-1] and len(ring) >= 4
        assert shapely.Polygon([(lon, lat) for lat, lon in ring]).is_valid
    areas = sorted(shapely.Polygon([(lon, lat) for lat, lon in r]).area for r in both)
    assert areas == pytest.approx([0.0001, 0.0008])
    # The officer's own Polygon wins.
    assert cap_polygons(site, "drawn") == [
        [(51.2, 1.39), (51.21, 1.39), (51.21, 1.4), (51.2, 1.39)]
    ]
    if SCHEMA.exists():
        schema = etree.XMLSchema(etree.parse(str(SCHEMA)))
        for slug in ("both", "drawn"):
            path = site / "alerts" / f"{slug}.cap.xml"
            assert schema.validate(etree.parse(str(path))), schema.error_log


@pytest.mark.parametrize(
    ("polygon", "said"),
    [
        ("51.2,1.39 51.21,1.4 51.2,1.4 51.21,1.39 51.2,1.39", "Polygon: crosses itself"),
        ("1.39,51.2 1.39,51.21 1.4,51.21 1.39,51.2", "Polygon: is not all near the district"),
        # One point's latitude and longitude swapped, or one digit mistyped.
        ("51.2,1.39 51.21,1.39 1.4,51.21 51.2,1.39", "Polygon: is not all near the district"),
        ("51.2,1.39 52.21,1.39 51.21,1.4 51.2,1.39", "Polygon: is not all near the district"),
        # A mistyped latitude that also makes it cross itself: the point is what to fix.
        (
            "51.2,1.39 51.21,1.39 51.21,1.4 52.2,1.4 51.2,1.39",
            "Polygon: is not all near the district",
        ),
        ("51.2,1.39 51.2,1.39 51.2,1.39 51.2,1.39", "Polygon: has no area"),
        ("51.2,1.39 51.21,1.39 51.22,1.39 51.2,1.39", "Polygon: has no area"),
        (
            " ".join(f"51.2,{1.39 + i * 1e-6:.6f}" for i in range(600)) + " 51.2,1.39",
            "Polygon: has 601 points",
        ),
    ],
)
def test_a_polygon_that_crosses_itself_or_is_far_away_is_refused(
    tmp_path: Path, polygon: str, said: str
) -> None:
    files = {"alerts/x.md": item("alerts", Slug="x", Wards="walmer", Polygon=polygon)}
    with pytest.raises(ContentInvalid) as stopped:
        build(tmp_path, files, WARD_OUTLINES_FILE=str(outlines_file(tmp_path)))
    problems = [str(p) for p in stopped.value.report.problems]
    assert any(said in p for p in problems), problems


# --- Maps -------------------------------------------------------------------------------------


def test_alert_and_ward_pages_show_a_map_drawn_at_build_time(tmp_path: Path) -> None:
    files = {
        "alerts/both.md": item(
            "alerts",
            Slug="both",
            Wards="walmer, sandwich",
            Instruction="Move valuables upstairs.",
            drop=("Polygon",),
        ),
        "alerts/drawn.md": item("alerts", Slug="drawn", Wards="walmer", Polygon=DRAWN),
    }
    site = build(tmp_path, files, WARD_OUTLINES_FILE=str(outlines_file(tmp_path)))
    page = read(site, "/alerts/both/")
    svg = re.search(r'<svg class="council-map".*?</svg>', page, re.S)
    assert svg is not None and len(svg.group().encode()) < MAX_BYTES
    assert '<title id="map-both-title">Map of the alert\'s area</title>' in svg.group()
    assert (
        '<figcaption class="govuk-body-s">The alert covers: Walmer, Sandwich.</figcaption>' in page
    )
    assert svg.group().count("<path") == 2 + 2  # the two wards, then the two highlighted
    assert "http" not in svg.group().replace("http://www.w3.org/2000/svg", "")  # no requests
    drawn = read(site, "/alerts/drawn/")
    assert "The area drawn covers parts of: Walmer." in drawn
    ward = read(site, "/wards/walmer/")
    assert "Map of Walmer ward" in ward and 'class="council-map"' in ward
    assert 'class="council-map"' not in read(site, "/wards/")  # no map where none is asked
    # A ward without an outline has nothing to show: no map, rather than an empty one.
    assert 'class="council-map"' not in read(site, "/wards/aylesham-eythorne-and-shepherdswell/")
    # The map follows what to do, on the alert's page.
    assert page.index("What you should do") < page.index('class="council-map"')


def test_an_area_drawn_offshore_is_said_to_be_outside_the_wards(tmp_path: Path) -> None:
    offshore = "51.2,1.44 51.201,1.44 51.201,1.441 51.2,1.44"  # between Walmer's two parts
    files = {"alerts/sea.md": item("alerts", Slug="sea", Wards="walmer", Polygon=offshore)}
    site = build(tmp_path, files, WARD_OUTLINES_FILE=str(outlines_file(tmp_path)))
    page = read(site, "/alerts/sea/")
    assert "The area drawn is outside the district&#39;s wards." in page or (
        "The area drawn is outside the district's wards." in page
    )


def test_without_outlines_there_is_no_map(tmp_path: Path) -> None:
    site = build(tmp_path, {"alerts/a.md": item("alerts", Slug="a")})
    assert "council-map" not in read(site, "/alerts/a/")


POINT = {"type": "Point", "coordinates": [1.3, 51.1]}  # a ward's centre, not its outline


def moved(document: dict[str, Any], dx: float, dy: float) -> dict[str, Any]:
    """The boundaries with the council's first ward moved by (dx, dy) degrees."""
    ring = document["features"][0]["geometry"]["coordinates"][0]
    document["features"][0]["geometry"]["coordinates"][0] = [[x + dx, y + dy] for x, y in ring]
    return document


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (lambda d: d["features"][0]["properties"].update(WD24CD="<b>E05</b>"), "not an ONS code"),
        (
            lambda d: d["features"][0].update(
                geometry={"type": "Point", "coordinates": [1.3, 51.1]}
            ),
            "is a Point, not an outline",
        ),
        (lambda d: moved(d, -1.25, -51.1), "is not in the United Kingdom"),
        (lambda d: moved(d, -2.5, 1.0), "is far from the council's other wards"),
    ],
)
def test_a_boundary_that_cannot_be_a_ward_of_the_council_is_refused(
    tmp_path: Path, change: Any, said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    document = boundaries("WD24")
    change(document)
    folder, args = council(tmp_path, document)
    assert main(args) == 1
    assert said in capsys.readouterr().err
    assert (folder / "wards.csv").read_text(encoding="utf-8") == WARDS
    assert not (folder / "outlines.geojson").exists()
