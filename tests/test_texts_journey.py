"""A resident who wants alerts by text, end to end on the embedded default: the subscribe
form over HTTP, the confirmation email through SMTP, the code by text through the GOV.UK
Notify client to the local Notify stand-in, ``python -m subscriber_lambda notify`` as a
council runs it, and the council's Bluesky and Mastodon accounts on the local stand-in."""

from __future__ import annotations

import html
import json
import os
import re
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller

from plugins.govuk_theme.interface import TRANSLATIONS_DIR as THEME_TRANSLATIONS
from subscriber_lambda.adapters.sqlite_store import SqliteStore
from subscriber_lambda.core.addresses import address_hash
from subscriber_lambda.core.catalogues import catalogue
from subscriber_lambda.core.phones import CODES_PER_HOUR
from subscriber_lambda.core.texts import text_length
from subscriber_lambda.core.tokens import Purpose, Signer
from subscriber_lambda.languages import DOMAIN, TRANSLATIONS
from subscriber_lambda.ports import Subscriber
from tests.fake_notify import API_KEY, SMS_TEMPLATE, FakeNotify, fake_notify
from tests.fake_social import (
    ACCESS_TOKEN,
    APP_PASSWORD,
    HANDLE,
    FakeSocial,
    start_fake_social,
    stop_fake_social,
)
from tests.http_server import backend_environment, running
from tests.services import free_port
from tests.sitebuilder import build, item
from tests.test_subscriptions import KEY, Inbox, body, confirmation_link, fetch

LONDON = ZoneInfo("Europe/London")
NUMBER = "+447400900123"
# Items are published an hour ago and residents signed up before that: posts are made only
# for items revised within the last day, and notify runs on the real clock.
NOW = datetime.now(UTC).replace(second=0, microsecond=0)


def local(moment: datetime) -> str:
    return moment.astimezone(LONDON).strftime("%Y-%m-%d %H:%M")


def alert(slug: str, minutes_ago: int, **fields: str) -> str:
    return item(
        "alerts",
        Slug=slug,
        Wards="walmer",
        Date=local(NOW - timedelta(minutes=minutes_ago)),
        Expires=local(NOW + timedelta(days=2)),
        **fields,
    )


FLOOD = {"alerts/flood.md": alert("flood", 60, Title="Flood warning: Walmer seafront")}
UPDATED = {
    **FLOOD,
    "alerts/flood-update.md": alert(
        "flood-update", 30, Title="Flood warning extended: Walmer seafront", Updates="flood"
    ),
}
STORM = {**UPDATED, "alerts/storm.md": alert("storm", 10, Title="Storm warning: Walmer")}


@dataclass
class Journey:
    tmp: Path
    base: str
    inbox: Inbox
    notify_api: FakeNotify
    social: FakeSocial
    env: dict[str, str]

    def post(self, path: str, fields: dict[str, Any]) -> tuple[int, str]:
        request = urllib.request.Request(
            self.base + path,
            data=urlencode(fields, doseq=True).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        return fetch(request)

    def get(self, url: str) -> tuple[int, str]:
        return fetch(urllib.request.Request(url if url.startswith("http") else self.base + url))

    def publish(self, files: dict[str, str]) -> Path:
        """The officer's commit, built as the site is built."""
        return build(self.tmp / "site", files, now=NOW.isoformat())

    def notify(self, site: Path, **env: str) -> subprocess.CompletedProcess[str]:
        manifest = site / "api" / "v1" / "notify.json"
        return subprocess.run(
            [sys.executable, "-m", "subscriber_lambda", "notify", str(manifest)],
            env={**os.environ, **self.env, "SITE_URL": self.base, **env},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def texts(self) -> list[str]:
        """The alert texts the provider took (codes left out)."""
        return [
            a.personalisation["body"]
            for a in self.notify_api.sent("sms")
            if a.reference != "phone-code"
        ]

    def wait_for_code(self, count: int = 1) -> str:
        """The code in the ``count``th code texted, once it has been."""
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            codes = [a for a in self.notify_api.sent("sms") if a.reference == "phone-code"]
            if len(codes) >= count:
                found = re.search(r"\b(\d{6})\b", codes[count - 1].personalisation["body"])
                assert found is not None
                return found.group(1)
            time.sleep(0.05)
        raise AssertionError(f"no code number {count} was texted")


def secret_file(folder: Path, name: str, value: str) -> str:
    path = folder / name
    path.write_text(value + "\n")
    path.chmod(0o600)
    return path.as_uri()


@pytest.fixture
def journey(tmp_path: Path) -> Iterator[Journey]:
    site = build(tmp_path / "site", FLOOD, now=NOW.isoformat())
    inbox = Inbox()
    smtp_port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    social, social_server, social_thread = start_fake_social()
    var = tmp_path / "var"
    env = backend_environment(var, KEY, smtp_port)
    try:
        with fake_notify() as notify_api:
            env.update(
                {
                    "SUBSCRIBER_TEXTS": "notify:",
                    "NOTIFY_API_KEY": secret_file(var, "notify-key", API_KEY),
                    "NOTIFY_SMS_TEMPLATE": SMS_TEMPLATE,
                    "NOTIFY_BASE_URL": notify_api.url,
                    "SOCIAL_BLUESKY": social.url.replace("http://", f"http://{HANDLE}@"),
                    "SOCIAL_BLUESKY_PASSWORD": secret_file(var, "bluesky", APP_PASSWORD),
                    "SOCIAL_MASTODON": social.url,
                    "SOCIAL_MASTODON_TOKEN": secret_file(var, "mastodon", ACCESS_TOKEN),
                }
            )
            signed_up = lambda: datetime.now(UTC) - timedelta(hours=2)  # noqa: E731
            with running(site, env, signed_up) as base:
                yield Journey(tmp_path, base, inbox, notify_api, social, env)
    finally:
        stop_fake_social(social_server, social_thread)
        controller.stop()


def sign_up_for_texts(
    journey: Journey, email: str = "resident@example.net", lang: str = "en"
) -> None:
    """Sign up for alerts by email and text, in ``lang``, and confirm both."""
    said = catalogue(TRANSLATIONS, lang, DOMAIN).gettext
    status, page = journey.post(
        "/subscriptions/subscribe",
        {
            "email": email,
            "topics": ["alerts"],
            "wards": ["walmer"],
            "frequency": "immediate",
            "phone": "07400 900 123",
            "text_topics": ["alerts"],
            "lang": lang,
        },
    )
    assert status == 200, page
    link = confirmation_link(journey.inbox.wait_for(email, 1)[0])
    status, page = journey.get(link)
    token = re.search(r'name="token" value="([^"]+)"', page)
    assert token is not None
    status, page = journey.post("/subscriptions/confirm", {"token": html.unescape(token.group(1))})
    assert status == 200 and said("Now confirm your mobile number") in page
    assert "\u2022\u2022\u2022\u2022 123" in page and NUMBER not in page
    phone_token = re.search(
        r'action="(/subscriptions/confirm-phone[^"]*)"[^>]*>\s*<input type="hidden" name="token" '
        r'value="([^"]+)"',
        page,
    )
    assert phone_token is not None
    code = journey.wait_for_code()
    wrong = "000000" if code != "000000" else "111111"
    confirm_phone = html.unescape(phone_token.group(1))
    fields = {"token": html.unescape(phone_token.group(2))}
    status, page = journey.post(confirm_phone, {**fields, "code": wrong})
    assert status == 400 and said("That code is not right: check the text") in page
    status, page = journey.post(confirm_phone, {**fields, "code": code})
    assert status == 200 and said("Your number is confirmed") in page


def test_a_resident_gets_each_alert_once_by_text_and_the_council_posts_it_once(
    journey: Journey,
) -> None:
    sign_up_for_texts(journey)
    code_text = journey.notify_api.sent("sms")[0]
    assert code_text.to == NUMBER and code_text.template_id == SMS_TEMPLATE

    run = journey.notify(journey.publish(FLOOD))
    assert run.returncode == 0, run.stderr
    assert "notify plan: 1 new or changed item; up to 1 email, 1 text (2 segments), 2 posts" in (
        run.stderr
    )
    assert "1 emails sent" in run.stdout and "1 texts sent (2 segments)" in run.stdout
    assert "2 posts" in run.stdout
    (text,) = journey.texts()
    assert text.startswith("Moderate alert: Flood warning: Walmer seafront\n")
    assert f"\nhttp://127.0.0.1:8000/alerts/flood/\nStop: {journey.base}/s?c=" in (text)
    assert text_length(text).segments <= 2
    assert len(journey.inbox.to("resident@example.net")) == 2  # the confirmation, the alert
    (bluesky,) = journey.social.bluesky_posts
    (mastodon,) = journey.social.mastodon_posts
    assert "Flood warning: Walmer seafront" in bluesky["record"]["text"]
    assert bluesky["record"]["langs"] == ["en"] and mastodon["language"] == "en"

    # The warning is extended: one more text, and a reply in each network's thread.
    run = journey.notify(journey.publish(UPDATED))
    assert run.returncode == 0, run.stderr
    assert len(journey.texts()) == 2 and "extended" in journey.texts()[1]
    root, reply = journey.social.bluesky_posts
    assert reply["record"]["reply"]["root"]["uri"] == root["uri"]
    first, second = journey.social.mastodon_posts
    assert second["in_reply_to_id"] == first["id"]

    # Running notify again sends and posts nothing.
    again = journey.notify(journey.publish(UPDATED))
    assert again.returncode == 0, again.stderr
    assert "notify plan: 0 new or changed items" in again.stderr
    assert "0 texts sent" in again.stdout and "0 posts" in again.stdout
    assert len(journey.texts()) == 2 and len(journey.social.bluesky_posts) == 2
    assert len(journey.social.mastodon_posts) == 2

    # The resident replies STOP: the next alert comes by email only.
    journey.notify_api.receive(NUMBER.lstrip("+"), "STOP texts please")
    site = journey.publish(STORM)
    run = journey.notify(site)
    assert run.returncode == 0, run.stderr
    assert len(journey.texts()) == 2
    figures = reach(journey, site)  # the STOP counts against the last text they got
    texts = {key: row["unsubscribes"] for key, row in figures.items() if key[1] == "text"}
    assert texts == {("alerts/flood", "text"): 0, ("alerts/flood-update", "text"): 1}
    assert "Storm warning" in body(journey.inbox.to("resident@example.net")[-1], "plain")
    resident = stored(journey)
    assert resident.phone is None and resident.preferences.text_topics == frozenset()
    # ...and can still change their emails.
    fields = {"action": "update", "topics": ["alerts", "notices"], "wards": ["walmer"]}
    status, page = journey.post(manage_link(journey), {**fields, "frequency": "immediate"})
    assert status == 200 and "Your choices are saved" in page


def test_emails_and_posts_go_when_the_text_provider_cannot_say_who_replied_stop(
    journey: Journey,
) -> None:
    sign_up_for_texts(journey)
    journey.notify_api.fail_next(1, 503)  # reading received texts fails; sending works
    run = journey.notify(journey.publish(FLOOD))
    assert run.returncode == 0, run.stderr
    assert "could not read who replied STOP" in run.stderr
    assert len(journey.texts()) == 1 and len(journey.social.mastodon_posts) == 1
    assert len(journey.inbox.to("resident@example.net")) == 2


def test_the_stop_link_in_a_text_stops_texts_and_keeps_emails(journey: Journey) -> None:
    sign_up_for_texts(journey)
    journey.notify(journey.publish(FLOOD))
    (text,) = journey.texts()
    link = text.rsplit("Stop: ", 1)[1]
    status, page = journey.get(link)  # a phone's link preview changes nothing
    assert status == 200 and "Stop texts" in page
    run = journey.notify(journey.publish(UPDATED), DRY_RUN="1")
    assert "up to 1 email, 1 text" in run.stderr and "DRY_RUN" in run.stderr
    assert len(journey.texts()) == 1 and len(journey.social.bluesky_posts) == 1
    status, page = journey.post(link.removeprefix(journey.base), {})
    assert status == 200 and "Texts stopped" in page
    site = journey.publish(UPDATED)
    run = journey.notify(site)
    assert run.returncode == 0, run.stderr
    assert len(journey.texts()) == 1
    assert "extended" in body(journey.inbox.to("resident@example.net")[-1], "plain")

    # The reach report counts the stop against the text it came in (docs/reach.md).
    figures = reach(journey, site)
    counted = ("recipients", "sent", "segments", "posts", "unsubscribes", "bounced", "within_1m")
    assert {key: [row[c] for c in counted] for key, row in figures.items()} == {
        ("alerts/flood", "email"): [1, 1, None, None, 0, 0, 0.0],  # an hour after publishing
        ("alerts/flood", "text"): [1, 1, 2, None, 1, 0, 0.0],  # two segments; stopped
        ("alerts/flood", "social"): [0, 2, None, 2, 0, 0, None],  # Bluesky and Mastodon
        ("alerts/flood-update", "email"): [1, 1, None, None, 0, 0, 0.0],
        ("alerts/flood-update", "social"): [0, 2, None, 2, 0, 0, None],  # no text: stopped
    }


def reach(journey: Journey, site: Path) -> dict[tuple[str, str], dict[str, Any]]:
    """The report command's rows, by item and channel, as the council runs it."""
    path = journey.tmp / "reach.json"
    arguments = ["report", "--json", str(path), "--site-dir", str(site)]
    done = subprocess.run(
        [sys.executable, "-m", "subscriber_lambda", *arguments],
        env={**os.environ, **journey.env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0 and done.stdout.startswith("report: "), done.stderr
    report = json.loads(path.read_text())
    return {(row["id"], row["channel"]): row for row in report["items"]}


def manage_link(journey: Journey, email: str = "resident@example.net") -> str:
    token = Signer(KEY).make(
        Purpose.MANAGE, {"h": address_hash(email, KEY)}, NOW - timedelta(hours=2)
    )
    return f"/subscriptions/manage?token={token}"


def stored(journey: Journey) -> Subscriber:
    store = SqliteStore(journey.tmp / "var" / "subscribers.db")
    try:
        (resident,) = list(store.subscribers())
        return resident
    finally:
        store.close()


def test_the_manage_page_changes_what_comes_by_text_and_the_number(journey: Journey) -> None:
    sign_up_for_texts(journey)
    link = manage_link(journey)
    status, page = journey.get(link)
    assert status == 200 and "Texts go to \u2066\u2022\u2022\u2022\u2022 123\u2069" in page
    assert NUMBER not in page and "07400" not in page

    fields = {"action": "update", "topics": ["alerts"], "wards": ["walmer"], "lang": "en"}
    status, page = journey.post(link, {**fields, "frequency": "immediate"})
    assert status == 200 and "Your choices are saved" in page
    assert stored(journey).preferences.text_topics == frozenset()  # no texts ticked

    status, page = journey.post(link, {**fields, "text_topics": ["alerts"], "phone": "12"})
    assert status == 400 and "Enter a real mobile phone number" in page

    # A new number: a code goes to it, and texts go to the old one until it is typed.
    new = {**fields, "text_topics": ["alerts"], "phone": "07400 900 456"}
    status, page = journey.post(link, new)
    assert status == 200 and "Confirm your mobile number" in page
    journey.wait_for_code(2)
    assert journey.notify_api.sent("sms")[-1].to == "+447400900456"
    resident = stored(journey)
    assert resident.phone is not None and resident.phone.number == NUMBER
    assert resident.waiting_phone is not None
    assert resident.waiting_phone.number == "+447400900456"
    status, page = journey.get(link)
    assert "456\u2069 is waiting for its code" in page and "Confirm my number" in page

    status, page = journey.post(link, {"action": "remove-phone"})
    assert status == 200 and "Your choices are saved" in page
    resident = stored(journey)
    assert resident.phone is None and resident.waiting_phone is None
    assert resident.preferences.text_topics == frozenset()


def test_a_code_is_locked_after_five_wrong_tries_and_a_new_one_works(journey: Journey) -> None:
    status, _ = journey.post(
        "/subscriptions/subscribe",
        {
            "email": "guess@example.net",
            "topics": ["alerts"],
            "wards": ["walmer"],
            "phone": "07400 900 789",
            "text_topics": ["alerts"],
        },
    )
    link = confirmation_link(journey.inbox.wait_for("guess@example.net", 1)[0])
    _, page = journey.get(link)
    token = re.search(r'name="token" value="([^"]+)"', page)
    assert token is not None
    _, page = journey.post("/subscriptions/confirm", {"token": html.unescape(token.group(1))})
    form_token = re.findall(r'name="token" value="([^"]+)"', page)[0]
    fields = {"token": html.unescape(form_token)}
    code = journey.wait_for_code()
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        status, page = journey.post("/subscriptions/confirm-phone", {**fields, "code": wrong})
        assert status == 400 and "That code is not right" in page
    status, page = journey.post("/subscriptions/confirm-phone", {**fields, "code": code})
    assert status == 400 and "tried too often" in page  # even the right one, now
    status, page = journey.post("/subscriptions/confirm-phone", {**fields, "action": "resend"})
    assert status == 200 and "We are sending a new code" in page
    new_code = journey.wait_for_code(2)
    status, page = journey.post("/subscriptions/confirm-phone", {**fields, "code": new_code})
    assert status == 200 and "Your number is confirmed" in page
    status, _ = journey.post("/subscriptions/confirm-phone", {"code": new_code})
    assert status == 400  # no token: a bad link, whatever the code


def sign_up_without_the_code(journey: Journey, email: str, phone: str) -> str:
    """Subscribe and confirm the address; the page that follows."""
    fields = {"email": email, "topics": ["alerts"], "wards": ["walmer"], "phone": phone}
    status, _ = journey.post("/subscriptions/subscribe", {**fields, "text_topics": ["alerts"]})
    assert status == 200
    _, page = journey.get(confirmation_link(journey.inbox.wait_for(email, 1)[0]))
    token = re.search(r'name="token" value="([^"]+)"', page)
    assert token is not None
    status, page = journey.post("/subscriptions/confirm", {"token": html.unescape(token.group(1))})
    assert status == 200
    return page


def jobs_done(journey: Journey) -> None:
    """Wait until the sender threads have done every mail job (codes included)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with sqlite3.connect(journey.tmp / "var" / "subscribers.db") as db:
            if db.execute("SELECT count(*) FROM mail_jobs").fetchone()[0] == 0:
                return
        time.sleep(0.1)
    raise AssertionError("mail jobs left undone")


def test_someone_typing_a_residents_number_takes_nothing_from_them(journey: Journey) -> None:
    sign_up_for_texts(journey)
    sign_up_without_the_code(journey, "someone@example.net", "07400 900 123")
    journey.wait_for_code(2)  # the resident's phone gets a code they did not ask for...
    run = journey.notify(journey.publish(FLOOD))
    assert run.returncode == 0, run.stderr
    (text,) = journey.texts()  # ...and still gets the alert
    assert journey.notify_api.sent("sms")[-1].to == NUMBER and "Flood warning" in text


def test_codes_to_one_number_are_limited_however_they_are_asked_for(journey: Journey) -> None:
    pages = []
    for n in range(CODES_PER_HOUR + 2):
        pages.append(sign_up_without_the_code(journey, f"r{n}@example.net", "07400 900 555"))
        jobs_done(journey)
    codes = [a for a in journey.notify_api.sent("sms") if a.reference == "phone-code"]
    assert len(codes) == CODES_PER_HOUR == 5
    assert "Now confirm your mobile number" in pages[4]
    assert "too many codes in the last hour" in pages[5] and "Confirm my number" not in pages[5]
    resident = stored_by(journey, "r5@example.net")
    assert resident.waiting_phone is None and resident.preferences.text_topics == frozenset()


def test_codes_the_provider_did_not_take_are_not_counted(journey: Journey) -> None:
    journey.notify_api.fail_next(1, 429)  # the job is tried again 5 seconds later
    sign_up_without_the_code(journey, "first@example.net", "07400 900 666")
    jobs_done(journey)
    for n in range(CODES_PER_HOUR - 1):
        sign_up_without_the_code(journey, f"r{n}@example.net", "07400 900 666")
        jobs_done(journey)
    codes = [a for a in journey.notify_api.sent("sms") if a.reference == "phone-code"]
    assert len(codes) == CODES_PER_HOUR  # the refused attempts cost none of the five


def stored_by(journey: Journey, email: str) -> Subscriber:
    store = SqliteStore(journey.tmp / "var" / "subscribers.db")
    try:
        found = store.subscriber_by_hash(address_hash(email, KEY))
        assert found is not None
        return found
    finally:
        store.close()


def test_an_alert_not_in_the_residents_language_is_texted_under_a_line_in_it(
    journey: Journey,
) -> None:
    """An Arabic speaker's code and alert: the code in Arabic; the English alert under a
    line in Arabic saying it is not yet in their language, with the stop link's word in
    Arabic, still within two parts."""
    sign_up_for_texts(journey, lang="ar")
    code_text = journey.notify_api.sent("sms")[0]
    assert re.search("[\u0600-\u06ff]", code_text.personalisation["body"]), "in Arabic"
    run = journey.notify(journey.publish(FLOOD))
    assert run.returncode == 0, run.stderr
    (text,) = journey.texts()
    theme = catalogue(THEME_TRANSLATIONS, "ar")
    heading, english = text.split("\n", 1)
    assert heading == theme.gettext("Not yet in your language:") != "Not yet in your language:"
    assert english.startswith("Moderate alert: Flood")
    assert f"\n{theme.gettext('Stop')}: {journey.base}/s?c=" in text
    assert text_length(text).segments <= 2
    # The stop link opens its page in the language the resident chose.
    stop_link = text.rsplit(": ", 1)[1]
    status, page = journey.get(stop_link)
    assert status == 200 and '<html lang="ar" dir="rtl"' in page
    assert catalogue(TRANSLATIONS, "ar", DOMAIN).gettext("Stop texts") in page
