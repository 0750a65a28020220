"""The embedded job queue: the ``mail_jobs`` table of the store's SQLite file. A job stays
there until it is sent (or given up), so a server restart loses none; senders take a job
by holding it for a while, so two senders never send the same one, and a sender that
died releases its job when the hold runs out."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from ..mail_jobs import MailJob
from .sqlite_store import SqliteStore, ThreadConnections


class SqliteJobs:
    def __init__(self, path: Path | str, clock: Callable[[], datetime]) -> None:
        SqliteStore(path)  # brings the schema up to date
        self._connections = ThreadConnections(path)
        self._clock = clock

    def post(self, job: MailJob) -> None:
        self._connections.db.execute(
            "INSERT INTO mail_jobs (email_hash, payload, not_before) VALUES (?, ?, ?)",
            (job.email_hash, json.dumps(job.to_dict()), self._clock().timestamp()),
        )

    def claim(self, now: datetime, hold_seconds: float) -> tuple[int, MailJob, int] | None:
        moment = now.timestamp()
        row = self._connections.db.execute(
            """UPDATE mail_jobs SET claimed_until = ?, attempts = attempts + 1
               WHERE id = (SELECT id FROM mail_jobs
                           WHERE not_before <= ? AND claimed_until <= ?
                           ORDER BY not_before, id LIMIT 1)
               RETURNING id, payload, attempts - 1""",
            (moment + hold_seconds, moment, moment),
        ).fetchone()
        if row is None:
            return None
        return int(row[0]), MailJob.from_dict(json.loads(row[1])), int(row[2])

    def done(self, job_id: int) -> None:
        self._connections.db.execute("DELETE FROM mail_jobs WHERE id = ?", (job_id,))

    def retry(self, job_id: int, not_before: datetime) -> None:
        self._connections.db.execute(
            "UPDATE mail_jobs SET not_before = ?, claimed_until = 0 WHERE id = ?",
            (not_before.timestamp(), job_id),
        )

    def waiting(self) -> int:
        """How many jobs are not yet sent."""
        return int(self._connections.db.execute("SELECT count(*) FROM mail_jobs").fetchone()[0])
