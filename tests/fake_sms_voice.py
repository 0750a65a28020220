"""A stand-in for AWS End User Messaging SMS (``pinpoint-sms-voice-v2``) on a free loopback
port, because moto does not implement that service. boto3 talks to it as to AWS: the
AWS JSON 1.0 protocol, ``POST /`` with ``X-Amz-Target: PinpointSMSVoiceV2.<Operation>``.

It serves ``SendTextMessage`` and ``DescribeOptedOutNumbers`` (``NextToken`` paging),
and answers errors as the protocol does, ``{"__type": ..., "Message": ..., "Reason":
...}``. The service model gives no HTTP status for its errors, and botocore reads the
error from ``__type`` whatever the status, so the stand-in uses the protocol's defaults:
400 for client errors (ValidationException, ConflictException, ThrottlingException,
ServiceQuotaExceededException, AccessDeniedException, ResourceNotFoundException), 500
for InternalServerException (the model's only ``fault``).

Like AWS it refuses numbers on the opt-out list (ConflictException,
DESTINATION_PHONE_NUMBER_OPTED_OUT) and numbers that are not E.164; its messages name the
number, as AWS's may, so that tests see the adapter take it out.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.services import free_port, serve_on_loopback, stop_serving

TARGET_PREFIX = "PinpointSMSVoiceV2."
E164 = re.compile(r"^\+[1-9][0-9]{1,14}$")
ACCOUNT = "123456789012"
REGION = "eu-west-2"
STATUS = {"InternalServerException": 500}  # every other error is a client error, 400


@dataclass(frozen=True)
class SentText:
    number: str
    body: str
    message_type: str | None
    origination_identity: str | None
    configuration_set: str | None
    context: dict[str, str]


class AwsError(Exception):
    def __init__(self, kind: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.kind, self.message, self.extra = kind, message, extra

    def body(self) -> dict[str, Any]:
        return {"__type": self.kind, "Message": self.message, **self.extra}


class FakeSmsVoice:
    """The stand-in's state, and the ways tests change it. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.sent: list[SentText] = []
        self.invalid: set[str] = set()  # numbers answered ValidationException
        self.opt_out_lists: dict[str, dict[str, datetime]] = {"Default": {}}
        self.origination_identities = {"NOTICEBOARD"}
        self.configuration_sets = {"noticeboard"}
        self.page_size = 100
        self._failures: list[str] = []  # __type of errors the next requests get
        self._server: ThreadingHTTPServer | None = None
        self.port = free_port()

    # --- for tests -------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def fail_next(self, count: int, kind: str) -> None:
        """Answer the next ``count`` requests with this error: ThrottlingException,
        ServiceQuotaExceededException, AccessDeniedException, InternalServerException."""
        with self._lock:
            self._failures += [kind] * count

    def opt_out(self, number: str, at: datetime | None = None, list_name: str = "Default") -> None:
        """Put ``number`` (E.164) on an opt-out list, as a reply of STOP does."""
        with self._lock:
            self.opt_out_lists.setdefault(list_name, {})[number] = at or datetime.now(UTC)

    def start(self) -> None:
        self._server = serve_on_loopback(self.port, _Handler, self)

    def stop(self) -> None:
        """Stop listening: later requests find no server (connection refused)."""
        if self._server is not None:
            stop_serving(self._server)
            self._server = None

    # --- the API ---------------------------------------------------------------------

    def handle(self, target: str, authorization: str, body: bytes) -> tuple[int, dict[str, Any]]:
        try:
            if not authorization.startswith("AWS4-HMAC-SHA256 "):
                raise AwsError(
                    "MissingAuthenticationTokenException", "Missing Authentication Token"
                )
            with self._lock:
                failure = self._failures.pop(0) if self._failures else None
            if failure:
                raise AwsError(failure, f"{failure} injected by the test")
            try:
                request = json.loads(body or b"{}")
            except ValueError as error:
                raise AwsError("SerializationException", "Request body is not JSON") from error
            operation = target.removeprefix(TARGET_PREFIX)
            if operation == "SendTextMessage":
                return 200, self._send_text_message(request)
            if operation == "DescribeOptedOutNumbers":
                return 200, self._describe_opted_out_numbers(request)
            raise AwsError("UnknownOperationException", f"Unknown operation {target}")
        except AwsError as error:
            return STATUS.get(error.kind, 400), error.body()

    def _send_text_message(self, request: dict[str, Any]) -> dict[str, Any]:
        number = str(request.get("DestinationPhoneNumber", ""))
        body = request.get("MessageBody")
        if not E164.match(number) or number in self.invalid:
            message = f"Destination phone number {number} is not valid"
            raise AwsError(
                "ValidationException",
                message,
                Reason="INVALID_PARAMETER",
                Fields=[{"Name": "DestinationPhoneNumber", "Message": message}],
            )
        if not isinstance(body, str) or not body:
            raise AwsError(
                "ValidationException", "MessageBody is required", Reason="MISSING_PARAMETER"
            )
        identity = request.get("OriginationIdentity")
        if identity is not None and identity not in self.origination_identities:
            raise AwsError(
                "ResourceNotFoundException",
                f"Origination identity {identity} not found",
                ResourceType="phone-number",
                ResourceId=identity,
            )
        configuration_set = request.get("ConfigurationSetName")
        if configuration_set is not None and configuration_set not in self.configuration_sets:
            raise AwsError(
                "ResourceNotFoundException",
                f"Configuration set {configuration_set} not found",
                ResourceType="configuration-set",
                ResourceId=configuration_set,
            )
        with self._lock:
            if number in self.opt_out_lists["Default"]:
                raise AwsError(
                    "ConflictException",
                    f"The destination phone number {number} is opted out",
                    Reason="DESTINATION_PHONE_NUMBER_OPTED_OUT",
                    ResourceType="opt-out-list",
                    ResourceId="Default",
                )
            self.sent.append(
                SentText(
                    number,
                    body,
                    request.get("MessageType"),
                    identity,
                    configuration_set,
                    dict(request.get("Context") or {}),
                )
            )
        return {"MessageId": str(uuid.uuid4())}

    def _describe_opted_out_numbers(self, request: dict[str, Any]) -> dict[str, Any]:
        name = str(request.get("OptOutListName", ""))
        with self._lock:
            if name not in self.opt_out_lists:
                raise AwsError(
                    "ResourceNotFoundException",
                    f"Opt-out list {name} not found",
                    ResourceType="opt-out-list",
                    ResourceId=name,
                )
            entries = sorted(self.opt_out_lists[name].items())
            size = min(int(request.get("MaxResults") or self.page_size), self.page_size)
        token = request.get("NextToken")
        start = 0
        if token is not None:
            if not str(token).isdigit():
                raise AwsError(
                    "ValidationException", "Invalid NextToken", Reason="INVALID_NEXT_TOKEN"
                )
            start = int(token)
        page = entries[start : start + size]
        answer: dict[str, Any] = {
            "OptOutListArn": f"arn:aws:sms-voice:{REGION}:{ACCOUNT}:opt-out-list/{name}",
            "OptOutListName": name,
            "OptedOutNumbers": [
                {"OptedOutNumber": n, "OptedOutTimestamp": at.timestamp(), "EndUserOptedOut": True}
                for n, at in page
            ],
        }
        if start + size < len(entries):
            answer["NextToken"] = str(start + size)
        return answer


class _Handler(BaseHTTPRequestHandler):
    server_version = "FakeSmsVoice/1"

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        fake: FakeSmsVoice = self.server.fake  # type: ignore[attr-defined]
        status, payload = fake.handle(
            self.headers.get("X-Amz-Target", ""), self.headers.get("Authorization", ""), body
        )
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/x-amz-json-1.0")
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet, like the other stand-ins


@contextmanager
def fake_sms_voice() -> Iterator[FakeSmsVoice]:
    fake = FakeSmsVoice()
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()
