"""Pelican plugin: an iCalendar file for each type that declares a calendar (its items'
events: changed bin collection days, last days for comments, closing dates, meetings), and
for each ward or each current item where the type asks for them (``Calendar``)."""

from __future__ import annotations

from datetime import date, timedelta
from functools import partial
from typing import Any

from pelican import signals
from pelican.generators import Generator

from plugins.content_model import checked_content
from plugins.content_model.registry import ITEM_TYPES
from plugins.content_model.schema import ContentType
from plugins.content_model.types.words import today
from plugins.output_files import write_document
from plugins.site_pages.board import Board

from .ics import CalendarInfo, Listed, calendar_file, item_events

TYPE_CALENDAR = "{kind}/calendar.ics"
WARD_CALENDAR = "wards/{ward}/{kind}.ics"
ITEM_CALENDAR = "{kind}/{slug}.ics"  # a current item's own events, linked from its page


class CalendarsGenerator(Generator):  # type: ignore[misc]
    def generate_output(self, writer: Any) -> None:
        board: Board = self.context["board"]
        since = today(board.now) - timedelta(days=self.settings.get("CALENDAR_PAST_DAYS", 365))
        for content_type in ITEM_TYPES.values():
            if content_type.calendar is not None:
                self.write_calendars(writer, board, content_type, since)

    def write_calendars(
        self, writer: Any, board: Board, content_type: ContentType, since: date
    ) -> None:
        calendar = content_type.calendar
        assert calendar is not None
        site, council = self.settings["SITE_URL"], self.settings["COUNCIL_NAME"]
        host = site.split("://", 1)[1].split("/", 1)[0]
        info = partial(CalendarInfo, host=host)
        kind = content_type.folder
        entries = board.of(kind)
        listed = {e.item.slug: Listed(e.item, f"{site}/{e.url}") for e in entries}
        events = {slug: item_events(it, host, since) for slug, it in listed.items()}

        def write(save_as: str, about: CalendarInfo, chosen: list[bytes]) -> None:
            write_document(writer, self.context, save_as, calendar_file(about, chosen))

        title = f"{council}: {calendar.title}"
        about = info(title, calendar.description.format(place=""))
        write(TYPE_CALENDAR.format(kind=kind), about, [e for v in events.values() for e in v])
        rounds = checked_content(self.context).rounds
        for slug, ward in board.wards.items() if calendar.per_ward else ():
            place = f" in {ward.name}"
            chosen: list[bytes] = []
            for entry in entries:
                item = entry.item
                in_ward = calendar.ward_events(item, slug, rounds) if calendar.ward_events else None
                if in_ward is not None:  # the item's events as they are in this ward
                    chosen += item_events(listed[item.slug], host, since, in_ward)
                elif item.affects(slug):
                    chosen += events[item.slug]
            write(
                WARD_CALENDAR.format(ward=slug, kind=kind),
                info(title + place, calendar.description.format(place=place)),
                chosen,
            )
        if calendar.per_item:
            for entry in board.current(kind):
                item = entry.item
                current = Listed(item, f"{site}/{entry.url}")
                name = calendar.item_title.format(title=item.values["title"])
                about = info(
                    f"{council}: {name}", calendar.item_description or calendar.description
                )
                data = calendar_file(about, item_events(current, host, date.min))
                save_as = ITEM_CALENDAR.format(kind=kind, slug=item.slug)
                write_document(writer, self.context, save_as, data)


def calendars_generator(pelican: Any) -> type[Generator]:
    return CalendarsGenerator


def register() -> None:
    signals.get_generators.connect(calendars_generator)
