"""How far behind the replica is while residents sign up, and how long a restore takes.

Lag: ``python -m subscriber_lambda serve`` in its own process replicates its SQLite store
to a folder (or, with ``--replica s3``, to a bucket in moto's S3 server), with aiosmtpd
as the relay. Residents sign up at a steady ``--rate`` a second for ``--seconds``, each
from a loopback address of its own. Beside it, ``litestream restore -f`` follows the
replica into a read-only copy, which is polled every 20 ms: a sign-up's lag is from the
moment its page was answered to the moment its rate-limit row (written in the same
transaction as the page's answer) is in that copy. So each figure is an upper bound: it
includes the follower's own 100 ms polling.

Restore: a store of ``--subscribers`` residents with ``--ledger`` deliveries each (about
a year of alerts, notices and digests) is replicated to a folder, its files deleted, and
``python -m subscriber_lambda restore`` timed, integrity check included.

    python bench/replication_lag.py --rate 100 --seconds 30 [--replica s3]
        [--subscribers 20000 --ledger 100]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.measured import run_module  # noqa: E402
from bench.signup_load import KEY, call, percentile  # noqa: E402
from subscriber_lambda.adapters.sqlite_store import SqliteStore  # noqa: E402
from subscriber_lambda.core.addresses import address_hash  # noqa: E402
from subscriber_lambda.ports import address_limit_key  # noqa: E402
from subscriber_lambda.replication.litestream import Litestream  # noqa: E402
from subscriber_lambda.replication.target import parse_replica  # noqa: E402
from tests.moto_server import CREDENTIALS, moto_server  # noqa: E402
from tests.replicas import clean_environment, serving, smtp_inbox  # noqa: E402


@contextmanager
def replica_environment(kind: str, work: Path) -> Iterator[dict[str, str]]:
    secret = work / "secret"
    secret.write_text(KEY.hex())
    secret.chmod(0o600)
    settings = {"SUBSCRIBER_SECRET": secret.as_uri()}
    if kind == "folder":
        yield clean_environment(SUBSCRIBER_REPLICA=(work / "replica").as_uri(), **settings)
        return
    import boto3

    with moto_server() as endpoint:
        boto3.client("s3", endpoint_url=endpoint, **CREDENTIALS).create_bucket(
            Bucket="council-backups",
            CreateBucketConfiguration={"LocationConstraint": CREDENTIALS["region_name"]},
        )
        yield clean_environment(
            SUBSCRIBER_REPLICA="s3://council-backups/noticeboard",
            AWS_ENDPOINT_URL=endpoint,
            AWS_ACCESS_KEY_ID=CREDENTIALS["aws_access_key_id"],
            AWS_SECRET_ACCESS_KEY=CREDENTIALS["aws_secret_access_key"],
            AWS_REGION=CREDENTIALS["region_name"],
            **settings,
        )


class Follower:
    """``litestream restore -f`` into a copy, and when each rate-limit row appeared in it."""

    def __init__(self, env: dict[str, str], folder: Path) -> None:
        self.seen: dict[str, float] = {}
        self._stop = threading.Event()
        replica = parse_replica(env["SUBSCRIBER_REPLICA"])
        assert replica is not None
        folder.mkdir()
        database, copy = folder / "subscribers.db", folder / "copy.db"  # a store of its own
        self._configured = Litestream.configured(replica, database, env)
        litestream = self._configured.__enter__()
        follow = ("restore", "-f", "-follow-interval", "100ms", "-o", str(copy), str(database))
        self._process = subprocess.Popen(
            litestream.command(*follow),
            env=litestream.environ,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self._copy = copy
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()

    def _poll(self) -> None:
        while not self._stop.is_set():
            if self._copy.exists():
                try:
                    db = sqlite3.connect(f"file:{self._copy}?mode=ro", uri=True, timeout=0.1)
                    keys = [row[0] for row in db.execute("SELECT key FROM rate_limits")]
                    db.close()
                except sqlite3.Error:
                    keys = []
                now = time.monotonic()
                for key in keys:
                    self.seen.setdefault(key, now)
            self._stop.wait(0.02)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._process.terminate()
        self._process.wait(10)
        self._configured.__exit__(None, None, None)


def lag(site: Path, kind: str, rate: int, seconds: int, work: Path) -> dict[str, Any]:
    count = rate * seconds
    work.mkdir()
    with (
        replica_environment(kind, work) as env,
        smtp_inbox() as (_, smtp),
        serving(site, work, {**env, "SUBSCRIBER_MAILER": f"smtp://127.0.0.1:{smtp}"}) as server,
    ):
        follower = Follower(env, work / "follower")
        answered: dict[str, float] = {}
        started = time.monotonic() + 1

        def sign_up(n: int) -> int:
            time.sleep(max(0.0, started + n / rate - time.monotonic()))
            address = f"resident{n}@example.net"
            form = {"email": address, "topics": "alerts", "wards": "all"}
            status = call(server.base, n, "POST", "/subscriptions/subscribe", form)[0]
            if status == 200:
                answered[address_limit_key(address_hash(address, KEY))] = time.monotonic()
            return status

        with ThreadPoolExecutor(max_workers=64) as pool:
            statuses = list(pool.map(sign_up, range(count)))
        sent_seconds = time.monotonic() - started
        deadline = time.monotonic() + 30
        while set(answered) - set(follower.seen) and time.monotonic() < deadline:
            time.sleep(0.1)
        follower.close()
    lags = [follower.seen[key] - at for key, at in answered.items() if key in follower.seen]
    return {
        "replica": kind,
        "sign_ups": count,
        "answered": len(answered),
        "errors": sum(1 for s in statuses if s != 200),
        "achieved_per_second": round(count / sent_seconds, 1),
        "never_replicated": len(answered) - len(lags),
        "lag_p50_s": round(statistics.median(lags), 2) if lags else None,
        "lag_p95_s": round(percentile(lags, 0.95), 2) if lags else None,
        "lag_max_s": round(max(lags), 2) if lags else None,
    }


def fill(database: Path, subscribers: int, ledger: int) -> None:
    """A store of ``subscribers`` residents with ``ledger`` deliveries each."""
    SqliteStore(database).close()
    db = sqlite3.connect(database, isolation_level=None)
    db.execute("BEGIN")
    preferences = json.dumps({"topics": ["alerts", "notices"], "wards": ["all"]})
    db.executemany(
        "INSERT INTO subscribers (id, email, email_hash, preferences, frequency, confirmed_at)"
        " VALUES (?, ?, ?, ?, 'immediate', '2026-01-05T09:00:00+00:00')",
        (
            (n, f"resident{n}@example.net", f"{n:064x}", preferences)
            for n in range(1, subscribers + 1)
        ),
    )
    db.executemany(
        "INSERT INTO deliveries (subscriber_id, item_id, revision, channel, state, updated_at)"
        " VALUES (?, ?, '2026-06-01T09:00:00+00:00', 'email', 'sent', '2026-06-01T09:01:00+00:00')",
        ((n, f"alerts/item-{i}") for n in range(1, subscribers + 1) for i in range(ledger)),
    )
    db.execute("COMMIT")
    db.close()


def restore_time(subscribers: int, ledger: int, work: Path) -> dict[str, Any]:
    database = work / "var" / "subscribers.db"
    fill(database, subscribers, ledger)
    size = database.stat().st_size
    env = clean_environment(SUBSCRIBER_REPLICA=(work / "replica").as_uri())
    replica = parse_replica(env["SUBSCRIBER_REPLICA"])
    assert replica is not None and replica.folder is not None
    replica.folder.mkdir()
    copying = time.perf_counter()
    with Litestream.configured(replica, database, env) as litestream:
        litestream.sync_once()
    first_copy = time.perf_counter() - copying
    for name in ("subscribers.db", "subscribers.db-wal", "subscribers.db-shm"):
        (database.parent / name).unlink(missing_ok=True)
    shutil.rmtree(database.parent / ".subscribers.db-litestream", ignore_errors=True)
    env["SUBSCRIBER_STORE"] = f"sqlite:///{database}"
    measured = run_module("subscriber_lambda", "restore", env=env)
    return {
        "subscribers": subscribers,
        "ledger_entries": subscribers * ledger,
        "store_mb": round(size / 1e6, 1),
        "first_copy_s": round(first_copy, 1),
        "replica_mb": round(sum(p.stat().st_size for p in replica.folder.rglob("*.ltx")) / 1e6, 1),
        "restore_s": measured.seconds if measured else None,
        "restore_peak_mib": measured.peak_mib if measured else None,
        "summary": measured.output if measured else "failed",
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rate", type=int, default=100, help="sign-ups a second")
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--replica", choices=("folder", "s3"), default="folder")
    parser.add_argument("--subscribers", type=int, default=20000, help="for the restore")
    parser.add_argument("--ledger", type=int, default=100, help="deliveries per subscriber")
    parser.add_argument("--site", type=Path, default=ROOT / "output", help="a built site")
    args = parser.parse_args()
    if not (args.site / "index.html").is_file():
        print(f"{args.site}: no built site; run 'make html' first", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="replication-lag-") as work:
        result: dict[str, Any] = {
            "cores": os.cpu_count(),
            "lag": lag(args.site, args.replica, args.rate, args.seconds, Path(work) / "lag"),
        }
    with tempfile.TemporaryDirectory(prefix="restore-time-") as work:
        result["restore"] = restore_time(args.subscribers, args.ledger, Path(work))
    print(json.dumps(result, indent=2))
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "replication_lag.json").write_text(json.dumps(result, indent=2))
    ok = result["lag"]["errors"] == 0 and result["lag"]["never_replicated"] == 0
    return 0 if ok and result["restore"]["restore_s"] is not None else 1


if __name__ == "__main__":
    sys.exit(main())
