"""Serving the built site from ``output/``: the site's own 404 page, safe headers, types."""

from __future__ import annotations

import mimetypes
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

# Types the site publishes that Python's table does not know, or knows wrongly.
SITE_TYPES = {
    ".xml": "application/xml",
    ".ics": "text/calendar; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".js": "text/javascript",
    ".css": "text/css",
    ".html": "text/html; charset=utf-8",
}
# Double suffixes that say more than the last one: CAP messages and Atom feeds are XML.
COMPOUND_TYPES = {
    ".cap.xml": "application/cap+xml",
    ".atom.xml": "application/atom+xml",
    ".rss.xml": "application/rss+xml",
}
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
}


class SiteHandler(SimpleHTTPRequestHandler):
    """Static files with the site's 404 page and no directory listings."""

    extensions_map = {  # noqa: RUF012 (the base class declares it this way)
        **SimpleHTTPRequestHandler.extensions_map,
        **SITE_TYPES,
    }

    def guess_type(self, path: Any) -> str:
        name = str(path)
        for suffix, content_type in COMPOUND_TYPES.items():
            if name.endswith(suffix):
                return content_type
        return str(super().guess_type(path))

    def end_headers(self) -> None:
        for name, value in SECURITY_HEADERS.items():
            self.send_header(name, value)
        super().end_headers()

    def list_directory(self, path: Any) -> None:
        self.send_not_found()
        return None

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        if code == HTTPStatus.NOT_FOUND:
            self.send_not_found()
            return
        super().send_error(code, message, explain)

    def send_not_found(self) -> None:
        page = Path(self.directory) / "404.html"
        body = page.read_bytes() if page.is_file() else b"Not found"
        self.send_response(HTTPStatus.NOT_FOUND)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


def make_server(host: str, port: int, site_dir: Path) -> ThreadingHTTPServer:
    mimetypes.init()
    handler = partial(SiteHandler, directory=str(site_dir))
    return ThreadingHTTPServer((host, port), handler)
