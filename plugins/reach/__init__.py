"""Pelican plugin: the officers' reach dashboard, from the backend's reach report.

With ``REACH_FILE`` naming the JSON that ``python -m subscriber_lambda report --json FILE``
writes, the build writes /reach/ (``REACH_SAVE_AS``): headline figures, how fast each
alert reached people, each item's and each day's figures by channel, and the subscribers
by topic, ward, language, channel and frequency, with charts drawn at build time
(``charts``) beside tables of the same figures. Without it nothing is written. The page
is for officers: unless ``REACH_PUBLIC`` it asks not to be indexed, and is left out of
the sitemap and the search index (docs/deploy.md says how to keep it private).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

from markupsafe import Markup
from pelican import signals
from pelican.generators import Generator

from plugins.content_model import checked_content
from plugins.content_model.source import display_path
from plugins.govuk_theme.writer import INTERFACE_LANG

from .charts import Series, bar_chart, line_chart
from .report import DayReach, ItemReach, Reach, ReachFileError, load_reach

__all__ = ["Reach", "ReachFileError", "load_reach"]

SAVE_AS = "reach/index.html"
ALERTS = "alerts"  # the type whose time to reach is shown
NOT_LISTED = "SITEMAP_EXCLUDE"  # pages the sitemap leaves out


def save_as(settings: Mapping[str, Any]) -> str:
    saved: str = settings.get("REACH_SAVE_AS") or SAVE_AS
    return saved


def items_sent(reach: Reach) -> int:
    """How many items went out on any channel in the period (not item-channel pairs)."""
    return len({r.id for r in reach.items if r.sent or r.posts})


def alerts(reach: Reach) -> list[ItemReach]:
    """The alerts' figures by channel, first published first."""
    found = [r for r in reach.items if r.type == ALERTS]
    return sorted(found, key=lambda r: (r.published is None, r.published or r.first_sent, r.id))


def ranked(counts: Mapping[str, int]) -> list[tuple[str, int]]:
    """Most first; ties by name, so the order is the same every build."""
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def over_days(days: Iterable[DayReach], field: str) -> tuple[list[date], dict[str, list[int]]]:
    """Every day reported, and ``field``'s figure on each for each channel (0 on a day a
    channel sent nothing)."""
    rows = list(days)
    dates = sorted({d.date for d in rows})
    series: dict[str, list[int]] = {}
    for row in rows:
        figures = series.setdefault(row.channel, [0] * len(dates))
        figures[dates.index(row.date)] += getattr(row, field)
    return dates, series


def share_text(share: float) -> str:
    return f"{share:.0%}"


class ReachGenerator(Generator):  # type: ignore[misc]
    """Reads the report once every generator is made, so the content check (made with the
    first) has reported every content problem before a bad report stops the build."""

    reach: Reach | None = None

    def generate_context(self) -> None:
        name = self.settings.get("REACH_FILE")
        if name:
            path = Path(name)
            self.reach = load_reach(path, display_path(path))

    def generate_output(self, writer: Any) -> None:
        if self.reach is None:
            return
        wards = checked_content(self.context).wards
        writer.write_file(
            save_as(self.settings),
            self.get_template("reach"),
            self.context,
            url=save_as(self.settings).removesuffix("index.html"),
            reach=self.reach,
            ward_names={slug: ward.name for slug, ward in wards.items()},
            reach_public=bool(self.settings.get("REACH_PUBLIC")),
            **{INTERFACE_LANG: self.settings.get("INTERFACE_LANG", "en")},
        )


def leave_out_of_sitemap(pelican: Any) -> None:
    settings = pelican.settings
    if settings.get("REACH_FILE") and not settings.get("REACH_PUBLIC"):
        settings[NOT_LISTED] = [*settings.get(NOT_LISTED, []), save_as(settings)]


def markup(chart: Callable[..., str]) -> Callable[..., Markup]:
    """A chart function for templates: its SVG is markup, not text to escape."""
    return lambda *args, **options: Markup(chart(*args, **options))


def add_chart_helpers(generator: Any) -> None:
    generator.env.globals.update(
        reach_bar_chart=markup(bar_chart),
        reach_line_chart=markup(line_chart),
        reach_series=Series,
        reach_items_sent=items_sent,
        reach_alerts=alerts,
        reach_ranked=ranked,
        reach_over_days=over_days,
        reach_share=share_text,
    )


def reach_generator(pelican: Any) -> type[Generator]:
    return ReachGenerator


def register() -> None:
    signals.initialized.connect(leave_out_of_sitemap)
    signals.generator_init.connect(add_chart_helpers)
    signals.get_generators.connect(reach_generator)
