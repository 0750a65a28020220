"""Atom and RSS 2.0 documents with feedgen. Alerts carry their CAP severity, event and
expiry as elements in the CAP namespace, as CAP-aware readers expect."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from lxml import etree

from plugins.cap.message import CAP_NS, cap_time, event_name

from .atom_links import with_link_attributes
from .entries import FeedItem

Format = Literal["atom", "rss"]
EPOCH = datetime.fromisoformat("2000-01-01T00:00:00+00:00")


@dataclass(frozen=True)
class FeedInfo:
    """A feed's own description: where it is and what it is."""

    url: str
    title: str
    subtitle: str
    home: str  # the HTML page it follows
    author: str
    language: str = "en"


class CapFeed(BaseExtension):  # type: ignore[misc]
    def extend_ns(self) -> dict[str, str]:
        return {"cap": CAP_NS}


class CapEntry(BaseEntryExtension):  # type: ignore[misc]
    """``<cap:event>``, ``<cap:severity>`` and ``<cap:expires>`` on an alert's entry."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def alert(self, event: str, severity: str, expires: datetime) -> None:
        """``event`` as the alert names it, in its language (as its CAP message does)."""
        self.values = {
            "event": event,
            "severity": event_name(severity),
            "expires": cap_time(expires),
        }

    def _extend(self, entry: Any) -> Any:
        for name, value in self.values.items():
            etree.SubElement(entry, f"{{{CAP_NS}}}{name}").text = value
        return entry

    def extend_atom(self, entry: Any) -> Any:
        return self._extend(entry)

    def extend_rss(self, entry: Any) -> Any:
        return self._extend(entry)


def render_feed(kind: Format, info: FeedInfo, items: Sequence[FeedItem]) -> bytes:
    """``items`` newest first. The feed's updated time is its newest item's, never the
    build time, so that a rebuild with nothing new changes nothing."""
    feed = FeedGenerator()
    feed.register_extension("cap", CapFeed, CapEntry, atom=True, rss=True)
    feed.id(info.url)
    feed.title(info.title)
    feed.subtitle(info.subtitle)
    feed.description(info.subtitle)
    feed.author({"name": info.author})
    feed.link(href=info.url, rel="self", type=f"application/{kind}+xml")
    feed.link(href=info.home, rel="alternate", type="text/html")
    feed.language(info.language)
    updated = max((i.updated for i in items), default=EPOCH)
    feed.updated(updated)
    feed.lastBuildDate(updated)
    for item in items:
        entry = feed.add_entry(order="append")
        entry.id(item.id)
        if kind == "rss" and item.updated != item.published:
            # RSS has no updated time: a changed item (a cancelled meeting) is dated and
            # identified by its change, so that readers show it as news.
            entry.guid(f"{item.id}#updated-{item.updated.isoformat()}", permalink=False)
        else:
            entry.guid(item.id, permalink=True)
        entry.title(item.title)
        entry.link(href=item.url, rel="alternate", type="text/html")
        entry.summary(item.summary)
        entry.description(item.summary)
        entry.content(item.content_html, type="CDATA" if kind == "rss" else "html")
        entry.published(item.updated if kind == "rss" else item.published)
        entry.updated(item.updated)
        for category in item.categories:
            entry.category(term=category.term, label=category.label, scheme=category.scheme)
        if item.is_alert:
            values = item.item.values
            entry.cap.alert(item.event, values["severity"], values["expires"])
    document = feed.atom_str(pretty=True) if kind == "atom" else feed.rss_str(pretty=True)
    if kind == "atom":
        html_links = {i.id: {i.url: {"rel": "alternate", "type": "text/html"}} for i in items}
        return with_link_attributes(bytes(document), html_links)
    return bytes(document)
