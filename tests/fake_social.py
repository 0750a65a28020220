"""A local stand-in for a Bluesky PDS and a Mastodon server, for the social adapters'
tests: one ``ThreadingHTTPServer`` on 127.0.0.1 serving both, in a thread.

Why a stand-in: the real PDS (``@atproto/pds``) needs Node 22 or later (it loads zstd
and web APIs that Node 20, the newest Node these machines install, lacks) and a PLC
directory to create an account; Mastodon needs Rails, PostgreSQL and Redis. So this
serves what the official clients call, as the servers document it:

Bluesky (XRPC, errors as ``{"error": Name, "message": ...}``):
``com.atproto.server.createSession`` / ``refreshSession`` / ``describeServer``,
``app.bsky.actor.getProfile``, ``com.atproto.repo.createRecord`` and ``putRecord``
(which writes the record under its key again). Tokens are unsigned JWTs with a real
``exp``, because the SDK reads it to decide when to refresh; an expired one gets 400
``ExpiredToken``, an unknown one 401 ``InvalidToken``, a wrong password 401
``AuthenticationRequired``; a post over 300 graphemes 400 ``InvalidRequest``.

Mastodon: ``POST /api/v1/statuses`` (form or JSON) honouring ``Idempotency-Key`` and
refusing over 500 characters with 422, and ``/api/v1/instance`` / ``/api/v2/instance``.
A wrong token gets 401 ``{"error": "The access token is invalid"}``.

Tests read what was posted (``bluesky_posts``, ``mastodon_posts``, ``requests``) and
make the next requests fail (``fail_next``), hang (``delay_next``), or be posted with
their answer lost (``lose_next_answer``)."""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import regex

from tests.services import free_port, wait_for_port

HANDLE = "council.example.gov.uk"
DID = "did:plc:councilnoticeboard0001"
APP_PASSWORD = "abcd-efgh-ijkl-mnop"
ACCESS_TOKEN = "mastodon-token-Zq81xPv3"
ACCOUNT_ID = "109876543210"

# The networks' documented error answers: (status, body, extra headers).
ERRORS: dict[str, dict[int, tuple[dict[str, str], dict[str, str]]]] = {
    "bluesky": {
        429: (
            {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"},
            {
                "ratelimit-limit": "5000",
                "ratelimit-remaining": "0",
                "ratelimit-policy": "5000;w=3600",
            },
        ),
        401: ({"error": "AuthenticationRequired", "message": "Invalid identifier or password"}, {}),
        403: ({"error": "AccountTakedown", "message": "Account has been taken down"}, {}),
        500: ({"error": "InternalServerError", "message": "Internal Server Error"}, {}),
        502: ({"error": "UpstreamFailure", "message": "Upstream Failure"}, {}),
        400: (
            {
                "error": "InvalidRequest",
                "message": (
                    "Invalid app.bsky.feed.post record: "
                    "Record/text must not be longer than 300 graphemes"
                ),
            },
            {},
        ),
    },
    "mastodon": {
        429: (
            {"error": "Too many requests"},
            {"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "0"},
        ),
        401: ({"error": "The access token is invalid"}, {}),
        403: ({"error": "Your login is currently disabled"}, {}),
        500: ({"error": "We're sorry, but something went wrong on our end."}, {}),
        502: ({"error": "Bad Gateway"}, {}),
        422: ({"error": "Validation failed: Text character limit of 500 allowed"}, {}),
        400: ({"error": "Bad Request"}, {}),
    },
}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_jwt(kind: str, expires_in: float, serial: int) -> str:
    """An unsigned JWT the SDK can read the expiry of (it never checks signatures)."""
    header = _b64(json.dumps({"typ": "JWT", "alg": "ES256K"}).encode())
    claims = {
        "scope": "com.atproto.access" if kind == "access" else "com.atproto.refresh",
        "sub": DID,
        "iat": int(time.time()),
        "exp": int(time.time() + expires_in),
        "jti": f"{kind}-{serial}",
    }
    return f"{header}.{_b64(json.dumps(claims).encode())}.{_b64(b'not-signed')}"


def fake_cid(data: bytes) -> str:
    return "bafyrei" + base64.b32encode(hashlib.sha256(data).digest()).decode().lower()[:52]


@dataclass
class Injected:
    status: int
    count: int
    delay: float = 0.0
    lose_answer: bool = False


@dataclass
class FakeSocial:
    """The server's state, which tests read and steer."""

    port: int = 0
    access_ttl: float = 7200.0  # seconds an access token lives (the SDK refreshes 15 min early)
    bluesky_posts: list[dict[str, Any]] = field(default_factory=list)  # createRecord inputs
    mastodon_posts: list[dict[str, Any]] = field(default_factory=list)  # statuses made
    requests: list[tuple[str, str]] = field(default_factory=list)  # (method, path) in order
    _tokens: dict[str, tuple[str, float]] = field(default_factory=dict)  # jwt: (kind, exp)
    _idempotent: dict[str, dict[str, Any]] = field(default_factory=dict)
    _injected: dict[str, list[Injected]] = field(default_factory=dict)
    _serial: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def calls(self, nsid_or_path: str) -> int:
        """How many requests reached that XRPC method or path."""
        return sum(1 for _, path in self.requests if path.endswith(nsid_or_path))

    def fail_next(self, network: str, status: int, count: int = 1) -> None:
        """The next ``count`` requests to ``network`` ("bluesky", "mastodon") get ``status``
        with that network's documented body (see ERRORS)."""
        with self._lock:
            self._injected.setdefault(network, []).append(Injected(status, count))

    def delay_next(self, network: str, seconds: float, count: int = 1) -> None:
        """The next ``count`` requests to ``network`` are answered only after ``seconds``."""
        with self._lock:
            self._injected.setdefault(network, []).append(Injected(0, count, delay=seconds))

    def lose_next_answer(self, network: str, status: int = 502) -> None:
        """The next post is made, but its answer is replaced by ``status`` (a proxy that
        timed out after the server posted)."""
        with self._lock:
            self._injected.setdefault(network, []).append(Injected(status, 1, lose_answer=True))

    def revoke_sessions(self) -> None:
        """Every Bluesky token stops being accepted (as after a password change)."""
        with self._lock:
            self._tokens.clear()

    def expire_sessions(self) -> None:
        """Every Bluesky token is now expired (400 ExpiredToken), refresh tokens included."""
        with self._lock:
            self._tokens = {token: (kind, 0.0) for token, (kind, _) in self._tokens.items()}

    def take_injected(self, network: str) -> Injected | None:
        with self._lock:
            queue = self._injected.get(network, [])
            if not queue:
                return None
            first = queue[0]
            first.count -= 1
            if first.count <= 0:
                queue.pop(0)
            return first

    def issue(self, kind: str, ttl: float) -> str:
        with self._lock:
            token = make_jwt(kind, ttl, next(self._serial))
            self._tokens[token] = (kind, time.time() + ttl)
            return token

    def check(self, token: str, kind: str) -> str | None:
        """None if the token is good for ``kind``, else the XRPC error name."""
        with self._lock:
            known = self._tokens.get(token)
        if known is None or known[0] != kind:
            return "InvalidToken"
        if known[1] <= time.time():
            return "ExpiredToken"
        return None

    def remember(self, key: str, status: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            return self._idempotent.setdefault(key, status)

    def next_serial(self) -> int:
        return next(self._serial)


class Handler(BaseHTTPRequestHandler):
    server: Server

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass

    # --- plumbing --------------------------------------------------------------------

    def _answer(
        self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
    ) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _error(self, network: str, status: int) -> None:
        body, headers = ERRORS[network].get(status, ({"error": f"HTTP {status}"}, {}))
        if network == "mastodon" and status == 429:
            reset = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(time.time() + 300))
            headers = {**headers, "X-RateLimit-Reset": reset}
        if network == "bluesky" and status == 429:
            headers = {**headers, "ratelimit-reset": str(int(time.time()) + 300)}
        self._answer(status, body, headers)

    def _body(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if "json" in (self.headers.get("Content-Type") or ""):
            parsed = json.loads(raw or b"{}")
            return parsed if isinstance(parsed, dict) else {}
        form = parse_qs(raw.decode(), keep_blank_values=True)
        return {key: values[-1] for key, values in form.items()}

    def _bearer(self) -> str:
        value = self.headers.get("Authorization") or ""
        return value[7:] if value.startswith("Bearer ") else ""

    def _route(self, method: str) -> None:
        state = self.server.state
        path = urlsplit(self.path).path
        state.requests.append((method, path))
        network = "bluesky" if path.startswith("/xrpc/") else "mastodon"
        injected = state.take_injected(network)
        if injected is not None and injected.delay:
            time.sleep(injected.delay)
            injected = None
        if injected is not None and not injected.lose_answer:
            self._body()
            self._error(network, injected.status)
            return
        if network == "bluesky":
            self._xrpc(method, path[len("/xrpc/") :], injected)
        else:
            self._mastodon(method, path, injected)

    def do_GET(self) -> None:
        self._route("GET")

    def do_POST(self) -> None:
        self._route("POST")

    # --- Bluesky ---------------------------------------------------------------------

    def _session(self) -> dict[str, Any]:
        state = self.server.state
        return {
            "accessJwt": state.issue("access", state.access_ttl),
            "refreshJwt": state.issue("refresh", 90 * 86400),
            "handle": HANDLE,
            "did": DID,
            "active": True,
        }

    def _xrpc(self, method: str, nsid: str, injected: Injected | None) -> None:
        state = self.server.state
        if nsid == "com.atproto.server.describeServer":
            self._answer(200, {"did": "did:web:127.0.0.1", "availableUserDomains": []})
            return
        if nsid == "com.atproto.server.createSession" and method == "POST":
            body = self._body()
            if body.get("identifier") not in (HANDLE, DID) or body.get("password") != APP_PASSWORD:
                self._error("bluesky", 401)
                return
            self._answer(200, self._session())
            return
        if nsid == "com.atproto.server.refreshSession" and method == "POST":
            problem = state.check(self._bearer(), "refresh")
            if problem:
                status = 400 if problem == "ExpiredToken" else 401
                self._answer(status, {"error": problem, "message": "Token could not be verified"})
                return
            self._answer(200, self._session())
            return
        problem = state.check(self._bearer(), "access")
        if problem:
            status = 400 if problem == "ExpiredToken" else 401
            self._answer(status, {"error": problem, "message": "Token could not be verified"})
            return
        if nsid == "app.bsky.actor.getProfile":
            self._answer(200, {"did": DID, "handle": HANDLE})
            return
        if nsid in ("com.atproto.repo.createRecord", "com.atproto.repo.putRecord"):
            self._create_record(self._body(), injected)
            return
        self._answer(501, {"error": "MethodNotImplemented", "message": "Method Not Implemented"})

    def _create_record(self, body: dict[str, Any], injected: Injected | None) -> None:
        record = body.get("record") or {}
        if body.get("repo") not in (DID, HANDLE) or body.get("collection") != "app.bsky.feed.post":
            self._answer(400, {"error": "InvalidRequest", "message": "Could not find repo"})
            return
        text = record.get("text")
        if record.get("$type") != "app.bsky.feed.post" or not isinstance(text, str):
            self._answer(400, {"error": "InvalidRequest", "message": "Invalid record"})
            return
        if len(regex.findall(r"\X", text)) > 300:
            self._error("bluesky", 400)
            return
        rkey = body.get("rkey") or f"3l{self.server.state.next_serial():011d}"
        uri = f"at://{DID}/app.bsky.feed.post/{rkey}"
        cid = fake_cid(json.dumps(record, sort_keys=True).encode())
        posts = self.server.state.bluesky_posts
        with self.server.state._lock:  # putRecord writes the record under its key again
            posts[:] = [post for post in posts if post["uri"] != uri]
            posts.append({**body, "uri": uri, "cid": cid})
        if injected is not None:  # the post was made, but its answer is lost
            self._error("bluesky", injected.status)
            return
        self._answer(200, {"uri": uri, "cid": cid, "validationStatus": "valid"})

    # --- Mastodon --------------------------------------------------------------------

    def _mastodon(self, method: str, path: str, injected: Injected | None) -> None:
        state = self.server.state
        if path in ("/api/v1/instance", "/api/v2/instance"):
            self._answer(200, {"uri": "127.0.0.1", "domain": "127.0.0.1", "version": "4.3.0"})
            return
        if self._bearer() != ACCESS_TOKEN:
            self._body()
            self._error("mastodon", 401)
            return
        if path == "/api/v1/statuses" and method == "POST":
            body = self._body()
            text = str(body.get("status") or "")
            if len(text) > 500:
                self._error("mastodon", 422)
                return
            serial = state.next_serial()
            status_id = str(113000000000000000 + serial)
            made: dict[str, Any] = {
                "id": status_id,
                "uri": f"{state.url}/users/council/statuses/{status_id}",
                "url": f"{state.url}/@council/{status_id}",
                "content": f"<p>{text}</p>",
                "text": text,
                "language": body.get("language"),
                "visibility": body.get("visibility") or "public",
                "in_reply_to_id": body.get("in_reply_to_id") or None,
                "idempotency_key": self.headers.get("Idempotency-Key"),
                "created_at": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
                "account": {"id": ACCOUNT_ID, "username": "council", "acct": "council"},
            }
            key = self.headers.get("Idempotency-Key")
            status = state.remember(key, made) if key else made
            if status is made:
                state.mastodon_posts.append(made)
            if injected is not None:  # posted, but the answer is lost
                self._error("mastodon", injected.status)
                return
            self._answer(200, status)
            return
        self._answer(404, {"error": "Record not found"})


class Server(ThreadingHTTPServer):
    daemon_threads = True
    state: FakeSocial

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up (the timeout tests) is expected, not worth a traceback."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


def start_fake_social() -> tuple[FakeSocial, Server, threading.Thread]:
    """Start the stand-in on a free loopback port; stop it with ``stop_fake_social``."""
    port = free_port()
    server = Server(("127.0.0.1", port), Handler)
    server.state = FakeSocial(port=port)
    thread = threading.Thread(
        target=server.serve_forever, args=(0.05,), name="fake-social", daemon=True
    )
    thread.start()
    wait_for_port(port, "the social networks' stand-in")
    return server.state, server, thread


def stop_fake_social(server: Server, thread: threading.Thread) -> None:
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)
