"""What ``make publish`` uploads, in which order, with which headers. Pure: paths in, plan out.

Order, so that nothing links to what is not there yet and an alert is live as soon as it
can be (ADR 12, ADR 27). Each stage is uploaded in parallel and finished before the next:

1. assets: styles, scripts, images, documents;
2. the new items' own files: the pages (every language) and CAP messages of the items
   new in the notify manifest (or at a new revision) since the live one;
3. the home pages, the types' lists, feeds, calendars and data;
4. the notify manifest, whose arrival emails subscribers (the pages it links to are live);
5. every other page (the alert banner on each), the sitemap, the search index's files;
6. the search index's entry file, once the files it names are there.

Before all of these, while the site is still being built, a new alert's page and CAP
message go live as soon as Pelican has written them (``is_new_urgent``). Stale objects are
deleted only after everything new is in place. The same order serves the embedded site
(``noticeboard.rebuild`` replaces files in it).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from plugins.content_model.registry import ITEM_TYPES
from subscriber_lambda.site_policy import MANIFEST, cache_control, content_type

STAGES = {
    1: "assets",
    2: "new items' pages",
    3: "home, lists, feeds and data",
    4: "notify manifest",
    5: "other pages and the search index",
    6: "search index entry",
}
SEARCH = "pagefind/"
SEARCH_ENTRY = "pagefind/pagefind-entry.json"
# A home page or a type's list, in the site's language or a translation's (/cy/alerts/).
LIST_PAGE = re.compile(
    r"^(?:[a-z]{2,3}(?:-[A-Za-z0-9]+)*/)?(?:(?:" + "|".join(map(re.escape, ITEM_TYPES)) + r")/)?"
    r"index\.html$"
)
# An item's file: /{lang}/{type}/{slug}/... or its CAP message /alerts/{slug}.cap.xml.
ITEM_FILE = re.compile(r"^(?:[a-z]{2,3}(?:-[A-Za-z0-9]+)*/)?([^/]+/[^/.]+)(?:/|\.cap\.xml$)")


# Types whose items go to every subscriber at once (alerts).
URGENT_TYPES = frozenset(t.folder for t in ITEM_TYPES.values() if t.urgent)


def is_new_urgent(key: str, live: Collection[str]) -> bool:
    """A new alert's page or CAP message that is not live yet: it may go live as soon as it
    is written, before the rest of the build (a new file replaces nothing, and an alert
    links to no file of its own that could be missing)."""
    item = ITEM_FILE.match(key)
    return item is not None and key not in live and item.group(1).split("/")[0] in URGENT_TYPES


@dataclass(frozen=True)
class Upload:
    key: str
    stage: int  # STAGES
    content_type: str
    cache_control: str


def is_asset(key: str) -> bool:
    return key.startswith("theme/") or "/documents/" in key


def classify(key: str, new_items: Collection[str] = ()) -> Upload:
    """``new_items``: the items (``type/slug``) new in the notify manifest."""
    kind = content_type(key)
    item = ITEM_FILE.match(key)
    if key == MANIFEST:
        stage = 4
    elif key == SEARCH_ENTRY:
        stage = 6
    elif key.startswith(SEARCH):
        stage = 5
    elif is_asset(key):
        stage = 1
    elif item and item.group(1) in new_items:
        stage = 2
    elif LIST_PAGE.match(key) or not kind.startswith("text/html"):
        stage = 3 if key not in ("sitemap.xml", "robots.txt") else 5
    else:
        stage = 5
    return Upload(key, stage, kind, cache_control(key))


def plan(keys: Iterable[str], new_items: Collection[str] = ()) -> list[Upload]:
    """Every file, in upload order (stage, then name, so a plan reads the same every time)."""
    return sorted((classify(k, new_items) for k in keys), key=lambda u: (u.stage, u.key))


def stages(uploads: Iterable[Upload]) -> list[list[Upload]]:
    """The plan cut into its stages, in order: each is uploaded before the next starts."""
    found: dict[int, list[Upload]] = {}
    for upload in uploads:
        found.setdefault(upload.stage, []).append(upload)
    return [found[stage] for stage in sorted(found)]


def new_items(manifest: Mapping[str, Any], previous: Mapping[str, Any] | None) -> set[str]:
    """The items (``type/slug``) of a notify manifest that the previous one (what is live)
    did not list at the same revision: new items and new revisions of items."""

    def revisions(found: Mapping[str, Any] | None) -> set[tuple[str, str]]:
        return {(str(i["id"]), str(i["revision"])) for i in (found or {}).get("items", [])}

    return {item for item, _ in revisions(manifest) - revisions(previous)}
