"""The SocialAccount port's contract, run on both adapters (Bluesky with the official
``atproto`` SDK, Mastodon with Mastodon.py) against the local stand-in in
``tests/fake_social.py``: what a post carries, replies, and how each network's failures
become the port's errors. Loopback only, with timeouts of a few seconds at most."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from subscriber_lambda.adapters.bluesky import BlueskyAccount, link_facets, record_key
from subscriber_lambda.adapters.mastodon import MastodonAccount
from subscriber_lambda.ports import (
    DeliveryDeferred,
    DeliveryRefused,
    PostKey,
    PostRef,
    ProviderUnavailable,
    SocialAccount,
    Thread,
)
from tests.fake_social import (
    ACCESS_TOKEN,
    APP_PASSWORD,
    HANDLE,
    FakeSocial,
    start_fake_social,
    stop_fake_social,
)
from tests.services import free_port

KEYS = itertools.count()
START = datetime(2026, 11, 28, 9, tzinfo=UTC)


def post_key() -> PostKey:
    """A new item revision's key."""
    n = next(KEYS)
    return PostKey(f"alerts/item-{n}@r{n}", START + timedelta(minutes=n))


@dataclass(frozen=True)
class Sent:
    """A post as the server recorded it, the same shape for both networks."""

    text: str
    lang: str
    parent: str | None  # Bluesky: the parent's uri; Mastodon: in_reply_to_id
    root: str | None  # Bluesky only: the root's uri


@dataclass(frozen=True)
class Network:
    name: str
    secret: str
    too_long: int  # the first length the network refuses
    invalid_status: int  # what it answers an invalid post with
    make: Callable[[str, str, float], SocialAccount]  # (server url, secret, timeout)
    sent: Callable[[FakeSocial], list[Sent]]
    parent_of: Callable[[PostRef], str]


def bluesky_sent(fake: FakeSocial) -> list[Sent]:
    out = []
    for post in fake.bluesky_posts:
        record: dict[str, Any] = post["record"]
        reply = record.get("reply")
        out.append(
            Sent(
                record["text"],
                record["langs"][0],
                reply["parent"]["uri"] if reply else None,
                reply["root"]["uri"] if reply else None,
            )
        )
    return out


def mastodon_sent(fake: FakeSocial) -> list[Sent]:
    return [
        Sent(status["text"], status["language"], status["in_reply_to_id"], None)
        for status in fake.mastodon_posts
    ]


NETWORKS = {
    "bluesky": Network(
        "bluesky",
        APP_PASSWORD,
        301,
        400,
        lambda url, secret, timeout: BlueskyAccount(HANDLE, secret, url, timeout=timeout),
        bluesky_sent,
        lambda ref: ref["uri"],
    ),
    "mastodon": Network(
        "mastodon",
        ACCESS_TOKEN,
        501,
        422,
        lambda url, secret, timeout: MastodonAccount(url, secret, timeout=timeout),
        mastodon_sent,
        lambda ref: ref["id"],
    ),
}


@pytest.fixture
def fake_social() -> Iterator[FakeSocial]:
    """The stand-in Bluesky PDS and Mastodon server, new for each test."""
    state, server, thread = start_fake_social()
    yield state
    stop_fake_social(server, thread)


@pytest.fixture(params=sorted(NETWORKS))
def network(request: pytest.FixtureRequest) -> Network:
    return NETWORKS[str(request.param)]


@pytest.fixture
def account(network: Network, fake_social: FakeSocial) -> SocialAccount:
    """The network's adapter, with good credentials, pointed at the stand-in."""
    return network.make(fake_social.url, network.secret, 5.0)


# --- what a post carries -----------------------------------------------------------------


def test_a_post_has_the_text_and_language(
    account: SocialAccount, network: Network, fake_social: FakeSocial
) -> None:
    ref = account.post("Bin collections are a day late this week.", "en-GB", post_key())

    assert account.network == network.name
    assert network.sent(fake_social) == [
        Sent(
            "Bin collections are a day late this week.",
            "en-GB" if network.name == "bluesky" else "en",
            None,
            None,
        )
    ]
    assert ref["url"].startswith("http")
    if network.name == "bluesky":
        assert set(ref) == {"uri", "cid", "url"}
        rkey = ref["uri"].rsplit("/", 1)[-1]
        assert ref["url"] == f"https://bsky.app/profile/{HANDLE}/post/{rkey}"
    else:
        assert set(ref) == {"id", "url"}
        assert fake_social.mastodon_posts[0]["visibility"] == "public"


def test_a_welsh_post_is_tagged_welsh(
    account: SocialAccount, network: Network, fake_social: FakeSocial
) -> None:
    account.post("Mae casgliadau biniau diwrnod yn hwyr.", "cy", post_key())

    assert network.sent(fake_social)[0].lang == "cy"


def test_bluesky_links_are_facets_counted_in_utf8_bytes(fake_social: FakeSocial) -> None:
    text = (
        "Llifogydd 🌊 ar Heol-y-Dŵr: https://example.gov.uk/alerts/flood-1. "
        "Map (https://example.gov.uk/map?area=3&x=1) and http://old.example.org/a_(b)"
    )
    account = BlueskyAccount(HANDLE, APP_PASSWORD, fake_social.url, timeout=5.0)
    account.post(text, "cy", post_key())

    facets = fake_social.bluesky_posts[0]["record"]["facets"]
    data = text.encode("utf-8")
    linked = [
        (
            data[f["index"]["byteStart"] : f["index"]["byteEnd"]].decode("utf-8"),
            f["features"][0]["uri"],
            f["features"][0]["$type"],
        )
        for f in facets
    ]
    assert linked == [
        (uri, uri, "app.bsky.richtext.facet#link")
        for uri in (
            "https://example.gov.uk/alerts/flood-1",
            "https://example.gov.uk/map?area=3&x=1",
            "http://old.example.org/a_(b)",
        )
    ]


def test_text_without_links_has_no_facets() -> None:
    assert link_facets("No links here, only example.gov.uk") == []


# --- replies ---------------------------------------------------------------------------


def test_a_reply_names_its_thread(
    account: SocialAccount, network: Network, fake_social: FakeSocial
) -> None:
    first = account.post("Road closed.", "en", post_key())
    second = account.post(
        "Update: diversion in place.", "en", post_key(), Thread(root=first, parent=first)
    )
    account.post("Road open again.", "en", post_key(), Thread(root=first, parent=second))

    sent = network.sent(fake_social)
    assert [s.parent for s in sent] == [None, network.parent_of(first), network.parent_of(second)]
    if network.name == "bluesky":
        assert [s.root for s in sent] == [None, first["uri"], first["uri"]]
        reply = fake_social.bluesky_posts[2]["record"]["reply"]
        assert reply["root"]["cid"] == first["cid"]
        assert reply["parent"]["cid"] == second["cid"]


# --- failures --------------------------------------------------------------------------


def test_rate_limited_is_deferred(
    account: SocialAccount, network: Network, fake_social: FakeSocial
) -> None:
    account.post("First.", "en", post_key())
    fake_social.fail_next(network.name, 429)

    with pytest.raises(DeliveryDeferred):
        account.post("Second.", "en", post_key())
    account.post("Second.", "en", post_key())  # later, it goes

    assert [s.text for s in network.sent(fake_social)] == ["First.", "Second."]


@pytest.mark.parametrize("status", [401, 403])
def test_refused_credentials_make_the_provider_unavailable(
    network: Network, fake_social: FakeSocial, status: int
) -> None:
    wrong = "wrong-" + network.secret
    account = network.make(fake_social.url, wrong, 5.0)
    if status == 403:  # a suspended account: the server refuses even good credentials
        fake_social.fail_next(network.name, status)

    with pytest.raises(ProviderUnavailable) as caught:
        account.post("Hello.", "en", post_key())

    assert wrong not in str(caught.value)
    assert network.secret not in str(caught.value)
    assert network.sent(fake_social) == []


@pytest.mark.parametrize("status", [500, 502])
def test_server_errors_make_the_provider_unavailable(
    account: SocialAccount, network: Network, fake_social: FakeSocial, status: int
) -> None:
    account.post("First.", "en", post_key())
    fake_social.fail_next(network.name, status)

    with pytest.raises(ProviderUnavailable) as caught:
        account.post("Second.", "en", post_key())
    assert network.secret not in str(caught.value)


def test_server_down_makes_the_provider_unavailable(network: Network) -> None:
    account = network.make(f"http://127.0.0.1:{free_port()}", network.secret, 2.0)

    with pytest.raises(ProviderUnavailable) as caught:
        account.post("Hello.", "en", post_key())
    assert network.secret not in str(caught.value)


def test_a_slow_server_times_out_as_unavailable(network: Network, fake_social: FakeSocial) -> None:
    account = network.make(fake_social.url, network.secret, 0.5)
    fake_social.delay_next(network.name, 2.0)

    started = time.monotonic()
    with pytest.raises(ProviderUnavailable):
        account.post("Hello.", "en", post_key())
    assert time.monotonic() - started < 1.9


def test_a_post_too_long_is_refused(
    account: SocialAccount, network: Network, fake_social: FakeSocial
) -> None:
    with pytest.raises(DeliveryRefused) as caught:
        account.post("a" * network.too_long, "en", post_key())

    assert network.sent(fake_social) == []
    assert "300" in str(caught.value) or "500" in str(caught.value)


def test_an_invalid_post_is_refused(
    account: SocialAccount, network: Network, fake_social: FakeSocial
) -> None:
    account.post("First.", "en", post_key())  # logged in
    fake_social.fail_next(network.name, network.invalid_status)

    with pytest.raises(DeliveryRefused):
        account.post("Second.", "en", post_key())


# --- Bluesky's session -----------------------------------------------------------------


@pytest.fixture
def bluesky(fake_social: FakeSocial) -> BlueskyAccount:
    return BlueskyAccount(HANDLE, APP_PASSWORD, fake_social.url, timeout=5.0)


def test_bluesky_logs_in_once_for_several_posts(
    bluesky: BlueskyAccount, fake_social: FakeSocial
) -> None:
    assert fake_social.requests == []  # nothing at construction
    for n in range(3):
        bluesky.post(f"Post {n}.", "en", post_key())

    assert fake_social.calls("com.atproto.server.createSession") == 1
    assert fake_social.calls("com.atproto.repo.putRecord") == 3
    assert bluesky.logins == 1


def test_bluesky_refreshes_a_token_about_to_expire(
    bluesky: BlueskyAccount, fake_social: FakeSocial
) -> None:
    fake_social.access_ttl = 60  # inside the SDK's 15 minutes' margin: it refreshes first
    bluesky.post("One.", "en", post_key())
    bluesky.post("Two.", "en", post_key())

    assert fake_social.calls("com.atproto.server.createSession") == 1
    assert fake_social.calls("com.atproto.server.refreshSession") >= 1
    assert len(fake_social.bluesky_posts) == 2


@pytest.mark.parametrize("lose", ["revoke_sessions", "expire_sessions"])
def test_bluesky_logs_in_again_when_its_session_is_refused(
    bluesky: BlueskyAccount, fake_social: FakeSocial, lose: str
) -> None:
    bluesky.post("One.", "en", post_key())
    getattr(fake_social, lose)()
    bluesky.post("Two.", "en", post_key())

    assert fake_social.calls("com.atproto.server.createSession") == 2
    assert [p["record"]["text"] for p in fake_social.bluesky_posts] == ["One.", "Two."]


def test_bluesky_password_changed_since_login_is_unavailable(fake_social: FakeSocial) -> None:
    account = BlueskyAccount(HANDLE, APP_PASSWORD, fake_social.url, timeout=5.0)
    account.post("One.", "en", post_key())
    fake_social.revoke_sessions()
    fake_social.fail_next("bluesky", 401, count=2)  # the post, then the new login

    with pytest.raises(ProviderUnavailable) as caught:
        account.post("Two.", "en", post_key())
    assert APP_PASSWORD not in str(caught.value)


# --- never twice ------------------------------------------------------------------


def test_a_retry_after_a_lost_answer_posts_once(
    network: Network, account: SocialAccount, fake_social: FakeSocial
) -> None:
    """The post was made but its answer lost: asked again with the same key, the network
    makes no second post (Bluesky: the same record key; Mastodon: the Idempotency-Key)."""
    account.post("Logged in.", "en", post_key())
    fake_social.lose_next_answer(network.name, 502)
    same = post_key()
    with pytest.raises(ProviderUnavailable):
        account.post("Flood warning lifted.", "en", same)
    ref = account.post("Flood warning lifted.", "en", same)

    sent = network.sent(fake_social)
    assert [post.text for post in sent] == ["Logged in.", "Flood warning lifted."]
    assert ref["url"]


def test_different_revisions_are_different_posts_even_in_the_same_words(
    network: Network, account: SocialAccount, fake_social: FakeSocial
) -> None:
    assert fake_social.requests == []  # no version check or login at construction
    first = account.post("Same words.", "en", post_key())
    account.post("Same words.", "en", post_key(), Thread(root=first, parent=first))
    account.post("Same words.", "cy", post_key())
    assert len(network.sent(fake_social)) == 3


def test_a_bluesky_record_key_is_a_tid_of_the_revisions_time() -> None:
    key = PostKey("alerts/flood@2026-11-28T09:00:00+00:00", datetime(2026, 11, 28, 9, tzinfo=UTC))
    rkey = record_key(key)
    assert len(rkey) == 13 and rkey[0] in "234567abcdefghij"  # the top bit is 0
    assert rkey == record_key(key) != record_key(PostKey("alerts/other@x", key.at))
    later = record_key(PostKey(key.name, key.at + timedelta(seconds=1)))
    assert later > rkey  # sorts by time, as TIDs do
