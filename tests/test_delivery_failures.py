"""When the mail system says no: through the real commands, a real SQLite file and a real
SMTP server (aiosmtpd on 127.0.0.1) that refuses one address for good (550) and another
for now (451), or is not there at all. One address never holds up the others, nobody gets
anything twice, and the exit status and summary say what happened."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import socket
import sqlite3
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from subscriber_lambda import __main__ as cli
from subscriber_lambda.adapters.smtp_mailer import SmtpMailer
from subscriber_lambda.core.addresses import address_hash
from subscriber_lambda.notify import load_manifest
from tests import test_subscriptions
from tests.services import free_port
from tests.sitebuilder import build, item
from tests.test_subscriptions import FILES, KEY, SENDER, World, subject

world = test_subscriptions.world  # the residents' world: site, web routes, inbox, store
PUBLISHED = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
ALERT = "Moderate alert: Flood alert: River Stour"


@dataclass
class Result:
    status: int
    out: str
    err: str


class Command:
    """``python -m subscriber_lambda ...`` in this process, on the world's store and mail
    server, at the world's time."""

    def __init__(self, world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        secret = tmp_path / "secret"
        secret.write_text(KEY.hex())
        settings = {
            "SUBSCRIBER_STORE": f"sqlite:///{tmp_path / 'var' / 'subscribers.db'}",
            "SUBSCRIBER_MAILER": f"smtp://127.0.0.1:{world.mailer._port}",
            "SUBSCRIBER_SECRET": f"file://{secret}",
            "SITE_URL": world.base,
            "MAIL_FROM": SENDER,
        }
        for name, value in settings.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setattr(cli, "now", world.clock)
        here = tmp_path / "here"  # digest reads the council's name from ./output
        here.mkdir()
        (here / "output").symlink_to(world.site)
        monkeypatch.chdir(here)
        self.monkeypatch = monkeypatch
        self.manifest = str(world.site / "api" / "v1" / "notify.json")

    def __call__(self, *argv: str, mailer: str | None = None) -> Result:
        if mailer:
            self.monkeypatch.setenv("SUBSCRIBER_MAILER", mailer)
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = cli.main(list(argv))
        return Result(status, out.getvalue(), err.getvalue())

    def notify(self, manifest: str | None = None, mailer: str | None = None) -> Result:
        return self("notify", manifest or self.manifest, mailer=mailer)


@pytest.fixture
def command(world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Command:
    return Command(world, tmp_path, monkeypatch)


def alerts(world: World, address: str) -> int:
    return sum(subject(m) == ALERT for m in world.inbox.to(address))


def test_one_refused_and_one_deferred_address_do_not_stop_an_alert_for_the_rest(
    world: World,
    command: Command,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="subscriber_lambda")
    residents = [f"r{n:02d}@example.net" for n in range(20)]
    for address in residents:
        world.subscribe(address)
    refused, deferred = residents[3], residents[7]
    world.inbox.refuse.add(refused)
    world.inbox.defer.add(deferred)
    world.clock.now = PUBLISHED

    first = command.notify()
    assert first.status == 75  # EX_TEMPFAIL: some deliveries wait to be tried again
    assert first.out == (
        "notify: 4 items; 18 emails sent, 1 deferred (retried on the next run after 12:01 UTC), "
        "1 suppressed (refused permanently), 0 failed, 0 queued for digests\n"
    )
    everyone_else = {a: int(a not in (refused, deferred)) for a in residents}
    assert {a: alerts(world, a) for a in residents} == everyone_else
    assert world.store.is_suppressed(address_hash(refused, KEY))
    assert world.store.subscriber_by_hash(address_hash(refused, KEY)) is None
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("subscriber"))
    assert "refused for good" in logged and "deferred until 12:01" in logged
    assert "@example.net" not in logged + first.err  # subscribers by keyed hash only

    world.clock.now = PUBLISHED + timedelta(seconds=30)  # before its retry time: not yet
    assert command.notify().out.startswith("notify: 4 items; 0 emails sent, 0 deferred")
    assert alerts(world, deferred) == 0

    world.inbox.defer.clear()  # the mailbox is free again
    world.clock.now = PUBLISHED + timedelta(minutes=1)
    second = command.notify()
    assert (second.status, second.out) == (
        0,
        "notify: 4 items; 1 emails sent, 0 deferred, 0 suppressed, 0 failed, "
        "0 queued for digests\n",
    )
    assert {a: alerts(world, a) for a in residents} == {a: int(a != refused) for a in residents}

    second_alert = item(
        "alerts", Slug="second", Title="Second flood", Wards="walmer", Date="2026-11-28 11:00"
    )
    later = build(
        tmp_path / "later", {**FILES, "alerts/second.md": second_alert}, now=PUBLISHED.isoformat()
    )
    third = command.notify(str(later / "api" / "v1" / "notify.json"))
    assert third.status == 0 and "; 19 emails sent, 0 deferred" in third.out
    assert world.inbox.to(refused)[1:] == []  # nothing after the confirmation, ever
    for address in residents:
        subjects = [subject(m) for m in world.inbox.to(address)[1:]]
        assert len(subjects) == len(set(subjects))  # nothing twice


def test_a_relay_that_is_down_stops_the_run_at_once_and_the_next_run_sends_everything_once(
    world: World,
    command: Command,
) -> None:
    residents = [f"r{n}@example.net" for n in range(8)]
    for address in residents:
        world.subscribe(address)
    world.clock.now = PUBLISHED
    port = free_port()  # nothing listens here
    relay = f"smtp://127.0.0.1:{port}"

    started = time.monotonic()
    stopped = command.notify(mailer=relay)
    assert time.monotonic() - started < 5
    assert stopped.status == 1
    assert stopped.out == (
        "notify: 4 items; 0 emails sent, 3 deferred (retried on the next run after 12:00 UTC), "
        "0 suppressed, 0 failed, 0 queued for digests\n"
    )
    assert stopped.err == (
        "notify plan: 4 new or changed items; up to 8 emails\n"
        f"notify: stopped: the mail system is unavailable: 127.0.0.1:{port}: "
        "[Errno 111] Connection refused. Run it again: nothing sent is sent twice.\n"
    )

    controller = Controller(world.inbox, hostname="127.0.0.1", port=port)
    controller.start()  # the relay is back
    try:
        again = command.notify(mailer=relay)
    finally:
        controller.stop()
    assert again.status == 0 and again.out.startswith("notify: 4 items; 8 emails sent, 0 deferred")
    assert {a: alerts(world, a) for a in residents} == dict.fromkeys(residents, 1)


def test_a_relay_that_never_answers_costs_three_timeouts_not_one_per_subscriber(
    world: World,
) -> None:
    for n in range(10):
        world.subscribe(f"r{n}@example.net")
    world.clock.now = PUBLISHED
    with socket.socket() as silent:  # takes connections, never says a word
        silent.bind(("127.0.0.1", 0))
        silent.listen(20)
        mailer = SmtpMailer("127.0.0.1", silent.getsockname()[1], timeout=0.3)
        started = time.monotonic()
        report = world.notifier(mailer=mailer).run(
            load_manifest(str(world.site / "api" / "v1" / "notify.json"))
        )
    assert time.monotonic() - started < 3
    assert report.stopped is not None and "timed out" in report.stopped
    assert (report.sent, report.deferred, report.exit_status) == (0, 3, 1)


def test_a_refused_address_does_not_stop_the_other_digests(
    world: World,
    command: Command,
) -> None:
    daily = [f"d{n}@example.net" for n in range(4)]
    for address in daily:
        world.subscribe(
            address, topics=["notices", "bin-changes"], wards=["all"], frequency="daily"
        )
    world.clock.now = PUBLISHED
    assert command.notify().out.endswith(", 8 queued for digests\n")
    world.inbox.refuse.add(daily[1])
    world.inbox.defer.add(daily[2])

    first = command("digest", "--frequency", "daily")
    assert (first.status, first.out) == (
        75,
        "digest: 2 daily summaries sent, 1 deferred (waiting for the next run), "
        "1 suppressed (refused permanently)\n",
    )
    assert world.store.is_suppressed(address_hash(daily[1], KEY))

    world.inbox.defer.clear()
    second = command("digest", "--frequency", "daily")
    assert (second.status, second.out) == (
        0,
        "digest: 1 daily summaries sent, 0 deferred, 0 suppressed\n",
    )
    summaries = {a: [subject(m) for m in world.inbox.to(a)[1:]] for a in daily}
    one = ["Your daily summary from Dover District Council: 2 new items"]
    assert summaries == {daily[0]: one, daily[1]: [], daily[2]: one, daily[3]: one}


class WritesAsItSends:
    """A mailer that, while notify runs, lets the rest of the world write to the store
    file from connections of its own: sign-ups' rate-limit rows and one unsubscribe."""

    def __init__(self, database: Path, leaver: str) -> None:
        self.database, self.leaver = database, leaver
        self.sent: list[str] = []

    def send(self, message: Message) -> None:
        self.sent.append(str(message["To"]))
        with contextlib.closing(sqlite3.connect(self.database, timeout=10)) as other:
            other.execute(
                "INSERT OR REPLACE INTO rate_limits VALUES (?, ?, 1)",
                (f"client:{len(self.sent)}", 0),
            )
            if len(self.sent) == 50:
                other.execute(
                    "DELETE FROM subscribers WHERE email_hash = ?",
                    (address_hash(self.leaver, KEY),),
                )
            other.commit()


def walmer_alert_readers(database: Path, count: int) -> list[str]:
    """A store of ``count`` confirmed subscribers to Walmer's alerts; their addresses."""
    from subscriber_lambda.adapters.sqlite_store import SqliteStore
    from subscriber_lambda.core.preferences import Preferences

    store = SqliteStore(database)
    addresses = [f"r{n}@example.net" for n in range(count)]
    for address in addresses:
        store.save_subscriber(
            address,
            address_hash(address, KEY),
            Preferences(frozenset({"alerts"}), frozenset({"walmer"})),
            PUBLISHED - timedelta(days=2),
        )
    store.close()
    return addresses


def notifier_on(database: Path, mailer: Any) -> Any:
    """notify's Notifier on the store file, with its own connection, at PUBLISHED."""
    from subscriber_lambda.adapters.inline_queue import InlineQueue
    from subscriber_lambda.adapters.sqlite_store import SqliteStore
    from subscriber_lambda.core.tokens import Signer
    from subscriber_lambda.notify import Links, Notifier

    links = Links(Signer(KEY), "http://x")
    return Notifier(
        SqliteStore(database), mailer, InlineQueue(), links, SENDER, "x", lambda: PUBLISHED
    )


def test_notify_runs_beside_a_busy_server_and_skips_who_left_mid_run(tmp_path: Path) -> None:
    """More than one streamed batch of subscribers (1,000 a batch), other connections
    writing all the while, and one subscriber leaving half-way: no 'database is locked',
    no foreign-key error, everyone else sent to once, the leaver not at all."""
    site = build(tmp_path / "site", FILES, now="2026-11-28T12:00:00+00:00")
    database = tmp_path / "subscribers.db"
    addresses = walmer_alert_readers(database, 1200)
    leaver = addresses[1100]
    mailer = WritesAsItSends(database, leaver)
    manifest = load_manifest(str(site / "api" / "v1" / "notify.json"))
    report = notifier_on(database, mailer).run(manifest)
    assert leaver not in mailer.sent
    assert sorted(mailer.sent) == sorted(a for a in addresses if a != leaver)
    assert report.sent == len(addresses) - 1


def test_recipients_refused_by_their_own_policy_do_not_stop_the_alert_for_the_rest(
    world: World, command: Command
) -> None:
    """550 5.7.1 for the first few subscribers (a policy at their end, as relays answer per
    recipient) is about those messages, not a relay that is down: the rest are sent."""
    residents = [f"p{n}@example.net" for n in range(6)]
    for address in residents:
        world.subscribe(address)
    world.inbox.policy.update(residents[:3])
    world.clock.now = PUBLISHED
    result = command.notify()
    assert result.status == 75 and "3 emails sent, 3 deferred" in result.out
    assert [alerts(world, a) for a in residents] == [0, 0, 0, 1, 1, 1]
    assert all(world.store.subscriber_by_hash(address_hash(a, KEY)) for a in residents)


def an_item(**changes: object) -> dict[str, object]:
    email = {"subject": "S", "text": "T", "html": "<p>T</p>"}
    version = {"lang": "en", "url": "https://x/a/", "title": "A", "summary": "S", "email": email}
    base: dict[str, object] = {
        "id": "alerts/a",
        "revision": "2026-11-28T09:00:00+00:00",
        "type": "alerts",
        "urgency": "immediate",
        "published": "2026-11-28T09:00:00+00:00",
        "exercise": False,
        "wards": ["walmer"],
        "district_wide": False,
        "supersedes": None,
        "versions": [version],
    }
    return {**base, **changes}


good = an_item()
BAD_ITEMS = [
    (an_item(published="not-a-date"), "item 2 has a published that is not a date and time"),
    (an_item(published="2026-11-28T09:00:00"), "item 2 has a published without a time zone"),
    (an_item(versions=[]), "item 2 has no versions"),
    (an_item(versions=[{"lang": "en"}]), "item 2 has a version without lang, url"),
    (an_item(id=5), "item 2 has a id that is not text"),
    (an_item(exercise="no"), "item 2 has a exercise that is not true or false"),
    (an_item(wards="deal"), "item 2 has wards that are not a list of ward slugs"),
]


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ('{"items": [{"id": "alerts/x"', "not JSON"),
        ('{"council": "C"}', "no list of items"),
        ('{"items": [{"id": "alerts/x", "revision": "r"}]}', "item 1 has no type, urgency"),
        *((json.dumps({"items": [good, bad]}), said) for bad, said in BAD_ITEMS),
    ],
)
def test_a_broken_manifest_is_refused_whole_with_what_to_do(
    world: World, command: Command, tmp_path: Path, text: str, said: str
) -> None:
    broken = tmp_path / "notify.json"
    broken.write_text(text)
    result = command.notify(str(broken))
    assert result.status == 1 and result.out == ""
    assert said in result.err and "rebuild the site; nothing was sent" in result.err
    assert "Traceback" not in result.err
    assert all(subject(m) == "Confirm your email address" for m in world.inbox.messages)


def test_a_manifest_that_is_not_there_is_said_plainly(command: Command, tmp_path: Path) -> None:
    result = command.notify(str(tmp_path / "nowhere.json"))
    assert result.status == 1 and "cannot read" in result.err and "Run it again" not in result.err


def test_notify_reads_only_what_the_manifests_schema_requires() -> None:
    import json

    from subscriber_lambda.notify import ITEM_KEYS
    from tests.sitebuilder import ROOT

    schema = json.loads((ROOT / "plugins/open_data/schemas/notify.schema.json").read_text())
    item = schema["properties"]["items"]["items"]
    required = set(item.get("required", [])) | {
        name for part in item.get("allOf", []) for name in part.get("required", [])
    }
    assert set(ITEM_KEYS) <= required


def test_digest_without_a_built_site_says_where_it_looked(
    world: World, command: Command, tmp_path: Path
) -> None:
    result = command("digest", "--frequency", "daily", "--site-dir", str(tmp_path / "nowhere"))
    assert result.status == 2 and "no built site here" in result.err and "--site-dir" in result.err
    result = command("digest", "--frequency", "daily", "--site-dir", str(world.site))
    assert result.status == 0


class Counting:
    """A mailer that keeps the recipients, slowly enough for two runs to overlap."""

    def __init__(self, sent: list[str]) -> None:
        self.sent = sent

    def send(self, message: Message) -> None:
        time.sleep(0.001)
        self.sent.append(str(message["To"]))


def test_two_notify_runs_at_once_send_each_email_once(tmp_path: Path) -> None:
    """A timer's run and an officer's `make notify` overlapping: a delivery one run has
    claimed is that run's to send; the other skips it."""
    import threading

    site = build(tmp_path / "site", FILES, now="2026-11-28T12:00:00+00:00")
    database = tmp_path / "subscribers.db"
    addresses = walmer_alert_readers(database, 300)
    manifest = load_manifest(str(site / "api" / "v1" / "notify.json"))
    sent: list[str] = []
    runs = [
        threading.Thread(target=notifier_on(database, Counting(sent)).run, args=(manifest,))
        for _ in range(2)
    ]
    for thread in runs:
        thread.start()
    for thread in runs:
        thread.join(60)
    assert sorted(sent) == sorted(addresses)


def test_a_digest_run_while_another_is_sending_stops_without_sending(
    world: World, command: Command, tmp_path: Path
) -> None:
    import fcntl

    world.subscribe("daily@example.net", topics=["notices"], wards=["all"], frequency="daily")
    world.clock.now = PUBLISHED
    assert command.notify().status == 0
    lock_path = tmp_path / "var" / "subscribers.db.digest.lock"
    with open(lock_path, "w") as other_run:
        fcntl.flock(other_run, fcntl.LOCK_EX)
        result = command("digest", "--frequency", "daily", "--site-dir", str(world.site))
    assert result.status == 0 and "another digest run" in result.out
    assert len(world.inbox.to("daily@example.net")) == 1  # the confirmation only
    assert command("digest", "--frequency", "daily", "--site-dir", str(world.site)).status == 0
    assert len(world.inbox.to("daily@example.net")) == 2
