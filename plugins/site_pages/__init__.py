"""Pelican plugin: the noticeboard's own pages beyond Pelican's item and list pages.

Puts the ``board`` (each type's items, statuses and current items) into every
template's context, with the registry's ``content_types``, and writes the ward pages and
the archives by year of the types that have one.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

from pelican import signals
from pelican.generators import Generator

from plugins.content_model import checked_content
from plugins.content_model.registry import ITEM_TYPES
from plugins.content_model.values import is_web_address
from plugins.govuk_theme.interface import shipped_languages, translations_dir
from plugins.govuk_theme.writer import INTERFACE_LANG

from .board import Board, Entry
from .respond import respond_to

WARDS_SAVE_AS = "wards/index.html"
WARD_SAVE_AS = "wards/{slug}/index.html"
ARCHIVE_SAVE_AS = "{kind}/archive/index.html"
ARCHIVE_YEAR_SAVE_AS = "{kind}/archive/{year}/index.html"
LANGUAGE_HOME_SAVE_AS = "{lang}/index.html"  # the home page in each other language


def language_homes(settings: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(lang, url) of the home page in each language the interface speaks: the site's own
    language's at the root, each other's at /{lang}/."""
    default = settings.get("INTERFACE_LANG", "en")
    spoken = {default, *shipped_languages(translations_dir(settings))}
    return [
        (lang, "" if lang == default else url_of(LANGUAGE_HOME_SAVE_AS.format(lang=lang)))
        for lang in sorted(spoken)
    ]


def url_of(save_as: str) -> str:
    return save_as.removesuffix("index.html")


def publish_board(generator: Any) -> None:
    """After Pelican has read the articles: the board every template can use, and each
    type's list page in the board's order (its current items first)."""
    checked = checked_content(generator.context)
    board = Board.from_entries(generator.articles, checked.now, checked.wards)
    generator.context["board"] = board
    for _category, articles in generator.categories:
        articles[:] = board.current_first(articles)


def ward_url(slug: str) -> str:
    return url_of(WARD_SAVE_AS.format(slug=slug))


def entry_status(context: Mapping[str, Any], entry: Entry) -> str:
    """An entry's status on the board of this build (see Board.status)."""
    board: Board = context["board"]
    return board.status(entry)


def translation_of(context: Mapping[str, Any], entry: Entry, lang: str) -> Entry | None:
    """An entry's translation into ``lang`` on the board of this build, if it has one."""
    board: Board = context["board"]
    return board.in_language(entry, lang)


def webcal_url(site_url: str, path: str) -> str:
    """A calendar's address for subscribing (calendar apps then keep it up to date),
    where its https:// address would only download it."""
    return "webcal://" + site_url.split("://", 1)[-1] + "/" + path.lstrip("/")


def add_template_helpers(generator: Any) -> None:
    """Globals, not context, so macro files import once and are cached by Jinja. The board
    is made after this (publish_board), so ``entry_status`` finds it when a page is made."""
    homes = language_homes(generator.settings)
    generator.env.globals.update(
        SITEURL=generator.settings["SITEURL"],
        ward_url=ward_url,
        entry_status=partial(entry_status, generator.context),
        translation_of=partial(translation_of, generator.context),
        content_types=ITEM_TYPES,
        respond_to=respond_to,
        is_web_address=is_web_address,
        webcal_url=partial(webcal_url, generator.settings["SITE_URL"]),
        language_homes=homes,
        # The language officers write in (content without a Lang), for their words on a
        # page in another.
        content_language=generator.settings.get("DEFAULT_LANG", "en"),
        # The address of the home page in a language (the root when there is none in it).
        language_home=lambda lang: dict(homes).get(lang, ""),
    )


class SitePagesGenerator(Generator):  # type: ignore[misc]
    """Writes /wards/, /wards/{ward}/, /{type}/archive/{year}/ and /{lang}/."""

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
        for content_type in (t for t in ITEM_TYPES.values() if t.archive_by_year):
            self.write_archive(writer, board, content_type.folder)
        for lang, url in language_homes(self.settings):
            if url:  # the site's own language's are Pelican's index and 404 pages
                home = self.get_template("language_home")
                write(f"{url}index.html", home, self.context, url=url, **{INTERFACE_LANG: lang})
                missing = self.get_template("404")
                write(f"{url}404.html", missing, self.context, url=url, **{INTERFACE_LANG: lang})

    def write_archive(self, writer: Any, board: Board, kind: str) -> None:
        years = board.by_year(kind)
        save_as = ARCHIVE_SAVE_AS.format(kind=kind)
        context = {**self.context, "content_type": ITEM_TYPES[kind], "current_section": kind}
        writer.write_file(
            save_as, self.get_template("archive"), context, url=url_of(save_as), years=years
        )
        for year, entries in years.items():
            save_as = ARCHIVE_YEAR_SAVE_AS.format(kind=kind, year=year)
            writer.write_file(
                save_as,
                self.get_template("archive_year"),
                context,
                paginated={"articles": entries},
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
