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
later), and Litestream is kept running.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from ..adapters.sqlite_store import SqliteStore
from ..config import Config
from .key import check_reachable, read_key, write_key
from .litestream import Latest, Litestream, ReplicationError
from .supervisor import Replicator
from .target import Replica, meta_folder, restore_note, store_file

log = logging.getLogger(__name__)


def when(latest: Latest) -> str:
    return latest.at.strftime("%Y-%m-%d %H:%M:%S UTC")


def refuse_a_stray_store(database: Path, replica: Replica, latest: Latest | None) -> None:
    """Stop unless replicating ``database`` keeps what ``replica`` holds."""
    if latest is None or (meta_folder(database).is_dir() and database.is_file()):
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


def keep_key(replica: Replica, key: bytes) -> None:
    """Keep the signing key in the replica, or check it is the one already there."""
    kept = read_key(replica)
    if kept is None:
        write_key(replica, key.hex())
        log.info("the signing key is kept in the replica %s too", replica)
    elif kept != key.hex():
        raise ReplicationError(
            f"the replica {replica} keeps another signing key than this server's"
            " (SUBSCRIBER_SECRET): it is another installation's replica, or the key here was"
            " changed. Give this server its own SUBSCRIBER_REPLICA, or restore the key the"
            " replica's residents were signed up with (python -m subscriber_lambda restore)."
        )


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


@contextmanager
def replicating(config: Config, on_give_up: Callable[[str], None]) -> Iterator[Replicator | None]:
    """For the life of the block, the store is replicated to SUBSCRIBER_REPLICA (when it is
    set): every check passed and one copy made before the block starts."""
    replica = config.replica()
    if replica is None:
        yield None
        return
    database = store_file(config.store_url).resolve()
    check_reachable(replica, writable=True)
    database.parent.mkdir(parents=True, exist_ok=True)
    with Litestream.configured(replica, database, config.environ) as litestream:
        refuse_a_stray_store(database, replica, litestream.latest())
        key = config.secret()
        if urlsplit(config.secret_url).scheme == "file":  # on the disk that may die
            keep_key(replica, key)
        SqliteStore(database).close()  # the file, its schema up to date, before copying
        warn_if_same_disk(replica, database)
        litestream.sync_once()
        restore_note(database).unlink(missing_ok=True)  # Litestream knows the file now
        replicator = Replicator(litestream, on_give_up)
        replicator.start()
        try:
            yield replicator
        finally:
            replicator.stop()
