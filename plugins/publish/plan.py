"""What ``make publish`` uploads, in which order, with which headers. Pure: paths in, plan out.

Order, so that nothing links to what is not there yet: assets (styles, scripts, images,
documents, the search index), then pages, then feeds, calendars and data, and the notify
manifest last (its arrival is what emails subscribers). Stale objects are deleted only
after everything new is in place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath

MANIFEST = "api/v1/notify.json"
# Pagefind names its index files by their content's hash: they can be cached for ever.
FINGERPRINTED = re.compile(r"^pagefind/.*[._-][0-9a-f]{8,}\.[a-z_]+$")

TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".pdf": "application/pdf",
    ".ics": "text/calendar; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".xml": "application/xml",
    ".wasm": "application/wasm",
}
COMPOUND = {
    ".cap.xml": "application/cap+xml",
    ".atom.xml": "application/atom+xml",
    ".rss.xml": "application/rss+xml",
}

SHORT = "public, max-age=60"  # feeds, data, the manifest, and pages (they carry the alert banner)
HOUR = "public, max-age=3600"  # styles and scripts without a fingerprint in their name
DAY = "public, max-age=86400"  # images and documents
FOREVER = "public, max-age=31536000, immutable"  # fingerprinted files


@dataclass(frozen=True)
class Upload:
    key: str
    stage: int  # 1 assets, 2 pages, 3 feeds and data, 4 the manifest
    content_type: str
    cache_control: str


def content_type(key: str) -> str:
    for suffix, kind in COMPOUND.items():
        if key.endswith(suffix):
            return kind
    return TYPES.get(PurePosixPath(key).suffix.lower(), "application/octet-stream")


def classify(key: str) -> Upload:
    kind = content_type(key)
    if key == MANIFEST:
        return Upload(key, 4, kind, "no-cache")
    if FINGERPRINTED.match(key):
        return Upload(key, 1, kind, FOREVER)
    if key.startswith(("theme/", "pagefind/", "notices/documents/")):
        cache = HOUR if kind.startswith(("text/css", "text/javascript")) else DAY
        return Upload(key, 1, kind, SHORT if key.startswith("pagefind/") else cache)
    if kind.startswith("text/html") or key in ("sitemap.xml", "robots.txt"):
        return Upload(key, 2, kind, SHORT)
    return Upload(key, 3, kind, SHORT)


def plan(keys: list[str]) -> list[Upload]:
    """Every file, in upload order (stage, then name, so a plan reads the same every time)."""
    return sorted((classify(k) for k in keys), key=lambda u: (u.stage, u.key))
