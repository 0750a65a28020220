"""A stand-in for GOV.UK Notify's API (v2) on a free loopback port, so that the Notify
adapters are tested through the official client and real HTTP: the JWT it signs, the
JSON it sends, the errors it gets back. Notify's test keys would need the internet and a
service; this needs neither, and fails on demand.

What it serves, shaped as Notify documents it (docs.notifications.service.gov.uk):
``POST /v2/notifications/sms``, ``POST /v2/notifications/email`` (201 with ``id``,
``reference``, ``content``, ``uri``, ``template``) and ``GET /v2/received-text-messages``
(newest first, ``older_than`` paging, ``links.next`` while a page has messages). Every
request must carry a bearer JWT (HS256, ``iss`` the service id, ``iat`` within 30
seconds) signed with the key's secret, or it is answered 403 AuthError. Phone numbers
are checked as Notify checks them (UK mobiles, or valid international numbers), with
its 400 ValidationError bodies.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import phonenumbers

from tests.services import free_port, serve_on_loopback, stop_serving

SERVICE_ID = "26785a09-ab16-4eb0-8407-a37497a57506"
SECRET = "3d844edf-8d35-48ac-975b-e847b4f122b0"  # a made-up key for the stand-in only
API_KEY = f"noticeboard_test-{SERVICE_ID}-{SECRET}"
SMS_TEMPLATE = "f33517ff-2a88-4f6e-b855-c550268ce08a"
EMAIL_TEMPLATE = "4c7e3f2a-8a43-4c1d-9a4b-0c0f6f0d2b71"
INBOUND_NUMBER = "07700900000"
TOKEN_LEEWAY = 30
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE_CHARACTERS = re.compile(r"^[0-9()+\- ]+$")
RATE_LIMIT = "Exceeded rate limit for key type LIVE of 3000 requests per 60 seconds"
TEAM_ONLY = "Can't send to this recipient using a team-only API key"


@dataclass(frozen=True)
class Accepted:
    """A notification the stand-in took: to whom, what, and our reference."""

    kind: str  # "sms" or "email"
    to: str
    template_id: str
    personalisation: dict[str, str]
    reference: str | None


@dataclass(frozen=True)
class Received:
    id: str
    user_number: str  # as Notify gives it: 447700900123
    content: str
    created_at: datetime


def phone_error(number: str) -> str | None:
    """Notify's complaint about a phone number, or None if it would text it: UK mobiles
    (07..., 447..., +447...), or valid international numbers."""
    if not PHONE_CHARACTERS.match(number):
        return "Mobile numbers can only include: 0 1 2 3 4 5 6 7 8 9 ( ) + -"
    digits = re.sub(r"[^0-9]", "", number)
    international = number.strip().startswith(("+", "00")) or digits.startswith("44")
    if digits.startswith("00"):
        digits = digits[2:]
    uk = digits.startswith("44") or not international
    if uk:
        national = digits[2:] if digits.startswith("44") else digits.removeprefix("0")
        if not national.startswith("7"):
            return "Not a UK mobile number"
        if len(national) > 10:
            return "Too many digits"
        if len(national) < 10:
            return "Not enough digits"
        return None
    try:
        parsed = phonenumbers.parse("+" + digits)
    except phonenumbers.NumberParseException:
        return "Not a valid phone number"
    return None if phonenumbers.is_valid_number(parsed) else "Not a valid phone number"


def error_body(status: int, error: str, message: str) -> dict[str, Any]:
    return {"status_code": status, "errors": [{"error": error, "message": message}]}


class FakeNotify:
    """The stand-in's state, and the ways tests change it. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.accepted: list[Accepted] = []
        self.invalid: set[str] = set()  # numbers and addresses answered ValidationError
        self.team_only = False  # every recipient refused as by a team-only key
        self._failures: list[int] = []  # statuses the next requests get (429, 500)
        self._received: list[Received] = []
        self.page_size = 250
        self.requests = 0
        self._server: ThreadingHTTPServer | None = None
        self.port = free_port()

    # --- for tests -------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def fail_next(self, count: int, status: int) -> None:
        """Answer the next ``count`` requests with ``status``: 429 (RateLimitError), 500
        (Exception) or 403 (AuthError)."""
        with self._lock:
            self._failures += [status] * count

    def receive(self, user_number: str, content: str, at: datetime | None = None) -> str:
        """A text message received from ``user_number`` (as Notify writes it,
        ``447700900123``); returns its id."""
        text = Received(str(uuid.uuid4()), user_number, content, at or datetime.now(UTC))
        with self._lock:
            self._received.append(text)
            self._received.sort(key=lambda r: r.created_at, reverse=True)
        return text.id

    def sent(self, kind: str) -> list[Accepted]:
        with self._lock:
            return [a for a in self.accepted if a.kind == kind]

    def start(self) -> None:
        self._server = serve_on_loopback(self.port, _Handler, self)

    def stop(self) -> None:
        """Stop listening: later requests find no server (connection refused)."""
        if self._server is not None:
            stop_serving(self._server)
            self._server = None

    # --- the API ---------------------------------------------------------------------

    def _next_failure(self) -> int | None:
        with self._lock:
            return self._failures.pop(0) if self._failures else None

    def handle(self, method: str, target: str, headers: Any, body: bytes) -> tuple[int, Any]:
        with self._lock:
            self.requests += 1
        refused = self._authenticate(headers.get("Authorization", ""))
        if refused:
            return refused
        failure = self._next_failure()
        if failure == 429:
            return 429, error_body(429, "RateLimitError", RATE_LIMIT)
        if failure == 403:
            return 403, error_body(403, "AuthError", "Invalid token: API key revoked")
        if failure is not None:
            return failure, error_body(failure, "Exception", "Internal server error")
        url = urlsplit(target)
        if method == "POST" and url.path in ("/v2/notifications/sms", "/v2/notifications/email"):
            try:
                data = json.loads(body or b"{}")
            except ValueError:
                return 400, error_body(400, "BadRequestError", "Invalid JSON supplied in POST data")
            return self._notification(url.path.rsplit("/", 1)[1], data)
        if method == "GET" and url.path == "/v2/received-text-messages":
            return self._received_texts(parse_qs(url.query).get("older_than", [None])[0])
        return 404, error_body(404, "NoResultFound", "No result found")

    def _authenticate(self, header: str) -> tuple[int, Any] | None:
        if not header.startswith("Bearer "):
            message = "Unauthorized: authentication token must be provided"
            return 401, error_body(401, "AuthError", message)
        token = header.removeprefix("Bearer ")
        try:
            if jwt.get_unverified_header(token).get("alg") != "HS256":
                raise jwt.InvalidAlgorithmError
            claims = jwt.decode(token, SECRET, algorithms=["HS256"], options={"verify_iat": False})
        except jwt.PyJWTError:
            return 403, error_body(
                403, "AuthError", "Invalid token: signature, api token not found"
            )
        if claims.get("iss") != SERVICE_ID:
            return 403, error_body(403, "AuthError", "Invalid token: service not found")
        iat = claims.get("iat")
        if not isinstance(iat, int) or abs(time.time() - iat) > TOKEN_LEEWAY:
            message = "Error: Your system clock must be accurate to within 30 seconds"
            return 403, error_body(403, "AuthError", message)
        return None

    def _notification(self, kind: str, data: dict[str, Any]) -> tuple[int, Any]:
        field = "phone_number" if kind == "sms" else "email_address"
        to = data.get(field)
        template = str(data.get("template_id", ""))
        if not isinstance(to, str):
            return 400, error_body(400, "ValidationError", f"{field} is a required property")
        if not UUID.match(template):
            return 400, error_body(400, "ValidationError", "template_id is not a valid UUID")
        if template != (SMS_TEMPLATE if kind == "sms" else EMAIL_TEMPLATE):
            return 400, error_body(400, "BadRequestError", "Template not found")
        problem = phone_error(to) if kind == "sms" else (None if EMAIL.match(to) else "")
        if problem == "":
            problem = "Not a valid email address"
        with self._lock:
            if problem is None and to in self.invalid:
                problem = (
                    "Not a valid phone number" if kind == "sms" else "Not a valid email address"
                )
            team_only = self.team_only
        if problem is not None:
            return 400, error_body(400, "ValidationError", f"{field} {problem}")
        if team_only:
            return 400, error_body(400, "BadRequestError", TEAM_ONLY)
        personalisation = data.get("personalisation") or {}
        needed = ["body"] if kind == "sms" else ["subject", "body"]
        missing = [n for n in needed if n not in personalisation]
        if missing:
            message = f"Missing personalisation: {', '.join(missing)}"
            return 400, error_body(400, "BadRequestError", message)
        reference = data.get("reference")
        accepted = Accepted(kind, to, template, dict(personalisation), reference)
        with self._lock:
            self.accepted.append(accepted)
        notification_id = str(uuid.uuid4())
        content: dict[str, Any] = {"body": personalisation["body"]}
        if kind == "sms":
            content["from_number"] = "NOTICEBOARD"
        else:
            content["subject"] = personalisation["subject"]
            content["from_email"] = "noticeboard@notifications.service.gov.uk"
            content["one_click_unsubscribe_url"] = data.get("one_click_unsubscribe_url")
        return 201, {
            "id": notification_id,
            "reference": reference,
            "content": content,
            "uri": f"{self.url}/v2/notifications/{notification_id}",
            "template": {
                "id": template,
                "version": 1,
                "uri": f"{self.url}/services/{SERVICE_ID}/templates/{template}",
            },
            "scheduled_for": None,
        }

    def _received_texts(self, older_than: str | None) -> tuple[int, Any]:
        with self._lock:
            texts = list(self._received)
            size = self.page_size
        if older_than:
            ids = [t.id for t in texts]
            if older_than not in ids:
                return 200, {"received_text_messages": [], "links": {"current": self._link()}}
            texts = texts[ids.index(older_than) + 1 :]
        page = texts[:size]
        links = {"current": self._link(older_than)}
        if page:
            links["next"] = self._link(page[-1].id)
        return 200, {
            "received_text_messages": [
                {
                    "id": t.id,
                    "created_at": t.created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                    "service_id": SERVICE_ID,
                    "notify_number": INBOUND_NUMBER,
                    "user_number": t.user_number,
                    "content": t.content,
                }
                for t in page
            ],
            "links": links,
        }

    def _link(self, older_than: str | None = None) -> str:
        query = f"?older_than={older_than}" if older_than else ""
        return f"{self.url}/v2/received-text-messages{query}"


class _Handler(BaseHTTPRequestHandler):
    server_version = "FakeNotify/1"

    def _answer(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        fake: FakeNotify = self.server.fake  # type: ignore[attr-defined]
        status, payload = fake.handle(method, self.path, self.headers, body)
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self._answer("GET")

    def do_POST(self) -> None:
        self._answer("POST")

    def log_message(self, format: str, *args: Any) -> None:
        pass  # request lines hold no numbers, but stay quiet like the other stand-ins


@contextmanager
def fake_notify() -> Iterator[FakeNotify]:
    fake = FakeNotify()
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()
