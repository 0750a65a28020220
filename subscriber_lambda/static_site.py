"""Serving the built site from ``output/``: the site's own 404 page, safe headers, types."""

from __future__ import annotations

import mimetypes
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .web import MAX_BODY, Request

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
    """Static files with the site's 404 page and no directory listings; with an ``app``,
    the subscription routes under /subscriptions/ too."""

    app: Any = None
    server_version = "noticeboard"
    sys_version = ""

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

    def do_GET(self) -> None:
        if not self._to_app("GET"):
            super().do_GET()

    def do_HEAD(self) -> None:
        if not self._to_app("HEAD"):
            super().do_HEAD()

    def do_POST(self) -> None:
        if not self._to_app("POST"):
            self.send_error(HTTPStatus.METHOD_NOT_ALLOWED)

    def _to_app(self, method: str) -> bool:
        """Hand /subscriptions/ requests (not its files) to the app; True if handled."""
        url = urlsplit(self.path)
        is_route = url.path.startswith("/subscriptions/") and not url.path.endswith(
            (".html", ".json")
        )
        if self.app is None or not is_route:
            return False
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self._reply(413, "Too much data", {"Content-Type": "text/plain; charset=utf-8"}, method)
            return True
        request = Request(
            method="GET" if method == "HEAD" else method,
            path=url.path,
            query=parse_qs(url.query, max_num_fields=20),
            body=self.rfile.read(length) if length else b"",
            content_type=self.headers.get("Content-Type", ""),
            client=self.client_address[0],
        )
        response = self.app.handle(request)
        self._reply(response.status, response.body, response.headers, method)
        return True

    def _reply(self, status: int, body: str, headers: dict[str, str], method: str) -> None:
        data = body.encode("utf-8")
        self.send_response(status)
        for name, value in {**headers, "Cache-Control": "no-store"}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if method != "HEAD":
            self.wfile.write(data)

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


def make_server(host: str, port: int, site_dir: Path, app: Any = None) -> ThreadingHTTPServer:
    mimetypes.init()
    handler_class = type("Handler", (SiteHandler,), {"app": app})
    handler = partial(handler_class, directory=str(site_dir))
    return ThreadingHTTPServer((host, port), handler)
