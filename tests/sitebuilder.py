"""Build small sites from fixture content in temporary folders, as the tests' docs do."""

from __future__ import annotations

import html
import re
import textwrap
from collections.abc import Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from lxml import html as lxml_html
from pelican import Pelican
from pelican.settings import read_settings

ROOT = Path(__file__).resolve().parents[1]
SETTINGS = ROOT / "pelicanconf.py"
FIXTURE_WARDS = Path(__file__).resolve().parent / "fixtures" / "wards.csv"
EXAMPLE_NOW = "2026-11-28T12:00:00+00:00"

# Fields every item needs, so each test writes only what it is about.
BASE = {
    "alerts": {
        "Title": "Flood alert: River Stour",
        "Date": "2026-11-27 09:00",
        "Summary": "The river may flood low-lying roads.",
        "Wards": "sandwich",
        "Event": "flooding",
        "Severity": "moderate",
        "Expires": "2026-11-30 18:00",
        "Polygon": "51.27,1.32 51.28,1.34 51.27,1.35 51.27,1.32",
    },
    "notices": {
        "Title": "Planning application: 1 High Street",
        "Date": "2026-11-20 09:00",
        "Summary": "An application to extend 1 High Street.",
        "Wards": "walmer",
        "Notice-Type": "planning",
        "Reference": "DOV/26/00001",
        "Legislation": "Town and Country Planning Act 1990, section 65",
    },
    "bin-changes": {
        "Title": "Bank holiday collections",
        "Date": "2026-11-20 09:00",
        "Summary": "Collections move by a day.",
        "Wards": "all",
        "Changes": "2026-12-25 -> 2026-12-26",
    },
    "consultations": {
        "Title": "Parking in Deal town centre",
        "Date": "2026-11-20 09:00",
        "Summary": "Tell us what you think of new parking charges.",
        "Wards": "middle-deal",
        "Opens": "2026-11-23",
        "Closes": "2027-01-15",
        "Respond-To": "https://www.example.org/have-your-say/parking",
    },
    "meetings": {
        "Title": "Planning committee",
        "Date": "2026-11-20 09:00",
        "Summary": "The committee decides planning applications.",
        "Wards": "all",
        "Starts": "2026-12-10 18:30",
        "Venue": "Council Chamber, Dover",
    },
    "pages": {"Title": "About"},
}


def item(kind: str, body: str = "Some words.", drop: tuple[str, ...] = (), **fields: str) -> str:
    """A content file: the base fields of ``kind``, overridden by ``fields`` (underscores
    for hyphens: ``Notice_Type``), less those named in ``drop``. A notice given a
    Respond-By gets the Respond-To it needs, unless it names its own."""
    values = {**BASE[kind], **{k.replace("_", "-"): v for k, v in fields.items()}}
    if "Respond-By" in values and "Respond-To" not in values:
        values["Respond-To"] = "notices@example.org"
    lines = [f"{key}: {value}" for key, value in values.items() if key not in drop]
    return "\n".join(lines) + "\n\n" + textwrap.dedent(body).strip() + "\n"


def numbered_notices(count: int, first_day: int = 1) -> dict[str, str]:
    """``count`` notices, one a day through 2026 from ``first_day`` of the year, each with
    its own slug (n01...), title ('Notice 01'...) and reference."""
    start = date(2026, 1, 1) + timedelta(days=first_day - 1)
    return {
        f"notices/n{i:02d}.md": item(
            "notices",
            Slug=f"n{i:02d}",
            Title=f"Notice {i:02d}",
            Reference=f"R/{i}",
            Date=f"{start + timedelta(days=i - 1)} 09:00",
        )
        for i in range(1, count + 1)
    }


def write_content(root: Path, files: Mapping[str, str | bytes]) -> Path:
    content = root / "content"
    content.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        path = content / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
    return content


def settings_for(root: Path, now: str = EXAMPLE_NOW, **override: Any) -> dict[str, Any]:
    values = {
        "PATH": str(root / "content"),
        "OUTPUT_PATH": str(root / "output"),
        "NOTICEBOARD_NOW": now,
        "SEARCH_INDEX": False,  # the search tests ask for it
        # A fixture site has the example's wards as they came (no ONS codes), and none of the
        # data a council imports (outlines, postcodes, rounds) unless a test gives it: a council's
        # own committed data changes no test.
        "WARDS_FILE": str(FIXTURE_WARDS),
        "WARD_OUTLINES_FILE": str(root / "no-ward-outlines.geojson"),
        "POSTCODES_FILE": str(root / "no-postcodes.json"),
        "ROUNDS_FILE": str(root / "no-rounds.csv"),
        **override,
    }
    return read_settings(str(SETTINGS), override=values)


def build(
    root: Path, files: Mapping[str, str | bytes], now: str = EXAMPLE_NOW, **override: Any
) -> Path:
    """Write ``files`` under ``root/content`` and build them into ``root/output``."""
    write_content(root, files)
    Pelican(settings_for(root, now, **override)).run()
    return root / "output"


def build_folder(content: Path, output: Path, now: str = EXAMPLE_NOW) -> Path:
    settings = read_settings(
        str(SETTINGS),
        override={
            "PATH": str(content),
            "OUTPUT_PATH": str(output),
            "NOTICEBOARD_NOW": now,
            "SEARCH_INDEX": False,
        },
    )
    Pelican(settings).run()
    return output


def read(output: Path, url: str) -> str:
    """The HTML of a page by its URL: ``/alerts/x/`` reads alerts/x/index.html."""
    path = output / url.strip("/")
    if url.endswith("/") or not path.suffix:
        path = path / "index.html"
    return path.read_text(encoding="utf-8")


def banner_headlines(page: str) -> list[str]:
    """Headlines in a page's alert banner, in order ([] when there is no banner)."""
    if "data-alert-banner" not in page:
        return []
    part = page.split("data-alert-banner")[1].split("</ul>")[0]
    found = re.findall(r'notification-banner__link"[^>]*>([^<]+)<', part)
    return [html.unescape(headline) for headline in found]


def banner_of(page: str) -> Any:
    """The alert banner of a page as an lxml element, or None when there is none."""
    found = lxml_html.fromstring(page).xpath("//*[@data-alert-banner]")
    return found[0] if found else None


def shown_text(element: Any) -> str:
    """An element's text as a browser without JavaScript shows it: ``hidden`` parts left
    out, white space squeezed."""
    parts = [element.text or ""]
    for child in element:
        if not isinstance(child.tag, str):  # a comment
            parts.append(child.tail or "")
            continue
        if child.get("hidden") is None:
            parts.append(shown_text(child))
        parts.append(child.tail or "")
    return " ".join("".join(parts).split())
