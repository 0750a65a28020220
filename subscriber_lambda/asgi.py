"""The subscription routes (and, embedded, the built site) as one ASGI application on
Starlette: routing, form parsing (urlencoded and multipart, with limits), the site's own
error pages, security headers on every response, and cross-site POSTs refused.

The embedded server runs it under uvicorn (``serve.py``); on AWS Lambda, Mangum runs the
very same application behind API Gateway (``aws_lambda.py``). See ADR 13.
"""

from __future__ import annotations

import logging
import os
import stat
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import parse_qs, urlsplit

import anyio
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.body_limit import RequestBodyLimitMiddleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request as HttpRequest
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import NotModifiedResponse, StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .core.catalogues import speaking
from .core.clients import client_key
from .languages import answer_language
from .pages import Page
from .site_data import SiteData
from .site_policy import NEVER, cache_control, content_type, security_headers
from .web import ROUTES, Request, Subscriptions

log = logging.getLogger("subscriber_lambda.http")

MAX_BODY = 16 * 1024  # the largest form a resident can send is a few hundred bytes
MAX_FIELDS = 200  # a sign-up with every ward ticked stays well under this
MAX_HEADERS = 16 * 1024  # bytes of request line and headers
MAX_CONCURRENT = 500  # requests being answered at once; more get the site's 503 page
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
HTTP_METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT"]
PROBLEMS = {  # status -> the site's own page for it (pages.PROBLEMS)
    400: "bad-request",
    403: "cross-site",
    404: "not-found",
    405: "not-allowed",
    413: "too-large",
    431: "too-large",
    415: "not-a-form",
    500: "server-error",
    503: "busy",
}


@dataclass(frozen=True)
class Origins:
    """Where forms may be posted from: the site's configured address and the address the
    request itself was sent to (so another port or host name still works)."""

    site_url: str

    def allowed(self, scope: Scope) -> bool:
        headers = Headers(scope=scope)
        fetch_site = headers.get("sec-fetch-site")
        if fetch_site is not None and fetch_site not in ("same-origin", "none"):
            return False
        origin = headers.get("origin")
        if origin is None:
            return True  # not a browser form: a mail provider's one-click unsubscribe
        own = f"{scope.get('scheme', 'http')}://{headers.get('host', '')}"
        return origin.lower() in {origin_of(self.site_url), origin_of(own)}


def origin_of(url: str) -> str:
    """scheme://host[:port] of a URL, the port left out when it is the scheme's own; ''
    for anything that is not a URL (a malformed Host header, say)."""
    try:
        parts = urlsplit(url.lower())
        port = parts.port
    except ValueError:
        return ""
    default = {"http": 80, "https": 443}.get(parts.scheme)
    netloc = parts.hostname or ""
    if ":" in netloc:
        netloc = f"[{netloc}]"
    if port is not None and port != default:
        netloc = f"{netloc}:{port}"
    return f"{parts.scheme}://{netloc}"


def language_asked(scope: Scope, default: str) -> str:
    """The language a request asks for by its link (``?lang=``) or its browser."""
    query = parse_qs((scope.get("query_string") or b"").decode("latin-1"))
    chosen = (query.get("lang") or [""])[0]
    accept_language = Headers(scope=scope).get("accept-language", "")
    return answer_language(chosen, "", accept_language, default)


def head_size(scope: Scope) -> int:
    """Bytes of the request's target and headers, however they arrived."""
    target = len(scope.get("raw_path") or b"") + len(scope.get("query_string") or b"")
    return target + sum(len(name) + len(value) + 4 for name, value in scope["headers"])


def declared_length(scope: Scope) -> int:
    """The Content-Length a request declares (0 if none or unreadable: the limit is then
    enforced while the body is read)."""
    try:
        return int(Headers(scope=scope).get("content-length", "0"))
    except ValueError:
        return 0


class SitePolicy:
    """On every response: the security headers (site_policy.py), and one log line that
    never holds a query string (links carry tokens). Refuses cross-site form posts."""

    def __init__(
        self, app: ASGIApp, origins: Origins, problem: Callable[[int, Scope], Response]
    ) -> None:
        self.app, self.origins, self.problem = app, origins, problem
        # Requests being answered: read and changed only on the server's event loop (ASGI
        # calls run there), so it needs no lock.
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        path = str(scope.get("path", ""))
        extra = security_headers(path, https=scope.get("scheme") == "https")
        status = 0

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = MutableHeaders(scope=message)
                for name, value in extra.items():
                    headers[name] = value
            await send(message)

        self.in_flight += 1
        try:
            if self.in_flight > MAX_CONCURRENT:
                await self.problem(503, scope)(scope, receive, send_with_headers)
            elif head_size(scope) > MAX_HEADERS:
                await self.problem(431, scope)(scope, receive, send_with_headers)
            elif scope["method"] not in SAFE_METHODS and not self.origins.allowed(scope):
                await self.problem(403, scope)(scope, receive, send_with_headers)
            elif declared_length(scope) > MAX_BODY:  # said in advance: refused unread
                await self.problem(413, scope)(scope, receive, send_with_headers)
            else:
                await self.app(scope, receive, send_with_headers)
        except Exception:
            # Logged with the path only: the error's text may hold what a resident sent.
            log.exception("%s %s failed", scope["method"], path)
            if status:
                raise  # the response had begun: the server closes the connection
            await self.problem(500, scope)(scope, receive, send_with_headers)
        finally:
            self.in_flight -= 1
            log.info(
                "%s %s %s %.0fms",
                scope["method"],
                path,
                status,
                (time.perf_counter() - started) * 1000,
            )


class OpenFileResponse(FileResponse):
    """A file response that sends the very file it was given open, with the size and dates
    of that open file. Starlette's own reopens the path when it sends: a rebuild that
    replaced the file in between (``make rebuild`` does, with ``os.replace``) would send
    the new file's bytes under the old file's length, and the page would arrive broken."""

    def __init__(self, handle: BinaryIO, status_code: int = 200) -> None:
        self._handle = handle
        super().__init__(handle.name, status_code, stat_result=os.fstat(handle.fileno()))

    @asynccontextmanager
    async def _open_file(self) -> AsyncIterator[anyio.AsyncFile[bytes]]:
        self._handle.seek(0)
        yield anyio.wrap_file(self._handle)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self._handle.close()


class SiteFiles(StaticFiles):
    """The built site: index.html for folders, the site's 404 page (in the language of the
    section or the link or the browser, where the site has one in it), no listings; media
    types and cache lifetimes as published to S3 (site_policy.py), ETag and 304s; each
    file sent whole as it was when opened, even while a rebuild replaces it."""

    def __init__(self, site: SiteData, **options: Any) -> None:
        super().__init__(**options)
        self.site = site

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code != 404:
            return response
        section = path.split("/", 1)[0]
        asked = language_asked(scope, self.site.interface_lang)
        lang = self.site.interface_lang
        for candidate in (section, asked):
            if candidate and candidate != lang:
                full_path, found = await anyio.to_thread.run_sync(
                    self.lookup_path, f"{candidate}/404.html"
                )
                if found and stat.S_ISREG(found.st_mode):
                    response = FileResponse(full_path, stat_result=found, status_code=404)
                    lang = candidate
                    break
        # Which page was sent depends on the browser's languages: caches must not share it.
        response.headers.update(
            {"Content-Language": lang, "Vary": "Accept-Language", "Cache-Control": NEVER}
        )
        return response

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        try:
            handle = open(full_path, "rb")  # noqa: SIM115 (the response closes it)
        except FileNotFoundError:  # removed since it was found: as if it never was
            raise HTTPException(404) from None
        response = OpenFileResponse(handle, status_code)
        relative = os.path.relpath(str(full_path), str(self.directory)).replace(os.sep, "/")
        response.headers["Content-Type"] = content_type(relative)
        response.headers["Cache-Control"] = cache_control(relative)
        if self.is_not_modified(response.headers, Headers(scope=scope)):
            handle.close()
            return NotModifiedResponse(response.headers)
        return response


def form_values(data: Any) -> dict[str, list[str]]:
    """Starlette's form as {name: [values]}; an uploaded file is not a form we know."""
    values: dict[str, list[str]] = {}
    for name, value in data.multi_items():
        if not isinstance(value, str):
            raise HTTPException(415)
        values.setdefault(name, []).append(value)
    return values


def create_app(subscriptions: Subscriptions, site_url: str, site_dir: Path | None) -> Starlette:
    """The application: the routes, and the built site from ``site_dir`` if given (on AWS
    the site is on S3 and CloudFront, and only /subscriptions/ reaches the Lambda)."""
    pages = subscriptions.pages

    def html(page: Page, headers: dict[str, str] | None = None) -> Response:
        # Which language a page is in depends on the link and on the browser's languages.
        spoken = {"Content-Language": page.lang, "Vary": "Accept-Language"}
        if page.location:  # a redirect (303): the page only says where
            spoken["Location"] = page.location
        return HTMLResponse(
            page.html, page.status, {"Cache-Control": NEVER, **spoken, **(headers or {})}
        )

    def problem(status: int, scope: Scope, headers: dict[str, str] | None = None) -> Response:
        """The site's page for ``status``, in the language the request asks for."""
        with speaking(language_asked(scope, pages.site.interface_lang)):
            return html(pages.problem(status, PROBLEMS.get(status, PROBLEMS[400])), headers)

    async def endpoint(request: HttpRequest) -> Response:
        actions = ROUTES[request.url.path]
        method = "GET" if request.method == "HEAD" else request.method
        if method not in actions:  # every method reaches here, so the answer is the route's
            allowed = ", ".join(sorted({*actions, "HEAD"} if "GET" in actions else actions))
            return problem(405, request.scope, {"Allow": allowed})
        form: dict[str, list[str]] = {}
        if method == "POST":
            media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if media_type not in FORM_TYPES:
                return problem(415, request.scope)
            async with request.form(
                max_files=0, max_fields=MAX_FIELDS, max_part_size=MAX_BODY
            ) as data:
                form = form_values(data)
        query = {name: request.query_params.getlist(name) for name in request.query_params}
        client = client_key(request.client.host) if request.client else ""
        accept_language = request.headers.get("accept-language", "")
        call = Request(method, query, form, client, request.url.path, accept_language)
        return html(await run_in_threadpool(subscriptions.answer, actions[method], call))

    async def http_error(request: HttpRequest, error: Exception) -> Response:
        assert isinstance(error, HTTPException)
        return problem(error.status_code, request.scope, dict(error.headers or {}))

    routes: list[BaseRoute] = [
        # Every method is the route's to answer (405 with its own Allow for those it does
        # not take), never passed on to the site's files below.
        Route(path, endpoint, methods=HTTP_METHODS)
        for path in ROUTES
    ]
    if site_dir is not None:
        routes.append(Mount("/", app=SiteFiles(pages.site, directory=site_dir, html=True)))

    def site_policy(app: ASGIApp) -> ASGIApp:
        return SitePolicy(app, Origins(site_url), problem)

    return Starlette(
        routes=routes,
        middleware=[
            Middleware(site_policy),
            # Counts the body as it is read (chunked, or longer than declared); a request
            # that declares too much has already had the site's page from SitePolicy.
            Middleware(RequestBodyLimitMiddleware, max_body_size=MAX_BODY),
            Middleware(GZipMiddleware, minimum_size=500),
        ],
        exception_handlers={HTTPException: http_error},
    )
