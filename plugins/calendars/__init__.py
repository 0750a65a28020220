"""Pelican plugin: iCalendar files for changed bin collection days (the whole district and
each ward) and for statutory notices' deadlines (all of them, and each notice's own)."""

from __future__ import annotations

from datetime import date, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from pelican import signals
from pelican.generators import Generator

from plugins.content_model import WARDS
from plugins.site_pages.board import Board, today

from .ics import CalendarInfo, Listed, bin_change_events, calendar_file, deadline_events

BIN_CALENDAR = "bin-changes/calendar.ics"
WARD_BIN_CALENDAR = "wards/{ward}/bin-changes.ics"
DEADLINES_CALENDAR = "notices/calendar.ics"
NOTICE_DEADLINE_CALENDAR = "notices/{slug}.ics"  # an open notice's last day, from its page


class CalendarsGenerator(Generator):  # type: ignore[misc]
    def generate_output(self, writer: Any) -> None:
        board: Board = self.context["board"]
        site, council = self.settings["SITE_URL"], self.settings["COUNCIL_NAME"]
        host = site.split("://", 1)[1].split("/", 1)[0]
        lang = self.settings.get("INTERFACE_LANG", "en")
        info = partial(CalendarInfo, host=host, lang=lang)
        since = today(board.now) - timedelta(days=self.settings.get("CALENDAR_PAST_DAYS", 365))
        events = {
            b.item.slug: bin_change_events(Listed(b.item, f"{site}/{b.url}"), info("", ""), since)
            for b in board.bin_changes
        }

        def write(save_as: str, data: bytes) -> None:
            path = Path(self.output_path) / save_as
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)

        def bin_calendar(place: str, slugs: list[str]) -> bytes:
            about = info(
                f"{council}: changed bin collections{place}",
                f"Days when bin collections{place} move from their usual day.",
            )
            return calendar_file(about, [e for slug in slugs for e in events[slug]])

        write(BIN_CALENDAR, bin_calendar("", list(events)))
        for slug, ward in self.settings[WARDS].items():
            affected = [b.item.slug for b in board.bin_changes if b.item.affects(slug)]
            write(WARD_BIN_CALENDAR.format(ward=slug), bin_calendar(f" in {ward.name}", affected))
        deadlines = info(
            f"{council}: last days to comment on notices",
            "The last day to make representations or objections on each statutory notice.",
        )
        notices = [Listed(n.item, f"{site}/{n.url}") for n in board.notices]
        write(
            DEADLINES_CALENDAR,
            calendar_file(
                deadlines, [e for n in notices for e in deadline_events(n, deadlines, since)]
            ),
        )
        for open_notice in board.open_notices():
            notice = Listed(open_notice.item, f"{site}/{open_notice.url}")
            about = info(
                f"{council}: last day to comment on {notice.item.values['title']}",
                "The last day to make representations or objections on this notice.",
            )
            write(
                NOTICE_DEADLINE_CALENDAR.format(slug=notice.item.slug),
                calendar_file(about, deadline_events(notice, about, date.min)),
            )


def calendars_generator(pelican: Any) -> type[Generator]:
    return CalendarsGenerator


def register() -> None:
    signals.get_generators.connect(calendars_generator)
