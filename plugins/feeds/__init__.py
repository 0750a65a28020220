"""Pelican plugin: Atom and RSS feeds, by type, ward and language, and the page that
lists every feed, calendar and data file for residents.

Addresses (shared/design.md): /feeds/all.atom.xml; /feeds/{type}.{atom,rss}.xml;
/feeds/wards/{ward}.atom.xml; /feeds/{lang}/all.atom.xml. Each feed has the newest
FEED_MAX_ITEMS items; the JSON API has everything.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from pelican import signals
from pelican.generators import Generator

from plugins.content_model import WARDS
from plugins.govuk_theme.formatting import language_name

from .entries import TYPE_LABELS, FeedItem, feed_item
from .render import FeedInfo, Format, render_feed

ALL_FEED = "feeds/all.atom.xml"
TYPE_FEED = "feeds/{kind}.{format}.xml"
WARD_FEED = "feeds/wards/{ward}.atom.xml"
LANG_FEED = "feeds/{lang}/all.atom.xml"
FEEDS_PAGE = "feeds/index.html"
TYPE_TITLES = {
    "alerts": "emergency alerts",
    "notices": "statutory notices",
    "bin-changes": "bin collection changes",
}


def newest_first(items: Iterable[FeedItem]) -> list[FeedItem]:
    return sorted(items, key=lambda i: (i.published, i.id), reverse=True)


class FeedsGenerator(Generator):  # type: ignore[misc]
    def generate_output(self, writer: Any) -> None:
        settings = self.settings
        site, council, wards = settings["SITE_URL"], settings["COUNCIL_NAME"], settings[WARDS]
        limit = settings.get("FEED_MAX_ITEMS") or 50
        articles = [a for a in self.context.get("articles", []) if getattr(a, "item", None)]
        versions = [v for a in articles for v in (a, *a.translations) if getattr(v, "item", None)]
        by_version = {
            id(v): feed_item(v.item, v.url, v.get_content(site), wards, site) for v in versions
        }
        originals = newest_first(by_version[id(a)] for a in articles)

        def write(
            save_as: str,
            kind: Format,
            title: str,
            subtitle: str,
            home: str,
            items: Sequence[FeedItem],
            lang: str = "en",
        ) -> None:
            info = FeedInfo(
                f"{site}/{save_as}",
                f"{council}: {title}",
                subtitle,
                f"{site}/{home}",
                council,
                lang,
            )
            path = Path(self.output_path) / save_as
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(render_feed(kind, info, items[:limit]))

        write(
            ALL_FEED,
            "atom",
            "everything",
            "Emergency alerts, statutory notices and bin collection changes",
            "",
            originals,
        )
        for kind in TYPE_LABELS:
            of_kind = [i for i in originals if i.item.kind == kind]
            for format_ in ("atom", "rss"):
                write(
                    TYPE_FEED.format(kind=kind, format=format_),
                    format_,
                    TYPE_TITLES[kind],
                    f"Newest {TYPE_TITLES[kind]}",
                    f"{kind}/",
                    of_kind,
                )
        for slug, ward in wards.items():
            for_ward = [i for i in originals if i.item.affects(slug)]
            write(
                WARD_FEED.format(ward=slug),
                "atom",
                f"{ward.name} ward",
                f"Everything that affects {ward.name}, and the whole district",
                f"wards/{slug}/",
                for_ward,
            )
        by_lang: dict[str, list[FeedItem]] = defaultdict(list)
        for item in by_version.values():
            by_lang[item.lang].append(item)
        for lang, items in sorted(by_lang.items()):
            write(
                LANG_FEED.format(lang=lang),
                "atom",
                f"in {language_name(lang)}",
                f"Everything published in {language_name(lang)}",
                "",
                newest_first(items),
                lang,
            )
        self.context["feed_languages"] = sorted(by_lang)
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
