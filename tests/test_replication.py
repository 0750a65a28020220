"""No resident lost when the server dies: ``serve`` replicates the store with Litestream
(to a folder, or to S3: moto's server), ``restore`` rebuilds it, and ``notify`` after a
restore sends nothing twice. Real processes throughout: ``serve``, Litestream, moto's
S3, an SMTP server, SQLite files."""

from __future__ import annotations

import io
import json
import logging
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest

from subscriber_lambda.adapters.sqlite_store import SqliteStore
from subscriber_lambda.config import Config, ConfigError
from subscriber_lambda.core.preferences import Preferences
from subscriber_lambda.replication.health import Health
from subscriber_lambda.replication.litestream import Litestream
from subscriber_lambda.replication.serving import key_keeper, repairer
from subscriber_lambda.replication.supervisor import Replicator, relay
from subscriber_lambda.replication.target import meta_folder, parse_replica
from tests.moto_server import CREDENTIALS, moto_process, moto_server
from tests.replicas import (
    ROOT,
    backend,
    clean_environment,
    serving,
    sign_up_and_confirm,
    smtp_inbox,
)
from tests.services import free_port

BUCKET = "council-backups"
ALERT = "Replication drill: flooding at Walmer"


@contextmanager
def replica_settings(kind: str, tmp_path: Path) -> Iterator[dict[str, str]]:
    """SUBSCRIBER_REPLICA (and, for S3, boto3's settings) for a folder or a moto bucket."""
    if kind == "folder":
        yield {"SUBSCRIBER_REPLICA": (tmp_path / "replica").as_uri()}
        return
    with moto_server() as endpoint:
        s3 = boto3.client("s3", endpoint_url=endpoint, **CREDENTIALS)
        s3.create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-2"}
        )
        yield {
            "SUBSCRIBER_REPLICA": f"s3://{BUCKET}/noticeboard",
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": CREDENTIALS["aws_access_key_id"],
            "AWS_SECRET_ACCESS_KEY": CREDENTIALS["aws_secret_access_key"],
            "AWS_REGION": CREDENTIALS["region_name"],
        }


def alert_manifest(site: Path, path: Path, published: datetime) -> Path:
    """The built site's manifest with one alert, published at ``published``."""
    manifest = json.loads((site / "api" / "v1" / "notify.json").read_text())
    alert = next(item for item in manifest["items"] if item["type"] == "alerts")
    stamp = published.isoformat()
    alert |= {"id": "alerts/drill", "revision": stamp, "published": stamp, "supersedes": None}
    alert["expires"] = (published + timedelta(days=1)).isoformat()
    for version in alert["versions"]:
        version["email"]["subject"] = ALERT
    path.write_text(json.dumps({**manifest, "items": [alert]}))
    return path


def ledger(database: Path) -> set[tuple[str, ...]]:
    """Every ledger entry, by the subscriber's address hash (read only)."""
    db = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        rows = db.execute(
            """SELECT s.email_hash, d.item_id, d.revision, d.channel, d.state
               FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id"""
        ).fetchall()
    finally:
        db.close()
    return {tuple(row) for row in rows}


def confirmed(database: Path) -> set[str]:
    store = SqliteStore(database)
    try:
        return {subscriber.email for subscriber in store.subscribers()}
    finally:
        store.close()


def lose_the_disk(work: Path) -> None:
    """What a dead disk takes: the store, its WAL, Litestream's record and the key."""
    var = work / "var"
    for name in ("subscribers.db", "subscribers.db-wal", "subscribers.db-shm", "subscriber-secret"):
        (var / name).unlink(missing_ok=True)
    shutil.rmtree(meta_folder(var / "subscribers.db"))


@pytest.mark.parametrize("kind", ["s3", "folder"])
def test_a_server_killed_mid_sign_up_is_restored_with_every_acknowledged_resident(
    kind: str, example_site: Path, tmp_path: Path
) -> None:
    """Residents sign up and confirm through HTTP while the store is replicated; the
    machine dies (SIGKILL to Litestream and to the server, at once, so neither copies
    anything more); the store, its WAL and the key are deleted; ``restore`` brings back
    every resident and ledger entry acknowledged more than two seconds before; ``notify``
    of the same manifest then sends nothing twice, and ``serve`` replicates again."""
    work = tmp_path / "srv"
    work.mkdir()
    with replica_settings(kind, tmp_path) as replica, smtp_inbox() as (inbox, smtp):
        env = clean_environment(SUBSCRIBER_MAILER=f"smtp://127.0.0.1:{smtp}", **replica)
        database = work / "var" / "subscribers.db"
        acknowledged: dict[str, float] = {}
        with serving(example_site, work, env) as server:
            first = [f"early{n}@example.net" for n in range(12)]
            with ThreadPoolExecutor(4) as pool:
                done = pool.map(
                    lambda n: sign_up_and_confirm(server.base, inbox, n + 1, first[n]),
                    range(len(first)),
                )
                assert all(done)
            acknowledged |= dict.fromkeys(first, time.monotonic())

            manifest = alert_manifest(example_site, tmp_path / "notify.json", datetime.now(UTC))
            sent = backend(work, {**env, "SITE_URL": server.base}, "notify", str(manifest))
            assert sent.returncode == 0, sent.stderr
            assert "12 emails sent" in sent.stdout
            notified = ledger(database)
            notified_at = time.monotonic()
            assert len(notified) == 12 and {row[4] for row in notified} == {"sent"}

            stop = threading.Event()

            def keep_signing_up(worker: int) -> None:
                for n in range(100):
                    address = f"late{worker}-{n}@example.net"
                    if stop.is_set():
                        return
                    if sign_up_and_confirm(server.base, inbox, 100 + worker * 100 + n, address):
                        acknowledged[address] = time.monotonic()

            with ThreadPoolExecutor(3) as pool:
                signing_up = [pool.submit(keep_signing_up, w) for w in range(3)]
                while time.monotonic() < notified_at + 4:  # the ledger, 4 s old at the kill
                    time.sleep(0.1)
                os.kill(server.litestream_pid(), signal.SIGKILL)
                os.kill(server.process.pid, signal.SIGKILL)
                killed_at = time.monotonic()
                stop.set()
                for future in signing_up:
                    future.result()
            server.process.wait(10)

        lose_the_disk(work)
        restored = backend(work, env, "restore")
        assert restored.returncode == 0, restored.stderr
        rebuilt = f"restore: {database} rebuilt from {replica['SUBSCRIBER_REPLICA']} in "
        assert restored.stdout.startswith(rebuilt)
        assert "the signing key restored to" in restored.stdout
        assert len(restored.stdout.strip().splitlines()) == 1  # no terminal: one line

        settled = {a for a, at in acknowledged.items() if at < killed_at - 2}
        assert len(settled) > len(first)  # late residents too, not only the early ones
        assert settled <= confirmed(database)
        assert notified <= ledger(database)

        before = len(inbox.about(ALERT))
        again = backend(work, env, "notify", str(manifest))
        assert again.returncode == 0, again.stderr
        assert "0 emails sent" in again.stdout
        assert len(inbox.about(ALERT)) == before == 12

        with serving(example_site, work, env) as server:  # and replication carries on
            server.litestream_pid()
            assert sign_up_and_confirm(server.base, inbox, 999, "after@example.net")
        assert "after@example.net" in confirmed(database)


@pytest.fixture
def folder_env(tmp_path: Path) -> dict[str, str]:
    return clean_environment(
        SUBSCRIBER_REPLICA=(tmp_path / "replica").as_uri(), SUBSCRIBER_MAILER="smtp://127.0.0.1:9"
    )


def replicate_once(database: Path, env: dict[str, str]) -> None:
    """Copy ``database`` to the replica, as ``serve`` first does."""
    replica = Config.from_environment(env).replica()
    assert replica is not None and replica.folder is not None
    replica.folder.mkdir(mode=0o700, exist_ok=True)
    with Litestream.configured(replica, database, env) as litestream:
        litestream.sync_once()


def replicated_store(work: Path, env: dict[str, str]) -> Path:
    """A store with one subscriber, copied to the replica."""
    database = work / "var" / "subscribers.db"
    store = SqliteStore(database)
    preferences = Preferences(topics=frozenset({"alerts"}), wards=frozenset({"all"}))
    store.save_subscriber("kept@example.net", "hash-of-kept", preferences, datetime.now(UTC))
    store.close()
    replicate_once(database, env)
    return database


def test_restore_replaces_a_store_only_with_force_and_never_one_in_use(
    tmp_path: Path, folder_env: dict[str, str]
) -> None:
    work = tmp_path / "srv"
    database = replicated_store(work, folder_env)
    refused = backend(work, folder_env, "restore")
    assert refused.returncode == 1
    assert f"there is a store at {database} already" in refused.stderr
    assert "--force" in refused.stderr

    holder = sqlite3.connect(database)  # another process would hold it just so
    holder.execute("PRAGMA journal_mode = WAL")
    holder.execute("SELECT count(*) FROM subscribers").fetchone()
    try:
        busy = backend(work, folder_env, "restore", "--force")
    finally:
        holder.close()
    assert busy.returncode == 1 and "is open in another process" in busy.stderr

    forced = backend(work, folder_env, "restore", "--force")
    assert forced.returncode == 0, forced.stderr
    assert "1 subscribers" in forced.stdout
    assert confirmed(database) == {"kept@example.net"}
    assert (database.stat().st_mode & 0o777) == 0o600


def test_an_empty_or_unreachable_replica_is_named_and_nothing_changes(tmp_path: Path) -> None:
    work = tmp_path / "srv"
    work.mkdir()
    empty = backend(
        work, clean_environment(SUBSCRIBER_REPLICA=(tmp_path / "none").as_uri()), "restore"
    )
    assert empty.returncode == 1
    assert f"the replica {(tmp_path / 'none').as_uri()} holds no copy of the store" in (
        empty.stderr
    )
    assert not (work / "var" / "subscribers.db").exists()

    unreachable = clean_environment(
        SUBSCRIBER_REPLICA="s3://council-backups/noticeboard",
        AWS_ENDPOINT_URL=f"http://127.0.0.1:{free_port()}",
        AWS_ACCESS_KEY_ID="test",
        AWS_SECRET_ACCESS_KEY="test",
        AWS_REGION="eu-west-2",
    )
    started = time.monotonic()
    nobody = backend(work, unreachable, "restore")
    assert nobody.returncode == 1 and "cannot connect to S3" in nobody.stderr
    assert time.monotonic() - started < 60

    with moto_server() as endpoint:
        no_bucket = backend(work, {**unreachable, "AWS_ENDPOINT_URL": endpoint}, "restore")
    assert no_bucket.returncode == 1
    assert "there is no bucket 'council-backups'" in no_bucket.stderr
    assert not (work / "var" / "subscribers.db").exists()


def test_a_damaged_copy_is_not_moved_into_place(tmp_path: Path, folder_env: dict[str, str]) -> None:
    """A replica of a store whose index no longer matches its table (the pages are copied
    as they are): the restored copy fails its integrity check and the store is left."""
    work = tmp_path / "srv"
    database = work / "var" / "subscribers.db"
    SqliteStore(database).close()
    db = sqlite3.connect(database, isolation_level=None)
    db.executescript(
        """CREATE TABLE extra (a INTEGER, b INTEGER);
           CREATE INDEX extra_a ON extra (a);
           CREATE INDEX extra_b ON extra (b);
           WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500)
           INSERT INTO extra SELECT i, 1000 - i FROM n;"""
    )
    pages = dict(db.execute("SELECT name, rootpage FROM sqlite_master WHERE name LIKE 'extra_%'"))
    db.execute("PRAGMA writable_schema = ON")
    for name, other in (("extra_a", "extra_b"), ("extra_b", "extra_a")):
        db.execute("UPDATE sqlite_master SET rootpage = ? WHERE name = ?", (pages[other], name))
    db.close()
    replicate_once(database, folder_env)
    database.unlink()
    Path(f"{database}-wal").unlink(missing_ok=True)
    Path(f"{database}-shm").unlink(missing_ok=True)

    damaged = backend(work, folder_env, "restore")
    assert damaged.returncode == 1
    assert "is damaged" in damaged.stderr
    assert not database.exists()
    assert list(database.parent.glob(".subscribers.db.restoring*")) == []


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("http://backups.example.org/x", "is not file:///ABSOLUTE/PATH .* or s3://BUCKET/PREFIX"),
        ("file:var/replica", "is a relative path"),
        ("file://backup-host/srv/replica", "names the host 'backup-host'"),
        ("s3://Council_Backups/x", "does not name an S3 bucket"),
        ("s3://council-backups", "names no folder in the bucket"),
        ("s3://council-backups/x?endpoint=http://127.0.0.1:9000", "AWS_ENDPOINT_URL"),
        ("file:///srv/noticeboard/rep\nlica", "has a control character in it"),
    ],
)
def test_a_replica_that_is_not_one_is_refused_naming_the_variable(value: str, says: str) -> None:
    with pytest.raises(ConfigError, match=f"^SUBSCRIBER_REPLICA: '.*' .*{says}"):
        parse_replica(value)


def test_bad_replica_settings_stop_the_commands_with_the_variable_named(
    example_site: Path, tmp_path: Path
) -> None:
    bad = clean_environment(SUBSCRIBER_REPLICA="ftp://backups.example.org/noticeboard")
    for command in (["restore"], ["serve", "--site-dir", str(example_site)]):
        result = backend(tmp_path, bad, *command)
        assert result.returncode == 2
        assert result.stderr.startswith("SUBSCRIBER_REPLICA: 'ftp://backups.example.org")
    aws = clean_environment(
        SUBSCRIBER_REPLICA="s3://council-backups/noticeboard", SUBSCRIBER_STORE="dynamodb://t"
    )
    refused = backend(tmp_path, aws, "restore")
    assert refused.returncode == 2 and "for the embedded store" in refused.stderr
    assert parse_replica("") is None and parse_replica(None) is None


def test_serve_will_not_replicate_an_empty_store_over_the_residents_in_the_replica(
    example_site: Path, tmp_path: Path, folder_env: dict[str, str]
) -> None:
    """The server came back on a new disk and started before anyone restored: it stops,
    saying so, rather than replace the replica's residents with none; a store made by
    something else (a notify run before the restore) is refused too."""
    work = tmp_path / "srv"
    database = replicated_store(work, folder_env)
    database.unlink()
    shutil.rmtree(meta_folder(database))
    args = ("serve", "--site-dir", str(example_site), "--port", str(free_port()))
    missing = backend(work, folder_env, *args)
    assert missing.returncode == 1
    assert f"and there is no store at {database}. Restore it first" in missing.stderr

    SqliteStore(database).close()
    stray = backend(work, folder_env, *args)
    assert stray.returncode == 1 and "is not that copy" in stray.stderr
    assert "restore --force" in stray.stderr


def test_a_replica_folder_that_cannot_be_made_stops_serve(
    example_site: Path, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the replica's folder would go")
    env = clean_environment(SUBSCRIBER_REPLICA=(blocker / "replica").as_uri())
    result = backend(tmp_path, env, "serve", "--site-dir", str(example_site))
    assert result.returncode == 1
    assert f"cannot make {blocker / 'replica'}" in result.stderr


def test_a_replicator_that_dies_is_started_again_and_stopped_last(
    example_site: Path, tmp_path: Path, folder_env: dict[str, str]
) -> None:
    with smtp_inbox() as (inbox, smtp):
        env = {**folder_env, "SUBSCRIBER_MAILER": f"smtp://127.0.0.1:{smtp}"}
        with serving(example_site, tmp_path, env) as server:
            first = server.litestream_pid()
            os.kill(first, signal.SIGKILL)
            deadline = time.monotonic() + 20
            while server.litestream_pid() == first:
                assert time.monotonic() < deadline, server.log.read_text()
                time.sleep(0.1)
            assert sign_up_and_confirm(server.base, inbox, 1, "still@example.net")
            assert server.stop() == 0
        log = server.log.read_text()
    assert (
        "ERROR subscriber_lambda.replication.supervisor: Litestream stopped (exit status -9)"
        in (log)
    )
    assert "starting it again in 1 s" in log
    assert log.rstrip().endswith(")") and "is up to date (transaction" in log.splitlines()[-1]
    restored = backend(tmp_path, folder_env, "restore", "--force")
    assert restored.returncode == 0, restored.stderr
    assert "still@example.net" in confirmed(tmp_path / "var" / "subscribers.db")


def until_given_up(litestream: Litestream, **timing: float) -> list[str]:
    """Supervise ``litestream`` with quick retries until the supervisor gives up (at most
    30 s): what it said when it did."""
    given_up: list[str] = []
    replicator = Replicator(litestream, given_up.append, backoff=(0.05, 0.05), **timing)
    replicator.start()
    deadline = time.monotonic() + 30
    while not given_up:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    replicator.stop()
    return given_up


def test_a_replicator_that_keeps_failing_is_given_up_loudly(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Litestream refusing its configuration each time it starts: after the last retry the
    supervisor gives up, logs it as critical and says so to whoever runs it."""
    broken = tmp_path / "litestream.yml"
    broken.write_text(json.dumps({"dbs": [{"path": str(tmp_path / "x.db"), "replica": {}}]}))
    replica = parse_replica((tmp_path / "replica").as_uri())
    assert replica is not None
    litestream = Litestream(replica, tmp_path / "x.db", broken, clean_environment())
    with caplog.at_level(logging.INFO, logger="subscriber_lambda.replication"):
        given_up = until_given_up(litestream, steady_seconds=60)
    assert given_up == [
        f"replication to {replica} stopped 3 times in a row (Litestream exit status 1); giving up"
    ]
    levels = [(r.levelname, r.getMessage()) for r in caplog.records]
    assert sum(1 for level, m in levels if level == "ERROR" and "starting it again" in m) == 2
    assert any(level == "ERROR" and m.startswith("litestream: ") for level, m in levels)
    assert levels[-1][0] == "CRITICAL"


def test_the_signing_key_travels_with_the_replica_and_is_never_swapped_silently(
    example_site: Path, tmp_path: Path, folder_env: dict[str, str]
) -> None:
    """Another installation's replica (another key) is refused by serve; restore puts the
    replica's key back, but replaces a different key here only with --force."""
    work = tmp_path / "srv"
    database = replicated_store(work, folder_env)
    kept = tmp_path / "replica" / "subscriber-secret"
    kept.write_text("ab" * 32 + "\n")
    key = work / "var" / "subscriber-secret"
    key.write_text("cd" * 32 + "\n")
    key.chmod(0o600)
    serve = backend(work, folder_env, "serve", "--site-dir", str(example_site))
    assert serve.returncode == 1
    assert f"the replica {folder_env['SUBSCRIBER_REPLICA']} keeps another signing key" in (
        serve.stderr
    )

    database.unlink()
    refused = backend(work, folder_env, "restore")
    assert refused.returncode == 1
    assert f"the signing key at {key} is not the one kept in" in refused.stderr
    assert not database.exists() and key.read_text() == "cd" * 32 + "\n"

    forced = backend(work, folder_env, "restore", "--force")
    assert forced.returncode == 0, forced.stderr
    assert f"the signing key restored to {key}" in forced.stdout
    assert key.read_text() == "ab" * 32 + "\n" and (key.stat().st_mode & 0o777) == 0o600


def records(caplog: pytest.LogCaptureFixture, says: str) -> list[str]:
    return [r.levelname for r in caplog.records if says in r.getMessage()]


def check_until(health: Health, seconds: float, done: Callable[[], bool]) -> None:
    """Health checks every 0.3 s until ``done`` (or fail the test after ``seconds``)."""
    deadline = time.monotonic() + seconds
    while not done():
        assert time.monotonic() < deadline, "the health check never said it"
        health.check()
        time.sleep(0.3)


def add_resident(database: Path, address: str) -> None:
    store = SqliteStore(database)
    preferences = Preferences(topics=frozenset({"alerts"}), wards=frozenset({"all"}))
    store.save_subscriber(address, f"hash-of-{address}", preferences, datetime.now(UTC))
    store.close()


@contextmanager
def replicated(
    database: Path, env: dict[str, str], repair: Callable[[Replicator], Callable[[], None]]
) -> Iterator[tuple[Replicator, Health]]:
    """Litestream kept running for ``database``, and a health check with short limits."""
    config = Config.from_environment(env)
    replica = config.replica()
    assert replica is not None
    add_resident(database, "first@example.net")
    with Litestream.configured(replica, database, env) as litestream:
        litestream.sync_once()
        replicator = Replicator(litestream, lambda reason: None)
        health = Health(
            litestream,
            repair(replicator),
            key_keeper(config, replica, lambda reason: None),
            behind_seconds=2,
            repeat_seconds=2,
            critical_seconds=5,
            read_seconds=1,
        )
        replicator.start()
        try:
            yield replicator, health
        finally:
            replicator.stop()


def test_a_replica_that_stops_answering_is_reported_until_it_catches_up(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """moto's S3 stopped (SIGSTOP) while residents sign up: the health check says the
    replica is behind (ERROR, then CRITICAL), stopping then says it may be behind, and
    once S3 answers again the replica catches up and the log says so."""
    database, key = tmp_path / "var" / "subscribers.db", tmp_path / "var" / "subscriber-secret"
    database.parent.mkdir(parents=True)
    key.write_text("ab" * 32 + "\n")
    key.chmod(0o600)
    with moto_process() as (endpoint, moto):
        boto3.client("s3", endpoint_url=endpoint, **CREDENTIALS).create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-2"}
        )
        env = clean_environment(
            SUBSCRIBER_REPLICA=f"s3://{BUCKET}/noticeboard",
            SUBSCRIBER_STORE=f"sqlite:///{database}",
            SUBSCRIBER_SECRET=key.as_uri(),
            AWS_ENDPOINT_URL=endpoint,
            AWS_ACCESS_KEY_ID="test",
            AWS_SECRET_ACCESS_KEY="test",
            AWS_REGION="eu-west-2",
        )
        with caplog.at_level(logging.INFO, logger="subscriber_lambda.replication"):
            with replicated(database, env, lambda r: r.restart) as (_, health):
                check_until(health, 20, health.check)
                moto.send_signal(signal.SIGSTOP)
                add_resident(database, "during@example.net")
                check_until(health, 40, lambda: "CRITICAL" in records(caplog, "is behind the"))
                behind = records(caplog, f"the replica s3://{BUCKET}/noticeboard is behind")
                assert behind[0] == "ERROR" and behind[-1] == "CRITICAL"
                health.final()
                assert records(caplog, "may be behind the store") == ["ERROR"]
                assert not records(caplog, "is up to date")
                moto.send_signal(signal.SIGCONT)
                check_until(health, 30, lambda: bool(records(caplog, "has caught up")))
                health.final()
            assert records(caplog, "is up to date (transaction") == ["INFO"]


def test_a_replica_emptied_under_the_server_is_given_a_new_copy_and_the_key(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The replica's folder deleted while Litestream copies to it: the health check says
    so, starts Litestream again (a new snapshot) and keeps the key there; restore works."""
    work, folder = tmp_path / "srv", tmp_path / "replica"
    database, key = work / "var" / "subscribers.db", work / "var" / "subscriber-secret"
    env = clean_environment(
        SUBSCRIBER_REPLICA=folder.as_uri(),
        SUBSCRIBER_STORE=f"sqlite:///{database}",
        SUBSCRIBER_SECRET=key.as_uri(),
    )
    database.parent.mkdir(parents=True)
    key.write_text("ab" * 32 + "\n")
    config = Config.from_environment(env)
    with (
        caplog.at_level(logging.INFO, logger="subscriber_lambda.replication"),
        replicated(database, env, lambda r: repairer(r, config, lambda reason: None)) as (
            _,
            health,
        ),
    ):
        check_until(health, 20, health.check)
        shutil.rmtree(folder)
        folder.mkdir()
        add_resident(database, "after@example.net")
        check_until(health, 30, health.check)
        assert records(caplog, "holds no copy of the store (emptied") == ["ERROR"]
        assert (folder / "subscriber-secret").read_text() == "ab" * 32 + "\n"
        # Only the key gone (a bucket recreated and filled again by Litestream): put back.
        missing = len(records(caplog, "signing key was missing from the replica"))
        (folder / "subscriber-secret").unlink()
        assert health.check()
        said = records(caplog, "signing key was missing from the replica")
        assert said == [*said[:missing], "ERROR"]
        assert (folder / "subscriber-secret").read_text() == "ab" * 32 + "\n"
    restored = backend(work, env, "restore", "--force")
    assert restored.returncode == 0, restored.stderr
    assert confirmed(database) == {"first@example.net", "after@example.net"}
    assert "the store that was here kept as" in restored.stdout
    assert len(list(database.parent.glob("subscribers.db.replaced-*"))) == 1


def test_a_replicator_that_cannot_be_started_is_retried_then_given_up(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Litestream's binary gone (a reinstall): each start fails, is retried, then given up
    as a Litestream that keeps stopping is, rather than the thread dying silently."""
    replica = parse_replica((tmp_path / "replica").as_uri())
    assert replica is not None
    missing = str(tmp_path / "no-such-litestream")
    monkeypatch.setattr("subscriber_lambda.replication.litestream.binary", lambda: missing)
    litestream = Litestream(replica, tmp_path / "x.db", tmp_path / "x.yml", clean_environment())
    with caplog.at_level(logging.INFO, logger="subscriber_lambda.replication"):
        given_up = until_given_up(litestream)
    assert given_up[0].startswith(f"replication to {replica} stopped 3 times in a row")
    assert "could not be started" in given_up[0] and missing in given_up[0]
    assert records(caplog, "Litestream stopped (could not be started") == ["ERROR", "ERROR"]


def test_litestreams_advice_for_its_own_terminal_is_not_relayed(
    caplog: pytest.LogCaptureFixture,
) -> None:
    line = 'time=x level=ERROR msg="shutdown sync failed, retrying (press Ctrl+C again to skip)"'
    with caplog.at_level(logging.INFO, logger="subscriber_lambda.replication"):
        relay(io.StringIO(line + "\n"))
    assert [r.getMessage() for r in caplog.records] == [
        'litestream: msg="shutdown sync failed, retrying"'
    ]


def test_one_serve_replicates_a_store_and_a_second_is_refused(
    example_site: Path, tmp_path: Path, folder_env: dict[str, str]
) -> None:
    with serving(example_site, tmp_path, folder_env) as server:
        server.litestream_pid()
        second = backend(
            tmp_path, folder_env, "serve", "--site-dir", str(example_site), "--port", "9"
        )
        assert second.returncode == 1
        assert f"another serve (pid {server.process.pid}) is replicating" in second.stderr
        assert (tmp_path / "var" / ".subscribers.db-litestream.yml").exists()


def test_serve_refuses_a_replica_in_the_stores_own_folder(
    example_site: Path, tmp_path: Path
) -> None:
    env = clean_environment(SUBSCRIBER_REPLICA=(tmp_path / "var" / "replica").as_uri())
    refused = backend(tmp_path, env, "serve", "--site-dir", str(example_site))
    assert refused.returncode == 1 and "is in the store's own folder" in refused.stderr


def test_a_store_replicated_here_is_served_while_its_replica_is_unreachable(
    example_site: Path, tmp_path: Path
) -> None:
    """S3 down at boot: the site comes up, the log says why the replica is not copied."""
    with replica_settings("s3", tmp_path) as replica:
        env = clean_environment(SUBSCRIBER_MAILER="smtp://127.0.0.1:9", **replica)
        with serving(example_site, tmp_path, env) as server:
            server.litestream_pid()
    env["AWS_ENDPOINT_URL"] = f"http://127.0.0.1:{free_port()}"  # nobody answers
    with serving(example_site, tmp_path, env) as server:
        server.litestream_pid()
        log = server.log.read_text()
    assert "cannot connect to S3" in log and "Serving all the same" in log


@pytest.mark.skipif(shutil.which("unshare") is None, reason="unshare is not installed")
def test_a_read_only_replica_folder_points_at_read_write_paths(tmp_path: Path) -> None:
    """What ProtectSystem=strict does to a folder missing from ReadWritePaths=: the
    folder mounted read-only (here in a mount namespace of its own, as root)."""
    folder = tmp_path / "replica"
    folder.mkdir()
    check = (
        "from subscriber_lambda.replication.key import check_reachable;"
        "from subscriber_lambda.replication.target import parse_replica;"
        f"check_reachable(parse_replica({folder.as_uri()!r}), writable=True)"
    )
    script = (
        f"mount --bind {folder} {folder} && mount -o remount,bind,ro {folder} || exit 77;"
        f' exec "$0" -c "$1"'
    )
    done = subprocess.run(
        ["unshare", "-m", "sh", "-c", script, sys.executable, check],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    if done.returncode == 77 or "unshare failed" in done.stderr:
        pytest.skip("no mount namespaces here (needs root)")
    assert f"{folder} is read-only here" in done.stderr
    assert "add the replica's folder to ReadWritePaths=" in done.stderr
