"""Pelican plugin: the content model. Refuses bad content before anything is written.

Every file is checked when Pelican starts (before any output), all problems are printed
as ``path: field: what is wrong`` and the build exits non-zero. Checked, typed items are
attached to Pelican's content objects as ``.item`` for the templates and other plugins.
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any

from pelican import signals

from .checks import ContentInvalid, check_site_content, print_problems, site_wards
from .london_time import parse_datetime
from .wards import WardsFileError

__all__ = ["ContentInvalid", "register"]

ITEMS = "NOTICEBOARD_ITEMS"
WARDS = "NOTICEBOARD_WARDS"
BUILD_TIME = "NOTICEBOARD_BUILD_TIME"
TEMPLATES = {"alerts": "alert", "notices": "notice", "bin-changes": "bin_change", "pages": "page"}


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


def check_before_build(pelican: Any) -> None:
    settings = pelican.settings
    try:
        wards = site_wards(settings)
    except WardsFileError as error:
        raise SystemExit(f"{error}\nThe wards file is unusable; nothing was built.") from None
    report = check_site_content(settings)
    print_problems([*report.problems, *report.warnings])
    if not report.ok:
        raise ContentInvalid(report)
    settings[ITEMS] = {item.source_path: item for item in report.items}
    settings[WARDS] = wards
    settings[BUILD_TIME] = build_time(settings.get("NOTICEBOARD_NOW"))


def attach_item(content: Any) -> None:
    """Give Pelican's article or page its checked item, template and hold-back status."""
    item = content.settings.get(ITEMS, {}).get(os.path.abspath(content.source_path))
    if item is None:
        return
    content.item = item
    content.template = TEMPLATES[item.kind]
    # The checked values, not Pelican's reading of the file: a translation inherits its
    # original's Date and Status when it leaves them out.
    content.date = item.values.get("date", getattr(content, "date", None))
    content.status = item.values["status"]
    if item.kind != "pages" and item.values["date"] > content.settings[BUILD_TIME]:
        content.status = "draft"  # held back until its Date; drafts are never written


def register() -> None:
    signals.initialized.connect(check_before_build)
    signals.content_object_init.connect(attach_item)
