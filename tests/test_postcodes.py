"""The postcode importer reads the ONS directory in each release's header style, keeps the
council's live postcodes, and refuses malformed or foreign files without changing anything."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from noticeboard.import_postcodes import lookup_document, read_directory
from plugins.content_model.wards import Ward
from plugins.postcodes import by_outward
from plugins.postcodes.areas import postcode_areas
from plugins.postcodes.nspl import DirectoryError, normalise_postcode
from tests.sitebuilder import ROOT, build, item, read
from tests.test_open_data import validator

DOVER = "E07000108"
WARDS = {
    "town-and-castle": Ward("town-and-castle", "Town and Castle", "E05012345"),
    "sandwich": Ward("sandwich", "Sandwich", "E05012346"),
}
ROWS = [
    # postcode, terminated, local authority, ward
    ("CT16 1LU", "", DOVER, "E05012345"),
    ("CT161AA", "", DOVER, "E05012345"),
    ("ct13 9aa", "", DOVER, "E05012346"),
    ("CT13 9ZZ", "201901", DOVER, "E05012346"),  # terminated
    ("CT1 1AA", "", "E07000106", "E05009999"),  # Canterbury
]
HEADERS = {
    "nspl-old": ("pcd", "pcd2", "pcds", "dointr", "doterm", "usertype", "laua", "ward"),
    "onspd": ("pcd", "pcd2", "pcds", "dointr", "doterm", "oscty", "oslaua", "osward"),
    "nspl-2025": ("PCD7", "PCD8", "PCDS", "DOINTR", "DOTERM", "USRTYPIND", "LAD25CD", "WD25CD"),
}


def directory_csv(header: tuple[str, ...], rows: list[tuple[str, str, str, str]]) -> str:
    lines = [",".join(header)]
    for postcode, terminated, authority, ward in rows:
        fields = (postcode.replace(" ", ""), postcode, postcode, "201001", terminated, "0")
        lines.append(",".join((*fields, authority, ward)))
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("style", "vintage"), [("nspl-old", "ward"), ("onspd", "osward"), ("nspl-2025", "WD25")]
)
def test_each_header_style_imports_the_councils_live_postcodes(style: str, vintage: str) -> None:
    imported = read_directory(io.StringIO(directory_csv(HEADERS[style], ROWS)), DOVER, WARDS)
    assert imported.postcodes == {
        "CT16 1LU": "town-and-castle",
        "CT16 1AA": "town-and-castle",
        "CT13 9AA": "sandwich",
    }
    assert (imported.ward_vintage, imported.rows, imported.terminated) == (vintage, 5, 1)


@pytest.mark.parametrize(
    ("text", "normal"),
    [
        ("ct16 1lu", "CT16 1LU"),
        ("CT161LU", "CT16 1LU"),
        (" ct16  1lu ", "CT16 1LU"),
        ("W1A 1AA", "W1A 1AA"),
        ("CT16", None),
        ("12345", None),
    ],
)
def test_postcodes_are_normalised(text: str, normal: str | None) -> None:
    assert normalise_postcode(text) == normal


def problem(text: str) -> str:
    with pytest.raises(DirectoryError) as refused:
        read_directory(io.StringIO(text), DOVER, WARDS)
    return str(refused.value)


def test_a_file_without_the_columns_is_refused() -> None:
    assert problem("name,address\nx,y\n") == (
        "columns: no ward column (looked for wdNNcd, ward, osward); is this the National "
        "Statistics Postcode Lookup (NSPL) or ONSPD CSV?"
    )


def test_a_cut_short_file_is_refused() -> None:
    text = directory_csv(HEADERS["nspl-2025"], ROWS[:1]) + "CT16 2AA,CT16 2AA\n"
    assert problem(text) == (
        "line 3: has 2 fields, the header has 8; the file is cut short or is not the NSPL/ONSPD CSV"
    )


def test_a_bad_postcode_is_refused() -> None:
    text = directory_csv(HEADERS["nspl-2025"], [("NOT A CODE", "", DOVER, "E05012345")])
    assert problem(text) == "line 2: pcds: 'NOT A CODE' is not a postcode"


def test_another_councils_file_is_refused() -> None:
    text = directory_csv(HEADERS["nspl-2025"], [ROWS[4]])
    assert problem(text) == (
        "file: has no live postcodes in E07000108 (LOCAL_AUTHORITY_CODE); is it the right "
        "council's code, or the right file?"
    )


def test_wards_missing_from_the_wards_file_are_named() -> None:
    text = directory_csv(HEADERS["nspl-2025"], [("CT16 1LU", "", DOVER, "E05099999")])
    assert problem(text) == (
        "WD25: 1 ward codes are not in the wards file's gss column: E05099999 (1 postcodes); "
        "add them to the wards file, or give the directory's ward names file "
        "(make postcodes WARD_NAMES=...) to find them by name"
    )


WARDS_FILE = (
    "slug,name,gss\ntown-and-castle,Town and Castle,E05012345\nsandwich,Sandwich,E05012346\n"
)


def run_import(
    tmp_path: Path, csv_text: str, wards_file: str = WARDS_FILE, *extra: str
) -> subprocess.CompletedProcess[str]:
    (tmp_path / "content").mkdir(exist_ok=True)
    wards = tmp_path / "wards.csv"
    wards.write_text(wards_file)
    settings = tmp_path / "conf.py"
    settings.write_text(
        f"from pelicanconf import *\nPATH = {str(tmp_path / 'content')!r}\n"
        f"WARDS_FILE = {str(wards)!r}\nPOSTCODES_FILE = {str(tmp_path / 'postcodes.json')!r}\n"
    )
    source = tmp_path / "NSPL.csv"
    source.write_text(csv_text)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [
        sys.executable,
        "-m",
        "noticeboard.import_postcodes",
        str(source),
        "--settings",
        str(settings),
        *extra,
    ]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)


def test_the_command_writes_the_lookup_with_a_one_line_summary(tmp_path: Path) -> None:
    result = run_import(tmp_path, directory_csv(HEADERS["nspl-2025"], ROWS))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        f"postcodes: 3 live postcodes in 2 outward codes (WD25 wards) from 5 rows; 1 terminated "
        f"skipped; wrote {tmp_path / 'postcodes.json'}"
    )
    lookup = json.loads((tmp_path / "postcodes.json").read_text())
    assert (lookup["ward_vintage"], lookup["local_authority_code"]) == ("WD25", DOVER)
    assert lookup["postcodes"]["CT13 9AA"] == "sandwich"


def test_a_refused_file_changes_nothing(tmp_path: Path) -> None:
    assert run_import(tmp_path, directory_csv(HEADERS["nspl-2025"], ROWS)).returncode == 0
    before = (tmp_path / "postcodes.json").read_bytes()
    result = run_import(tmp_path, "name,address\nx,y\n")
    assert result.returncode == 1
    assert result.stderr.strip().endswith(
        "is this the National Statistics Postcode Lookup (NSPL) or ONSPD CSV?; nothing was changed."
    )
    assert (tmp_path / "postcodes.json").read_bytes() == before


def test_the_site_publishes_one_file_per_outward_code(tmp_path: Path) -> None:
    lookup = tmp_path / "postcodes.json"
    lookup.write_text(
        json.dumps(
            {
                "source": "test",
                "local_authority_code": DOVER,
                "ward_vintage": "WD25",
                "postcodes": {
                    "CT16 1LU": "town-and-castle",
                    "CT16 1AA": "town-and-castle",
                    "CT13 9AA": "sandwich",
                },
            }
        )
    )
    output = build(tmp_path, {"notices/n.md": item("notices")}, POSTCODES_FILE=str(lookup))
    ct16 = json.loads((output / "api" / "v1" / "postcodes" / "CT16.json").read_text())
    assert ct16 == {
        "outward": "CT16",
        "ward_vintage": "WD25",
        "postcodes": {"CT16 1LU": "town-and-castle", "CT16 1AA": "town-and-castle"},
    }
    assert list(validator("postcodes", output).iter_errors(ct16)) == []
    assert (output / "api" / "v1" / "postcodes" / "CT13.json").exists()


def test_postcode_areas_group_sectors_and_split_them_by_ward() -> None:
    areas = postcode_areas(
        {
            "CT16 1LU": "town-and-castle",
            "CT16 1ZZ": "buckland",
            "CT16 2AB": "buckland",
            "CT3 4AA": "little-stour-and-ashstone",
            "CT13 9AA": "sandwich",
        }
    )
    assert [a.code for a in areas] == ["CT3", "CT13", "CT16"]
    ct16 = areas[2]
    assert ct16.wards == ["town-and-castle", "buckland"]  # in postcode order
    assert [(s.code, dict(s.wards), s.split) for s in ct16.sectors] == [
        ("CT16 1", {"town-and-castle": ("CT16 1LU",), "buckland": ("CT16 1ZZ",)}, True),
        ("CT16 2", {"buckland": ("CT16 2AB",)}, False),
    ]


def test_the_wards_page_gives_the_wards_of_each_postcode_area(tmp_path: Path) -> None:
    lookup = tmp_path / "postcodes.json"
    lookup.write_text(
        json.dumps(
            {
                "ward_vintage": "WD25",
                "postcodes": {
                    "CT16 1LU": "town-and-castle",
                    "CT16 2AB": "buckland",
                    "CT13 9AA": "sandwich",
                },
            }
        )
    )
    output = build(tmp_path, {"notices/n.md": item("notices")}, POSTCODES_FILE=str(lookup))
    wards = read(output, "/wards/")
    assert 'action="/subscriptions/find-area"' in read(output, "/")
    assert 'id="postcodes"' in wards
    assert 'href="/wards/postcodes/CT16/"' in wards and "/wards/postcodes/CT13/" not in wards
    assert "All starting CT16 2" in read(output, "/wards/postcodes/CT16/")
    assert not (output / "wards" / "postcodes" / "CT13").exists()


def test_without_a_lookup_there_is_no_postcode_form(tmp_path: Path) -> None:
    output = build(tmp_path, {"notices/n.md": item("notices")}, POSTCODES_FILE="")
    home = read(output, "/")
    assert "Postcodes cannot be looked up on this site yet." in home
    assert 'name="postcode"' not in home and "find-area.js" not in home
    assert 'id="postcodes"' not in read(output, "/wards/")


def test_each_postcodes_location_is_kept_where_the_directory_gives_it() -> None:
    """From its LAT and LONG columns, to about 1 m; ONS's 99.999999 (not placed) is not
    a place."""
    header = ("PCDS", "DOTERM", "LAD25CD", "WD25CD", "LAT", "LONG")
    text = (
        ",".join(header) + "\n"
        f"CT16 1LU,,{DOVER},E05012345,51.1234567,1.3123456\n"
        f"CT13 9AA,,{DOVER},E05012346,99.999999,0.000000\n"
    )
    imported = read_directory(io.StringIO(text), DOVER, WARDS)
    assert imported.locations == {"CT16 1LU": (51.12346, 1.31235)}
    documents = by_outward(lookup_document(imported, DOVER, "NSPL.csv"))
    assert documents["CT16"]["locations"] == {"CT16 1LU": [51.12346, 1.31235]}
    assert documents["CT13"]["locations"] == {}


def test_the_directorys_ward_names_file_gives_the_wards_their_codes(tmp_path: Path) -> None:
    """A council whose wards file has no codes yet: the directory's 'Ward names and codes'
    file (the whole UK; another council's 'Sandwich' too) finds them by name."""
    names = tmp_path / "Ward names and codes UK as at 05_25.csv"
    names.write_text(
        "WD25CD,WD25NM,WD25NMW\nE05012345,Town & Castle,\nE05012346,Sandwich,\n"
        "E05099999,Sandwich Ward,\n"
    )
    uncoded = "slug,name,gss,places\ntown-and-castle,Town and Castle,,Dover\nsandwich,Sandwich,,\n"
    text = directory_csv(HEADERS["nspl-2025"], ROWS)
    result = run_import(tmp_path, text, uncoded, "--ward-names", str(names))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "wards.csv").read_text() == (
        "slug,name,gss,places\ntown-and-castle,Town and Castle,E05012345,Dover\n"
        "sandwich,Sandwich,E05012346,\n"
    )
    lookup = json.loads((tmp_path / "postcodes.json").read_text())
    assert lookup["postcodes"]["CT16 1LU"] == "town-and-castle"
    # Without it, the codes the wards file lacks are named, with what to do.
    (tmp_path / "postcodes.json").unlink()
    refused = run_import(tmp_path, text, uncoded)
    assert refused.returncode == 1 and "WARD_NAMES=" in refused.stderr
