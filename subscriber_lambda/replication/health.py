"""Whether the replica keeps up with the store, checked while ``serve`` runs (ADR 26).

Litestream retries an S3 replica that stops answering without end, and quietly: a
replica left behind would only be found when it is needed. So every ``CHECK_SECONDS`` the
store's position (the newest transaction Litestream has taken from it, in its record
beside the store) is compared with the replica's (read as ``restore`` reads it). A
replica that cannot be read is behind whatever the positions say: Litestream waiting on
it takes no new transactions, so its record stops too. A replica behind, or not
answering, for more than ``BEHIND_SECONDS`` is logged as an ERROR naming it and how
far behind it is, again each ``REPEAT_SECONDS``, as CRITICAL after ``CRITICAL_SECONDS``;
a line says when it has caught up. ``serve`` goes on serving meanwhile: the site and
emergency alerts matter more than the backup of what changes during the outage.

A replica that holds no copy at all (its folder or prefix emptied under a running
server) is repaired: ``repair`` starts Litestream again, which writes a new snapshot,
and keeps the signing key there again. A replica that answers has its signing key
checked on every pass (``keep_key``): a bucket recreated under the server is filled
again by Litestream, but not with the key.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .litestream import Litestream, ReplicationError
from .target import meta_folder

log = logging.getLogger(__name__)

CHECK_SECONDS = 15.0
BEHIND_SECONDS = 45.0
REPEAT_SECONDS = 60.0
CRITICAL_SECONDS = 600.0
READ_SECONDS = 10.0  # for reading the replica's position; longer counts as not answering


def store_txid(database: Path) -> int | None:
    """The newest transaction Litestream has taken from the store (its level-0 files are
    named FIRST-LAST.ltx in hex); None before it has taken any."""
    try:
        names = [path.stem for path in (meta_folder(database) / "ltx" / "0").glob("*-*.ltx")]
    except OSError:
        return None
    found = [int(name.rpartition("-")[2], 16) for name in names if name.rpartition("-")[2]]
    return max(found, default=None)


@dataclass(frozen=True)
class Reading:
    """The replica's newest transaction (None: it holds no copy), or why it is unknown."""

    txid: int | None
    problem: str = ""


def read_replica(litestream: Litestream, seconds: float) -> Reading:
    try:
        latest = litestream.latest(seconds=seconds)
    except ReplicationError as error:
        return Reading(None, str(error))
    return Reading(None if latest is None else int(latest.txid, 16))


@dataclass
class Health:
    """The replica's position against the store's, and what has been said about it."""

    litestream: Litestream
    repair: Callable[[], None]
    keep_key: Callable[[], None] = lambda: None  # the signing key there, or put back
    behind_seconds: float = BEHIND_SECONDS
    repeat_seconds: float = REPEAT_SECONDS
    critical_seconds: float = CRITICAL_SECONDS
    read_seconds: float = READ_SECONDS
    clock: Callable[[], float] = time.monotonic
    replica_txid: int | None = None  # the last one read
    caught_up_at: float = field(default_factory=time.monotonic)
    reported_at: float | None = None  # when it was last said to be behind
    repaired_at: float | None = None

    def check(self) -> bool:
        """Compare once, log what needs saying; whether the replica has everything."""
        store = store_txid(self.litestream.database)  # before the replica: never ahead
        reading = read_replica(self.litestream, self.read_seconds)
        if not reading.problem and reading.txid is None:
            self._repair()
            return False
        if reading.problem:  # not answering: whatever the store has now is not copied
            self._behind(store, reading.problem)
            return False
        self.replica_txid = reading.txid
        self.keep_key()
        if store is None or self._has(store):
            self._caught_up()
            return True
        self._behind(store, "")
        return False

    def _repair(self) -> None:
        """Repair a replica with no copy, unless a repair is still writing its snapshot."""
        now = self.clock()
        if self.repaired_at is not None and now - self.repaired_at < self.behind_seconds:
            return
        self.repaired_at = now
        log.error(
            "the replica %s holds no copy of the store (emptied or replaced under the"
            " running server): starting Litestream again to write a new snapshot",
            self.litestream.replica,
        )
        self.repair()

    def _has(self, store: int) -> bool:
        return self.replica_txid is not None and self.replica_txid >= store

    def _caught_up(self) -> None:
        now = self.clock()
        if self.reported_at is not None:
            log.info(
                "the replica %s has caught up with the store again (transaction %s), after"
                " about %.0f s behind",
                self.litestream.replica,
                self.replica_txid,
                now - self.caught_up_at,
            )
        self.caught_up_at, self.reported_at = now, None

    def _behind(self, store: int | None, problem: str) -> None:
        now = self.clock()
        lag = now - self.caught_up_at
        if lag < self.behind_seconds:
            return
        if self.reported_at is not None and now - self.reported_at < self.repeat_seconds:
            return
        self.reported_at = now
        if store is None or self.replica_txid is None or store <= self.replica_txid:
            missing = "an unknown number of"  # Litestream takes nothing while it waits
        else:
            missing = f"{store - self.replica_txid}"
        log.log(
            logging.CRITICAL if lag >= self.critical_seconds else logging.ERROR,
            "the replica %s is behind the store by %s transactions and about %.0f s%s:"
            " changes since are not backed up (serving goes on; check the replica)",
            self.litestream.replica,
            missing,
            lag,
            f" ({problem})" if problem else "",
        )

    def final(self) -> None:
        """After Litestream's last copy: up to date only when the replica is read and
        has the store's newest transaction; otherwise it may be behind, and says why."""
        store = store_txid(self.litestream.database)
        reading = read_replica(self.litestream, self.read_seconds)
        if reading.txid is not None and reading.txid >= (store or 0):
            log.info(
                "replication stopped; the replica %s is up to date (transaction %s)",
                self.litestream.replica,
                reading.txid,
            )
            return
        log.error(
            "replication stopped; the replica %s may be behind the store (%s; the store's"
            " latest transaction %s): what is missing is copied when serve runs again",
            self.litestream.replica,
            reading.problem or f"its latest transaction {reading.txid or 'none: no copy'}",
            store,
        )


def watch(health: Health, stopping: threading.Event, seconds: float = CHECK_SECONDS) -> None:
    """Check every ``seconds`` until ``stopping`` is set (a thread's target)."""
    while not stopping.wait(seconds):
        try:
            health.check()
        except Exception:  # a check that fails must not end the checking
            log.exception("checking the replica %s failed", health.litestream.replica)
