"""``python -m subscriber_lambda restore [--force]``: the embedded store rebuilt from
``SUBSCRIBER_REPLICA``, with the signing key kept there.

Nothing is changed until the rebuilt copy has passed its checks: it is restored into a new
file beside the store, checked (``PRAGMA integrity_check``, a schema this version knows,
the tables the store needs), made readable by its owner only, then moved into place in
one step. The old store's ``-wal`` and ``-shm`` files and Litestream's record of it go
first: they describe the old file, and SQLite would apply an old WAL to the new one.

A store that exists is only replaced with ``--force``, and never while another process
has it open (the server, a notify run). The delivery ledger is in the same file, so
``notify`` after a restore sends only what the ledger does not show as sent.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from ..adapters.sqlite_store import MIGRATIONS
from ..config import Config, ConfigError, file_url_path
from .key import check_reachable, read_key
from .litestream import Latest, Litestream, ReplicationError
from .target import Replica, meta_folder, restore_note, store_file

NEEDED_TABLES = ("subscribers", "deliveries", "suppressions", "mail_jobs")


@dataclass(frozen=True)
class Restored:
    database: Path
    replica: Replica
    latest: Latest
    subscribers: int
    ledger: int
    seconds: float
    key: str  # what became of the signing key, as a phrase
    replaced: Path | None  # where the store that was here is kept

    def summary(self) -> str:
        kept = f"; the store that was here kept as {self.replaced}" if self.replaced else ""
        return (
            f"restore: {self.database} rebuilt from {self.replica} in {self.seconds:.1f} s:"
            f" {self.subscribers:,} subscribers, {self.ledger:,} ledger entries, latest change"
            f" {self.latest.at:%Y-%m-%d %H:%M:%S} UTC; {self.key}{kept}"
        )


def in_use(database: Path) -> bool:
    """Whether another process has the store open: it then holds a lock that an
    exclusive transaction cannot get at once."""
    db = sqlite3.connect(database, isolation_level=None, timeout=0)
    try:
        db.execute("PRAGMA locking_mode = EXCLUSIVE")
        db.execute("BEGIN EXCLUSIVE")
        db.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError:
        return True
    except sqlite3.DatabaseError:  # not an SQLite file: nobody is using it as the store
        return False
    finally:
        db.close()


def check_copy(path: Path, replica: Replica) -> tuple[int, int]:
    """The restored copy's subscribers and ledger entries, once it has passed its checks."""
    db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        problems = [row[0] for row in db.execute("PRAGMA integrity_check(5)")]
        if problems != ["ok"]:
            raise ReplicationError(
                f"the copy restored from {replica} is damaged ({'; '.join(problems)})"
            )
        version = int(db.execute("PRAGMA user_version").fetchone()[0])
        if version > len(MIGRATIONS):
            raise ReplicationError(
                f"the copy restored from {replica} was made by a newer version of the"
                f" noticeboard (schema {version}, this one knows {len(MIGRATIONS)}): upgrade"
                " this installation first"
            )
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
        missing = [table for table in NEEDED_TABLES if table not in tables]
        if version < 1 or missing:
            raise ReplicationError(
                f"the copy restored from {replica} is not a subscriber store (schema"
                f" {version}; missing {', '.join(missing) or 'nothing'})"
            )
        subscribers = int(db.execute("SELECT count(*) FROM subscribers").fetchone()[0])
        ledger = int(db.execute("SELECT count(*) FROM deliveries").fetchone()[0])
        return subscribers, ledger
    except sqlite3.DatabaseError as error:
        raise ReplicationError(
            f"the copy restored from {replica} is not a readable SQLite file ({error})"
        ) from None
    finally:
        db.close()


def key_file(config: Config) -> Path | None:
    """The signing key's file (SUBSCRIBER_SECRET), None when it is kept elsewhere (SSM)."""
    if urlsplit(config.secret_url).scheme != "file":
        return None
    return file_url_path("SUBSCRIBER_SECRET", config.secret_url)


def plan_key(config: Config, replica: Replica, force: bool) -> Callable[[], str]:
    """Check the signing key can be put back; returns what puts it back (when the store
    is), which says what it did."""
    kept = read_key(replica)
    path = key_file(config)
    if kept is None:
        return lambda: (
            f"the replica keeps no signing key: give SUBSCRIBER_SECRET the one the server used"
            f" ({path or config.secret_url}), or every link sent is broken"
        )
    if path is None:
        return lambda: (
            f"the signing key is not in a file here ({config.secret_url}): check it is the one"
            f" kept in the replica"
        )
    try:
        here: str | None = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        here = None
    if here == kept:
        return lambda: f"the signing key at {path} is the replica's"
    if here is not None and not force:
        raise ReplicationError(
            f"the signing key at {path} is not the one kept in {replica}, which the restored"
            " residents' links and addresses need. Nothing was changed. Run again with --force"
            f" to replace it (keep a copy of {path} first)."
        )

    def put_back() -> str:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.restoring")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            os.fchmod(handle.fileno(), 0o600)
            handle.write(kept + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
        return f"the signing key restored to {path}"

    return put_back


def refuse_to_replace(database: Path, force: bool) -> None:
    if not database.exists():
        return
    if not force:
        raise ReplicationError(
            f"there is a store at {database} already; restoring would replace it. If it is"
            " to be replaced (it was made after the old one was lost, or it is damaged), stop"
            " the server and run again with --force."
        )
    if in_use(database):
        raise ReplicationError(
            f"{database} is open in another process (the server, or a notify, digest or"
            " reminders run): stop them first (systemctl stop 'noticeboard*'), then restore"
        )


def keep_aside(database: Path) -> Path | None:
    """The store that is to be replaced, kept (with its WAL) as
    ``NAME.replaced-TIME``: --force may have been a mistake. None when there is none."""
    if not database.exists():
        return None
    aside = database.with_name(f"{database.name}.replaced-{datetime.now(UTC):%Y%m%dT%H%M%SZ}")
    os.link(database, aside)  # the store stays in place until the copy replaces it
    wal = Path(f"{database}-wal")
    if wal.exists():
        os.replace(wal, f"{aside}-wal")
    return aside


def move_into_place(copy: Path, database: Path) -> Path | None:
    """Replace the store with ``copy`` in one step, the old one kept aside, its WAL and
    Litestream's record of it gone first; where the old one is kept."""
    os.chmod(copy, 0o600)
    aside = keep_aside(database)
    for old in (Path(f"{database}-wal"), Path(f"{database}-shm")):
        old.unlink(missing_ok=True)
    shutil.rmtree(meta_folder(database), ignore_errors=True)
    os.replace(copy, database)
    folder = os.open(database.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)
    return aside


def restore(config: Config, force: bool, progress: Callable[[str], None]) -> Restored:
    started = time.monotonic()
    replica = config.replica()
    if replica is None:
        raise ConfigError(
            "SUBSCRIBER_REPLICA is not set, so there is nothing to restore from: set it to the"
            " replica the server used (file:///ABSOLUTE/PATH or s3://BUCKET/PREFIX)"
        )
    database = store_file(config.store_url).resolve()
    refuse_to_replace(database, force)
    check_reachable(replica, writable=False)
    database.parent.mkdir(parents=True, exist_ok=True)
    with Litestream.configured(replica, database, config.environ) as litestream:
        latest = litestream.latest()
        if latest is None:
            raise ReplicationError(
                f"the replica {replica} holds no copy of the store, so nothing was restored."
                " Check that SUBSCRIBER_REPLICA is where the server replicated to (its log"
                " says 'replicating ... to ...') and that these credentials can see it."
            )
        put_back_key = plan_key(config, replica, force)
        progress(
            f"restoring {database} from {replica}: latest change {latest.at:%Y-%m-%d %H:%M:%S}"
            f" UTC, {latest.files} files, {latest.size / 1e6:.1f} MB to read"
        )
        copy = database.with_name(f".{database.name}.restoring-{os.getpid()}")
        try:
            litestream.restore(copy, latest.txid)
            progress("checking the restored copy (integrity, schema)")
            subscribers, ledger = check_copy(copy, replica)
            key = put_back_key()
            replaced = move_into_place(copy, database)
        finally:
            for left in (copy, Path(f"{copy}-wal"), Path(f"{copy}-shm")):
                left.unlink(missing_ok=True)
    note = {"replica": replica.url, "txid": latest.txid, "at": datetime.now(UTC).isoformat()}
    restore_note(database).write_text(json.dumps(note), encoding="utf-8")
    seconds = time.monotonic() - started
    return Restored(database, replica, latest, subscribers, ledger, seconds, key, replaced)
