"""Pelican plugin: CAP 1.2 for every alert, and the CAP index feed of alerts in force.

Writes ``/alerts/{slug}.cap.xml`` and ``/feeds/alerts.cap.atom.xml``. The messages are
built by pure functions in ``message.py`` and ``feed.py``; this module only gathers what
Pelican read and writes files.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pelican import signals
from pelican.generators import Generator

from plugins.content_model import checked_content
from plugins.content_model.registry import with_output
from plugins.content_model.types.alerts import in_force
from plugins.govuk_theme.interface import gettext_for
from plugins.output_files import write_document
from plugins.site_pages.board import Board, Entry

from .feed import FeedEntry, cap_index_feed
from .message import CapSettingsError, Origin, Translation, cap_alert

CAP_SAVE_AS = "alerts/{slug}.cap.xml"
CAP_FEED_SAVE_AS = "feeds/alerts.cap.atom.xml"


def origin_from(settings: Mapping[str, Any]) -> Origin:
    return Origin(
        sender=settings.get("CAP_SENDER") or "",
        sender_name=settings["COUNCIL_NAME"],
        site_url=settings["SITE_URL"],
        authority_code=settings.get("LOCAL_AUTHORITY_CODE") or "",
        contact=settings.get("CONTACT_PHONE"),
    )


def check_settings(pelican: Any) -> None:
    """Before anything is built: a bad CAP setting stops the build with a clear message."""
    try:
        origin_from(pelican.settings)
    except CapSettingsError as error:
        raise SystemExit(f"pelicanconf.py: {error}; nothing was built.") from None


class CapGenerator(Generator):  # type: ignore[misc]
    def generate_output(self, writer: Any) -> None:
        board: Board = self.context["board"]
        origin = origin_from(self.settings)
        site = origin.site_url
        wards = checked_content(self.context).wards
        kinds = {t.folder for t in with_output("cap")}
        by_slug = {
            a.item.slug: a
            for a in self.context.get("articles", [])
            if getattr(a, "item", None) and a.item.kind in kinds
        }
        for slug, article in by_slug.items():
            event = article.item.type.field("event")
            name = event.label(article.item.values["event"]) if event else ""
            texts = [
                Translation(
                    version.item,
                    version.content,
                    f"{site}/{version.url}",
                    gettext_for(version.item.lang, self.settings)(name),
                )
                for version in (article, *article.translations)
                if getattr(version, "item", None)
            ]
            entry = board.find(article.item.kind, slug)
            earlier = [e.item for e in board.earlier(entry)] if entry else []
            message = cap_alert(article.item, texts, earlier, origin, wards)
            write_document(writer, self.context, CAP_SAVE_AS.format(slug=slug), message)
        current = [
            FeedEntry(a.item, f"{site}/{CAP_SAVE_AS.format(slug=a.item.slug)}", f"{site}/{a.url}")
            for a in alerts(board)
            if in_force(a.item, board.status(a), board.now)
        ]
        feed = cap_index_feed(current, origin, f"{site}/{CAP_FEED_SAVE_AS}", last_change(board))
        write_document(writer, self.context, CAP_FEED_SAVE_AS, feed)


def alerts(board: Board) -> list[Entry]:
    """The published entries of the types with a CAP output, newest first."""
    return [e for t in with_output("cap") for e in board.of(t.folder)]


def last_change(board: Board) -> datetime:
    """When the set of alerts in force last changed: the latest publication or expiry
    that has happened. Not the build time, so rebuilding with nothing due changes nothing."""
    moments = [a.item.values["date"] for a in alerts(board)]
    moments += [
        a.item.values["expires"] for a in alerts(board) if a.item.values["expires"] <= board.now
    ]
    return max(moments, default=datetime(2000, 1, 1, tzinfo=board.now.tzinfo))


def cap_generator(pelican: Any) -> type[Generator]:
    return CapGenerator


def register() -> None:
    signals.initialized.connect(check_settings)
    signals.get_generators.connect(cap_generator)
