"""The registry: every type of content the site publishes, in the order menus, lists,
feeds and forms show them. Adding a type is a module in ``types/`` and a line here
(ADR 19); nothing else names types.
"""

from __future__ import annotations

from .schema import PAGES, SITE_FOLDERS, ContentType
from .types import alerts, bin_changes, consultations, meetings, notices

ITEM_TYPES: dict[str, ContentType] = {
    t.folder: t
    for t in (alerts.TYPE, notices.TYPE, bin_changes.TYPE, consultations.TYPE, meetings.TYPE)
}
ALL_TYPES: dict[str, ContentType] = {**ITEM_TYPES, PAGES.folder: PAGES}

# Names a page may not take because they are the site's own top-level folders (and the
# folders of translations in the languages the council publishes in most).
RESERVED_PAGE_SLUGS = frozenset({*ITEM_TYPES, *SITE_FOLDERS, "cy", "en", "pl"})


def with_output(name: str) -> list[ContentType]:
    """The types that declare an extra output (``"cap"``)."""
    return [t for t in ITEM_TYPES.values() if name in t.outputs]
