"""Pelican plugin: Atom and RSS feeds, by type, ward and language, and the page that
lists every feed, calendar and data file for residents.

Addresses (shared/design.md): /feeds/all.atom.xml; /feeds/{type}.{atom,rss}.xml;
/feeds/wards/{ward}.atom.xml; /feeds/{lang}/all.atom.xml. Each feed has the newest
FEED_MAX_ITEMS items; the JSON API has everything.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from pelican import signals
from pelican.generators import Generator

from plugins.content_model import checked_content
from plugins.content_model.registry import ITEM_TYPES
from plugins.content_model.types.words import N_
from plugins.govuk_theme.interface import gettext_for
from plugins.output_files import write_document
from plugins.site_pages import language_homes
from subscriber_lambda.core.catalogues import language_name

from .entries import FeedItem, feed_item
from .render import FeedInfo, Format, render_feed

ALL_FEED = "feeds/all.atom.xml"
TYPE_FEED = "feeds/{kind}.{format}.xml"
WARD_FEED = "feeds/wards/{ward}.atom.xml"
LANG_FEED = "feeds/{lang}/all.atom.xml"
# A language's feed's title and subtitle, in that language.
LANG_FEED_TITLE = N_("Everything (%(language)s)")
LANG_FEED_SUBTITLE = N_("Everything published in this language")
FEEDS_PAGE = "feeds/index.html"


def newest_first(versions: Iterable[Any]) -> list[Any]:
    """Pelican articles (originals or translations), newest first, ties by address."""
    return sorted(versions, key=lambda v: (v.item.values["date"], v.url), reverse=True)


class FeedsGenerator(Generator):  # type: ignore[misc]
    def generate_output(self, writer: Any) -> None:
        settings = self.settings
        site, council = settings["SITE_URL"], settings["COUNCIL_NAME"]
        wards = checked_content(self.context).wards
        limit = settings.get("FEED_MAX_ITEMS") or 50
        originals = newest_first(
            a for a in self.context.get("articles", []) if getattr(a, "item", None)
        )
        made: dict[int, FeedItem] = {}

        def as_feed_item(version: Any) -> FeedItem:
            """Made once, and only for items that are in some feed's newest ``limit``."""
            if id(version) not in made:
                content = version.get_content(site)
                gettext = gettext_for(version.item.lang, self.settings)  # labels in its language
                made[id(version)] = feed_item(
                    version.item, version.url, content, wards, site, gettext
                )
            return made[id(version)]

        def write(
            save_as: str,
            kind: Format,
            about: tuple[str, str, str],
            versions: Sequence[Any],
            lang: str = "en",
        ) -> None:
            title, subtitle, home = about
            info = FeedInfo(
                f"{site}/{save_as}",
                f"{council}: {title}",
                subtitle,
                f"{site}/{home}",
                council,
                lang,
            )
            feed = render_feed(kind, info, [as_feed_item(v) for v in versions[:limit]])
            write_document(writer, self.context, save_as, feed)

        everything = (
            "everything",
            ", ".join(t.label for t in ITEM_TYPES.values()),
            "",
        )
        write(ALL_FEED, "atom", everything, originals)
        for kind, content_type in ITEM_TYPES.items():
            title = content_type.label.lower()
            of_kind = [a for a in originals if a.item.kind == kind]
            for format_ in ("atom", "rss"):
                write(
                    TYPE_FEED.format(kind=kind, format=format_),
                    format_,
                    (title, f"Newest {title}", f"{kind}/"),
                    of_kind,
                )
        for slug, ward in wards.items():
            about = (
                f"{ward.name} ward",
                f"Everything that affects {ward.name}, and the whole district",
                f"wards/{slug}/",
            )
            write(
                WARD_FEED.format(ward=slug),
                "atom",
                about,
                [a for a in originals if a.item.affects(slug)],
            )
        homes = dict(language_homes(self.settings))
        by_lang: dict[str, list[Any]] = defaultdict(list)
        for version in (
            v for a in originals for v in (a, *a.translations) if getattr(v, "item", None)
        ):
            by_lang[version.item.lang].append(version)
        for lang, versions in sorted(by_lang.items()):
            gettext = gettext_for(lang, self.settings)  # each feed in its own language
            about = (
                gettext(LANG_FEED_TITLE) % {"language": language_name(lang)},
                gettext(LANG_FEED_SUBTITLE),
                homes.get(lang, ""),  # the home page in that language, if there is one
            )
            write(LANG_FEED.format(lang=lang), "atom", about, newest_first(versions), lang)
        writer.write_file(
            FEEDS_PAGE,
            self.get_template("feeds"),
            self.context,
            url="feeds/",
            languages=sorted(by_lang),
        )


def feeds_generator(pelican: Any) -> type[Generator]:
    return FeedsGenerator


def register() -> None:
    signals.get_generators.connect(feeds_generator)
