"""moto's server on a free loopback port, standing in for SES, SQS and S3 in tests; and SES's
failures, which moto does not make."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from botocore.awsrequest import AWSResponse

from tests.services import free_port, wait_for_port

CREDENTIALS = {
    "aws_access_key_id": "test",
    "aws_secret_access_key": "test",
    "region_name": "eu-west-2",
}


@contextmanager
def moto_server() -> Iterator[str]:
    with moto_process() as (endpoint, _):
        yield endpoint


@contextmanager
def moto_process() -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """moto's server and its process (to stop it answering: SIGSTOP)."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, "moto's server")
        yield f"http://127.0.0.1:{port}", process
    finally:
        process.send_signal(signal.SIGCONT)
        process.terminate()
        process.wait(timeout=10)


@contextmanager
def moto_with_ses() -> Iterator[dict[str, str]]:
    """moto's server with an SES identity (example.org) and configuration set (noticeboard)."""
    import boto3

    with moto_server() as endpoint:
        options = {"endpoint_url": endpoint, **CREDENTIALS}
        ses = boto3.client("sesv2", **options)
        ses.create_email_identity(EmailIdentity="example.org")
        ses.create_configuration_set(ConfigurationSetName="noticeboard")
        yield options


class SesFaults:
    """Makes an SES client (talking to moto's server) fail as SES does: refuse chosen
    addresses (MessageRejected), or throttle every call while ``down``. Records the
    addresses SES accepted a message for, in order."""

    def __init__(self, client: Any) -> None:
        self.refused: set[str] = set()
        self.down = False
        self.accepted: list[str] = []
        events = client.meta.events
        events.register("before-parameter-build.sesv2.SendEmail", self._note_recipient)
        events.register("before-call.sesv2.SendEmail", self._fail)
        events.register("after-call.sesv2.SendEmail", self._record)

    @staticmethod
    def _note_recipient(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["recipient"] = params["Destination"]["ToAddresses"][0]

    def _fail(self, context: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        if self.down:
            return error_response(429, "TooManyRequestsException", "Too many requests")
        if context["recipient"] in self.refused:
            return error_response(
                400, "MessageRejected", f"The message to {context['recipient']} was rejected"
            )
        return None  # on to moto

    def _record(self, http_response: AWSResponse, context: dict[str, Any], **_: Any) -> None:
        if http_response.status_code == 200:
            self.accepted.append(context["recipient"])


def error_response(status: int, code: str, message: str) -> tuple[AWSResponse, dict[str, Any]]:
    """What botocore's before-call event may return instead of calling the service."""
    parsed = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return AWSResponse("https://email.eu-west-2.amazonaws.com", status, {}, None), parsed
