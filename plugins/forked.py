"""Work shared out to forked helper processes, one per other core (ADR 28).

Pelican builds on one core. Where a build has many like pieces of work whose results it
needs in a known order (item pages to render, Markdown files to convert), the build's own
process keeps the first share and each helper, forked from it with everything it has read,
does another share and hands each result back as it finishes it. The build takes a result
when it comes to it, and does the work itself for anything a helper never handed back (it
failed, was killed, or this system cannot fork): a helper can make a build faster, never
different or broken.
"""

from __future__ import annotations

import ctypes
import logging
import os
import pickle
import signal
import threading
import time
from collections.abc import Callable, Iterable, Mapping, MutableMapping, Sequence
from functools import partial
from typing import IO, Any

from plugins import build_children

logger = logging.getLogger(__name__)

# The setting: how many processes share such work (1: the build's own only). By default
# one per core this process may use, at most MAX_PROCESSES.
PROCESSES = "BUILD_PROCESSES"
MAX_PROCESSES = 4
# Shares smaller than this are not worth a process.
SMALLEST_SHARE = 50
PR_SET_PDEATHSIG = 1  # prctl(2)

STOPPED_EARLY = "a build helper stopped before it had handed back all its share"
STUCK = "a build helper was stuck"
# How long the build waits for a helper that hands back nothing: a page or a file takes
# milliseconds, so this long means it is stopped or stuck.
PATIENCE = 30.0

# A helper hands back each result by its name: (name, result).
HandBack = Callable[[str, Any], None]


class Helper:
    """One forked process doing a share of the work (``work`` calls ``hand_back`` with each
    result's name and value, picklable), and a thread in the build taking them as they
    come."""

    def __init__(self, what: str, names: Iterable[str], work: Callable[[HandBack], None]) -> None:
        self.what, self.names = what, frozenset(names)
        self._results: dict[str, Any] = {}
        self._finished = False
        self._arrived = threading.Condition()
        self._last = time.monotonic()  # when it last handed something back (or started)
        self._ended = False  # by the build (end): no warning when it stops
        self._reaping, self._reaped = threading.Lock(), False
        read_end, write_end = os.pipe()
        build = os.getpid()
        self.pid = os.fork()
        if self.pid == 0:  # the helper: it never returns
            os.close(read_end)
            _die_with(build)
            _serve(write_end, work)
        os.close(write_end)
        build_children.started(self)
        self._receiver = threading.Thread(
            target=self._receive, args=(os.fdopen(read_end, "rb"),), daemon=True
        )
        self._receiver.start()

    def _receive(self, pipe: IO[bytes]) -> None:
        try:
            with pipe:
                while True:
                    name, result = pickle.load(pipe)
                    with self._arrived:
                        self._results[name] = result
                        self._last = time.monotonic()
                        self._arrived.notify_all()
        except (EOFError, pickle.UnpicklingError, OSError, ValueError):
            pass  # done, or died: what did not arrive the build does itself
        finally:
            # Ended, but its process id stays ours until it is reaped: ``end`` never kills
            # another process that was given the number.
            os.waitid(os.P_PID, self.pid, os.WEXITED | os.WNOWAIT)
            with self._reaping:
                _, status = os.waitpid(self.pid, 0)
                self._reaped = True
            build_children.finished(self)
            if status != 0 and not self._ended:  # it handed back none, some or all its share
                # Pelican's loggers say a message once: this one names the helper.
                logger.warning(
                    "%s (%s, process %s, exit status %s); the build does the rest itself",
                    STOPPED_EARLY,
                    self.what,
                    self.pid,
                    os.waitstatus_to_exitcode(status),
                )
            with self._arrived:
                self._finished = True
                self._arrived.notify_all()

    def take(self, name: str) -> Any:
        """The result once the helper has handed it back; None if it never will. A helper
        that has handed back nothing for PATIENCE seconds (stopped, or stuck) is ended: a
        helper may make a build faster, never hang it."""
        with self._arrived:
            while name not in self._results and not self._finished:
                idle = time.monotonic() - self._last
                if idle >= PATIENCE:
                    break
                self._arrived.wait(PATIENCE - idle)
            else:
                return self._results.pop(name, None)
        logger.warning(
            "%s (%s, process %s): it handed back nothing for %s s, so it was stopped and the"
            " build does the rest itself",
            STUCK,
            self.what,
            self.pid,
            PATIENCE,
        )
        self.end()
        with self._arrived:
            return self._results.pop(name, None)

    def wait(self) -> None:
        self._receiver.join()

    def end(self) -> None:
        """Stop it now, and reap it."""
        with self._reaping:
            if not self._reaped:
                self._ended = True
                os.kill(self.pid, signal.SIGKILL)
        self.wait()


def _die_with(build: int) -> None:
    """In a helper: it ends with the build, however the build ends. Ctrl-C and SIGTERM are
    the build's to act on (it ends its helpers, ``build_children``); and when the build's
    process dies, Linux kills the helper (the parent death signal) rather than let it work
    on for nobody."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass  # not Linux: a helper ends at its next hand-back, when the pipe is closed
    if os.getppid() != build:  # the build ended before the signal was asked for
        os._exit(1)


def _serve(pipe_fd: int, work: Callable[[HandBack], None]) -> None:
    """The helper's whole life: work, hand each result back, exit without running anything
    the build registered to run at its own exit."""
    status = 1
    try:
        with os.fdopen(pipe_fd, "wb") as pipe:

            def hand_back(name: str, result: Any) -> None:
                pickle.dump((name, result), pipe, protocol=pickle.HIGHEST_PROTOCOL)
                pipe.flush()

            work(hand_back)
        status = 0
    except BaseException:
        pass
    finally:
        os._exit(status)


class Helpers:
    """One piece of work's helpers, found by a result's name."""

    def __init__(self, helpers: Sequence[Helper]) -> None:
        self._by_name = {name: helper for helper in helpers for name in helper.names}
        self._helpers = helpers

    def take(self, name: str) -> Any:
        helper = self._by_name.get(name)
        return helper.take(name) if helper else None

    def wait(self) -> None:
        for helper in self._helpers:
            helper.wait()


def processes(settings: Mapping[str, Any]) -> int:
    """BUILD_PROCESSES, or by default one per core this process may use, at most
    MAX_PROCESSES; never more than the cores (more would only be slower)."""
    wanted = settings.get(PROCESSES)
    if wanted is not None and (
        isinstance(wanted, bool) or not isinstance(wanted, int) or wanted < 1
    ):
        raise SystemExit(
            f"{PROCESSES}: {wanted!r} is not a number of processes; give a whole number, 1 or"
            " more (1: the build alone), or leave it out to use every core. Nothing was built."
        )
    if not hasattr(os, "fork") or not hasattr(os, "sched_getaffinity"):
        return 1  # not Linux or another POSIX system: the build alone
    cores = len(os.sched_getaffinity(0))
    return min(cores, MAX_PROCESSES if wanted is None else wanted)


def shares(names: Sequence[str], count: int, own: float = 1.0) -> list[list[str]]:
    """``names`` in at most ``count`` runs, in order: the first, the build's own, ``own``
    times as long as the others (which are even); fewer runs if a helper's would be
    smaller than SMALLEST_SHARE."""
    count = max(1, min(count, len(names) // SMALLEST_SHARE))
    first = round(len(names) * own / (own + count - 1))
    size, extra = divmod(len(names) - first, max(count - 1, 1))
    runs, start = [list(names[:first])], first
    for index in range(count - 1):
        end = start + size + (index < extra)
        runs.append(list(names[start:end]))
        start = end
    return runs


def share_out(
    what: str,
    names: Sequence[str],
    settings: Mapping[str, Any],
    work: Callable[[frozenset[str], HandBack], None],
    own: float = 1.0,
) -> Helpers | None:
    """Helpers for all but the first share of ``names`` (``work(share, hand_back)`` in
    each; ``what`` says what it is, in messages), or None if the build does it all. The
    build's own share is ``own`` times a helper's: less if it has more to do per name."""
    runs = shares(names, processes(settings), own)
    if len(runs) < 2:
        return None
    return Helpers([Helper(what, run, partial(work, frozenset(run))) for run in runs[1:]])


def start(
    settings: MutableMapping[str, Any],
    key: str,
    what: str,
    names: Sequence[str],
    work: Callable[[frozenset[str], HandBack], None],
    own: float = 1.0,
) -> None:
    """``share_out`` the work, its helpers kept in ``settings[key]`` (Pelican's readers and
    writer see only the settings) for ``take`` and ``finish``. A failed build's, left there
    (the preview builds again with the same settings), are dropped before any fork, so no
    helper, and no page or file, of that build is ever taken."""
    settings.pop(key, None)
    settings[key] = share_out(what, names, settings, work, own)


def take(settings: Mapping[str, Any], key: str, name: str) -> Any:
    """The result of ``name`` if a helper kept in ``settings[key]`` has it, else None."""
    helpers: Helpers | None = settings.get(key)
    return helpers.take(name) if helpers else None


def finish(settings: MutableMapping[str, Any], key: str) -> None:
    """Pelican's ``finalized``: the helpers kept in ``settings[key]`` have ended and been
    reaped."""
    helpers: Helpers | None = settings.pop(key, None)
    if helpers:
        helpers.wait()
