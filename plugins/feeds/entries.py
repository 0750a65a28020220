"""What a feed says about one item: built once per item, used by every feed it is in."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from plugins.content_model.model import Item
from plugins.content_model.wards import Ward

Gettext = Callable[[str], str]


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
    event: str = ""  # what an alert warns of, named in its language (CAP's event)

    @property
    def is_alert(self) -> bool:
        """Whether readers get its CAP fields (the types with a CAP output)."""
        return "cap" in self.item.type.outputs


def categories(
    item: Item, wards: Mapping[str, Ward], site_url: str, gettext: Gettext = str
) -> tuple[Category, ...]:
    """The item's type, its fields marked as categories (an alert's event and severity, a
    notice's type), and its wards, each in its own scheme; labelled in the item's language
    (``gettext``), the terms the same in every language."""
    values = item.values
    found = [Category(item.kind, gettext(item.type.singular), f"{site_url}/feeds/#type")]
    found += [
        Category(
            values[spec.attr],
            gettext(spec.label(values[spec.attr])),
            f"{site_url}/feeds/#{spec.key}",
        )
        for spec in item.type.fields
        if spec.category
    ]
    for slug in values["wards"]:
        label = gettext("The whole district") if slug == "all" else wards[slug].name
        found.append(Category(slug, label, f"{site_url}/wards/"))
    return tuple(found)


def feed_item(
    item: Item,
    url: str,
    content_html: str,
    wards: Mapping[str, Ward],
    site_url: str,
    gettext: Gettext = str,
) -> FeedItem:
    values = item.values
    absolute = f"{site_url}/{url}"
    return FeedItem(
        item=item,
        id=absolute,
        url=absolute,
        title=item.type.headline(item),
        summary=values["summary"],
        content_html=content_html,
        published=values["date"],
        updated=values.get("modified") or values["date"],
        lang=item.lang,
        categories=categories(item, wards, site_url, gettext),
        event=gettext(event.label(values["event"])) if (event := item.type.field("event")) else "",
    )
