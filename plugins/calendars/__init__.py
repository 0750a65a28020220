"""Pelican plugin: iCalendar files for changed bin collection days (the whole district and
each ward) and for statutory notices' deadlines."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pelican import signals
from pelican.generators import Generator

from plugins.content_model import WARDS
from plugins.site_pages.board import Board

from .ics import CalendarInfo, Listed, bin_changes_calendar, deadlines_calendar

BIN_CALENDAR = "bin-changes/calendar.ics"
WARD_BIN_CALENDAR = "wards/{ward}/bin-changes.ics"
DEADLINES_CALENDAR = "notices/calendar.ics"


class CalendarsGenerator(Generator):  # type: ignore[misc]
    def generate_output(self, writer: Any) -> None:
        board: Board = self.context["board"]
        site, council = self.settings["SITE_URL"], self.settings["COUNCIL_NAME"]
        host = site.split("://", 1)[1].split("/", 1)[0]
        lang = self.settings.get("INTERFACE_LANG", "en")
        changes = [Listed(b.item, f"{site}/{b.url}") for b in board.bin_changes]

        def write(save_as: str, data: bytes) -> None:
            path = Path(self.output_path) / save_as
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)

        district = CalendarInfo(
            f"{council}: changed bin collections",
            "Days when bin collections move from their usual day.",
            host,
            lang,
        )
        write(BIN_CALENDAR, bin_changes_calendar(changes, district))
        for slug, ward in self.settings[WARDS].items():
            info = CalendarInfo(
                f"{council}: changed bin collections in {ward.name}",
                f"Days when bin collections in {ward.name} move from their usual day.",
                host,
                lang,
            )
            write(
                WARD_BIN_CALENDAR.format(ward=slug),
                bin_changes_calendar([c for c in changes if c.item.affects(slug)], info),
            )
        notices = [Listed(n.item, f"{site}/{n.url}") for n in board.notices]
        deadlines = CalendarInfo(
            f"{council}: last days to comment on notices",
            "The last day to make representations or objections on each statutory notice.",
            host,
            lang,
        )
        write(DEADLINES_CALENDAR, deadlines_calendar(notices, deadlines))


def calendars_generator(pelican: Any) -> type[Generator]:
    return CalendarsGenerator


def register() -> None:
    signals.get_generators.connect(calendars_generator)
