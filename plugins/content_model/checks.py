"""The content check wired to Pelican's settings, shared by the build and the validator."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from functools import partial
from pathlib import Path
from typing import Any

from pelican.utils import slugify

from .model import Problem
from .source import ContentReport, check_content
from .wards import Ward, load_wards


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
    return load_wards(Path(settings["WARDS_FILE"]))


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
