"""The embedded store: one SQLite file, with schema migrations from the first version.

Each thread has its own connection to the file (SQLite connections must not be shared
between threads at once), so a server's request threads and a notify run never share
transaction state; WAL mode lets them read while one writes.

A subscriber's mobile number, when they gave one, is a row of ``phones`` (its code
waiting, or when it was confirmed). The sent-ledger is the table ``deliveries``, keyed by
subscriber, item, revision and channel (email, text): a row is written 'pending' before
a message is handed to the provider and 'sent' after, so a run that is killed half-way
resends at most the one message that was in flight. The table ``posts`` is the ledger of
the council's own social posts. A message
the mail system refused for now is 'deferred' (with its attempts and ``retry_after``); one
refused for good, or deferred too often, is 'failed'. The table ``planned`` records the
item revisions whose deliveries have all been handed to the queue.

The file holds addresses, so it is made readable and writable by its owner only (0600,
whatever the umask); SQLite gives its ``-wal`` and ``-shm`` files the database file's
mode. Deleted rows are overwritten with zeros (``secure_delete``), so an erased address
leaves the database file at the next checkpoint (at the latest when the last connection
closes); copies made before then, such as backups, keep it until they are deleted.
"""

from __future__ import annotations

import hmac
import json
import os
import sqlite3
import threading
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path

from ..core.phones import CODE_ATTEMPTS
from ..core.preferences import Preferences
from ..core.reach import Tally
from ..core.retry import CLAIM_LEASE, next_try, sortable
from ..ports import (
    EMAIL,
    LedgerEntry,
    Owed,
    Phone,
    PostRef,
    Subscriber,
    address_limit_key,
    newest_first,
)

MIGRATIONS: list[str] = [
    # 1: subscribers, the sent-ledger (with digests' waiting items), suppressions, rate limits
    """
    CREATE TABLE subscribers (
        id INTEGER PRIMARY KEY,
        email TEXT NOT NULL,
        email_hash TEXT NOT NULL UNIQUE,
        preferences TEXT NOT NULL,
        frequency TEXT NOT NULL,
        confirmed_at TEXT NOT NULL
    );
    CREATE TABLE deliveries (
        subscriber_id INTEGER NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
        item_id TEXT NOT NULL,
        revision TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'digest')),
        details TEXT,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (subscriber_id, item_id, revision)
    );
    CREATE INDEX deliveries_by_item ON deliveries (item_id, state);
    CREATE INDEX deliveries_by_state ON deliveries (state, subscriber_id);
    CREATE TABLE suppressions (
        email_hash TEXT PRIMARY KEY,
        reason TEXT NOT NULL,
        at TEXT NOT NULL
    );
    CREATE TABLE rate_limits (
        key TEXT PRIMARY KEY,
        window_start REAL NOT NULL,
        count INTEGER NOT NULL
    );
    """,
    # 2: what happened to each item's emails, from the mail service's events
    """
    CREATE TABLE event_counts (
        item_tag TEXT NOT NULL,
        kind TEXT NOT NULL,
        count INTEGER NOT NULL,
        PRIMARY KEY (item_tag, kind)
    );
    """,
    # 3: the ledger records failures: 'deferred' (attempts, retry_after) and 'failed'.
    # SQLite cannot change a CHECK constraint, so the table is rebuilt, keeping every row.
    """
    CREATE TABLE deliveries_3 (
        subscriber_id INTEGER NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
        item_id TEXT NOT NULL,
        revision TEXT NOT NULL,
        state TEXT NOT NULL
            CHECK (state IN ('pending', 'sent', 'digest', 'deferred', 'failed')),
        details TEXT,
        updated_at TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        retry_after TEXT,
        PRIMARY KEY (subscriber_id, item_id, revision)
    );
    INSERT INTO deliveries_3 (subscriber_id, item_id, revision, state, details, updated_at)
        SELECT subscriber_id, item_id, revision, state, details, updated_at FROM deliveries;
    DROP TABLE deliveries;
    ALTER TABLE deliveries_3 RENAME TO deliveries;
    CREATE INDEX deliveries_by_item ON deliveries (item_id, state);
    CREATE INDEX deliveries_by_state ON deliveries (state, subscriber_id);
    """,
    # 4: when each address's subscription last changed (so an older confirmation link
    # changes nothing), and the mail the routes send after responding (kept until sent,
    # so a restart loses none)
    """
    CREATE TABLE address_changes (
        email_hash TEXT PRIMARY KEY,
        changed_at REAL NOT NULL,
        keep_until REAL NOT NULL
    );
    CREATE TABLE mail_jobs (
        id INTEGER PRIMARY KEY,
        email_hash TEXT NOT NULL,
        payload TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        not_before REAL NOT NULL,
        claimed_until REAL NOT NULL DEFAULT 0
    );
    CREATE INDEX mail_jobs_due ON mail_jobs (not_before);
    CREATE INDEX mail_jobs_by_address ON mail_jobs (email_hash);
    """,
    # 5: the item revisions whose deliveries have all been handed to the queue
    """
    CREATE TABLE planned (
        item_id TEXT NOT NULL,
        revision TEXT NOT NULL,
        at TEXT NOT NULL,
        PRIMARY KEY (item_id, revision)
    );
    """,
    # 6: contact points and channels. A subscriber may add a mobile number: it waits in
    # phone_codes for its code, then is theirs in phones (one subscriber's, and their old
    # number's until then); the ledger is kept per channel, every earlier row being an
    # email's; the council's own social posts have a ledger of their own.
    """
    CREATE TABLE phones (
        subscriber_id INTEGER PRIMARY KEY REFERENCES subscribers(id) ON DELETE CASCADE,
        number TEXT NOT NULL,
        number_hash TEXT NOT NULL UNIQUE,
        stop_code TEXT NOT NULL UNIQUE,
        confirmed_at TEXT NOT NULL
    );
    CREATE TABLE phone_codes (
        subscriber_id INTEGER PRIMARY KEY REFERENCES subscribers(id) ON DELETE CASCADE,
        number TEXT NOT NULL,
        number_hash TEXT NOT NULL,
        stop_code TEXT NOT NULL,
        code_hash TEXT NOT NULL,
        code_expires TEXT NOT NULL,
        code_attempts INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE deliveries_6 (
        subscriber_id INTEGER NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
        item_id TEXT NOT NULL,
        revision TEXT NOT NULL,
        channel TEXT NOT NULL DEFAULT 'email',
        state TEXT NOT NULL
            CHECK (state IN ('pending', 'sent', 'digest', 'deferred', 'failed')),
        details TEXT,
        updated_at TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        retry_after TEXT,
        PRIMARY KEY (subscriber_id, item_id, revision, channel)
    );
    INSERT INTO deliveries_6 (subscriber_id, item_id, revision, state, details, updated_at,
                              attempts, retry_after)
        SELECT subscriber_id, item_id, revision, state, details, updated_at, attempts,
               retry_after FROM deliveries;
    DROP TABLE deliveries;
    ALTER TABLE deliveries_6 RENAME TO deliveries;
    CREATE INDEX deliveries_by_item ON deliveries (item_id, channel, state);
    CREATE INDEX deliveries_by_state ON deliveries (state, subscriber_id);
    CREATE TABLE posts (
        network TEXT NOT NULL,
        item_id TEXT NOT NULL,
        revision TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending', 'posted')),
        ref TEXT,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (network, item_id, revision)
    );
    """,
    # 7: reach (ADR 25): aggregate counters per subject (item id, or subscriptions),
    # channel and London day, with the day's first and last sent times. The mail
    # events' counts of migration 2 had neither day nor channel: they stay, unread.
    """
    CREATE TABLE reach (
        subject TEXT NOT NULL,
        channel TEXT NOT NULL,
        day TEXT NOT NULL,
        counter TEXT NOT NULL,
        count INTEGER NOT NULL,
        PRIMARY KEY (subject, channel, day, counter)
    );
    CREATE TABLE reach_sent (
        subject TEXT NOT NULL,
        channel TEXT NOT NULL,
        day TEXT NOT NULL,
        first_sent TEXT NOT NULL,
        last_sent TEXT NOT NULL,
        PRIMARY KEY (subject, channel, day)
    );
    CREATE INDEX reach_by_day ON reach (day);
    """,
]


SUBSCRIBER = """SELECT s.id, s.email, s.email_hash, s.preferences, s.confirmed_at,
                     p.number, p.number_hash, p.stop_code, p.confirmed_at,
                     w.number, w.number_hash, w.stop_code
              FROM subscribers s LEFT JOIN phones p ON p.subscriber_id = s.id
              LEFT JOIN phone_codes w ON w.subscriber_id = s.id"""
LEDGER_ROW = "subscriber_id = ? AND item_id = ? AND revision = ? AND channel = ?"
SubscriberRow = tuple[int, str, str, str, str, *tuple[str | None, ...]]


@contextmanager
def immediate(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """A write transaction, taken at once (BEGIN IMMEDIATE): committed when the block ends
    (a return from inside it included), rolled back if it raises."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def create_owner_only(path: Path) -> None:
    """Make an empty file that only its owner can read or write (0600, umask or not),
    unless the file is already there."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    try:
        os.fchmod(descriptor, 0o600)
    finally:
        os.close(descriptor)


def connect(path: Path | str) -> sqlite3.Connection:
    """A connection with the store's settings, in autocommit mode (transactions explicit)."""
    db = sqlite3.connect(str(path), isolation_level=None)
    db.execute("PRAGMA foreign_keys = ON")
    db.execute("PRAGMA secure_delete = ON")  # erased rows are overwritten in the file
    db.execute("PRAGMA journal_mode = WAL")
    # With WAL, NORMAL survives the process dying; a power cut may lose the last few
    # ledger rows, which at worst sends those messages again.
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute("PRAGMA busy_timeout = 10000")
    return db


class ThreadConnections:
    """One connection per thread to one SQLite file, opened on first use."""

    def __init__(self, path: Path | str) -> None:
        if str(path) == ":memory:":
            raise ValueError("the store needs a file: every thread opens its own connection")
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        create_owner_only(Path(path))
        self.path = path
        self._local = threading.local()

    @property
    def db(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = connect(self.path)
        return db

    def close(self) -> None:
        """Close this thread's connection (others close with their threads)."""
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None


class SqliteStore:
    def __init__(self, path: Path | str) -> None:
        self._connections = ThreadConnections(path)
        self.migrate()

    @property
    def _db(self) -> sqlite3.Connection:
        return self._connections.db

    def migrate(self) -> int:
        """Bring the schema up to date; returns the version."""
        version = int(self._db.execute("PRAGMA user_version").fetchone()[0])
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            self._db.executescript(f"BEGIN; {script}; PRAGMA user_version = {number}; COMMIT;")
            version = number
        return version

    def close(self) -> None:
        self._connections.close()

    @staticmethod
    def _subscriber(row: SubscriberRow) -> Subscriber:
        number, number_hash, stop_code, confirmed, waiting, waiting_hash, waiting_stop = row[5:]
        phone = waiting_phone = None
        if number and number_hash and stop_code and confirmed:
            phone = Phone(number, number_hash, stop_code, datetime.fromisoformat(confirmed))
        if waiting and waiting_hash and waiting_stop:
            waiting_phone = Phone(waiting, waiting_hash, waiting_stop, None)
        return Subscriber(
            id=str(row[0]),
            email=row[1],
            email_hash=row[2],
            preferences=Preferences.from_dict(json.loads(row[3])),
            confirmed_at=datetime.fromisoformat(row[4]),
            phone=phone,
            waiting_phone=waiting_phone,
        )

    def save_subscriber(
        self, email: str, email_hash: str, preferences: Preferences, now: datetime
    ) -> Subscriber:
        self._db.execute(
            """INSERT INTO subscribers (email, email_hash, preferences, frequency, confirmed_at)
               VALUES (?, ?, ?, ?, ?)
               ON CONFLICT (email_hash) DO UPDATE SET
                   email = excluded.email, preferences = excluded.preferences,
                   frequency = excluded.frequency""",
            (
                email,
                email_hash,
                json.dumps(preferences.to_dict()),
                preferences.frequency,
                now.isoformat(),
            ),
        )
        found = self.subscriber_by_hash(email_hash)
        assert found is not None
        return found

    def subscriber_by_hash(self, email_hash: str) -> Subscriber | None:
        return self._one(f"{SUBSCRIBER} WHERE s.email_hash = ?", email_hash)

    def _one(self, query: str, value: str) -> Subscriber | None:
        row = self._db.execute(query, (value,)).fetchone()
        return self._subscriber(row) if row else None

    def subscriber_by_phone(self, number_hash: str) -> Subscriber | None:
        return self._one(f"{SUBSCRIBER} WHERE p.number_hash = ?", number_hash)

    def subscriber_by_stop_code(self, stop_code: str) -> Subscriber | None:
        return self._one(f"{SUBSCRIBER} WHERE p.stop_code = ?", stop_code)

    def save_phone(
        self, email_hash: str, phone: Phone, code_hash: str, code_expires: datetime
    ) -> bool:
        with immediate(self._db) as db:
            row = db.execute(
                "SELECT id FROM subscribers WHERE email_hash = ?", (email_hash,)
            ).fetchone()
            if row:
                db.execute(
                    """INSERT OR REPLACE INTO phone_codes (subscriber_id, number, number_hash,
                           stop_code, code_hash, code_expires, code_attempts)
                       VALUES (?, ?, ?, ?, ?, ?, 0)""",
                    (
                        row[0],
                        phone.number,
                        phone.number_hash,
                        phone.stop_code,
                        code_hash,
                        sortable(code_expires),
                    ),
                )
        return row is not None

    def drop_waiting_phone(self, email_hash: str) -> None:
        with immediate(self._db) as db:
            row = db.execute(
                """SELECT s.id, p.number FROM subscribers s
                   LEFT JOIN phones p ON p.subscriber_id = s.id WHERE s.email_hash = ?""",
                (email_hash,),
            ).fetchone()
            if row is None:
                return
            db.execute("DELETE FROM phone_codes WHERE subscriber_id = ?", (row[0],))
            if row[1] is None:
                self._clear_text_topics(row[0])

    def _forget_texts(self, subscriber_id: int) -> None:
        self._db.execute(
            "DELETE FROM deliveries WHERE subscriber_id = ? AND channel != ?",
            (subscriber_id, EMAIL),
        )

    def confirm_phone(self, email_hash: str, code_hash: str, now: datetime) -> bool | None:
        with immediate(self._db) as db:
            row = db.execute(
                """SELECT w.subscriber_id, w.code_hash, w.code_expires, w.code_attempts,
                          w.number, w.number_hash, w.stop_code
                   FROM phone_codes w JOIN subscribers s ON s.id = w.subscriber_id
                   WHERE s.email_hash = ?""",
                (email_hash,),
            ).fetchone()
            if row is None or row[2] < sortable(now) or row[3] >= CODE_ATTEMPTS:
                return None
            subscriber_id, typed = row[0], hmac.compare_digest(row[1], code_hash)
            if not typed:
                db.execute(
                    """UPDATE phone_codes SET code_attempts = code_attempts + 1
                       WHERE subscriber_id = ?""",
                    (subscriber_id,),
                )
                return False
            # The code proves the phone is in this resident's hand: it replaces their old
            # number, and any other subscriber's claim on it goes.
            for (holder,) in db.execute(
                """DELETE FROM phones WHERE subscriber_id = ? OR number_hash = ?
                   RETURNING subscriber_id""",
                (subscriber_id, row[5]),
            ).fetchall():
                self._forget_texts(holder)
                if holder != subscriber_id:
                    self._clear_text_topics(holder)
            db.execute(
                """INSERT INTO phones (subscriber_id, number, number_hash, stop_code,
                       confirmed_at) VALUES (?, ?, ?, ?, ?)""",
                (subscriber_id, row[4], row[5], row[6], now.isoformat()),
            )
            db.execute("DELETE FROM phone_codes WHERE subscriber_id = ?", (subscriber_id,))
        return True

    def _clear_text_topics(self, subscriber_id: int) -> None:
        row = self._db.execute(
            "SELECT preferences FROM subscribers WHERE id = ?", (subscriber_id,)
        ).fetchone()
        if row:
            kept = {**json.loads(row[0]), "text_topics": []}
            self._db.execute(
                "UPDATE subscribers SET preferences = ? WHERE id = ?",
                (json.dumps(kept), subscriber_id),
            )

    def remove_phone(self, email_hash: str) -> bool:
        with immediate(self._db) as db:
            row = db.execute(
                "SELECT id FROM subscribers WHERE email_hash = ?", (email_hash,)
            ).fetchone()
            if row is None:
                return False
            removed = db.execute("DELETE FROM phones WHERE subscriber_id = ?", (row[0],)).rowcount
            removed += db.execute(
                "DELETE FROM phone_codes WHERE subscriber_id = ?", (row[0],)
            ).rowcount
            self._forget_texts(row[0])
            self._clear_text_topics(row[0])
        return removed > 0

    def subscribers(self) -> Iterator[Subscriber]:
        """A thousand at a time, each batch its own short query: a cursor left open across
        batches would hold a read transaction on this thread's connection, and the ledger
        writes made between batches (claim, mark) would then fail with 'database is
        locked' as soon as another process wrote to the file."""
        last = -1
        while rows := self._db.execute(
            f"{SUBSCRIBER} WHERE s.id > ? ORDER BY s.id LIMIT 1000", (last,)
        ).fetchall():
            last = rows[-1][0]
            yield from (self._subscriber(row) for row in rows)

    def candidates(
        self, topic: str, wards: Iterable[str] | None, also: Iterable[str]
    ) -> Iterator[Subscriber]:
        return self.subscribers()  # one small server: the core filters everyone

    def delete_subscriber(self, email_hash: str) -> bool:
        """The subscriber's numbers and ledger rows go with them (ON DELETE CASCADE), and so do
        their address's and numbers' rate limits and any mail the routes have not sent
        them yet."""
        with immediate(self._db) as db:
            numbers = db.execute(
                """SELECT p.number_hash FROM phones p JOIN subscribers s
                       ON s.id = p.subscriber_id WHERE s.email_hash = ?
                   UNION SELECT w.number_hash FROM phone_codes w JOIN subscribers s
                       ON s.id = w.subscriber_id WHERE s.email_hash = ?""",
                (email_hash, email_hash),
            ).fetchall()
            deleted = db.execute(
                "DELETE FROM subscribers WHERE email_hash = ?", (email_hash,)
            ).rowcount
            for key in (email_hash, *(number for (number,) in numbers)):
                db.execute("DELETE FROM rate_limits WHERE key = ?", (address_limit_key(key),))
            db.execute("DELETE FROM mail_jobs WHERE email_hash = ?", (email_hash,))
            db.execute("DELETE FROM address_changes WHERE email_hash = ?", (email_hash,))
        return deleted > 0

    def deliveries_of(self, email_hash: str) -> list[LedgerEntry]:
        rows = self._db.execute(
            """SELECT d.item_id, d.revision, d.state, d.updated_at, d.channel
               FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id
               WHERE s.email_hash = ?""",
            (email_hash,),
        )
        return newest_first(
            LedgerEntry(item_id, revision, state, datetime.fromisoformat(updated_at), channel)
            for item_id, revision, state, updated_at, channel in rows
        )

    def delivery_state(
        self, subscriber_id: str, item_id: str, revision: str, channel: str = EMAIL
    ) -> str | None:
        row = self._db.execute(
            """SELECT state FROM deliveries
               WHERE subscriber_id = ? AND item_id = ? AND revision = ? AND channel = ?""",
            (int(subscriber_id), item_id, revision, channel),
        ).fetchone()
        return str(row[0]) if row else None

    def claim(
        self, subscriber_id: str, item_id: str, revision: str, now: datetime, channel: str = EMAIL
    ) -> bool:
        key = (int(subscriber_id), item_id, revision, channel)
        try:
            inserted = self._db.execute(
                """INSERT OR IGNORE INTO deliveries
                       (subscriber_id, item_id, revision, channel, state, updated_at)
                   VALUES (?, ?, ?, ?, 'pending', ?)""",
                (*key, sortable(now)),
            ).rowcount
        except sqlite3.IntegrityError:
            return False  # unsubscribed since the run began: nothing to send

        if inserted:
            return True
        state, retry_after = self._db.execute(
            f"SELECT state, retry_after FROM deliveries WHERE {LEDGER_ROW}", key
        ).fetchone()
        if state == "deferred" and retry_after <= sortable(now):
            return self._claim_retry(key, now)
        if state == "pending":  # another run's, unless its lease ran out (that run died)
            return (
                self._db.execute(
                    f"""UPDATE deliveries SET updated_at = ?
                        WHERE {LEDGER_ROW} AND state = 'pending' AND updated_at <= ?""",
                    (sortable(now), *key, sortable(now - CLAIM_LEASE)),
                ).rowcount
                > 0
            )
        return False

    def _claim_retry(self, key: tuple[int, str, str, str], now: datetime) -> bool:
        """A deferred row whose time has come back to 'pending', unless another run just
        did so (then that run sends it)."""
        return (
            self._db.execute(
                f"""UPDATE deliveries SET state = 'pending', updated_at = ?
                    WHERE {LEDGER_ROW} AND state = 'deferred' AND retry_after <= ?""",
                (sortable(now), *key, sortable(now)),
            ).rowcount
            > 0
        )

    def mark(
        self,
        subscriber_id: str,
        item_id: str,
        revision: str,
        state: str,
        now: datetime,
        details: dict[str, str] | None = None,
        channel: str = EMAIL,
    ) -> None:
        self._db.execute(
            f"UPDATE deliveries SET state = ?, details = ?, updated_at = ? WHERE {LEDGER_ROW}",
            (
                state,
                json.dumps(details) if details else None,
                now.isoformat(),
                int(subscriber_id),
                item_id,
                revision,
                channel,
            ),
        )

    def defer(
        self,
        subscriber_id: str,
        item_id: str,
        revision: str,
        now: datetime,
        count_attempt: bool = True,
        channel: str = EMAIL,
    ) -> datetime | None:
        key = (int(subscriber_id), item_id, revision, channel)
        rows = self._db.execute(
            f"UPDATE deliveries SET attempts = attempts + ? WHERE {LEDGER_ROW} RETURNING attempts",
            (int(count_attempt), *key),
        ).fetchall()
        if not rows:
            return None  # forgotten meanwhile (unsubscribed): nothing to try again
        retry = next_try(rows[0][0], now) if count_attempt else now
        self._db.execute(
            f"UPDATE deliveries SET state = ?, retry_after = ?, updated_at = ? WHERE {LEDGER_ROW}",
            (
                "deferred" if retry else "failed",
                sortable(retry) if retry else None,
                now.isoformat(),
                *key,
            ),
        )
        return retry

    def overdue(self, before: datetime) -> Iterator[Owed]:
        rows = self._db.execute(
            """SELECT d.subscriber_id, s.email_hash, d.item_id, d.revision, d.state,
                      d.updated_at, d.retry_after, d.channel
               FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id
               WHERE d.state IN ('pending', 'deferred')"""
        ).fetchall()
        for subscriber_id, email_hash, item_id, revision, state, updated, retry, channel in rows:
            due = sortable(datetime.fromisoformat(updated)) if state == "pending" else retry
            if due <= sortable(before):
                yield Owed(str(subscriber_id), email_hash, item_id, revision, channel)

    def mark_planned(self, item_id: str, revision: str, now: datetime) -> None:
        self._db.execute(
            "INSERT OR IGNORE INTO planned (item_id, revision, at) VALUES (?, ?, ?)",
            (item_id, revision, now.isoformat()),
        )

    def planned(self, revisions: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
        return {
            key
            for key in set(revisions)
            if self._db.execute(
                "SELECT 1 FROM planned WHERE item_id = ? AND revision = ?", key
            ).fetchone()
        }

    def recipients_of(self, item_id: str, channel: str = EMAIL) -> set[str]:
        rows = self._db.execute(
            """SELECT DISTINCT subscriber_id FROM deliveries
               WHERE item_id = ? AND channel = ? AND state = 'sent'""",
            (item_id, channel),
        )
        return {str(row[0]) for row in rows}

    def claim_post(self, network: str, item_id: str, revision: str, now: datetime) -> bool:
        return (
            self._db.execute(
                """INSERT OR IGNORE INTO posts (network, item_id, revision, state, updated_at)
                   VALUES (?, ?, ?, 'pending', ?)""",
                (network, item_id, revision, now.isoformat()),
            ).rowcount
            > 0
        )

    def mark_post(
        self, network: str, item_id: str, revision: str, ref: PostRef | None, now: datetime
    ) -> None:
        key = (network, item_id, revision)
        if ref is None:
            self._db.execute(
                """DELETE FROM posts WHERE network = ? AND item_id = ? AND revision = ?
                   AND state = 'pending'""",
                key,
            )
            return
        self._db.execute(
            """UPDATE posts SET state = 'posted', ref = ?, updated_at = ?
               WHERE network = ? AND item_id = ? AND revision = ?""",
            (json.dumps(ref), now.isoformat(), *key),
        )

    def posts_of(self, network: str, item_ids: Iterable[str]) -> list[PostRef]:
        wanted = list(item_ids)
        marks = ", ".join("?" * len(wanted))
        rows = self._db.execute(
            f"""SELECT ref FROM posts WHERE network = ? AND state = 'posted'
                AND item_id IN ({marks}) ORDER BY updated_at, rowid""",
            (network, *wanted),
        )
        return [json.loads(row[0]) for row in rows]

    def digest_due(self, frequency: str) -> Iterator[tuple[Subscriber, list[dict[str, str]]]]:
        ids = [
            row[0]
            for row in self._db.execute(
                """SELECT DISTINCT d.subscriber_id FROM deliveries d
                   JOIN subscribers s ON s.id = d.subscriber_id
                   WHERE d.state = 'digest' AND s.frequency = ? ORDER BY d.subscriber_id""",
                (frequency,),
            )
        ]
        for subscriber_id in ids:
            row = self._db.execute(f"{SUBSCRIBER} WHERE s.id = ?", (subscriber_id,)).fetchone()
            items = [
                {**json.loads(details), "item_id": item_id, "revision": revision}
                for item_id, revision, details in self._db.execute(
                    """SELECT item_id, revision, details FROM deliveries
                       WHERE subscriber_id = ? AND state = 'digest' AND channel = 'email'
                       ORDER BY updated_at, item_id""",
                    (subscriber_id,),
                )
            ]
            if row and items:
                yield self._subscriber(row), items

    def suppressed_count(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM suppressions").fetchone()[0])

    def count(
        self,
        subject: str,
        channel: str,
        day: date,
        counts: Mapping[str, int],
        sent_at: datetime | None = None,
    ) -> None:
        key = (subject, channel, day.isoformat())
        with immediate(self._db) as db:
            db.executemany(
                """INSERT INTO reach (subject, channel, day, counter, count) VALUES (?, ?, ?, ?, ?)
                   ON CONFLICT (subject, channel, day, counter)
                   DO UPDATE SET count = count + excluded.count""",
                [(*key, counter, n) for counter, n in counts.items()],
            )
            if sent_at is not None:
                moment = sortable(sent_at)
                db.execute(
                    """INSERT INTO reach_sent VALUES (?, ?, ?, ?, ?)
                       ON CONFLICT (subject, channel, day) DO UPDATE SET
                       first_sent = min(first_sent, excluded.first_sent),
                       last_sent = max(last_sent, excluded.last_sent)""",
                    (*key, moment, moment),
                )

    def tallies(self, since: date | None = None) -> Iterator[Tally]:
        start = since.isoformat() if since else ""
        counts: dict[tuple[str, str, str], dict[str, int]] = defaultdict(dict)
        for subject, channel, day, counter, n in self._db.execute(
            "SELECT subject, channel, day, counter, count FROM reach WHERE day >= ?", (start,)
        ):
            counts[(subject, channel, day)][counter] = int(n)
        times = {
            (subject, channel, day): (first, last)
            for subject, channel, day, first, last in self._db.execute(
                "SELECT * FROM reach_sent WHERE day >= ?", (start,)
            )
        }
        for key in sorted(counts.keys() | times.keys()):
            first, last = times.get(key, (None, None))
            yield Tally(
                key[0],
                key[1],
                date.fromisoformat(key[2]),
                counts.get(key, {}),
                datetime.fromisoformat(first) if first else None,
                datetime.fromisoformat(last) if last else None,
            )

    def is_suppressed(self, email_hash: str) -> bool:
        return (
            self._db.execute(
                "SELECT 1 FROM suppressions WHERE email_hash = ?", (email_hash,)
            ).fetchone()
            is not None
        )

    def suppress(self, email_hash: str, reason: str, now: datetime) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO suppressions (email_hash, reason, at) VALUES (?, ?, ?)",
            (email_hash, reason, now.isoformat()),
        )
        self.delete_subscriber(email_hash)

    def note_change(self, email_hash: str, now: datetime, keep_until: datetime) -> None:
        self._db.execute("DELETE FROM address_changes WHERE keep_until < ?", (now.timestamp(),))
        self._db.execute(
            "INSERT OR REPLACE INTO address_changes VALUES (?, ?, ?)",
            (email_hash, now.timestamp(), keep_until.timestamp()),
        )

    def changed_since(self, email_hash: str, moment: datetime) -> bool:
        row = self._db.execute(
            "SELECT changed_at FROM address_changes WHERE email_hash = ?", (email_hash,)
        ).fetchone()
        return row is not None and row[0] >= moment.timestamp()

    def used(self, key: str, window_seconds: int, now: datetime) -> int:
        row = self._db.execute(
            "SELECT window_start, count FROM rate_limits WHERE key = ?", (key,)
        ).fetchone()
        return int(row[1]) if row and now.timestamp() - row[0] < window_seconds else 0

    def hit(self, key: str, limit: int, window_seconds: int, now: datetime) -> bool:
        moment = now.timestamp()
        with immediate(self._db) as db:
            row = db.execute(
                "SELECT window_start, count FROM rate_limits WHERE key = ?", (key,)
            ).fetchone()
            if row is None or moment - row[0] >= window_seconds:
                db.execute(
                    "INSERT OR REPLACE INTO rate_limits (key, window_start, count) "
                    "VALUES (?, ?, 1)",
                    (key, moment),
                )
                allowed = True
            else:
                allowed = row[1] < limit
                if allowed:
                    db.execute("UPDATE rate_limits SET count = count + 1 WHERE key = ?", (key,))
        return allowed
