"""The backend as an attacker, a busy morning and a mail scanner meet it, through the
embedded server on 127.0.0.1 (and, at the end, the same application behind the Lambda
adapter): limits that hold whatever is sent, the site's own error pages, security headers
on every response, cross-site posts refused, links that confirm once and reveal nothing."""

from __future__ import annotations

import base64
import gzip
import http.client
import json
import os
import re
import socket
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pytest

from subscriber_lambda.adapters.sqlite_store import SqliteStore
from subscriber_lambda.core.addresses import address_hash
from subscriber_lambda.core.preferences import Preferences
from subscriber_lambda.core.tokens import Purpose, Signer
from subscriber_lambda.site_policy import CONTENT_SECURITY_POLICY
from tests.test_subscriptions import (
    KEY,
    World,
    body,
    confirmation_link,
    fetch,
    subject,
    world_at,
)

SIGN_UP = {"email": "a@example.net", "topics": "alerts", "wards": "walmer"}
# What every response must carry, whatever it is.
ALWAYS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
}


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with world_at(tmp_path, trusted_proxies=("127.0.0.2",), read_timeout=1.0) as world:
        yield world


def raw(base: str, request: bytes, timeout: float = 10) -> tuple[int, dict[str, str], bytes]:
    """Send bytes as they are; the status, headers and body of the first response."""
    url = urlsplit(base)
    with socket.create_connection((url.hostname, url.port), timeout=timeout) as connection:
        connection.sendall(request)
        received = b""
        while b"\r\n\r\n" not in received:
            chunk = connection.recv(65536)
            if not chunk:
                break
            received += chunk
        head, _, rest = received.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
        length = int(headers.get("content-length", "0"))
        while len(rest) < length:
            chunk = connection.recv(65536)
            if not chunk:
                break
            rest += chunk
    return int(lines[0].split()[1]), headers, rest


def post_raw(base: str, path: str, headers: dict[str, str], data: bytes) -> bytes:
    url = urlsplit(base)
    lines = [f"POST {path} HTTP/1.1", f"Host: {url.netloc}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + data


def request(
    world: World, path: str, data: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, Any, str]:
    req = urllib.request.Request(world.base + path, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(req) as response:
            status, reply, content = response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        status, reply, content = error.code, error.headers, error.read()
    if reply.get("Content-Encoding") == "gzip":
        content = gzip.decompress(content)
    return status, reply, content.decode()


def heading(page: str) -> str:
    found = re.search(r"<h1[^>]*>\s*([^<]*)", page)
    return found.group(1).strip() if found else ""


FORM = {"Content-Type": "application/x-www-form-urlencoded"}


# --- limits and malformed requests ------------------------------------------------------


def test_a_body_over_the_limit_gets_the_site_page_whatever_its_length_says(world: World) -> None:
    big = b"email=" + b"x" * 40_000
    status, headers, page = request(world, "/subscriptions/subscribe", big, FORM)
    assert (status, heading(page)) == (413, "Too much data")
    # Chunked, so no Content-Length to check in advance: counted while it is read.
    chunked = f"{len(big):x}\r\n".encode() + big + b"\r\n0\r\n\r\n"
    sent = post_raw(
        world.base,
        "/subscriptions/subscribe",
        {**FORM, "Transfer-Encoding": "chunked"},
        chunked,
    )
    status, headers, page_bytes = raw(world.base, sent)
    assert status == 413 and b"Too much data" in page_bytes
    assert headers["content-security-policy"] == CONTENT_SECURITY_POLICY


@pytest.mark.parametrize("length", ["-1", "abc", "99999999999999999999"])
def test_a_false_content_length_gets_a_400_not_a_dropped_connection(
    world: World, length: str
) -> None:
    sent = post_raw(
        world.base, "/subscriptions/subscribe", {**FORM, "Content-Length": length}, b"email=a"
    )
    status, headers, page = raw(world.base, sent)
    assert status in (400, 413) and b"govuk-template" in page
    assert headers["content-security-policy"] == CONTENT_SECURITY_POLICY


@pytest.mark.parametrize(
    "sent",
    [
        b"",
        b"GET / HTTP/1.1\r\nHost: x\r\n",
        b"POST /subscriptions/subscribe HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n\r\nemail=",
    ],
    ids=["nothing", "half the headers", "half the body"],
)
def test_a_slow_or_silent_client_is_cut_off(world: World, sent: bytes) -> None:
    """The fixture's server allows 1 s to read a request (15 s in production)."""
    url = urlsplit(world.base)
    with socket.create_connection((url.hostname, url.port), timeout=10) as connection:
        connection.sendall(sent)
        started = time.monotonic()
        assert connection.recv(100) == b""  # closed by the server
        assert time.monotonic() - started < 5
    assert request(world, "/")[0] == 200  # everyone else is served as usual


@pytest.mark.parametrize(
    "sent",
    [
        b"GET / HTTP/1.1\r\n\r\n",  # no Host
        b"GET /a b HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n",
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",  # a TLS hello on the plain port
    ],
    ids=["no host", "space in target", "header without colon", "tls hello"],
)
def test_a_request_the_server_cannot_parse_gets_the_sites_400_page(
    world: World, sent: bytes
) -> None:
    status, headers, page = raw(world.base, sent)
    assert status == 400 and b"Sorry, we could not read that" in page
    assert headers["content-security-policy"] == CONTENT_SECURITY_POLICY


@pytest.mark.parametrize("where", ["header", "target"])
def test_headers_over_the_limit_are_refused_however_they_arrive(world: World, where: str) -> None:
    big = "a" * 40_000
    line = f"GET /?q={big} HTTP/1.1\r\n" if where == "target" else "GET / HTTP/1.1\r\n"
    extra = f"X-Big: {big}\r\n" if where == "header" else ""
    url = urlsplit(world.base)
    sent = f"{line}Host: {url.netloc}\r\n{extra}Connection: close\r\n\r\n".encode()
    status, headers, page = raw(world.base, sent)
    assert status in (400, 431) and b"govuk-template" in page
    assert headers["content-security-policy"] == CONTENT_SECURITY_POLICY


def test_one_client_cannot_take_every_connection(world: World) -> None:
    """64 connections open from one address; the next from it is closed at once, while
    another address is served as usual."""
    url = urlsplit(world.base)
    hogs = [socket.create_connection((url.hostname, url.port)) for _ in range(64)]
    try:
        time.sleep(0.2)
        extra = socket.create_connection((url.hostname, url.port), timeout=5)
        assert extra.recv(10) == b""  # closed by the server
        extra.close()
        other = http.client.HTTPConnection(
            url.hostname, url.port, timeout=5, source_address=("127.0.0.3", 0)
        )
        other.request("GET", "/")
        assert other.getresponse().status == 200
        other.close()
    finally:
        for hog in hogs:
            hog.close()


def test_past_the_limit_of_requests_at_once_the_site_says_it_is_busy() -> None:
    import asyncio

    from starlette.responses import PlainTextResponse

    from subscriber_lambda.asgi import MAX_CONCURRENT, Origins, SitePolicy

    async def app(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("not reached")

    policy = SitePolicy(
        app, Origins("http://x"), lambda status, scope: PlainTextResponse("", status)
    )
    policy.in_flight = MAX_CONCURRENT  # as many as it takes are being answered
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    scope = {"type": "http", "method": "GET", "path": "/", "headers": [], "scheme": "http"}
    asyncio.run(policy(scope, receive, send))
    assert sent[0]["status"] == 503
    assert (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()) in sent[0]["headers"]
    assert policy.in_flight == MAX_CONCURRENT


def test_a_short_content_length_reads_no_further(world: World) -> None:
    data = b"email=a%40example.net&topics=alerts&wards=walmer" + b"&x=" + b"y" * 30_000
    sent = post_raw(world.base, "/subscriptions/subscribe", {**FORM, "Content-Length": "6"}, data)
    status, _, page = raw(world.base, sent)
    assert status == 400 and b"There is a problem" in page  # only 'email=' was the form


@pytest.mark.parametrize(
    ("data", "content_type", "status", "title"),
    [
        (b"email=%ff%fe%fd&topics=alerts", FORM["Content-Type"], 400, "Error: Get emails"),
        (b"email=a%40example.net&" + b"&".join([b"f=1"] * 300), FORM["Content-Type"], 400, ""),
        (b"email=a%00b%40example.net", FORM["Content-Type"], 400, ""),
        (b'{"email": "a@example.net"}', "application/json", 415, "This is not a form we know"),
        (b"\xff\xfe\x00garbage", FORM["Content-Type"], 400, ""),
    ],
)
def test_malformed_forms_get_the_sites_400_page(
    world: World, data: bytes, content_type: str, status: int, title: str
) -> None:
    got, headers, page = request(
        world, "/subscriptions/subscribe", data, {"Content-Type": content_type}
    )
    assert got == status
    assert "govuk-template" in page and "Traceback" not in page
    if title:
        assert title in page
    assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


def test_an_uploaded_file_is_not_a_form_we_know(world: World) -> None:
    boundary = "b0undary"
    data = (
        f"--{boundary}\r\nContent-Disposition: form-data; name=email; filename=x.txt\r\n"
        f"Content-Type: text/plain\r\n\r\nhello\r\n--{boundary}--\r\n"
    ).encode()
    status, _, page = request(
        world,
        "/subscriptions/subscribe",
        data,
        {"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert status in (400, 415) and "govuk-template" in page


@pytest.mark.parametrize(
    "path",
    [
        "/subscriptions/manage?token=%ff%fe",
        "/subscriptions/manage?token=" + "A" * 5000,
        "/subscriptions/unsubscribe?token=not.a.token",
        "/subscriptions/confirm?token=s1.AAAA",
        "/subscriptions/confirm?token=%00",
        "/subscriptions/confirm",
    ],
)
def test_bad_tokens_get_the_sites_400_page(world: World, path: str) -> None:
    status, headers, page = request(world, path)
    assert (status, heading(page)) == (400, "This link does not work")
    assert headers["Cache-Control"] == "no-store"


def test_wrong_methods_and_unknown_paths_get_the_sites_pages(world: World) -> None:
    status, _, page = request(world, "/subscriptions/confirm", b"", {"X": "y"})
    assert status in (400, 415)  # a POST without a form
    status, _, page = request(
        world, "/alerts/", b"a=b", {**FORM, "Origin": world.base}
    )  # a POST to a page of the site
    assert status == 405 and "This page does not do that" in page
    status, _, page = request(world, "/subscriptions/no-such-route")
    assert status == 404 and "Page not found" in page
    status, _, page = request(world, "/../../etc/passwd")
    assert status == 404


# --- headers --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/alerts/",
        "/theme/build/noticeboard.css",
        "/no-such-page/",
        "/subscriptions/subscribe",
        "/subscriptions/manage?token=x",
    ],
)
def test_every_response_carries_the_security_headers(world: World, path: str) -> None:
    _, headers, _ = request(world, path)
    for name, value in ALWAYS.items():
        assert headers[name] == value, (path, name)
    assert "Strict-Transport-Security" not in headers  # plain HTTP: HSTS means nothing


def test_the_site_is_compressed_and_cached_as_on_s3(world: World) -> None:
    status, headers, _ = request(world, "/alerts/", headers={"Accept-Encoding": "gzip"})
    assert (status, headers["Content-Encoding"], headers["Cache-Control"]) == (
        200,
        "gzip",
        "public, max-age=60",
    )
    etag = headers["ETag"]
    status, _, _ = request(world, "/alerts/", headers={"If-None-Match": etag})
    assert status == 304
    status, headers, _page = request(world, "/subscriptions/subscribe")
    assert headers["Cache-Control"] == "no-store"
    assert headers["Referrer-Policy"] == "strict-origin"


def test_behind_a_trusted_proxy_https_brings_hsts_and_the_real_client_address(
    world: World,
) -> None:
    """The fixture trusts 127.0.0.2 as its proxy; 127.0.0.1 is any other client."""
    url = urlsplit(world.base)
    proxied = (
        f"GET /alerts/ HTTP/1.1\r\nHost: {url.netloc}\r\nX-Forwarded-Proto: https\r\n"
        "X-Forwarded-For: 203.0.113.9\r\nConnection: close\r\n\r\n"
    ).encode()
    with socket.create_connection((url.hostname, url.port), source_address=("127.0.0.2", 0)) as s:
        s.sendall(proxied)
        reply = s.makefile("rb").read().decode("latin-1")
    assert "strict-transport-security: max-age=31536000" in reply.lower()
    # The same headers from a client that is not the proxy are ignored.
    status, headers, _ = raw(world.base, proxied)
    assert status == 200 and "strict-transport-security" not in headers


def test_rate_limits_count_the_client_behind_the_proxy_not_the_proxy(world: World) -> None:
    url = urlsplit(world.base)

    def manage_link(number: int, via_proxy: bool, forwarded_for: str) -> int:
        data = f"email=r{number}%40example.net".encode()
        sent = post_raw(
            world.base,
            "/subscriptions/manage-link",
            {**FORM, "Content-Length": str(len(data)), "X-Forwarded-For": forwarded_for},
            data,
        )
        source = ("127.0.0.2", 0) if via_proxy else ("127.0.0.1", 0)
        with socket.create_connection((url.hostname, url.port), source_address=source) as s:
            s.sendall(sent)
            return int(s.makefile("rb").readline().split()[1])

    # 40 residents behind the council's proxy: each has their own allowance (30 an hour).
    assert {manage_link(n, True, f"198.51.100.{n}") for n in range(40)} == {200}
    # A client that is not the proxy cannot pick another address by saying so.
    statuses = [manage_link(100 + n, False, f"198.51.100.{n}") for n in range(31)]
    assert statuses == [200] * 30 + [429]


def test_forms_posted_from_another_website_are_refused(world: World) -> None:
    for headers in (
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site", "Origin": world.base},
    ):
        status, _, page = request(
            world, "/subscriptions/subscribe", b"email=a%40example.net", {**FORM, **headers}
        )
        assert status == 403 and "another website" in page, headers
    assert world.inbox.messages == []
    for headers in ({"Origin": world.base}, {"Sec-Fetch-Site": "same-origin"}, {}):
        status, _, _ = request(
            world, "/subscriptions/subscribe", b"email=b%40example.net", {**FORM, **headers}
        )
        assert status == 400, headers  # let through (and the form is incomplete)


# --- links in emails -------------------------------------------------------------------


def test_the_confirmation_link_reveals_no_address_and_confirms_once(world: World) -> None:
    resident = "replay.me+alerts@example.net"
    world.post("/subscriptions/subscribe", {**SIGN_UP, "email": resident})
    link = confirmation_link(world.inbox.wait_for(resident, 1)[0])
    token = link.split("token=", 1)[1]
    for form in (resident, quote(resident), "replay.me", base64.urlsafe_b64encode(b"replay.me")):
        assert str(form) not in link
    with pytest.raises(ValueError):
        json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    # A mail scanner opening the link changes nothing.
    for _ in range(3):
        assert world.get(link)[0] == 200
    assert list(world.store.subscribers()) == []
    assert world.confirm(link)[0] == 200
    subscriber = next(world.store.subscribers())
    # The resident changes their choices, then unsubscribes; replaying the link does nothing.
    world.store.save_subscriber(
        resident,
        subscriber.email_hash,
        Preferences(frozenset({"alerts"}), frozenset({"sandwich"})),
        world.clock.now,
    )
    status, page = world.confirm(link)
    assert (status, heading(page)) == (200, "This link has already been used")
    assert next(world.store.subscribers()).preferences.wards == {"sandwich"}
    token = Signer(KEY).make(Purpose.UNSUBSCRIBE, {"h": subscriber.email_hash}, world.clock.now)
    world.post(f"/subscriptions/unsubscribe?token={token}", {"List-Unsubscribe": "One-Click"})
    assert heading(world.confirm(link)[1]) == "This link has already been used"
    assert list(world.store.subscribers()) == []


def test_one_click_unsubscribe_accepts_multipart_as_rfc_8058_allows(world: World) -> None:
    world.subscribe("oneclick@example.net")
    email_hash = address_hash("oneclick@example.net", KEY)
    token = Signer(KEY).make(Purpose.UNSUBSCRIBE, {"h": email_hash}, world.clock.now)
    boundary = "mailprovider"
    data = (
        f"--{boundary}\r\nContent-Disposition: form-data; name=List-Unsubscribe\r\n\r\n"
        f"One-Click\r\n--{boundary}--\r\n"
    ).encode()
    status, _, page = request(
        world,
        f"/subscriptions/unsubscribe?token={token}",
        data,
        {"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert status == 200 and "You have unsubscribed" in page
    assert list(world.store.subscribers()) == []


def test_a_manage_link_request_answers_alike_and_at_once(world: World) -> None:
    world.subscribe("known@example.net")
    answers, times = [], []
    for address in ("known@example.net", "unknown@example.net") * 3:
        started = time.perf_counter()
        status, page = world.post("/subscriptions/manage-link", {"email": address})
        times.append(time.perf_counter() - started)
        answers.append((status, page.replace(address, "ADDRESS")))
    assert len(set(answers)) == 1
    assert max(times) < 1.0
    assert subject(world.inbox.wait_for("known@example.net", 2)[-1]) == (
        "Change the emails you get"
    )
    time.sleep(0.5)
    assert world.inbox.to("unknown@example.net") == []


def test_with_the_relay_down_the_forms_answer_at_once_and_the_mail_follows(
    tmp_path: Path,
) -> None:
    """Nothing listens on the relay's port: requests are answered as usual, the jobs wait
    in the store, and go out once a relay is there (and after a restart)."""
    from aiosmtpd.controller import Controller

    from tests.http_server import backend_environment, running
    from tests.services import free_port
    from tests.sitebuilder import build
    from tests.test_subscriptions import FILES, Inbox

    site = build(tmp_path / "site", FILES, now="2026-11-28T12:00:00+00:00")
    relay_port = free_port()
    environment = backend_environment(tmp_path / "var", KEY, relay_port)
    store = SqliteStore(tmp_path / "var" / "subscribers.db")
    store.save_subscriber(
        "known@example.net",
        address_hash("known@example.net", KEY),
        Preferences(frozenset({"alerts"}), frozenset({"all"})),
        datetime(2026, 1, 1, tzinfo=UTC),
    )
    with running(site, environment) as base:
        answers = []
        for address in ("known@example.net", "unknown@example.net"):
            started = time.perf_counter()
            status, page = fetch(
                urllib.request.Request(
                    base + "/subscriptions/manage-link", data=f"email={address}".encode()
                )
            )
            assert time.perf_counter() - started < 1.0
            answers.append((status, page.replace(address, "ADDRESS")))
        assert answers[0] == answers[1] and answers[0][0] == 200
    inbox = Inbox()
    relay = Controller(inbox, hostname="127.0.0.1", port=relay_port)
    relay.start()
    try:
        with running(site, environment):  # restarted: the job is still there
            assert subject(inbox.wait_for("known@example.net", 1, seconds=40)[0]) == (
                "Change the emails you get"
            )
    finally:
        relay.stop()
    assert inbox.to("unknown@example.net") == []


def test_nothing_is_logged_with_a_token_or_an_address(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    world.subscribe("private@example.net")
    link = confirmation_link(world.inbox.to("private@example.net")[0])
    world.get(link)
    logged = "\n".join(
        record.getMessage()
        for record in caplog.records
        if not record.name.startswith("mail.log")  # the test's own SMTP server
    )
    assert "private@example.net" not in logged
    assert link.split("token=")[1][:20] not in logged
    assert "GET /subscriptions/confirm 200" in logged


def test_confirmation_links_are_followed_by_a_resident_not_a_robot(world: World) -> None:
    world.post("/subscriptions/subscribe", {**SIGN_UP, "email": "robot@example.net"})
    message = world.inbox.wait_for("robot@example.net", 1)[0]
    assert "Confirm" in body(message, "html")
    _status, page = world.get(confirmation_link(message))
    assert 'method="post"' in page and "Confirm and subscribe" in page
    _, headers, _ = request(world, confirmation_link(message).removeprefix(world.base))
    assert headers["Referrer-Policy"] == "strict-origin"


def test_a_new_alert_banner_reaches_the_subscription_pages_without_a_restart(
    world: World,
) -> None:
    shell = world.site / "subscriptions" / "shell.html"
    before = world.get("/subscriptions/subscribe")[1]
    assert "Flood now" not in before
    shell.write_text(shell.read_text().replace("<main", "<p>Flood now</p><main", 1))
    assert "Flood now" in world.get("/subscriptions/subscribe")[1]


def test_serve_with_a_mail_catcher_on_any_port_catches_the_mail(
    example_site: Path, tmp_path: Path
) -> None:
    """As `make run` does, on other ports than the defaults: the form posts to the server
    that served it, and the confirmation lands in var/outbox/."""
    import os
    import signal
    import subprocess
    import sys

    from tests.services import free_port, wait_for_port

    web, catcher = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SUBSCRIBER_", "SITE_URL"))}
    server = subprocess.Popen(
        [
            *(sys.executable, "-m", "subscriber_lambda", "serve", "--port", str(web)),
            *("--site-dir", str(example_site), "--capture-mail", f"127.0.0.1:{catcher}"),
        ],
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_for_port(web, "serve")
        base = f"http://127.0.0.1:{web}"
        page = urllib.request.urlopen(base + "/subscriptions/subscribe").read().decode()
        assert 'action="/subscriptions/subscribe"' in page
        data = b"email=caught%40example.net&topics=alerts&wards=all"
        with urllib.request.urlopen(base + "/subscriptions/subscribe", data=data) as response:
            assert response.status == 200
        deadline = time.monotonic() + 15
        while not list((tmp_path / "var" / "outbox").glob("*.eml")):
            assert time.monotonic() < deadline, "no mail in var/outbox/"
            time.sleep(0.1)
        caught = next((tmp_path / "var" / "outbox").glob("*.eml")).read_bytes()
        assert b"To: caught@example.net" in caught
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(15)


def test_the_confirmation_says_what_the_resident_signed_up_for(world: World) -> None:
    choices = {**SIGN_UP, "email": "say@example.net", "topics": ["alerts", "bin-changes"]}
    world.post("/subscriptions/subscribe", {**choices, "frequency": "weekly"})
    message = world.inbox.wait_for("say@example.net", 1)[0]
    text = body(message, "plain")
    for line in (
        "Emails about: Emergency alerts, Bin collection changes",
        "Wards: Walmer",
        "How often: Once a week",
    ):
        assert line in text
    assert "Bin collection changes" in body(message, "html")
    for page in (
        world.get(confirmation_link(message))[1],
        world.confirm(confirmation_link(message))[1],
    ):
        assert "Emergency alerts, Bin collection changes" in page and "Walmer" in page


@pytest.mark.browser
def test_the_forms_work_whichever_name_the_server_is_reached_by(world: World) -> None:
    """SITE_URL says 127.0.0.1; a resident who typed localhost can still subscribe (the
    forms post to the server that served them, and the policy allows it)."""
    from playwright.sync_api import sync_playwright

    from tests.browser import CHROMIUM, CHROMIUM_ARGS

    local = world.base.replace("127.0.0.1", "localhost")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.goto(local + "/subscriptions/subscribe")
        page.get_by_label("Email address").fill("by-name@example.net")
        page.get_by_role("checkbox", name="Emergency alerts").check()
        page.get_by_role("checkbox", name="Walmer", exact=True).check()
        page.get_by_role("button", name="Subscribe").click()
        assert "Check your email" in page.locator("main").inner_text()
        browser.close()
    world.inbox.wait_for("by-name@example.net", 1)


@pytest.mark.parametrize("host", ["[", "exa mple", "a" * 300, ""])
def test_a_malformed_host_header_gets_a_clear_answer_not_a_500(world: World, host: str) -> None:
    sent = post_raw(
        world.base,
        "/subscriptions/subscribe",
        {**FORM, "Origin": "http://example.org", "Content-Length": "7"},
        b"email=a",
    ).replace(f"Host: {urlsplit(world.base).netloc}".encode(), f"Host: {host}".encode())
    status, _, _ = raw(world.base, sent)
    assert status in (400, 403)


def test_a_page_replaced_while_it_is_served_arrives_whole_old_or_new(world: World) -> None:
    """As `make rebuild` replaces changed files (os.replace) under the running server:
    every response is one version of the page or the other, never a mix or cut short."""
    import threading

    page = world.site / "alerts" / "index.html"
    versions = [
        page.read_bytes(),
        page.read_bytes().replace(b"</main>", b"<p>x</p>" * 900 + b"</main>"),
    ]
    stop = threading.Event()

    def rebuild() -> None:
        n = 0
        while not stop.is_set() and n < 5000:
            n += 1
            fresh = page.with_suffix(".new")
            fresh.write_bytes(versions[n % 2])
            os.replace(fresh, page)

    replacing = threading.Thread(target=rebuild)
    replacing.start()
    try:
        bodies = []
        for _ in range(200):
            with urllib.request.urlopen(world.base + "/alerts/") as response:
                bodies.append(response.read())
    finally:
        stop.set()
        replacing.join()
    assert all(body in versions for body in bodies)


def test_a_request_does_the_same_work_whether_or_not_the_address_is_subscribed(
    tmp_path: Path,
) -> None:
    """What each route asks of the store and the queue, call by call, is the same for a
    subscriber and a stranger, so neither the answer nor its timing tells them apart
    (the mail job is carried out later, on the senders' own schedule)."""
    from subscriber_lambda.pages import Pages
    from subscriber_lambda.site_data import SiteData
    from subscriber_lambda.web import Request, Subscriptions
    from tests.sitebuilder import build
    from tests.test_subscriptions import FILES

    site = build(tmp_path / "site", FILES, now="2026-11-28T12:00:00+00:00")
    store = SqliteStore(tmp_path / "s.db")
    known = "known@example.net"
    store.save_subscriber(
        known,
        address_hash(known, KEY),
        Preferences(frozenset({"alerts"}), frozenset({"all"})),
        datetime(2026, 1, 1, tzinfo=UTC),
    )
    calls: list[str] = []

    class Recorded:
        def __init__(self, inner: Any) -> None:
            self.inner = inner

        def __getattr__(self, name: str) -> Any:
            calls.append(name)
            return getattr(self.inner, name)

    class Jobs:
        def post(self, job: Any) -> None:
            calls.append("post")

    routes = Subscriptions(
        Recorded(store),
        Jobs(),
        Signer(KEY),
        Pages(SiteData.load(site), "http://x"),
        KEY,
        lambda: datetime(2026, 11, 28, tzinfo=UTC),
    )
    for route, form in (
        (Subscriptions.subscribe, {"topics": ["alerts"], "wards": ["all"]}),
        (Subscriptions.manage_link, {}),
    ):
        seen = []
        for address in (known, "stranger@example.net"):
            calls.clear()
            page = route(routes, Request("POST", form={**form, "email": [address]}, client="c"))
            seen.append((list(calls), page.status, page.html.replace(address, "ADDRESS")))
        assert seen[0] == seen[1]
        counted = ["count"] if route is Subscriptions.subscribe else []  # a sign-up (reach)
        assert seen[0][0] == ["hit", "hit", "post", *counted]


def test_an_older_unused_confirmation_link_cannot_undo_a_later_choice(world: World) -> None:
    """Two sign-ups, two links. The resident confirms the first, then unsubscribes (or
    changes their choices): the second link, made before that, changes nothing."""
    resident = "twice@example.net"
    world.post("/subscriptions/subscribe", {**SIGN_UP, "email": resident})
    world.clock.now += timedelta(minutes=1)
    world.post("/subscriptions/subscribe", {**SIGN_UP, "email": resident, "frequency": "weekly"})
    first, second = (confirmation_link(m) for m in world.inbox.wait_for(resident, 2))
    world.clock.now += timedelta(minutes=1)
    assert "You are subscribed" in world.confirm(first)[1]
    world.clock.now += timedelta(minutes=1)
    email_hash = address_hash(resident, KEY)
    token = Signer(KEY).make(Purpose.UNSUBSCRIBE, {"h": email_hash}, world.clock.now)
    world.post(f"/subscriptions/unsubscribe?token={token}", {"List-Unsubscribe": "One-Click"})
    world.clock.now += timedelta(minutes=1)
    status, page = world.confirm(second)
    assert (status, heading(page)) == (200, "This link has already been used")
    assert world.store.subscriber_by_hash(email_hash) is None
    # A new sign-up after all that gets a link that works.
    world.clock.now += timedelta(minutes=1)
    world.post("/subscriptions/subscribe", {**SIGN_UP, "email": resident})
    third = confirmation_link(world.inbox.wait_for(resident, 3)[-1])
    world.clock.now += timedelta(minutes=1)
    assert "You are subscribed" in world.confirm(third)[1]


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "TRACE", "OPTIONS"])
def test_a_route_answers_other_methods_with_what_it_allows(world: World, method: str) -> None:
    url = urlsplit(world.base)
    sent = (
        f"{method} /subscriptions/subscribe HTTP/1.1\r\nHost: {url.netloc}\r\n"
        "Content-Length: 0\r\nConnection: close\r\n\r\n"
    ).encode()
    status, headers, page = raw(world.base, sent)
    assert (status, headers["allow"]) == (405, "GET, HEAD, POST")
    assert b"This page does not do that" in page


def test_without_a_postcode_lookup_the_form_asks_for_wards_only(world: World) -> None:
    """The test site has no postcode lookup: no postcode field, and errors that do not ask
    for one; a postcode sent anyway is answered plainly, not blamed on the resident."""
    page = world.get("/subscriptions/subscribe")[1]
    assert 'name="postcode"' not in page and "enter your postcode" not in page
    status, page = world.post("/subscriptions/subscribe", {**SIGN_UP, "wards": []})
    assert status == 400 and "Choose your wards or the whole district" in page
    status, page = world.post(
        "/subscriptions/subscribe", {**SIGN_UP, "wards": [], "postcode": "CT14 7AA"}
    )
    assert status == 400 and "Postcodes cannot be looked up here yet" in page
    assert "We could not find that postcode" not in page


def test_a_ward_added_by_a_rebuild_is_on_the_forms_without_a_restart(world: World) -> None:
    options_file = world.site / "subscriptions" / "options.json"
    options = json.loads(options_file.read_text())
    assert "new-ward" not in world.get("/subscriptions/subscribe")[1]
    options["wards"].append({"slug": "new-ward", "name": "New Ward"})
    fresh = options_file.with_suffix(".new")
    fresh.write_text(json.dumps(options))
    os.replace(fresh, options_file)
    assert 'value="new-ward"' in world.get("/subscriptions/subscribe")[1]
    status, _ = world.post("/subscriptions/subscribe", {**SIGN_UP, "wards": ["new-ward"]})
    assert status == 200


def test_after_erase_an_old_confirmation_link_signs_nobody_up(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import contextlib
    import io

    from subscriber_lambda import __main__ as cli

    resident = "erase.me@example.net"
    world.post("/subscriptions/subscribe", {**SIGN_UP, "email": resident})
    link = confirmation_link(world.inbox.wait_for(resident, 1)[0])
    world.clock.now += timedelta(minutes=1)
    assert "You are subscribed" in world.confirm(link)[1]
    world.clock.now += timedelta(minutes=1)
    secret = tmp_path / "var" / "secret"
    monkeypatch.setenv("SUBSCRIBER_STORE", f"sqlite:///{tmp_path / 'var' / 'subscribers.db'}")
    monkeypatch.setenv("SUBSCRIBER_SECRET", secret.as_uri())
    monkeypatch.setattr(cli, "now", world.clock)
    with contextlib.redirect_stdout(io.StringIO()):
        assert cli.main(["erase", resident]) == 0
    world.clock.now += timedelta(minutes=1)
    assert heading(world.confirm(link)[1]) == "This link has already been used"
    assert world.store.subscriber_by_hash(address_hash(resident, KEY)) is None


def test_find_your_area_without_a_lookup_says_so(world: World) -> None:
    status, page = world.get("/subscriptions/find-area?postcode=CT14+7AA")
    assert status == 400 and "Postcodes cannot be looked up on this site yet" in page


def test_every_status_the_server_answers_itself_has_a_page() -> None:
    from subscriber_lambda import asgi, pages

    assert set(asgi.PROBLEMS.values()) <= set(pages.PROBLEMS)
