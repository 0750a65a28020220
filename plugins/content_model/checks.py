"""The content check wired to Pelican's settings, shared by the build and the validator."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

from pelican.utils import slugify

from .model import Problem
from .outlines import OutlinesFileError, load_outlines
from .source import ContentReport, check_content
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


def check_site_content(settings: Mapping[str, Any], only: set[Path] | None = None) -> ContentReport:
    return check_content(
        Path(settings["PATH"]),
        site_wards(settings),
        site_slugify(settings),
        settings.get("DEFAULT_LANG", "en"),
        only=only,
    )


def print_problems(problems: Iterable[Problem]) -> None:
    """The officer's report: one plain ``path: field: ...`` line each on standard error, in
    order of file and field. Not through Pelican's log, which wraps, colours and (with
    ``-q``) silences lines that officers and scripts must read."""
    for problem in sorted(problems):
        print(problem, file=sys.stderr)
