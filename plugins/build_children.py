"""Processes a build starts beside itself: its helpers (``forked``) and Pagefind
(``search``).

A build that ends normally waits for each at Pelican's ``finalized``. One that fails or is
stopped (SIGTERM, Ctrl-C) never gets there, so whoever ran it in its own process (a
rebuild, a publish, the preview) ends them all (``end_all``) before deleting the folder
they work in: none goes on working for nobody, or writes into a folder being deleted.
"""

from __future__ import annotations

import threading
from typing import Protocol


class Child(Protocol):
    def end(self) -> None:
        """Stop now, and be reaped."""


_RUNNING: set[Child] = set()  # shared by the builds of this process, under _LOCK
_LOCK = threading.Lock()


def started(child: Child) -> None:
    with _LOCK:
        _RUNNING.add(child)


def finished(child: Child) -> None:
    with _LOCK:
        _RUNNING.discard(child)


def end_all() -> None:
    """Stop every process a build started that is still running."""
    with _LOCK:
        running = list(_RUNNING)
    for child in running:
        child.end()
