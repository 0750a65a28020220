"""Keeping ``litestream replicate`` running beside ``serve`` (ADR 26).

Litestream is ``serve``'s child, in a session of its own (Ctrl+C at a terminal reaches
only ``serve``, which stops it last, so the server's final writes are copied), and is told
by the kernel to stop (SIGTERM: copy what is left, then exit) if ``serve`` dies without
stopping it, so no replicator outlives its server. Everything it writes goes into this
process's log, at its own level.

A replicator that stops by itself, or cannot be started (its binary gone after a
reinstall, no memory), is logged as an error and started again after 1, 2, 5, 10, 30
seconds. A replica silently left behind is the worst outcome, so a replicator that
keeps stopping (six times in a row, each within a minute of starting) is given up
loudly: ``on_give_up`` is told (``serve`` then stops with status 1, so the service
manager restarts it and, if it cannot, shows the service as failed).
"""

from __future__ import annotations

import ctypes
import logging
import re
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from typing import IO

from .litestream import Litestream, ReplicationError

log = logging.getLogger(__name__)

BACKOFF = (1.0, 2.0, 5.0, 10.0, 30.0)  # then it is given up
STEADY_SECONDS = 60.0  # a run this long counts as having worked
STOP_SECONDS = 15.0  # for Litestream's last copy when it is told to stop
LEVEL = re.compile(r"\blevel=(\w+)\s*")
TIME = re.compile(r"^time=\S+\s*")
LEVELS = {"DEBUG": logging.DEBUG, "INFO": logging.INFO, "WARN": logging.WARNING}
PR_SET_PDEATHSIG = 1
# Litestream's advice for its own terminal, which is not the operator's: serve stops it.
CTRL_C = re.compile(r"\s*\(press Ctrl\+C again[^)]*\)")


def find_prctl() -> Callable[..., int] | None:
    """Linux's prctl, through which a child asks to be signalled when the thread that
    started it ends; None elsewhere."""
    try:
        found: Callable[..., int] = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    return found


_prctl = find_prctl()  # looked up now: the child may only call it


def stop_with_parent() -> None:
    """Run in the child between fork and exec: SIGTERM when its parent thread ends. Only a
    C call through a function found beforehand, so it is safe beside other threads."""
    if _prctl is not None:
        _prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def relay(output: IO[str]) -> None:
    """Litestream's lines into this process's log, at their own level."""
    for line in output:
        line = CTRL_C.sub("", TIME.sub("", line.rstrip()))
        if not line:
            continue
        level = LEVEL.search(line)
        name = level.group(1).upper() if level else "ERROR"
        log.log(LEVELS.get(name, logging.ERROR), "litestream: %s", LEVEL.sub("", line, 1))


class Replicator:
    """``litestream replicate``, kept running from ``start`` to ``stop``."""

    def __init__(
        self,
        litestream: Litestream,
        on_give_up: Callable[[str], None],
        backoff: Sequence[float] = BACKOFF,
        steady_seconds: float = STEADY_SECONDS,
    ) -> None:
        self.litestream = litestream
        self.on_give_up = on_give_up
        self.backoff = backoff
        self.steady_seconds = steady_seconds
        self.process: subprocess.Popen[str] | None = None
        self._stopping = threading.Event()
        self._started = threading.Event()
        self._restarting = threading.Event()
        self._lock = threading.Lock()  # a stop and a start never cross
        self._thread = threading.Thread(target=self._supervise, name="replicator", daemon=True)

    def start(self) -> None:
        self._thread.start()
        self._started.wait(10)

    def stop(self) -> None:
        """Let Litestream copy what is left (SIGTERM), then wait for it to end. Whether the
        replica then has everything is for the health check to say (``Health.final``)."""
        with self._lock:
            self._stopping.set()
            process = self.process
            if process is not None and process.poll() is None:
                process.terminate()
        self._thread.join(STOP_SECONDS)
        if process is not None and process.poll() is None:
            log.error("Litestream did not stop within %.0f s; killed", STOP_SECONDS)
            process.kill()

    def restart(self) -> None:
        """Stop the running Litestream so that it starts again at once (not counted as a
        failure): a new Litestream writes a new snapshot to a replica that has none."""
        with self._lock:
            self._restarting.set()
            if self.process is not None and self.process.poll() is None:
                self.process.terminate()

    def _spawn(self) -> subprocess.Popen[str]:
        # Started from this thread, which lives as long as its replicator: the kernel's
        # "parent died" signal follows the thread, not the process.
        return subprocess.Popen(
            self.litestream.command("replicate"),
            env=self.litestream.environ,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
            preexec_fn=stop_with_parent,
        )

    def _run(self) -> str | None:
        """One run of Litestream, to its end: how it ended, None when it was told to."""
        with self._lock:
            if self._stopping.is_set():
                return None
            try:
                self.process = process = self._spawn()
            except (OSError, ReplicationError) as error:  # ReplicationError: binary gone
                self.process = None
                self._started.set()
                return f"could not be started: {error}"
        log.info(
            "replicating %s to %s (Litestream, pid %s)",
            self.litestream.database,
            self.litestream.replica,
            process.pid,
        )
        self._started.set()
        assert process.stdout is not None
        relay(process.stdout)
        status = process.wait()
        return None if self._stopping.is_set() else f"exit status {status}"

    def _supervise(self) -> None:
        failures = 0
        while True:
            began = time.monotonic()
            ended = self._run()
            if ended is None:
                return
            if self._restarting.is_set():
                self._restarting.clear()
                continue
            failures = 1 if time.monotonic() - began >= self.steady_seconds else failures + 1
            if failures > len(self.backoff):
                message = (
                    f"replication to {self.litestream.replica} stopped {failures} times"
                    f" in a row (Litestream {ended}); giving up"
                )
                log.critical("%s", message)
                self.on_give_up(message)
                return
            delay = self.backoff[failures - 1]
            log.error(
                "Litestream stopped (%s): the replica %s is not being updated;"
                " starting it again in %.0f s",
                ended,
                self.litestream.replica,
                delay,
            )
            self._stopping.wait(delay)
