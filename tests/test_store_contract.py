"""One contract for every store: the embedded SQLite store and the DynamoDB store (run
against AWS's DynamoDB Local) must behave the same."""

from __future__ import annotations

import itertools
import os
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import boto3
import pytest

from subscriber_lambda.adapters.dynamodb_store import DynamoStore
from subscriber_lambda.adapters.sqlite_store import SqliteStore
from subscriber_lambda.core.phones import CODE_ATTEMPTS
from subscriber_lambda.core.preferences import Preferences
from subscriber_lambda.core.retry import CLAIM_LEASE, MAX_ATTEMPTS
from subscriber_lambda.ports import EMAIL, TEXT, Phone, Store, address_limit_key
from tests.dynamodb_local import CREDENTIALS, dynamodb_local

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
PREFS = Preferences(frozenset({"alerts"}), frozenset({"walmer"}))
DAILY = Preferences(frozenset({"notices"}), frozenset({"all"}), frequency="daily")
tables = itertools.count()


@pytest.fixture(scope="module")
def dynamodb_endpoint() -> Iterator[str]:
    with dynamodb_local() as endpoint:
        yield endpoint


@pytest.fixture(params=["sqlite", "dynamodb"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "sqlite":
        sqlite = SqliteStore(tmp_path / "subscribers.db")
        yield sqlite
        sqlite.close()
        return
    endpoint = request.getfixturevalue("dynamodb_endpoint")
    dynamo = DynamoStore(f"subscribers-{next(tables)}", {"endpoint_url": endpoint, **CREDENTIALS})
    dynamo.create_table()
    yield dynamo


def test_a_subscriber_is_saved_found_and_updated(store: Store) -> None:
    saved = store.save_subscriber("a@example.net", "hash-a", PREFS, NOW)
    assert (saved.email, saved.preferences, saved.confirmed_at) == ("a@example.net", PREFS, NOW)
    again = store.save_subscriber("a@example.net", "hash-a", DAILY, NOW + timedelta(days=1))
    assert (
        again.preferences == DAILY and again.confirmed_at == NOW
    )  # confirming again keeps the date
    assert store.subscriber_by_hash("hash-a") == again
    assert store.subscriber_by_hash("hash-b") is None


def test_bin_day_reminders_are_kept_and_older_records_have_none(store: Store) -> None:
    """Reminders are part of the preferences both stores keep; a record saved before
    reminders existed (no ``reminders`` key) reads as asking for none."""
    reminding = Preferences(
        frozenset({"bin-changes"}),
        frozenset({"walmer"}),
        postcode="CT14 7AA",
        reminders=frozenset({"bin-days"}),
    )
    store.save_subscriber("r@example.net", "hash-r", reminding, NOW)
    found = store.subscriber_by_hash("hash-r")
    assert found is not None and found.preferences.reminders == {"bin-days"}
    assert [s.preferences for s in store.subscribers()] == [reminding]
    older = {key: value for key, value in PREFS.to_dict().items() if key != "reminders"}
    assert Preferences.from_dict(older).reminders == frozenset()


def test_subscribers_are_streamed_all(store: Store) -> None:
    for n in range(25):
        store.save_subscriber(f"s{n}@example.net", f"hash-{n:02d}", PREFS, NOW)
    assert sorted(s.email_hash for s in store.subscribers()) == [f"hash-{n:02d}" for n in range(25)]


def test_deleting_forgets_the_address_and_its_history(store: Store) -> None:
    subscriber = store.save_subscriber("a@example.net", "hash-a", PREFS, NOW)
    store.claim(subscriber.id, "alerts/x", "r1", NOW)
    store.mark(subscriber.id, "alerts/x", "r1", "sent", NOW)
    assert store.delete_subscriber("hash-a") is True
    assert store.delete_subscriber("hash-a") is False
    assert store.subscriber_by_hash("hash-a") is None
    assert store.recipients_of("alerts/x") == set()


def everything_in(store: Store, tmp_path: Path, request: pytest.FixtureRequest) -> list[str]:
    """Every row of every table (SQLite), or every item of the table and of both its
    indexes (DynamoDB), one line each."""
    if isinstance(store, SqliteStore):
        db = sqlite3.connect(tmp_path / "subscribers.db")
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        rows = [
            f"{table}: {row!r}" for table in tables for row in db.execute(f"SELECT * FROM {table}")
        ]
        db.close()
        return rows
    assert isinstance(store, DynamoStore)
    endpoint = request.getfixturevalue("dynamodb_endpoint")
    client = boto3.client("dynamodb", endpoint_url=endpoint, **CREDENTIALS)
    rows = []
    for index in (None, "GSI1", "GSI2"):
        options = {"TableName": store.table_name, **({"IndexName": index} if index else {})}
        for page in client.get_paginator("scan").paginate(**options):
            rows += [f"{index or 'table'}: {item!r}" for item in page["Items"]]
    return rows


def test_erasing_leaves_nothing_of_the_address_but_a_suppression(
    store: Store, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    people = {}
    for name in ("alice", "bob", "carol"):
        first = store.save_subscriber(f"{name}@example.net", f"hash-{name}", PREFS, NOW)
        who = store.save_subscriber(f"{name}@example.net", f"hash-{name}", DAILY, NOW)
        assert first.id == who.id
        people[name] = who
        store.claim(who.id, "alerts/flood", "r1", NOW)
        store.mark(who.id, "alerts/flood", "r1", "sent", NOW)
        store.claim(who.id, "notices/plan", "r1", NOW)
        store.mark(who.id, "notices/plan", "r1", "digest", NOW, {"title": "P", "url": "u"})
        store.claim(who.id, "notices/other", "r1", NOW)  # left pending
        store.hit(address_limit_key(f"hash-{name}"), 5, 3600, NOW)
        store.hit("client:192.0.2.1", 50, 3600, NOW)
        store.note_change(f"hash-{name}", NOW, NOW + timedelta(days=7))
    store.suppress("hash-bob", "bounce", NOW)
    before = everything_in(store, tmp_path, request)
    assert len([row for row in before if "alice" in row]) >= 2  # profile, limit (ledger...)

    assert store.delete_subscriber("hash-alice") is True
    assert store.delete_subscriber("hash-bob") is False  # went when it was suppressed

    after = everything_in(store, tmp_path, request)
    assert [row for row in after if "alice" in row] == []
    bob = [row for row in after if "bob" in row]
    assert len(bob) == 1 and "bounce" in bob[0] and "bob@" not in bob[0]
    assert store.is_suppressed("hash-bob") and not store.is_suppressed("hash-alice")
    if isinstance(store, SqliteStore):  # the ledger is keyed by row id, not by hash
        ledger = [row for row in after if row.startswith("deliveries:")]
        assert len(ledger) == 3 and all(
            row.startswith(f"deliveries: ({people['carol'].id},") for row in ledger
        )
    # carol is untouched
    assert store.subscriber_by_hash("hash-carol") == people["carol"]
    assert store.recipients_of("alerts/flood") == {people["carol"].id}
    assert [s.email for s, _ in store.digest_due("daily")] == ["carol@example.net"]
    assert [row for row in before if "carol" in row] == [row for row in after if "carol" in row]
    assert [row for row in before if "client:" in row] == [row for row in after if "client:" in row]
    assert store.hit(address_limit_key("hash-alice"), 1, 3600, NOW) is True  # a fresh window


def test_the_ledger_of_one_subscriber_newest_first(store: Store) -> None:
    alice = store.save_subscriber("alice@example.net", "hash-alice", DAILY, NOW)
    carol = store.save_subscriber("carol@example.net", "hash-carol", DAILY, NOW)
    minute = timedelta(minutes=1)
    store.claim(alice.id, "alerts/flood", "r1", NOW)
    store.mark(alice.id, "alerts/flood", "r1", "sent", NOW + minute)
    store.claim(alice.id, "notices/plan", "r1", NOW + 2 * minute)
    store.mark(alice.id, "notices/plan", "r1", "digest", NOW + 3 * minute, {"title": "P"})
    store.claim(alice.id, "alerts/flood", "r2", NOW + 4 * minute)
    store.claim(carol.id, "alerts/other", "r1", NOW + 5 * minute)
    assert [
        (e.item_id, e.revision, e.state, e.updated_at) for e in store.deliveries_of("hash-alice")
    ] == [
        ("alerts/flood", "r2", "pending", NOW + 4 * minute),
        ("notices/plan", "r1", "digest", NOW + 3 * minute),
        ("alerts/flood", "r1", "sent", NOW + minute),
    ]
    assert store.deliveries_of("hash-nobody") == []
    assert store.delivery_state(alice.id, "notices/plan", "r1") == "digest"
    assert store.delivery_state(alice.id, "alerts/flood", "r2") == "pending"
    assert store.delivery_state(alice.id, "alerts/flood", "r2", TEXT) is None
    assert store.delivery_state(alice.id, "alerts/flood", "r3") is None
    store.delete_subscriber("hash-alice")
    assert store.deliveries_of("hash-alice") == []
    assert [e.item_id for e in store.deliveries_of("hash-carol")] == ["alerts/other"]


@pytest.mark.parametrize("umask", [0o022, 0o000, 0o077])
def test_the_sqlite_file_is_its_owners_alone(tmp_path: Path, umask: int) -> None:
    old = os.umask(umask)
    try:
        store = SqliteStore(tmp_path / "subscribers.db")
        store.save_subscriber("alice@example.net", "hash-alice", PREFS, NOW)
        modes = {p.name: oct(p.stat().st_mode & 0o777) for p in tmp_path.iterdir()}
        store.close()
    finally:
        os.umask(old)
    assert modes == {
        "subscribers.db": "0o600",
        "subscribers.db-wal": "0o600",
        "subscribers.db-shm": "0o600",
    }


def test_an_erased_address_leaves_the_sqlite_file(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "subscribers.db")
    for name in ("alice", "carol"):
        who = store.save_subscriber(f"{name}@example.net", f"hash-{name}", PREFS, NOW)
        store.save_subscriber(f"{name}@example.net", f"hash-{name}", DAILY, NOW)
        store.claim(who.id, "notices/plan", "r1", NOW)
        store.mark(who.id, "notices/plan", "r1", "digest", NOW, {"title": "P"})
        store.hit(address_limit_key(f"hash-{name}"), 5, 3600, NOW)
    store.delete_subscriber("hash-alice")
    store.close()  # the last connection: the log is copied back and removed
    assert sorted(p.name for p in tmp_path.iterdir()) == ["subscribers.db"]
    data = (tmp_path / "subscribers.db").read_bytes()
    assert b"alice" not in data and b"carol@example.net" in data


def test_a_change_is_noted_until_older_links_have_expired(store: Store) -> None:
    later = NOW + timedelta(hours=1)
    assert store.changed_since("hash-x", NOW) is False
    store.note_change("hash-x", later, later + timedelta(days=7))
    assert store.changed_since("hash-x", NOW) is True  # a link made before the change
    assert store.changed_since("hash-x", later) is True
    assert store.changed_since("hash-x", later + timedelta(seconds=1)) is False
    assert store.changed_since("hash-y", NOW) is False


def test_the_ledger_sends_each_revision_once(store: Store) -> None:
    subscriber = store.save_subscriber("a@example.net", "hash-a", PREFS, NOW)
    assert store.claim(subscriber.id, "alerts/x", "r1", NOW) is True
    # Pending: another run is sending it now, so no second run may take it...
    assert store.claim(subscriber.id, "alerts/x", "r1", NOW + timedelta(minutes=4)) is False
    # ...until its claim is old enough that its run must have died: then once.
    later = NOW + CLAIM_LEASE + timedelta(seconds=1)
    assert store.claim(subscriber.id, "alerts/x", "r1", later) is True
    assert store.claim(subscriber.id, "alerts/x", "r1", later) is False
    store.mark(subscriber.id, "alerts/x", "r1", "sent", NOW)
    assert store.claim(subscriber.id, "alerts/x", "r1", NOW) is False
    assert store.claim(subscriber.id, "alerts/x", "r2", NOW) is True  # a new revision
    assert store.recipients_of("alerts/x") == {subscriber.id}


def test_a_deferred_delivery_waits_for_its_retry_time(store: Store) -> None:
    subscriber = store.save_subscriber("a@example.net", "hash-a", PREFS, NOW)
    assert store.claim(subscriber.id, "alerts/x", "r1", NOW) is True
    retry = store.defer(subscriber.id, "alerts/x", "r1", NOW)
    assert retry == NOW + timedelta(minutes=1)
    assert store.claim(subscriber.id, "alerts/x", "r1", NOW) is False
    assert store.claim(subscriber.id, "alerts/x", "r1", retry - timedelta(seconds=1)) is False
    assert store.claim(subscriber.id, "alerts/x", "r1", retry) is True  # due: pending again
    assert store.claim(subscriber.id, "alerts/x", "r1", retry) is False  # another run's now
    assert store.defer(subscriber.id, "alerts/x", "r1", retry) == retry + timedelta(minutes=2)
    later = retry + timedelta(minutes=2)
    assert store.claim(subscriber.id, "alerts/x", "r1", later) is True
    store.mark(subscriber.id, "alerts/x", "r1", "sent", later)
    assert store.claim(subscriber.id, "alerts/x", "r1", later + timedelta(days=1)) is False
    assert store.recipients_of("alerts/x") == {subscriber.id}


def test_a_retry_time_in_another_zone_is_the_same_moment(store: Store) -> None:
    subscriber = store.save_subscriber("a@example.net", "hash-a", PREFS, NOW)
    store.claim(subscriber.id, "alerts/x", "r1", NOW)
    retry = store.defer(subscriber.id, "alerts/x", "r1", NOW)
    assert retry is not None
    summer = timezone(timedelta(hours=1))
    assert store.claim(subscriber.id, "alerts/x", "r1", NOW.astimezone(summer)) is False
    assert store.claim(subscriber.id, "alerts/x", "r1", retry.astimezone(summer)) is True


def test_a_delivery_deferred_too_often_fails(store: Store) -> None:
    subscriber = store.save_subscriber("a@example.net", "hash-a", PREFS, NOW)
    now, delays = NOW, []
    for _ in range(MAX_ATTEMPTS - 1):
        assert store.claim(subscriber.id, "alerts/x", "r1", now) is True
        retry = store.defer(subscriber.id, "alerts/x", "r1", now)
        assert retry is not None
        delays.append(int((retry - now).total_seconds() // 60))
        now = retry
    assert delays == [1, 2, 4, 8, 16, 32, 60, 60, 60, 60, 60]
    assert store.claim(subscriber.id, "alerts/x", "r1", now) is True
    assert store.defer(subscriber.id, "alerts/x", "r1", now) is None  # given up: failed
    assert store.claim(subscriber.id, "alerts/x", "r1", now + timedelta(days=1)) is False
    assert store.recipients_of("alerts/x") == set()


def test_a_mail_system_outage_is_not_held_against_the_message(store: Store) -> None:
    subscriber = store.save_subscriber("a@example.net", "hash-a", PREFS, NOW)
    for _ in range(MAX_ATTEMPTS + 1):
        assert store.claim(subscriber.id, "alerts/x", "r1", NOW) is True
        assert store.defer(subscriber.id, "alerts/x", "r1", NOW, count_attempt=False) == NOW
    assert store.claim(subscriber.id, "alerts/x", "r1", NOW) is True
    assert store.defer(subscriber.id, "alerts/x", "r1", NOW) == NOW + timedelta(minutes=1)


def test_a_refused_delivery_fails_for_good(store: Store) -> None:
    subscriber = store.save_subscriber("a@example.net", "hash-a", PREFS, NOW)
    assert store.claim(subscriber.id, "alerts/x", "r1", NOW) is True
    store.mark(subscriber.id, "alerts/x", "r1", "failed", NOW)
    assert store.claim(subscriber.id, "alerts/x", "r1", NOW + timedelta(days=1)) is False
    assert store.recipients_of("alerts/x") == set()
    store.delete_subscriber("hash-a")
    assert store.defer(subscriber.id, "alerts/x", "r1", NOW) is None  # nothing left to retry


def test_the_rows_still_owed_are_found_once_overdue(store: Store) -> None:
    alice = store.save_subscriber("a@example.net", "hash-a", PREFS, NOW)
    bob = store.save_subscriber("b@example.net", "hash-b", DAILY, NOW)
    minute = timedelta(minutes=1)
    store.claim(alice.id, "alerts/x", "r1", NOW)  # pending: claimed, never marked
    store.claim(alice.id, "alerts/y", "r1", NOW)
    store.defer(alice.id, "alerts/y", "r1", NOW)  # deferred until a minute later
    for item, state in (("alerts/x", "sent"), ("notices/n", "digest"), ("alerts/z", "failed")):
        store.claim(bob.id, item, "r1", NOW)
        store.mark(bob.id, item, "r1", state, NOW, {"title": "N"} if state == "digest" else None)

    def owed(before: datetime) -> list[tuple[str, str, str, str]]:
        rows = store.overdue(before)
        return sorted((o.subscriber_id, o.email_hash, o.item_id, o.revision) for o in rows)

    assert owed(NOW - minute) == []
    assert owed(NOW) == [(alice.id, "hash-a", "alerts/x", "r1")]
    summer = timezone(timedelta(hours=1))
    assert owed((NOW + minute).astimezone(summer)) == [
        (alice.id, "hash-a", "alerts/x", "r1"),
        (alice.id, "hash-a", "alerts/y", "r1"),
    ]
    assert store.claim(alice.id, "alerts/y", "r1", NOW + 2 * minute)  # due: pending again
    store.mark(alice.id, "alerts/x", "r1", "sent", NOW + 2 * minute)
    assert owed(NOW + minute) == []  # owed again since it was claimed again
    assert owed(NOW + 2 * minute) == [(alice.id, "hash-a", "alerts/y", "r1")]
    store.delete_subscriber("hash-a")
    assert owed(NOW + timedelta(days=1)) == []


def test_planned_item_revisions_are_remembered(store: Store) -> None:
    assert store.planned([("alerts/x", "r1")]) == set()
    store.mark_planned("alerts/x", "r1", NOW)
    store.mark_planned("alerts/x", "r1", NOW + timedelta(minutes=1))  # again: no harm
    store.mark_planned("notices/n", "r2", NOW)
    asked = [("alerts/x", "r1"), ("alerts/x", "r2"), ("notices/n", "r2"), ("alerts/x", "r1")]
    assert store.planned(asked) == {("alerts/x", "r1"), ("notices/n", "r2")}
    many = [(f"notices/n{i}", "r1") for i in range(150)]  # more than one request's worth
    for item_id, revision in many[::7]:
        store.mark_planned(item_id, revision, NOW)
    assert store.planned(many) == set(many[::7])


def test_digests_hold_items_until_sent(store: Store) -> None:
    daily = store.save_subscriber("d@example.net", "hash-d", DAILY, NOW)
    weekly = store.save_subscriber(
        "w@example.net",
        "hash-w",
        Preferences(frozenset({"notices"}), frozenset({"all"}), frequency="weekly"),
        NOW,
    )
    for who in (daily, weekly):
        assert store.claim(who.id, "notices/n", "r1", NOW)
        store.mark(
            who.id,
            "notices/n",
            "r1",
            "digest",
            NOW,
            {"title": "N", "summary": "S", "url": "https://x/n/"},
        )
    assert store.claim(daily.id, "notices/n", "r1", NOW) is False  # waiting: not sent again
    due = list(store.digest_due("daily"))
    assert [(s.email, items) for s, items in due] == [
        (
            "d@example.net",
            [
                {
                    "title": "N",
                    "summary": "S",
                    "url": "https://x/n/",
                    "item_id": "notices/n",
                    "revision": "r1",
                }
            ],
        )
    ]
    store.mark(daily.id, "notices/n", "r1", "sent", NOW)
    assert list(store.digest_due("daily")) == []
    assert [s.email for s, _ in store.digest_due("weekly")] == ["w@example.net"]


def test_suppression_keeps_only_the_hash(store: Store) -> None:
    store.save_subscriber("a@example.net", "hash-a", PREFS, NOW)
    assert store.is_suppressed("hash-a") is False
    store.suppress("hash-a", "complaint", NOW)
    assert store.is_suppressed("hash-a") is True
    assert store.subscriber_by_hash("hash-a") is None


def test_rate_limits_count_within_a_window(store: Store) -> None:
    assert [store.hit("client:1", 3, 60, NOW) for _ in range(4)] == [True, True, True, False]
    assert store.hit("client:2", 3, 60, NOW) is True
    assert store.hit("client:1", 3, 60, NOW + timedelta(seconds=61)) is True


class ListMailer:
    def __init__(self) -> None:
        self.sent: list[str] = []

    def send(self, message: object) -> None:
        self.sent.append(str(message["To"]))  # type: ignore[index]


def test_notify_sends_each_item_once_with_either_store(store: Store) -> None:
    from subscriber_lambda.adapters.inline_queue import InlineQueue
    from subscriber_lambda.core.tokens import Signer
    from subscriber_lambda.notify import Links, Notifier

    for n in range(3):
        store.save_subscriber(f"r{n}@example.net", f"hash-{n}", PREFS, NOW - timedelta(days=1))
    email = {
        "subject": "Flood",
        "text": "((manage_url)) ((unsubscribe_url))",
        "html": "<p>Flood</p>",
    }
    manifest = {
        "items": [
            {
                "id": "alerts/flood",
                "revision": NOW.isoformat(),
                "type": "alerts",
                "topic_detail": "flooding",
                "supersedes": None,
                "urgency": "immediate",
                "exercise": False,
                "wards": ["walmer"],
                "district_wide": False,
                "published": NOW.isoformat(),
                "versions": [
                    {
                        "lang": "en",
                        "url": "https://x/a/",
                        "title": "Flood",
                        "summary": "S",
                        "email": email,
                    }
                ],
            }
        ]
    }
    mailer = ListMailer()
    notifier = Notifier(
        store,
        mailer,
        InlineQueue(),
        Links(Signer(b"k" * 32), "https://x"),
        "C <c@example.org>",
        "x",
        lambda: NOW,
    )
    notifier.run(manifest)
    notifier.run(manifest)
    assert sorted(mailer.sent) == ["r0@example.net", "r1@example.net", "r2@example.net"]


def test_reach_counters_add_up_per_subject_channel_and_day(store: Store) -> None:
    """Counters add, each key its own; sent times widen to the day's first and last; a
    day of events alone has none; ``since`` leaves out the days before it."""
    day, next_day = NOW.date(), NOW.date() + timedelta(days=1)
    store.count("alerts/flood", EMAIL, day, {"recipients": 1, "sent": 1}, NOW)
    store.count("alerts/flood", EMAIL, day, {"recipients": 1, "sent": 1}, NOW - timedelta(hours=1))
    store.count("alerts/flood", EMAIL, day, {"bounced_hard": 1, "recipients": 1})
    store.count("alerts/flood", TEXT, day, {"sent": 1, "segments": 2}, NOW)
    store.count("alerts/flood", EMAIL, next_day, {"opens": 1})
    store.count("subscriptions", EMAIL, next_day, {"joined": 1, "sign_ups": 1})
    store.count("subscriptions", EMAIL, next_day, {"sign_ups": 1})
    found = {(t.subject, t.channel, t.day): t for t in store.tallies()}
    email = found[("alerts/flood", EMAIL, day)]
    assert dict(email.counts) == {"recipients": 3, "sent": 2, "bounced_hard": 1}
    assert (email.first_sent, email.last_sent) == (NOW - timedelta(hours=1), NOW)
    assert dict(found[("alerts/flood", TEXT, day)].counts) == {"sent": 1, "segments": 2}
    events = found[("alerts/flood", EMAIL, next_day)]
    assert (dict(events.counts), events.first_sent) == ({"opens": 1}, None)
    assert dict(found[("subscriptions", EMAIL, next_day)].counts) == {"joined": 1, "sign_ups": 2}
    assert len(found) == 4
    later = {(t.subject, t.day) for t in store.tallies(next_day)}
    assert later == {("alerts/flood", next_day), ("subscriptions", next_day)}


def test_suppressions_are_counted_and_outlast_the_subscriber(store: Store) -> None:
    assert store.suppressed_count() == 0
    store.save_subscriber("a@example.net", "hash-a", PREFS, NOW)
    store.suppress("hash-a", "bounce", NOW)
    store.suppress("hash-b", "complaint", NOW)
    store.suppress("hash-b", "complaint", NOW)  # once is once
    assert store.suppressed_count() == 2


def test_candidates_include_everyone_an_item_may_concern(store: Store) -> None:
    choices = {
        "a": ({"alerts"}, {"walmer"}),
        "b": ({"alerts"}, {"all"}),
        "c": ({"notices"}, {"walmer"}),
        "d": ({"alerts"}, {"sandwich"}),
    }
    for name, (topics, wards) in choices.items():
        store.save_subscriber(
            f"{name}@example.net",
            f"hash-{name}",
            Preferences(frozenset(topics), frozenset(wards)),
            NOW,
        )
    store.save_subscriber(
        "d@example.net", "hash-d", Preferences(frozenset({"alerts"}), frozenset({"mill-hill"})), NOW
    )

    def names(topic: str, wards: list[str] | None, also: tuple[str, ...] = ()) -> set[str]:
        return {s.email[0] for s in store.candidates(topic, wards, also)}

    assert names("alerts", ["walmer"]) >= {"a", "b"}
    assert names("alerts", None) >= {"a", "b", "d"}
    assert names("alerts", ["walmer"], also=("hash-c",)) >= {"a", "b", "c"}
    if isinstance(store, DynamoStore):  # targeted: one query per ward, moved memberships
        assert names("alerts", ["walmer"]) == {"a", "b"}
        assert names("alerts", ["sandwich"]) == {"b"}
        assert names("alerts", ["mill-hill"]) == {"b", "d"}
        store.delete_subscriber("hash-b")
        assert names("alerts", None) == {"a", "d"}


# --- contact points and channels ------------------------------------------------------------

TEXTS = Preferences(
    frozenset({"notices"}), frozenset({"walmer"}), text_topics=frozenset({"alerts"})
)


def a_phone(number: str = "+447400900123", confirmed_at: datetime | None = None) -> Phone:
    return Phone(number, f"n-{number[-3:]}", f"stop{number[-3:]}", confirmed_at)


def test_a_number_waits_for_its_code_then_is_confirmed(store: Store) -> None:
    store.save_subscriber("a@example.net", "hash-a", TEXTS, NOW)
    assert store.save_phone("hash-a", a_phone(), "code-1", NOW + timedelta(minutes=30))
    waiting = store.subscriber_by_hash("hash-a")
    assert waiting is not None and waiting.waiting_phone == a_phone() and waiting.phone is None
    assert waiting.confirmed_since(TEXT) is None  # nothing by text until the code
    assert store.subscriber_by_phone("n-123") is None  # not theirs until then
    assert store.subscriber_by_stop_code("stop123") is None
    assert store.confirm_phone("hash-a", "wrong", NOW) is False
    assert store.confirm_phone("hash-a", "code-1", NOW + timedelta(minutes=1)) is True
    confirmed = store.subscriber_by_hash("hash-a")
    assert confirmed is not None and confirmed.waiting_phone is None
    assert confirmed.phone == a_phone(confirmed_at=NOW + timedelta(minutes=1))
    assert confirmed.topics_by(TEXT) == {"alerts"} and confirmed.topics_by(EMAIL) == {"notices"}
    assert store.subscriber_by_phone("n-123") == confirmed
    assert store.subscriber_by_stop_code("stop123") == confirmed
    assert store.confirm_phone("hash-a", "code-1", NOW) is None  # used: no code waits
    assert store.save_phone("hash-gone", a_phone("+447400900999"), "c", NOW) is False


def test_a_code_expires_and_allows_few_attempts(store: Store) -> None:
    store.save_subscriber("a@example.net", "hash-a", TEXTS, NOW)
    store.save_phone("hash-a", a_phone(), "code-1", NOW + timedelta(minutes=30))
    assert store.confirm_phone("hash-a", "code-1", NOW + timedelta(minutes=31)) is None
    store.save_phone("hash-a", a_phone(), "code-2", NOW + timedelta(minutes=30))
    for _ in range(CODE_ATTEMPTS):
        assert store.confirm_phone("hash-a", "guess", NOW) is False
    assert store.confirm_phone("hash-a", "code-2", NOW) is None  # too many guesses
    store.save_phone("hash-a", a_phone(), "code-3", NOW + timedelta(minutes=30))
    assert store.confirm_phone("hash-a", "code-3", NOW) is True  # a new code starts again


def test_a_new_number_waits_while_texts_go_to_the_old_one(store: Store) -> None:
    subscriber = store.save_subscriber("a@example.net", "hash-a", TEXTS, NOW)
    store.save_phone("hash-a", a_phone(), "code-1", NOW + timedelta(minutes=30))
    store.confirm_phone("hash-a", "code-1", NOW)
    store.claim(subscriber.id, "alerts/x", "r1", NOW, TEXT)
    store.mark(subscriber.id, "alerts/x", "r1", "sent", NOW, channel=TEXT)
    store.save_phone("hash-a", a_phone("+447400900456"), "code-2", NOW + timedelta(minutes=30))
    both = store.subscriber_by_hash("hash-a")
    assert both is not None and both.phone == a_phone(confirmed_at=NOW)
    assert both.waiting_phone == a_phone("+447400900456")
    store.drop_waiting_phone("hash-a")  # the provider refused the new one
    dropped = store.subscriber_by_hash("hash-a")
    assert dropped is not None and dropped.waiting_phone is None and dropped.phone is not None
    assert dropped.preferences.text_topics == {"alerts"}  # texts go on to the old one
    store.save_phone("hash-a", a_phone("+447400900456"), "code-3", NOW + timedelta(minutes=30))
    assert store.confirm_phone("hash-a", "code-3", NOW)
    moved = store.subscriber_by_hash("hash-a")
    assert moved is not None and moved.phone == a_phone("+447400900456", NOW)
    assert store.subscriber_by_phone("n-123") is None  # the old number is nobody's
    assert store.subscriber_by_phone("n-456") == moved == store.subscriber_by_stop_code("stop456")
    assert [e.channel for e in store.deliveries_of("hash-a")] == []  # the old number's texts


def test_a_number_belongs_to_whoever_typed_its_code(store: Store) -> None:
    store.save_subscriber("a@example.net", "hash-a", TEXTS, NOW)
    store.save_subscriber("b@example.net", "hash-b", TEXTS, NOW)
    store.save_phone("hash-a", a_phone(), "code-a", NOW + timedelta(minutes=30))
    assert store.confirm_phone("hash-a", "code-a", NOW)
    # Someone types a's number: a keeps it, and its stop link, until the code is typed.
    store.save_phone("hash-b", a_phone(), "code-b", NOW + timedelta(minutes=30))
    a = store.subscriber_by_hash("hash-a")
    assert a is not None and a.phone is not None and a.phone.confirmed_at == NOW
    assert store.subscriber_by_phone("n-123") == a == store.subscriber_by_stop_code("stop123")
    assert store.confirm_phone("hash-b", "code-b", NOW + timedelta(minutes=1))
    a, b = store.subscriber_by_hash("hash-a"), store.subscriber_by_hash("hash-b")
    assert a is not None and a.phone is None and a.preferences.text_topics == frozenset()
    assert b is not None and b.phone is not None and b.phone.confirmed_at is not None
    assert store.subscriber_by_phone("n-123") == b == store.subscriber_by_stop_code("stop123")


def test_the_ledger_is_kept_per_channel(store: Store) -> None:
    subscriber = store.save_subscriber("a@example.net", "hash-a", TEXTS, NOW)
    store.save_phone("hash-a", a_phone(), "c", NOW + timedelta(minutes=30))
    assert store.claim(subscriber.id, "alerts/x", "r1", NOW, EMAIL)
    assert store.claim(subscriber.id, "alerts/x", "r1", NOW, TEXT)  # a row of its own
    assert not store.claim(subscriber.id, "alerts/x", "r1", NOW, TEXT)
    store.mark(subscriber.id, "alerts/x", "r1", "sent", NOW, channel=TEXT)
    assert store.recipients_of("alerts/x", TEXT) == {subscriber.id}
    assert store.recipients_of("alerts/x", EMAIL) == set()  # the email is still pending
    assert store.defer(subscriber.id, "alerts/x", "r1", NOW, channel=EMAIL) is not None
    assert [(e.channel, e.state) for e in store.deliveries_of("hash-a")] == [
        ("email", "deferred"),
        ("text", "sent"),
    ] or [(e.channel, e.state) for e in store.deliveries_of("hash-a")] == [
        ("text", "sent"),
        ("email", "deferred"),
    ]
    owed = list(store.overdue(NOW + timedelta(hours=2)))
    assert [(o.item_id, o.channel) for o in owed] == [("alerts/x", EMAIL)]


def test_removing_a_number_keeps_the_email_and_forgets_the_texts(
    store: Store, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    subscriber = store.save_subscriber("a@example.net", "hash-a", TEXTS, NOW)
    store.save_phone("hash-a", a_phone(), "c", NOW + timedelta(minutes=30))
    store.confirm_phone("hash-a", "c", NOW)
    for channel in (EMAIL, TEXT):
        store.claim(subscriber.id, "alerts/x", "r1", NOW, channel)
        store.mark(subscriber.id, "alerts/x", "r1", "sent", NOW, channel=channel)
    store.hit(address_limit_key("n-123"), 5, 3600, NOW)
    assert store.remove_phone("hash-a") is True
    assert store.remove_phone("hash-a") is False
    kept = store.subscriber_by_hash("hash-a")
    assert kept is not None and kept.phone is None and kept.email == "a@example.net"
    assert kept.preferences.text_topics == frozenset() and kept.preferences.topics == {"notices"}
    assert [e.channel for e in store.deliveries_of("hash-a")] == [EMAIL]
    assert store.subscriber_by_phone("n-123") is None
    assert store.subscriber_by_stop_code("stop123") is None
    # Only the number's rate-limit window stays, until it expires: removing a number and
    # adding it again sends no more codes.
    left = [row for row in everything_in(store, tmp_path, request) if "n-123" in row]
    assert len(left) == 1 and "address:n-123" in left[0]


def test_erasing_a_subscriber_forgets_their_number(
    store: Store, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    subscriber = store.save_subscriber("a@example.net", "hash-a", TEXTS, NOW)
    store.save_phone("hash-a", a_phone(), "c", NOW + timedelta(minutes=30))
    store.confirm_phone("hash-a", "c", NOW)
    store.claim(subscriber.id, "alerts/x", "r1", NOW, TEXT)
    store.hit(address_limit_key("n-123"), 5, 3600, NOW)
    assert store.delete_subscriber("hash-a")
    left = everything_in(store, tmp_path, request)
    assert [row for row in left if "n-123" in row or "stop123" in row or "+44" in row] == []


def test_a_post_is_claimed_once_ever_and_threads_are_kept(store: Store) -> None:
    assert store.claim_post("bluesky", "alerts/x", "r1", NOW)
    assert not store.claim_post("bluesky", "alerts/x", "r1", NOW)  # in flight or made
    assert store.claim_post("mastodon", "alerts/x", "r1", NOW)  # another network
    store.mark_post("bluesky", "alerts/x", "r1", {"uri": "at://1", "url": "u1"}, NOW)
    store.mark_post("mastodon", "alerts/x", "r1", None, NOW)  # not taken: released
    assert store.claim_post("mastodon", "alerts/x", "r1", NOW)
    assert store.claim_post("bluesky", "alerts/y", "r1", NOW)
    store.mark_post("bluesky", "alerts/y", "r1", {"uri": "at://2", "url": "u2"}, NOW + timedelta(1))
    store.mark_post("bluesky", "alerts/y", "r1", None, NOW)  # a late release changes nothing
    assert store.posts_of("bluesky", ["alerts/x", "alerts/y"]) == [
        {"uri": "at://1", "url": "u1"},
        {"uri": "at://2", "url": "u2"},
    ]
    assert store.posts_of("mastodon", ["alerts/x"]) == []


def test_a_first_number_refused_takes_the_text_topics_with_it(store: Store) -> None:
    store.save_subscriber("a@example.net", "hash-a", TEXTS, NOW)
    store.save_phone("hash-a", a_phone(), "code-1", NOW + timedelta(minutes=30))
    store.drop_waiting_phone("hash-a")
    left = store.subscriber_by_hash("hash-a")
    assert left is not None and left.phone is None and left.waiting_phone is None
    assert left.preferences.text_topics == frozenset() and left.preferences.topics == {"notices"}
    store.drop_waiting_phone("hash-nobody")  # nothing to do


def test_a_window_is_read_without_counting(store: Store) -> None:
    assert store.used("address:n-1", 3600, NOW) == 0
    for _ in range(3):
        store.hit("address:n-1", 5, 3600, NOW)
    assert store.used("address:n-1", 3600, NOW + timedelta(minutes=59)) == 3
    assert store.used("address:n-1", 3600, NOW + timedelta(minutes=61)) == 0
