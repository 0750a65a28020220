"""One contract for every store: the embedded SQLite store and the DynamoDB store (run
against AWS's DynamoDB Local) must behave the same."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from subscriber_lambda.adapters.dynamodb_store import DynamoStore
from subscriber_lambda.adapters.sqlite_store import SqliteStore
from subscriber_lambda.core.preferences import Preferences
from subscriber_lambda.core.retry import MAX_ATTEMPTS
from subscriber_lambda.ports import Store
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


def test_the_ledger_sends_each_revision_once(store: Store) -> None:
    subscriber = store.save_subscriber("a@example.net", "hash-a", PREFS, NOW)
    assert store.claim(subscriber.id, "alerts/x", "r1", NOW) is True
    assert store.claim(subscriber.id, "alerts/x", "r1", NOW) is True  # still pending: in flight
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
    assert store.claim(subscriber.id, "alerts/x", "r1", retry) is True  # pending: in flight
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
                "revision": "r1",
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


def test_mail_events_are_counted_per_item(store: Store) -> None:
    for kind in ("delivery", "delivery", "open", "click"):
        store.count_event("alerts_flood", kind)
    assert store.event_counts("alerts_flood") == {"delivery": 2, "open": 1, "click": 1}
    assert store.event_counts("notices_plan") == {}


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
