"""Parsers for each kind of field value. Each returns the typed value or raises FieldProblem."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from babel import Locale, UnknownLocaleError
from shapely.geometry import LinearRing

from .london_time import TimeProblem, parse_date, parse_datetime
from .schema import SUMMARY_MAX, TEXT_MAX, TITLE_MAX, Field

ALL = "all"
SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_LANG_PATTERN = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")
_HTML_TAG = re.compile(r"<\s*/?\s*[A-Za-z!]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
# Invisible characters that reorder or break text where it is shown: bidirectional
# overrides and isolates, line and paragraph separators, and C1 controls (NEL...).
_INVISIBLE = re.compile(r"[\x80-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_SCRIPT_ADDRESS = re.compile(r"^\s*(javascript|data|vbscript|file)\s*:", re.IGNORECASE)
_DOCUMENT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*\.[A-Za-z0-9]{1,5}$")
_CHANGE = re.compile(r"^(\S+)\s*->\s*(\S+)$")
MAX_MOVE_DAYS = 31  # a bin change moves a collection by days; more is a mistyped date
_WEB_ADDRESS = re.compile(r"^https?://[^\s<>\"'`]+$", re.IGNORECASE)


class FieldProblem(ValueError):
    """A value that breaks the content model; the message says what to do."""


@dataclass(frozen=True)
class MovedCollection:
    """One collection day moved from its usual date to a new one."""

    usual: date
    new: date


def did_you_mean(value: str, options: Collection[str]) -> str:
    close = difflib.get_close_matches(value, list(options), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


def split_list(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def parse_text(text: str, field: Field) -> str:
    if _CONTROL.search(text):
        raise FieldProblem("contains control characters; retype it as plain text")
    if _INVISIBLE.search(text):
        raise FieldProblem(
            "contains invisible characters that change how text is shown (direction "
            "overrides or line separators, often from pasted text); retype it as plain text"
        )
    limit = TITLE_MAX if field.name == "Title" else TEXT_MAX
    if len(text) > limit:
        raise FieldProblem(f"is {len(text)} characters long; keep it to {limit} or fewer")
    return text


def parse_contact(text: str, field: Field) -> str:
    """Where responses go: an email address, a web address or a postal address."""
    if _SCRIPT_ADDRESS.match(text):
        raise FieldProblem(
            "is a script or data address; give an email address, a web address "
            "(https://...) or a postal address"
        )
    return parse_text(text, field)


def parse_summary(text: str, field: Field) -> str:
    if len(text) > SUMMARY_MAX:
        raise FieldProblem(
            f"is {len(text)} characters long; keep it to {SUMMARY_MAX} or fewer "
            "(one or two sentences)"
        )
    if _HTML_TAG.search(text):
        raise FieldProblem("must be plain text; remove the HTML tags")
    return parse_text(text, field)


def parse_choice(text: str, field: Field) -> str:
    value = text.lower()
    if value not in field.choices:
        raise FieldProblem(
            f"'{text}' is not allowed; use one of: {', '.join(field.choices)}"
            + did_you_mean(value, field.choices)
        )
    return value


def parse_choices(text: str, field: Field) -> tuple[str, ...]:
    values = [parse_choice(part, field) for part in split_list(text)]
    if not values:
        raise FieldProblem(f"is empty; use one or more of: {', '.join(field.choices)}")
    _refuse_repeats(values)
    if ALL in values and len(values) > 1:
        raise FieldProblem("'all' already covers every value; write 'all' alone")
    return tuple(values)


def parse_wards(text: str, known: Collection[str]) -> tuple[str, ...]:
    values = [part.lower() for part in split_list(text)]
    if not values:
        raise FieldProblem("is empty; list ward slugs separated by commas, or write 'all'")
    _refuse_repeats(values)
    if ALL in values:
        if len(values) > 1:
            raise FieldProblem("'all' already covers every ward; write 'all' alone")
        return (ALL,)
    for value in values:
        if value not in known:
            raise FieldProblem(
                f"'{value}' is not a ward in the wards file" + did_you_mean(value, known)
            )
    return tuple(values)


def parse_rounds(text: str, known: Collection[str]) -> tuple[str, ...]:
    """Round slugs from the rounds file (``data/rounds.csv``)."""
    values = [part.lower() for part in split_list(text)]
    if not known:
        raise FieldProblem(
            "names rounds, but the site has no rounds file (data/rounds.csv); "
            "leave Rounds out and name the Wards"
        )
    if not values:
        raise FieldProblem("is empty; list round slugs from the rounds file, or leave it out")
    _refuse_repeats(values)
    for value in values:
        if value not in known:
            raise FieldProblem(
                f"'{value}' is not a round in the rounds file" + did_you_mean(value, known)
            )
    return tuple(values)


def parse_slug(text: str, field: Field) -> str:
    if not SLUG_PATTERN.match(text):
        raise FieldProblem(
            f"'{text}' is not a slug; use lower-case letters, digits and single hyphens, "
            "like 'flood-warning-sandwich'"
        )
    if len(text) > 100:
        raise FieldProblem("is longer than 100 characters; shorten it")
    return text


def parse_lang(text: str, field: Field) -> str:
    if not _LANG_PATTERN.match(text):
        raise FieldProblem(f"'{text}' is not a BCP 47 language tag; use e.g. en, cy or pl")
    try:
        locale = Locale.parse(text, sep="-")
    except (UnknownLocaleError, ValueError):
        raise FieldProblem(f"'{text}' is not a known language; use e.g. en, cy or pl") from None
    return "-".join(filter(None, (locale.language, locale.script, locale.territory)))


def parse_yes_no(text: str, field: Field) -> bool:
    value = text.lower()
    if value not in ("yes", "no"):
        raise FieldProblem(f"'{text}' is not allowed; write yes or no")
    return value == "yes"


MAX_POLYGON_POINTS = 500  # what CAP readers take (a ward's outline has at most 200)


def parse_polygon(text: str, field: Field) -> tuple[tuple[float, float], ...]:
    points: list[tuple[float, float]] = []
    for pair in text.split():
        try:
            lat_text, lon_text = pair.split(",")
            lat, lon = float(lat_text), float(lon_text)
        except ValueError:
            raise FieldProblem(
                f"'{pair}' is not a 'lat,lon' point; write points like 51.12,1.31 "
                "separated by spaces"
            ) from None
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise FieldProblem(f"'{pair}' is outside the world; latitude first, then longitude")
        points.append((lat, lon))
    if len(points) < 4:
        raise FieldProblem("needs at least four points, the last the same as the first")
    if points[0] != points[-1]:
        raise FieldProblem("must end where it starts; repeat the first point at the end")
    if len(points) > MAX_POLYGON_POINTS:
        raise FieldProblem(
            f"has {len(points)} points; emergency systems take at most {MAX_POLYGON_POINTS}: "
            "draw it with fewer (a street or a flood zone needs a few dozen)"
        )
    return tuple(points)


def shape_problem(points: Sequence[tuple[float, float]]) -> str | None:
    """What is wrong with a Polygon's shape, or None: told after whether its points are
    where they should be (a mistyped point often makes it cross itself too)."""
    ring = LinearRing([(lon, lat) for lat, lon in points])
    if ring.convex_hull.area == 0:  # every point the same, or on one line
        return "has no area: its points are the same or in a line; draw the area"
    if not ring.is_simple:
        return (
            "crosses itself; list the points in order around the area (clockwise or "
            "anticlockwise), so that its edges do not cross"
        )
    return None


def parse_changes(text: str, field: Field) -> tuple[MovedCollection, ...]:
    moves: list[MovedCollection] = []
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        match = _CHANGE.match(part)
        if not match:
            raise FieldProblem(
                f"'{part}' is not a 'YYYY-MM-DD -> YYYY-MM-DD' pair (usual day -> new day)"
            )
        try:
            usual, new = parse_date(match.group(1)), parse_date(match.group(2))
        except TimeProblem as problem:
            raise FieldProblem(str(problem)) from None
        if usual == new:
            raise FieldProblem(f"'{part}' moves a collection to the same day; remove the pair")
        if any(m.usual == usual for m in moves):
            raise FieldProblem(f"{usual.isoformat()} is moved twice; keep one pair for it")
        if abs((new - usual).days) > MAX_MOVE_DAYS:
            raise FieldProblem(
                f"'{part}' moves a collection {abs((new - usual).days)} days; collections move "
                f"by days, at most {MAX_MOVE_DAYS}: check the year and the month"
            )
        moves.append(MovedCollection(usual, new))
    if not moves:
        raise FieldProblem("is empty; write 'YYYY-MM-DD -> YYYY-MM-DD' pairs separated by ';'")
    return tuple(sorted(moves, key=lambda m: m.usual))


def parse_documents(text: str, folder: str) -> tuple[str, ...]:
    """File names in ``content/{folder}/`` (a type's documents folder)."""
    names = split_list(text)
    for name in names:
        _document_name(name, folder)
    _refuse_repeats(names)
    return tuple(names)


def _document_name(name: str, folder: str) -> str:
    if not _DOCUMENT_NAME.match(name) or ".." in name:
        raise FieldProblem(
            f"'{name}' is not a plain file name; give names like 'plan.pdf' of files in "
            f"content/{folder}/"
        )
    return name


def is_web_address(value: str) -> bool:
    return bool(_WEB_ADDRESS.match(value))


def parse_url(text: str, field: Field) -> str:
    if not is_web_address(text):
        raise FieldProblem(
            f"'{text}' is not a web address; write the whole address, like https://example.org/"
        )
    return text


def parse_document_or_link(text: str, folder: str) -> str:
    """A web address, or the name of a file in ``content/{folder}/``."""
    if text.lower().startswith(("http://", "https://")):
        return parse_url(text, Field("", "url"))
    try:
        return _document_name(text, folder)
    except FieldProblem:
        raise FieldProblem(
            f"'{text}' is neither a web address (https://...) nor the name of a file in "
            f"content/{folder}/"
        ) from None


def _datetime(text: str, field: Field) -> Any:
    try:
        return parse_datetime(text)
    except TimeProblem as problem:
        raise FieldProblem(str(problem)) from None


def _date(text: str, field: Field) -> Any:
    try:
        return parse_date(text)
    except TimeProblem as problem:
        raise FieldProblem(str(problem)) from None


def _refuse_repeats(values: list[str]) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise FieldProblem(f"'{value}' is listed twice; list it once")
        seen.add(value)


# Parsers that need nothing but the text and the field; wards need the wards file, and
# documents their type's folder.
PARSERS: dict[str, Callable[[str, Field], Any]] = {
    "text": parse_text,
    "summary": parse_summary,
    "datetime": _datetime,
    "date": _date,
    "choice": parse_choice,
    "choices": parse_choices,
    "slug": parse_slug,
    "slug-ref": parse_slug,
    "lang": parse_lang,
    "yes-no": parse_yes_no,
    "polygon": parse_polygon,
    "changes": parse_changes,
    "url": parse_url,
    "contact": parse_contact,
}
