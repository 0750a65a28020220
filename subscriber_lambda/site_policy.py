"""How the site's files and pages are served, in one place for every deployment: the media
type and cache lifetime of each published path (``make publish`` to S3, ``serve`` on one
machine) and the security headers on every response (``serve`` and the Lambda routes).

Pure: paths in, header values out.
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import PurePosixPath

MANIFEST = "api/v1/notify.json"
SUBSCRIPTIONS = "subscriptions/"
STOP_TEXTS = "s"  # the stop link in texts (core.texts.STOP_PATH), the one route at the root


def is_route(path: str) -> bool:
    """Whether a path is the subscription backend's (its links carry tokens or codes)."""
    relative = path.lstrip("/")
    return relative.startswith(SUBSCRIPTIONS) or relative == STOP_TEXTS


# Pagefind names its index files by their content's hash: they can be cached for ever.
FINGERPRINTED = re.compile(r"^pagefind/.*[._-][0-9a-f]{7,}\.[a-z_]+$")

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
    ".yml": "text/yaml; charset=utf-8",
    ".wasm": "application/wasm",
}
# Double suffixes that say more than the last one: CAP messages and feeds are XML.
COMPOUND = {
    ".cap.xml": "application/cap+xml",
    ".atom.xml": "application/atom+xml",
    ".rss.xml": "application/rss+xml",
}

SHORT = "public, max-age=60"  # feeds, data, and pages (they carry the alert banner)
HOUR = "public, max-age=3600"  # styles and scripts without a fingerprint in their name
DAY = "public, max-age=86400"  # images and documents
FOREVER = "public, max-age=31536000, immutable"  # fingerprinted files
NEVER = "no-store"  # the subscription pages: personal, and their links carry tokens


def content_type(path: str) -> str:
    """The media type of a published file, by its name (a path relative to the site)."""
    for suffix, kind in COMPOUND.items():
        if path.endswith(suffix):
            return kind
    return TYPES.get(PurePosixPath(path).suffix.lower(), "application/octet-stream")


def cache_control(path: str) -> str:
    """How long browsers and CloudFront may keep a published file."""
    kind = content_type(path)
    if path == MANIFEST:
        return "no-cache"
    if FINGERPRINTED.match(path):
        return FOREVER
    if path.startswith("pagefind/"):
        return SHORT
    if path.startswith(("theme/", "notices/documents/")):
        return HOUR if kind.startswith(("text/css", "text/javascript")) else DAY
    return SHORT


# The one inline script the pages carry (theme/templates/base.html): GOV.UK Frontend's
# marker that JavaScript runs, inline so pages do not flash. Allowed by its hash; a test
# checks that every inline script of the built site is listed here.
INLINE_SCRIPTS = (
    "document.body.className += ' js-enabled' + ('noModule' in HTMLScriptElement.prototype"
    " ? ' govuk-frontend-supported' : '');",
)


def script_hash(source: str) -> str:
    digest = hashlib.sha256(source.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


# Scripts only from the site (and Pagefind's WebAssembly search); no inline styles or
# handlers, no plugins, no framing, forms post only to the site.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'wasm-unsafe-eval' " + " ".join(map(script_hash, INLINE_SCRIPTS)),
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
# The web editor (Decap CMS, /admin/) is served by the site itself and talks to the git
# host's API; its bundle needs eval (and WebAssembly) and sets inline styles.
EDITOR_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'unsafe-eval'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob: https:",
        "connect-src 'self' https:",
        "object-src 'none'",
        "base-uri 'self'",
        "frame-ancestors 'none'",
    ]
)
HSTS = "max-age=31536000"


def security_headers(path: str, https: bool) -> dict[str, str]:
    """The headers every response carries; ``path`` is the request's path ('/alerts/x/')."""
    editor = path == "/admin" or path.startswith("/admin/")
    policy = EDITOR_POLICY if editor else CONTENT_SECURITY_POLICY
    headers = {
        "Content-Security-Policy": policy + ("; upgrade-insecure-requests" if https else ""),
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        # Subscription links carry tokens: send only the origin on, not even the path to
        # the site itself ('no-referrer' would make browsers send 'Origin: null' with the
        # forms, which the cross-site check refuses).
        "Referrer-Policy": (
            "strict-origin" if is_route(path) else "strict-origin-when-cross-origin"
        ),
        "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
        "Cross-Origin-Opener-Policy": "same-origin",
    }
    if https:
        headers["Strict-Transport-Security"] = HSTS
    return headers


if __name__ == "__main__":  # the headers to give a CDN or web server that serves the site
    for name, value in security_headers("/", https=True).items():
        print(f"{name}: {value}")
