"""The texts journey through the AWS handlers: the HTTP function (API Gateway payloads, the
routes behind Mangum), the SQS workers (the confirmation email, the code by text, the
alerts), the publishing function (plans, posts); DynamoDB Local, moto's S3 and SQS, the
End User Messaging SMS stand-in (moto has no such service) and the social stand-in."""

from __future__ import annotations

import html
import re
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from email.message import Message
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from mangum import Mangum

from subscriber_lambda.adapters.bluesky import BlueskyAccount
from subscriber_lambda.adapters.mastodon import MastodonAccount
from subscriber_lambda.adapters.s3_site import SiteBucket
from subscriber_lambda.adapters.sms_voice import AmazonTexts
from subscriber_lambda.adapters.sqs_queue import SqsJobs
from subscriber_lambda.asgi import create_app
from subscriber_lambda.aws_entry import site_files
from subscriber_lambda.aws_lambda import publish
from subscriber_lambda.core.tokens import Signer
from subscriber_lambda.pages import Pages
from subscriber_lambda.site_data import SiteData
from subscriber_lambda.social import SocialPoster
from subscriber_lambda.web import Subscriptions
from tests.aws_events import FORM, api_event
from tests.fake_sms_voice import FakeSmsVoice, fake_sms_voice
from tests.fake_social import (
    ACCESS_TOKEN,
    APP_PASSWORD,
    HANDLE,
    FakeSocial,
    start_fake_social,
    stop_fake_social,
)
from tests.sitebuilder import build, item
from tests.test_aws import KEY, NOW, Built, World
from tests.test_aws import endpoints as endpoints  # the fixture: DynamoDB Local, moto
from tests.test_text_providers import sms_client

NUMBER = "+447400900123"
TODAY = "2026-11-28 "  # NOW's day: posts are made for items revised within a day
FLOOD = {
    "alerts/flood.md": item(
        "alerts",
        Slug="flood",
        Title="Flood warning: Walmer",
        Wards="walmer",
        Date="2026-11-28 11:00",
    )
}
UPDATED = {
    **FLOOD,
    "alerts/flood-update.md": item(
        "alerts",
        Slug="flood-update",
        Title="Flood warning extended: Walmer",
        Wards="walmer",
        Updates="flood",
        Date=TODAY + "11:30",
    ),
}


@pytest.fixture
def sms() -> Iterator[FakeSmsVoice]:
    with fake_sms_voice() as fake:
        yield fake


@pytest.fixture
def social() -> Iterator[FakeSocial]:
    state, server, thread = start_fake_social()
    yield state
    stop_fake_social(server, thread)


class TextsWorld(World):
    """The AWS world with texts and the council's accounts configured."""

    def __init__(
        self, services: tuple[str, str], root: Path, sms: FakeSmsVoice, social: FakeSocial
    ) -> None:
        self.root = root
        super().__init__(services, build(root / "site", FLOOD, now=NOW.isoformat()))
        self.outbox = Outbox()
        self.texts = AmazonTexts(client=sms_client(sms))
        self.social_accounts = [
            BlueskyAccount(HANDLE, APP_PASSWORD, social.url, timeout=5.0),
            MastodonAccount(social.url, ACCESS_TOKEN, timeout=5.0),
        ]

    def components(self, mailer: Any = None, now: Any = NOW) -> Built:
        built = super().components(mailer or self.outbox, now)
        poster = SocialPoster(self.store, self.social_accounts, frozenset({"alerts"}), built.clock)
        notifier = replace(built.notifier, texts=self.texts)
        pages = Pages(SiteData.load(self.site), "https://n.example.org", texts=True)
        jobs = replace(built.mail_jobs, pages=pages, texts=self.texts, key=KEY)
        return replace(built, notifier=notifier, mail_jobs=jobs, social=poster)

    def http(self, store: Any = None, now: datetime = NOW) -> Mangum:
        pages = Pages(
            site_files(SiteBucket(self.bucket, self.moto)), "https://n.example.org", texts=True
        )
        jobs = SqsJobs(self.queues["routine"], self.moto)
        routes = Subscriptions(store or self.store, jobs, Signer(KEY), pages, KEY, lambda: now)
        return Mangum(create_app(routes, "https://n.example.org", None), lifespan="off")

    def publish_site(self, files: dict[str, str]) -> None:
        site = build(self.root / "site", files, now=NOW.isoformat())
        body = (site / "api" / "v1" / "notify.json").read_bytes()
        self.s3.put_object(Bucket=self.bucket, Key="api/v1/notify.json", Body=body)


@pytest.fixture
def world(
    endpoints: tuple[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    sms: FakeSmsVoice,
    social: FakeSocial,
) -> TextsWorld:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return TextsWorld(endpoints, tmp_path, sms, social)


def call(app: Mangum, path: str, fields: dict[str, Any]) -> str:
    """POST a form to the HTTP function, as API Gateway passes it on."""
    body = urlencode(fields, doseq=True).encode()
    answer = app(api_event("POST", path, body, FORM), None)
    assert answer["statusCode"] == 200, answer
    return str(answer["body"])


class Outbox:
    """A mailer keeping each message's plain text."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def send(self, message: Message) -> None:
        part = next(p for p in message.walk() if p.get_content_type() == "text/plain")
        payload = part.get_payload(decode=True)
        assert isinstance(payload, bytes)
        self.messages.append(payload.decode())


def test_texts_and_posts_through_the_aws_handlers(
    world: TextsWorld, sms: FakeSmsVoice, social: FakeSocial
) -> None:
    signed_up = NOW - timedelta(hours=2)  # before the alerts
    app, components = world.http(now=signed_up), world.components(now=signed_up)
    call(
        app,
        "/subscriptions/subscribe",
        {
            "email": "r@example.net",
            "topics": "alerts",
            "wards": "walmer",
            "phone": "07400900123",
            "text_topics": "alerts",
        },
    )
    world.drain(components, "routine")  # the confirmation email
    (confirmation,) = world.outbox.messages
    link = re.search(r"/subscriptions/confirm\?token=([^&\s]+)", confirmation)
    assert link is not None
    page = call(app, "/subscriptions/confirm", {"token": link.group(1)})
    assert "Now confirm your mobile number" in page
    world.drain(components, "routine")  # the code, by text
    (code_text,) = sms.sent
    assert code_text.number == NUMBER and code_text.message_type == "TRANSACTIONAL"
    code = re.search(r"\b(\d{6})\b", code_text.body)
    token = re.search(r'name="token" value="([^"]+)"', page)
    assert code is not None and token is not None
    fields = {"token": html.unescape(token.group(1)), "code": code.group(1)}
    assert "Your number is confirmed" in call(app, "/subscriptions/confirm-phone", fields)

    components = world.components()
    publish(components, world.s3_event())
    world.drain(components, "alerts")
    alerts = [t for t in sms.sent if t.context.get("reference") == "alerts/flood"]
    assert len(alerts) == 1 and "Stop: https://n.example.org/s?c=" in (alerts[0].body)
    assert len(social.bluesky_posts) == 1 and len(social.mastodon_posts) == 1

    world.publish_site(UPDATED)
    for _ in range(2):  # S3 told twice, SQS brought the messages twice
        publish(components, world.s3_event())
        world.drain(components, "alerts")
    assert [t.context["reference"] for t in sms.sent[1:]] == ["alerts/flood", "alerts/flood-update"]
    root, reply = social.bluesky_posts
    assert reply["record"]["reply"]["root"]["uri"] == root["uri"]
    assert social.mastodon_posts[1]["in_reply_to_id"] == social.mastodon_posts[0]["id"]

    # STOP puts the number on the provider's opt-out list: the next text is refused there,
    # and the number forgotten; the emails go on.
    sms.opt_out(NUMBER)
    world.publish_site(
        {
            **UPDATED,
            "alerts/storm.md": item(
                "alerts", Slug="storm", Wards="walmer", Date="2026-11-28 11:50"
            ),
        }
    )
    publish(components, world.s3_event())
    world.drain(components, "alerts")
    assert len(sms.sent) == 3
    subscriber = next(iter(world.store.subscribers()))
    assert subscriber.phone is None
    assert "Flood alert: River Stour" in world.outbox.messages[-1]  # the storm's email
