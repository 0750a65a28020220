"""Pelican plugin: the noticeboard's own pages beyond Pelican's item and list pages.

Puts the ``board`` (active alerts, open notices, coming bin changes) into every
template's context, and writes the ward pages and the notices archive by year.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

from pelican import signals
from pelican.generators import Generator

from plugins.content_model import BUILD_TIME, WARDS

from .board import Board, Entry
from .respond import respond_to

WARDS_SAVE_AS = "wards/index.html"
WARD_SAVE_AS = "wards/{slug}/index.html"
ARCHIVE_SAVE_AS = "notices/archive/index.html"
ARCHIVE_YEAR_SAVE_AS = "notices/archive/{year}/index.html"


def url_of(save_as: str) -> str:
    return save_as.removesuffix("index.html")


def publish_board(generator: Any) -> None:
    """After Pelican has read the articles: the board every template can use."""
    settings = generator.settings
    board = Board.from_entries(generator.articles, settings[BUILD_TIME], settings[WARDS])
    generator.context["board"] = board


def ward_url(slug: str) -> str:
    return url_of(WARD_SAVE_AS.format(slug=slug))


def alert_status(context: Mapping[str, Any], entry: Entry) -> str:
    """An alert's status on the board of this build (see Board.status)."""
    board: Board = context["board"]
    return board.status(entry)


def webcal_url(site_url: str, path: str) -> str:
    """A calendar's address for subscribing (calendar apps then keep it up to date),
    where its https:// address would only download it."""
    return "webcal://" + site_url.split("://", 1)[-1] + "/" + path.lstrip("/")


def add_template_helpers(generator: Any) -> None:
    """Globals, not context, so macro files import once and are cached by Jinja. The board
    is made after this (publish_board), so ``alert_status`` finds it when a page is made."""
    generator.env.globals.update(
        SITEURL=generator.settings["SITEURL"],
        ward_url=ward_url,
        alert_status=partial(alert_status, generator.context),
        respond_to=respond_to,
        webcal_url=partial(webcal_url, generator.settings["SITE_URL"]),
    )


class SitePagesGenerator(Generator):  # type: ignore[misc]
    """Writes /wards/, /wards/{ward}/ and /notices/archive/{year}/."""

    def generate_output(self, writer: Any) -> None:
        board: Board = self.context["board"]
        write = writer.write_file
        write(WARDS_SAVE_AS, self.get_template("wards"), self.context, url=url_of(WARDS_SAVE_AS))
        for slug, ward in board.wards.items():
            save_as = WARD_SAVE_AS.format(slug=slug)
            entries = board.for_ward(slug)
            write(
                save_as,
                self.get_template("ward"),
                self.context,
                paginated={"articles": entries},
                template_name="ward",
                url=url_of(save_as),
                ward=ward,
                ward_entries=entries,
            )
        years = board.notices_by_year()
        write(
            ARCHIVE_SAVE_AS,
            self.get_template("archive"),
            self.context,
            url=url_of(ARCHIVE_SAVE_AS),
            years=years,
        )
        for year, notices in years.items():
            save_as = ARCHIVE_YEAR_SAVE_AS.format(year=year)
            write(
                save_as,
                self.get_template("archive_year"),
                self.context,
                paginated={"articles": notices},
                template_name="archive_year",
                url=url_of(save_as),
                year=year,
            )


def site_pages_generator(pelican: Any) -> type[Generator]:
    return SitePagesGenerator


def register() -> None:
    signals.generator_init.connect(add_template_helpers)
    signals.article_generator_finalized.connect(publish_board)
    signals.get_generators.connect(site_pages_generator)
