"""The council's wards: a CSV file with columns slug, name and gss (ONS code, where known),
and optionally places (the towns, villages and areas in the ward, separated by ';')."""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .outlines import Outline
from .values import SLUG_PATTERN

GSS_CODE = re.compile(r"^[EWSN]\d{8}$")  # ONS Government Statistical Service codes
REQUIRED_COLUMNS = ("slug", "name", "gss")


@dataclass(frozen=True)
class Ward:
    slug: str
    name: str
    gss: str | None
    places: tuple[str, ...] = ()  # towns, villages and areas in the ward, for residents
    outline: Outline = ()  # where it is (make wards), for CAP polygons and checks


class WardsFileError(ValueError):
    """The wards file itself is unusable; each line of the message names the row and column."""


def ward_slug(name: str) -> str:
    """The slug the example council uses: lower case, & -> and, no apostrophes or commas."""
    text = name.lower().replace("&", " and ").replace("'", "").replace("\u2019", "")
    text = text.replace(",", " ")
    return "-".join(text.split())


def comparable_name(name: str) -> str:
    """A ward's name as ONS files and the wards file are compared: 'St. Margaret's & Kingsdown
    Ward' and 'St Margarets and Kingsdown' are the same ward."""
    text = name.lower().replace("&", " and ").replace("\u2019", "'")
    text = re.sub(r"['.]", "", text)
    text = re.sub(r"[^\w]+", " ", text).strip()
    return re.sub(r"\s+ward$", "", text)


def codes_by_name(names: Mapping[str, str], wards: Mapping[str, Ward]) -> dict[str, str]:
    """ONS ward code -> ward slug, for each code of ``names`` (code -> ONS name) whose
    name is a ward's of the wards file."""
    by_name = {comparable_name(w.name): slug for slug, w in wards.items()}
    return {
        code: by_name[comparable_name(name)]
        for code, name in names.items()
        if comparable_name(name) in by_name
    }


def load_wards(path: Path) -> dict[str, Ward]:
    """Read the wards file; every problem in it is reported at once."""
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
            columns = tuple(rows[0].keys()) if rows else ()
    except FileNotFoundError:
        raise WardsFileError(f"{path}: file: not found; set WARDS_FILE in pelicanconf.py") from None
    except UnicodeDecodeError:
        raise WardsFileError(f"{path}: file: not UTF-8 text; save it as UTF-8 CSV") from None
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise WardsFileError(f"{path}: columns: needs {', '.join(missing)} (header row)")
    wards: dict[str, Ward] = {}
    problems: list[str] = []
    for number, row in enumerate(rows, start=2):
        slug, name, gss = (row[c].strip() if row[c] else "" for c in REQUIRED_COLUMNS)
        where = f"{path}: row {number}"
        if not SLUG_PATTERN.match(slug):
            problems.append(f"{where}: slug: '{slug}' is not a slug like 'walmer'")
        elif slug in wards or slug == "all":
            problems.append(f"{where}: slug: '{slug}' is used twice (or is the reserved 'all')")
        if not name:
            problems.append(f"{where}: name: is empty")
        if gss and not GSS_CODE.match(gss):
            problems.append(f"{where}: gss: '{gss}' is not an ONS code like E05009999")
        places = tuple(p.strip() for p in (row.get("places") or "").split(";") if p.strip())
        wards[slug] = Ward(slug, name, gss or None, places)
    if problems:
        raise WardsFileError("\n".join(problems))
    if not wards:
        raise WardsFileError(f"{path}: file: lists no wards")
    return wards
