"""The CAP index feed: an Atom feed with one entry per alert in force, each linking to its
CAP message (``application/cap+xml``), as the OASIS CAP feed convention describes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from feedgen.feed import FeedGenerator

from plugins.content_model.model import Item
from plugins.feeds.atom_links import with_link_attributes

from .message import CAP_MIME, Origin, cap_time


@dataclass(frozen=True)
class FeedEntry:
    item: Item
    cap_url: str
    page_url: str


def cap_index_feed(
    entries: Sequence[FeedEntry], origin: Origin, feed_url: str, updated: datetime
) -> bytes:
    """``updated`` is given, not 'now', so that a rebuild with nothing new changes nothing."""
    feed = FeedGenerator()
    feed.id(feed_url)
    feed.title(f"{origin.sender_name}: emergency alerts in force (CAP)")
    feed.subtitle("Common Alerting Protocol 1.2 messages for alerts currently in force")
    feed.author({"name": origin.sender_name, "email": origin.sender})
    feed.link(href=feed_url, rel="self", type="application/atom+xml")
    feed.link(href=f"{origin.site_url}/alerts/", rel="alternate", type="text/html")
    feed.language("en-GB")
    feed.updated(cap_time(updated))
    for entry in entries:
        values = entry.item.values
        atom = feed.add_entry(order="append")
        atom.id(entry.cap_url)
        atom.title(values["title"])
        atom.summary(values["summary"])
        atom.published(cap_time(values["date"]))
        atom.updated(cap_time(values.get("modified") or values["date"]))
        atom.link(href=entry.cap_url, rel="alternate", type=CAP_MIME)
        atom.link(href=entry.page_url, rel="related", type="text/html")
        atom.category(term=values["event"], label=values["severity"])
    links = {
        e.cap_url: {
            e.cap_url: {"rel": "alternate", "type": CAP_MIME},
            e.page_url: {"rel": "related", "type": "text/html"},
        }
        for e in entries
    }
    return with_link_attributes(bytes(feed.atom_str(pretty=True)), links)
