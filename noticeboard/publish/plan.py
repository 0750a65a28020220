"""What ``make publish`` uploads, in which order, with which headers. Pure: paths in, plan out.

Order, so that nothing links to what is not there yet: assets (styles, scripts, images,
documents, the search index), then pages, then feeds, calendars and data, and the notify
manifest last (its arrival is what emails subscribers). Stale objects are deleted only
after everything new is in place.
"""

from __future__ import annotations

from dataclasses import dataclass

from subscriber_lambda.site_policy import MANIFEST, cache_control, content_type


@dataclass(frozen=True)
class Upload:
    key: str
    stage: int  # 1 assets, 2 pages, 3 feeds and data, 4 the manifest
    content_type: str
    cache_control: str


def classify(key: str) -> Upload:
    kind = content_type(key)
    if key == MANIFEST:
        stage = 4
    elif key.startswith(("theme/", "pagefind/", "notices/documents/")):
        stage = 1
    elif kind.startswith("text/html") or key in ("sitemap.xml", "robots.txt"):
        stage = 2
    else:
        stage = 3
    return Upload(key, stage, kind, cache_control(key))


def plan(keys: list[str]) -> list[Upload]:
    """Every file, in upload order (stage, then name, so a plan reads the same every time)."""
    return sorted((classify(k) for k in keys), key=lambda u: (u.stage, u.key))
