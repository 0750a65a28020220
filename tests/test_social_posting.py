"""Posting items on the council's accounts (``social.SocialPoster``) with the real adapters,
against the local Bluesky and Mastodon stand-in, and the real SQLite store."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from subscriber_lambda.adapters.bluesky import BlueskyAccount
from subscriber_lambda.adapters.mastodon import MastodonAccount
from subscriber_lambda.adapters.sqlite_store import SqliteStore
from subscriber_lambda.social import POST_WINDOW, SocialPoster
from tests.fake_social import (
    ACCESS_TOKEN,
    APP_PASSWORD,
    HANDLE,
    FakeSocial,
    start_fake_social,
    stop_fake_social,
)

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def item(slug: str, revision: datetime = NOW, **values: Any) -> dict[str, Any]:
    return {
        "id": f"alerts/{slug}",
        "revision": revision.isoformat(),
        "type": "alerts",
        "urgency": "immediate",
        "exercise": False,
        "versions": [{"lang": "en", "post": {"body": f"{slug} https://x.example/{slug}/"}}],
        **values,
    }


@pytest.fixture
def fake() -> Iterator[FakeSocial]:
    state, server, thread = start_fake_social()
    yield state
    stop_fake_social(server, thread)


@pytest.fixture
def poster(fake: FakeSocial, tmp_path: Path) -> Iterator[SocialPoster]:
    store = SqliteStore(tmp_path / "db.sqlite")
    accounts = [
        BlueskyAccount(HANDLE, APP_PASSWORD, fake.url, timeout=5.0),
        MastodonAccount(fake.url, ACCESS_TOKEN, timeout=5.0),
    ]
    yield SocialPoster(store, accounts, frozenset({"alerts"}), lambda: NOW)
    store.close()


def texts(fake: FakeSocial) -> tuple[list[str], list[str]]:
    bluesky = [post["record"]["text"].split()[0] for post in fake.bluesky_posts]
    return bluesky, [post["text"].split()[0] for post in fake.mastodon_posts]


def test_each_item_is_posted_once_on_each_network_whatever_is_run_again(
    poster: SocialPoster, fake: FakeSocial
) -> None:
    items = [item("flood")]
    assert poster.post_all(items, send_exercises=False) == 2
    assert poster.post_all(items, send_exercises=False) == 0
    assert texts(fake) == (["flood"], ["flood"])
    assert fake.bluesky_posts[0]["record"]["langs"] == ["en"]


def test_an_update_is_a_reply_in_the_thread_of_what_it_updates(
    poster: SocialPoster, fake: FakeSocial
) -> None:
    poster.post_all([item("flood")], send_exercises=False)
    update = item("flood-update", NOW + timedelta(minutes=5), supersedes="alerts/flood")
    poster.post_all([item("flood"), update], send_exercises=False)
    changed = {**update, "revision": (NOW + timedelta(minutes=9)).isoformat()}  # a correction
    poster.post_all([item("flood"), changed], send_exercises=False)

    root, reply, correction = fake.bluesky_posts
    assert "reply" not in root["record"]
    assert reply["record"]["reply"]["root"]["uri"] == root["uri"]
    assert reply["record"]["reply"]["parent"]["uri"] == root["uri"]
    assert correction["record"]["reply"]["root"]["uri"] == root["uri"]
    assert correction["record"]["reply"]["parent"]["uri"] == reply["uri"]
    first, second, third = fake.mastodon_posts
    assert first["in_reply_to_id"] is None
    assert (second["in_reply_to_id"], third["in_reply_to_id"]) == (first["id"], second["id"])


def test_only_new_items_of_the_topics_posted_go_and_exercises_only_when_sent(
    poster: SocialPoster, fake: FakeSocial
) -> None:
    old = item("old", NOW - POST_WINDOW - timedelta(minutes=1))
    notice = {**item("notice"), "id": "notices/notice", "type": "notices", "urgency": "normal"}
    drill = item("drill", exercise=True)
    assert poster.count_due([old, notice, drill], send_exercises=False) == 0
    poster.post_all([old, notice, drill], send_exercises=False)
    assert texts(fake) == ([], [])
    poster.post_all([drill], send_exercises=True)
    assert texts(fake) == (["drill"], ["drill"])


def test_a_network_that_is_down_stops_neither_the_other_nor_the_next_run(
    poster: SocialPoster, fake: FakeSocial
) -> None:
    fake.fail_next("bluesky", 503)
    items = [item("flood"), item("storm")]
    assert poster.post_all(items, send_exercises=False) == 2  # Mastodon's two
    assert texts(fake) == ([], ["flood", "storm"])
    assert poster.post_all(items, send_exercises=False) == 2  # Bluesky's, now it is back
    assert sorted(texts(fake)[0]) == ["flood", "storm"]
    assert len(fake.mastodon_posts) == 2


def test_a_lost_answer_then_a_retry_makes_one_post(poster: SocialPoster, fake: FakeSocial) -> None:
    poster.post_all([item("first")], send_exercises=False)  # logged in
    fake.lose_next_answer("bluesky", 502)
    fake.lose_next_answer("mastodon", 502)
    assert poster.post_all([item("flood")], send_exercises=False) == 0
    assert poster.post_all([item("flood")], send_exercises=False) == 2
    assert texts(fake) == (["first", "flood"], ["first", "flood"])


def test_a_refused_post_is_logged_and_the_rest_go(
    poster: SocialPoster, fake: FakeSocial, caplog: pytest.LogCaptureFixture
) -> None:
    poster.post_all([item("first")], send_exercises=False)  # logged in
    fake.fail_next("bluesky", 400)
    assert poster.post_all([item("bad"), item("good")], send_exercises=False) == 3
    assert texts(fake)[0] == ["first", "good"]
    assert "bluesky refused the post" in caplog.text
