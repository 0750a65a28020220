"""The content check wired to Pelican's settings, shared by the build and the validator."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from pelican.utils import slugify

from .london_time import parse_datetime
from .model import Problem
from .outlines import OutlinesFileError, load_outlines
from .places import Places
from .rounds import PostcodeWards, Rounds, load_rounds
from .source import ContentReport, check_content, display_path
from .types.bin_changes import COLLECTED
from .types.words import today
from .wards import Ward, WardsFileError, load_wards


class ContentInvalid(SystemExit):
    """Raised to stop the build: exits with status 1, before anything is written."""

    def __init__(self, report: ContentReport) -> None:
        super().__init__(report.summary())
        self.report = report


def site_slugify(settings: Mapping[str, Any]) -> partial[str]:
    """Pelican's own slugify with the site's settings, so derived slugs match Pelican's URLs."""
    return partial(
        slugify,
        regex_subs=settings["SLUG_REGEX_SUBSTITUTIONS"],
        preserve_case=settings.get("SLUGIFY_PRESERVE_CASE", False),
        use_unicode=settings.get("SLUGIFY_USE_UNICODE", False),
    )


def site_wards(settings: Mapping[str, Any]) -> dict[str, Ward]:
    """The wards file's wards, each with its outline where ``make wards`` imported one."""
    wards = load_wards(Path(settings["WARDS_FILE"]))
    outlines_file = settings.get("WARD_OUTLINES_FILE")
    try:
        outlines = load_outlines(Path(outlines_file) if outlines_file else None)
    except OutlinesFileError as error:  # reported as the wards file's problems are
        raise WardsFileError(str(error)) from None
    return {
        slug: replace(ward, outline=outlines.by_ward.get(slug, ())) for slug, ward in wards.items()
    }


def build_time(setting: Any) -> datetime:
    """'Now' for this build: NOTICEBOARD_NOW (setting or environment) or the real time.

    A fixed now makes builds reproducible in tests and lets officers preview a future day.
    """
    value = setting or os.environ.get("NOTICEBOARD_NOW")
    if isinstance(value, datetime):
        return value
    if value:
        return parse_datetime(str(value))
    return datetime.now().astimezone()


def postcode_wards(settings: Mapping[str, Any]) -> PostcodeWards | None:
    """The postcode lookup's wards (``make postcodes``), or None before it is imported."""
    source = Path(settings.get("POSTCODES_FILE") or "")
    if not source.is_file():
        return None
    return PostcodeWards(json.loads(source.read_text(encoding="utf-8"))["postcodes"])


def site_rounds(
    settings: Mapping[str, Any], wards: Mapping[str, Ward]
) -> tuple[Rounds, list[Problem]]:
    """The rounds file's rounds (none without one), or its problems."""
    name = settings.get("ROUNDS_FILE")
    path = Path(name) if name else None
    shown = display_path(path) if path else ""
    return load_rounds(path, shown, wards, COLLECTED, postcode_wards(settings))


def site_places(settings: Mapping[str, Any], now: datetime) -> tuple[Places, list[Problem]]:
    """The wards, the rounds and the build's day; and what is wrong with the rounds file."""
    wards = site_wards(settings)
    rounds, problems = site_rounds(settings, wards)
    return Places(wards, rounds, today(now)), problems


def check_site_content(
    settings: Mapping[str, Any],
    only: set[Path] | None = None,
    found: tuple[Places, list[Problem]] | None = None,
) -> ContentReport:
    """Every content file, and the rounds file, checked; ``found``: ``site_places``'s
    result, where the caller has it."""
    places, problems = found or site_places(settings, build_time(settings.get("NOTICEBOARD_NOW")))
    report = check_content(
        Path(settings["PATH"]),
        places,
        site_slugify(settings),
        settings.get("DEFAULT_LANG", "en"),
        only=only,
    )
    wanted = None if only is None else {display_path(p) for p in only}
    report.add(p for p in problems if wanted is None or p.path in wanted)
    report.problems.sort()
    report.warnings.sort()
    return report


def print_problems(problems: Iterable[Problem]) -> None:
    """The officer's report: one plain ``path: field: ...`` line each on standard error, in
    order of file and field. Not through Pelican's log, which wraps, colours and (with
    ``-q``) silences lines that officers and scripts must read."""
    for problem in sorted(problems):
        print(problem, file=sys.stderr)
