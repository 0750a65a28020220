"""What a feed says about one item: built once per item, used by every feed it is in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from plugins.cap.message import event_name as words
from plugins.content_model.model import Item
from plugins.content_model.wards import Ward


@dataclass(frozen=True)
class Category:
    term: str
    label: str
    scheme: str


@dataclass(frozen=True)
class FeedItem:
    """An item as feeds present it. ``item`` keeps the checked values for filtering."""

    item: Item
    id: str
    url: str
    title: str
    summary: str
    content_html: str
    published: datetime
    updated: datetime
    lang: str
    categories: tuple[Category, ...]

    @property
    def is_alert(self) -> bool:
        return self.item.kind == "alerts"


TYPE_LABELS = {
    "alerts": "Emergency alert",
    "notices": "Statutory notice",
    "bin-changes": "Bin collection change",
}


def categories(item: Item, wards: dict[str, Ward], site_url: str) -> tuple[Category, ...]:
    """The item's type, its event or notice type, and its wards, each in its own scheme."""
    values = item.values

    def category(value: str, scheme: str) -> Category:
        return Category(value, words(value), f"{site_url}/feeds/#{scheme}")

    found = [Category(item.kind, TYPE_LABELS[item.kind], f"{site_url}/feeds/#type")]
    if item.kind == "alerts":
        found += [category(values["event"], "event"), category(values["severity"], "severity")]
    if item.kind == "notices":
        found.append(category(values["notice_type"], "notice-type"))
    for slug in values["wards"]:
        label = "The whole district" if slug == "all" else wards[slug].name
        found.append(Category(slug, label, f"{site_url}/wards/"))
    return tuple(found)


def feed_item(
    item: Item, url: str, content_html: str, wards: dict[str, Ward], site_url: str
) -> FeedItem:
    values = item.values
    absolute = f"{site_url}/{url}"
    return FeedItem(
        item=item,
        id=absolute,
        url=absolute,
        title=values["title"],
        summary=values["summary"],
        content_html=content_html,
        published=values["date"],
        updated=values.get("modified") or values["date"],
        lang=item.lang,
        categories=categories(item, wards, site_url),
    )
