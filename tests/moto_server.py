"""moto's server on a free loopback port, standing in for SES, SQS and S3 in tests."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from tests.services import free_port, wait_for_port

CREDENTIALS = {
    "aws_access_key_id": "test",
    "aws_secret_access_key": "test",
    "region_name": "eu-west-2",
}


@contextmanager
def moto_server() -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, "moto's server")
        yield f"http://127.0.0.1:{port}"
    finally:
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
