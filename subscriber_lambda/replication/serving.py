"""What ``serve`` checks before it replicates, and starting the replicator.

Litestream takes a store that is behind its replica for a restored one and makes the
replica match the store. So a store made afresh (a new disk, a timer's ``notify`` that
ran before anyone restored) would replace every resident in the replica with none. Before
replicating, ``serve`` therefore refuses, saying what to do, when the replica holds a copy
and the store here is missing, or was never replicated from here and is not the copy
``restore`` just made from that replica (``target.restore_note``).

Then the signing key, when it is a file (on the disk that may die with the store; a key in
SSM is not copied), is kept in the replica, or found to be the one there; one copy is
made at once (so a replica that cannot be written stops ``serve`` now, not silently
later), and Litestream is kept running, with the replica's health checked (``health``).

A store replicated from here before (Litestream's record is beside it) is served even
when the replica cannot be reached or written at start (an S3 outage at boot must not
leave the site down): that is logged as an ERROR and the health check reports until the
replica catches up. Only the dangerous cases stop ``serve``: no store here, or one not
replicated from here, while the replica holds residents; another installation's key.

One ``serve`` replicates a store at a time: it holds an exclusive lock on a file beside
the store (``lock_file``) while it runs.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from ..adapters.sqlite_store import SqliteStore
from ..config import Config
from .health import Health, watch
from .key import check_reachable, read_key, write_key
from .litestream import Latest, Litestream, ReplicationError, WrongReplica
from .supervisor import Replicator
from .target import Replica, lock_file, meta_folder, restore_note, store_file

log = logging.getLogger(__name__)


def when(latest: Latest) -> str:
    return latest.at.strftime("%Y-%m-%d %H:%M:%S UTC")


def replicated_here(database: Path) -> bool:
    """Whether ``database`` is the store Litestream has been copying from here."""
    return meta_folder(database).is_dir() and database.is_file()


def refuse_a_stray_store(database: Path, replica: Replica, latest: Latest | None) -> None:
    """Stop unless replicating ``database`` keeps what ``replica`` holds."""
    if latest is None or replicated_here(database):
        return  # nothing to lose, or the store Litestream has been copying from here
    holds = f"{replica} holds a copy of the store (its latest change {when(latest)})"
    if not database.is_file():
        raise ReplicationError(
            f"{holds}, and there is no store at {database}. Restore it first:"
            " python -m subscriber_lambda restore (make restore). Serving an empty store"
            " would replace every resident in the replica with none."
        )
    try:
        note = json.loads(restore_note(database).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        note = {}
    if note.get("replica") == replica.url and note.get("txid") == latest.txid:
        return
    if note.get("replica") == replica.url:
        raise ReplicationError(
            f"{database} was restored from {replica}, which has changed since (transaction"
            f" {note.get('txid')}, now {latest.txid}): another server is replicating to it."
            " Stop that server, or restore again, or give this one another SUBSCRIBER_REPLICA."
        )
    raise ReplicationError(
        f"{holds}, and the store at {database} is not that copy. Replicating would replace"
        f" the replica's copy with this store. If the replica's copy is the one to keep:"
        f" python -m subscriber_lambda restore --force. If this store is the one to keep:"
        f" set SUBSCRIBER_REPLICA to a new folder."
    )


def keep_key(replica: Replica, key: bytes) -> bool:
    """Keep the signing key in the replica, or check it is the one already there; whether
    it had to be written."""
    kept = read_key(replica)
    if kept is None:
        write_key(replica, key.hex())
        log.info("the signing key is kept in the replica %s too", replica)
        return True
    if kept != key.hex():
        raise WrongReplica(
            f"the replica {replica} keeps another signing key than this server's"
            " (SUBSCRIBER_SECRET): it is another installation's replica, or the key here was"
            " changed. Give this server its own SUBSCRIBER_REPLICA, or restore the key the"
            " replica's residents were signed up with (python -m subscriber_lambda restore)."
        )
    return False


def warn_if_same_disk(replica: Replica, database: Path) -> None:
    if replica.folder is None:
        return
    with contextlib.suppress(OSError):
        if os.stat(replica.folder).st_dev == os.stat(database.parent).st_dev:
            log.warning(
                "the replica %s is on the same disk as the store: it guards against"
                " mistakes, not against that disk failing. Put it on another disk, or in S3.",
                replica,
            )


def refuse_a_replica_beside_the_store(replica: Replica, database: Path) -> None:
    folder = replica.folder
    if folder is not None and folder.resolve().is_relative_to(database.parent):
        raise ReplicationError(
            f"SUBSCRIBER_REPLICA: the replica {replica} is in the store's own folder"
            f" ({database.parent}), where Litestream keeps its files and a lost disk takes"
            " both: give a folder elsewhere, on another disk (or s3://BUCKET/PREFIX)"
        )


@contextmanager
def only_server(database: Path) -> Iterator[None]:
    """An exclusive lock beside the store for the life of the block: a second ``serve``
    of the same store stops, rather than replicate it twice."""
    path = lock_file(database)
    with open(path, "a+", encoding="ascii") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            raise ReplicationError(
                f"another serve (pid {handle.read().strip() or 'unknown'}) is replicating"
                f" {database} already ({path} is locked): stop it first, or give this one"
                " another SUBSCRIBER_STORE"
            ) from None
        handle.truncate(0)
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        yield


def keep_signing_key(config: Config, replica: Replica) -> bool:
    """The key file in the replica too (a key in SSM is not on the disk that may die);
    whether it had to be written."""
    if urlsplit(config.secret_url).scheme == "file":
        return keep_key(replica, config.secret())
    return False


def first_copy(litestream: Litestream, config: Config) -> None:
    """The checks before replicating, and one copy made at once."""
    replica, database = litestream.replica, litestream.database
    check_reachable(replica, writable=True)
    refuse_a_stray_store(database, replica, litestream.latest())
    keep_signing_key(config, replica)
    SqliteStore(database).close()  # the file, its schema up to date, before copying
    warn_if_same_disk(replica, database)
    litestream.sync_once()
    restore_note(database).unlink(missing_ok=True)  # Litestream knows the file now


def start_replicating(litestream: Litestream, config: Config) -> None:
    """``first_copy``; for a store replicated from here before, a replica that cannot be
    reached or written is logged and the server starts all the same."""
    if not replicated_here(litestream.database):
        first_copy(litestream, config)
        return
    try:
        first_copy(litestream, config)
    except WrongReplica:
        raise
    except ReplicationError as error:
        log.error(
            "%s. Serving all the same (this store was replicated from here): changes are"
            " copied when the replica answers again, and the log says how far behind it is",
            error,
        )


def repairer(
    replicator: Replicator, config: Config, on_give_up: Callable[[str], None]
) -> Callable[[], None]:
    """What the health check does for a replica that holds no copy: a new Litestream
    (a new snapshot), and the signing key kept there again."""

    keep = key_keeper(config, replicator.litestream.replica, on_give_up)

    def repair() -> None:
        replicator.restart()
        keep()

    return repair


def key_keeper(
    config: Config, replica: Replica, on_give_up: Callable[[str], None]
) -> Callable[[], None]:
    """What the health check does on each pass: the signing key is put back in the replica
    when it is missing (a bucket or folder recreated under the server, which Litestream
    fills again with the store but not the key), and that is logged as an error."""

    def keep() -> None:
        try:
            if keep_signing_key(config, replica):
                log.error(
                    "the signing key was missing from the replica %s (emptied or recreated"
                    " under the running server): it is kept there again",
                    replica,
                )
        except WrongReplica as error:
            log.critical("%s", error)
            on_give_up(str(error))
        except ReplicationError as error:
            log.error("the signing key could not be kept in the replica again: %s", error)

    return keep


@contextmanager
def replicating(config: Config, on_give_up: Callable[[str], None]) -> Iterator[Replicator | None]:
    """For the life of the block, the store is replicated to SUBSCRIBER_REPLICA (when it is
    set) and its health checked: every check passed and one copy made before it starts."""
    replica = config.replica()
    if replica is None:
        yield None
        return
    database = store_file(config.store_url).resolve()
    refuse_a_replica_beside_the_store(replica, database)
    database.parent.mkdir(parents=True, exist_ok=True)
    with only_server(database), Litestream.configured(replica, database, config.environ) as ls:
        start_replicating(ls, config)
        replicator = Replicator(ls, on_give_up)
        health = Health(
            ls,
            repairer(replicator, config, on_give_up),
            key_keeper(config, replica, on_give_up),
        )
        stopping = threading.Event()
        checker = threading.Thread(target=watch, args=(health, stopping), name="replica-health")
        replicator.start()
        checker.start()
        try:
            yield replicator
        finally:
            stopping.set()
            checker.join()
            replicator.stop()
            health.final()
