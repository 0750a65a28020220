"""Pelican plugin: every household's bin days, from the rounds file (``data/rounds.csv``)
with the published bin changes folded in.

Writes /bin-days/ (find your round), and for each round its page /bin-days/{round}/ (both
also in each other language the interface speaks, under its home: /cy/bin-days/), its
calendar /bin-days/{round}.ics (and one with an alarm the evening before), and
/api/v1/rounds.json and /api/v1/rounds/{round}.json with their JSON Schemas. Without a
rounds file it writes nothing and ``bin_days`` in templates is None.
"""

from __future__ import annotations

import json
from functools import partial
from typing import Any

from pelican import signals
from pelican.generators import Generator

from plugins.calendars.ics import CalendarInfo
from plugins.content_model import checked_content
from plugins.content_model.types.words import today
from plugins.govuk_theme.writer import INTERFACE_LANG
from plugins.output_files import write_document
from plugins.site_pages import language_homes
from plugins.site_pages.board import Board

from .calendar import round_calendars
from .records import (
    CALENDAR,
    CALENDAR_WITH_ALARM,
    PAGE,
    ROUND_JSON,
    ROUNDS_JSON,
    SCHEMAS,
    round_file,
    round_record,
)
from .schedule import BinDays

__all__ = ["BinDays", "bin_days_of"]

INDEX = "bin-days/index.html"
CHANGES = "bin-changes"  # the type whose items move collections, and whose list links here
CONTEXT_KEY = "bin_days_schedule"  # not "bin_days": the template global


def bin_days_of(context: dict[str, Any]) -> BinDays | None:
    """This build's bin days (made once, when the board exists), or None without rounds."""
    if CONTEXT_KEY not in context:
        checked = checked_content(context)
        board: Board = context["board"]
        site = context.get("SITE_URL", "")
        context[CONTEXT_KEY] = (
            BinDays.from_entries(checked.rounds, board.of(CHANGES), site, today(board.now))
            if checked.rounds
            else None
        )
    found: BinDays | None = context[CONTEXT_KEY]
    return found


def as_json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


class BinDaysGenerator(Generator):  # type: ignore[misc]
    def generate_output(self, writer: Any) -> None:
        bin_days = bin_days_of(self.context)
        if bin_days is None:
            return
        site, council = self.settings["SITE_URL"], self.settings["COUNCIL_NAME"]
        envelope = {"council": council, "site_url": site}
        host = site.split("://", 1)[1].split("/", 1)[0]
        rounds = bin_days.rounds.by_slug
        homes = language_homes(self.settings)
        self.write_pages(writer, homes, "bin-days/", "bin_days")
        for slug, round_ in rounds.items():
            page = PAGE.format(round=slug)
            self.write_pages(writer, homes, page, "bin_round", round=round_)
            schedule = bin_days.schedules[slug]
            about = CalendarInfo(
                f"{council}: bin days, {round_.name}",
                f"Bin collections of the {round_.name} round, with changes.",
                host,
            )
            calendars = round_calendars(round_, schedule, about, f"{site}/{page}", bin_days.today)
            for save_as, ics in zip((CALENDAR, CALENDAR_WITH_ALARM), calendars, strict=True):
                write_document(writer, self.context, save_as.format(round=slug), ics)
            record = {**envelope, **round_file(round_, schedule, bin_days, site)}
            write_document(writer, self.context, ROUND_JSON.format(round=slug), as_json(record))
        records = [round_record(r, site) for r in rounds.values()]
        write_document(writer, self.context, ROUNDS_JSON, as_json({**envelope, "rounds": records}))
        for name, schema in SCHEMAS.items():
            document = {"$id": f"{site}/api/v1/schema/{name}", **schema}
            write_document(writer, self.context, f"api/v1/schema/{name}", as_json(document))

    def write_pages(
        self, writer: Any, homes: list[tuple[str, str]], url: str, template: str, **values: Any
    ) -> None:
        """A page in each language the interface speaks: the site's own at ``url``, each
        other's under its home (/cy/bin-days/...), each with the others as its versions."""
        versions = [(lang, f"{home}{url}") for lang, home in homes]
        own = url  # the site's own language's version: search engines' x-default
        for lang, home in homes:
            writer.write_file(
                f"{home}{url}index.html",
                self.get_template(template),
                self.context,
                url=f"{home}{url}",
                bin_days_home=home,  # where this language's bin days pages are
                versions=versions,
                own_version=own,
                **{INTERFACE_LANG: lang},
                **values,
            )


def add_bin_days(generator: Any) -> None:
    """``bin_days()`` for templates: this build's, or None without rounds."""
    generator.env.globals.update(
        bin_days=partial(bin_days_of, generator.context), bin_days_changed_by=CHANGES
    )


def bin_days_generator(pelican: Any) -> type[Generator]:
    return BinDaysGenerator


def register() -> None:
    signals.generator_init.connect(add_bin_days)
    signals.get_generators.connect(bin_days_generator)
