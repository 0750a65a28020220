"""Every page is valid HTML, checked by the Nu HTML Checker (vnu.jar, from npm, on Java)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.sitebuilder import ROOT, build, numbered_notices
from tests.test_reach_dashboard import reach_site
from tests.test_sanitise import RAW_HTML

VNU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


SHELLS = "subscriptions/"  # the backend's page templates (one per language), not pages


def pages(*folders: Path) -> list[Path]:
    return [
        p
        for f in folders
        for p in sorted(f.rglob("*.html"))
        if not p.relative_to(f).as_posix().startswith(SHELLS)
    ]


def nu_messages(*folders: Path) -> list[str]:
    java = shutil.which("java")
    if java is None:
        pytest.fail("java is missing: 'make test' installs Debian's default-jre-headless")
    result = subprocess.run(
        [java, "-jar", str(VNU), "--format", "json", *map(str, pages(*folders))],
        capture_output=True,
        text=True,
        check=False,
    )
    messages = json.loads(result.stderr or result.stdout)["messages"]
    return [
        f"{m.get('url', '')}:{m.get('lastLine', '')}: {m['type']}: {m['message']}" for m in messages
    ]


def test_every_page_is_valid_html(example_site: Path, tmp_path: Path) -> None:
    """Officers' raw HTML included: what the sanitiser leaves is valid too."""
    # With a postcode lookup too: the wards of each postcode area, and their own pages.
    lookup = tmp_path / "postcodes.json"
    lookup.write_text(
        '{"ward_vintage": "WD25", "postcodes": {"CT16 1LU": "town-and-castle", '
        '"CT16 1ZZ": "buckland", "CT14 7AA": "walmer"}}'
    )
    paginated = build(
        tmp_path, {**numbered_notices(55), "notices/raw.md": RAW_HTML}, POSTCODES_FILE=str(lookup)
    )
    assert (paginated / "wards" / "postcodes" / "CT16" / "index.html").exists()
    assert (paginated / "notices" / "page" / "2" / "index.html").exists()
    assert (paginated / "wards" / "walmer" / "page" / "2" / "index.html").exists()
    assert nu_messages(example_site, paginated) == []


def test_the_reach_dashboard_is_valid_html(tmp_path: Path) -> None:
    output = reach_site(tmp_path)
    assert nu_messages(output / "reach") == []
