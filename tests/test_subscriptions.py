"""The resident's journey through real HTTP, a real SQLite file and a real SMTP server
(aiosmtpd on 127.0.0.1): subscribe, confirm, get exactly the matching items, one-click
unsubscribe, get nothing more. And the rules: never twice, never before confirming,
interrupted runs, tokens, enumeration, limits, digests."""

from __future__ import annotations

import email
import html
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.header import decode_header, make_header
from email.message import Message
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from aiosmtpd.controller import Controller

from subscriber_lambda.adapters.inline_queue import InlineQueue
from subscriber_lambda.adapters.smtp_mailer import SmtpMailer
from subscriber_lambda.adapters.sqlite_store import MIGRATIONS, SqliteStore
from subscriber_lambda.core.matching import translation_demand
from subscriber_lambda.core.preferences import Preferences
from subscriber_lambda.core.tokens import Signer
from subscriber_lambda.digest import Digester
from subscriber_lambda.notify import Links, Notifier, demand_lines, load_manifest
from subscriber_lambda.pages import Pages
from subscriber_lambda.site_data import SiteData
from tests.http_server import backend_environment, running
from tests.services import free_port
from tests.sitebuilder import build, item

KEY = b"s" * 32
SENDER = "Dover District Council <noticeboard@example.org>"
FILES = {
    "alerts/flood.md": item("alerts", Slug="flood", Wards="walmer", Date="2026-11-27 09:00"),
    "alerts/flood.pl.md": item(
        "alerts",
        Slug="flood",
        Lang="pl",
        Wards="walmer",
        Date="2026-11-27 09:00",
        Title="Alarm powodziowy w Walmer",
        Summary="Rzeka może wylać.",
    ),
    "notices/plan.md": item("notices", Slug="plan", Wards="sandwich", Date="2026-11-26 09:00"),
    "bin-changes/xmas.md": item("bin-changes", Slug="xmas", Date="2026-11-25 09:00"),
    "alerts/drill.md": item(
        "alerts",
        Slug="drill",
        Title="Exercise Walmer",
        Exercise="yes",
        Wards="walmer",
        Summary="A drill.",
        Date="2026-11-27 10:00",
    ),
}


@dataclass
class Inbox:
    """An SMTP server's handler: keeps every message, except that it refuses the addresses
    in ``refuse`` for good (550), those in ``defer`` for now (451) and those in ``policy``
    by a recipient's policy (550 5.7.1), as relays do."""

    messages: list[Message] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)
    defer: set[str] = field(default_factory=set)
    policy: set[str] = field(default_factory=set)
    connections: list[Any] = field(default_factory=list)  # the client's address, per message

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address in self.refuse:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        if address in self.defer:
            return f"451 4.2.1 <{address}>: Mailbox busy, try again later"
        if address in self.policy:
            return f"550 5.7.1 <{address}>: Rejected by the recipient's policy"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content))
        self.connections.append(session.peer)
        return "250 OK"

    def to(self, address: str) -> list[Message]:
        return [m for m in self.messages if m["To"] == address]

    def wait_for(self, address: str, count: int, seconds: float = 15) -> list[Message]:
        """The routes send after answering: wait (boundedly) for ``count`` messages."""
        deadline = time.monotonic() + seconds
        while len(self.to(address)) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        received = self.to(address)
        assert len(received) >= count, f"{address} got {len(received)} of {count} emails"
        return received


@dataclass
class Clock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now


@dataclass
class World:
    site: Path
    base: str
    inbox: Inbox
    store: SqliteStore
    mailer: SmtpMailer
    clock: Clock
    smtp_port: int = 0  # the SMTP server's, for commands run as processes

    def post(
        self,
        path: str,
        fields: dict[str, Any],
        content_type: str = "application/x-www-form-urlencoded",
        headers: dict[str, str] | None = None,
    ) -> tuple[int, str]:
        data = urlencode(fields, doseq=True).encode()
        request = urllib.request.Request(
            path if path.startswith("http") else self.base + path,
            data=data,
            headers={"Content-Type": content_type, **(headers or {})},
        )
        return fetch(request)

    def confirm(self, link: str) -> tuple[int, str]:
        """Follow a confirmation link, then press its button, as a resident does."""
        status, page = self.get(link)
        found = re.search(r'name="token" value="([^"]+)"', page)
        if status != 200 or found is None:
            return status, page
        return self.post("/subscriptions/confirm", {"token": html.unescape(found.group(1))})

    def get(self, url: str) -> tuple[int, str]:
        return fetch(urllib.request.Request(url if url.startswith("http") else self.base + url))

    def notifier(self, **changes: Any) -> Notifier:
        values: dict[str, Any] = {
            "store": self.store,
            "mailer": self.mailer,
            "queue": InlineQueue(),
            "links": Links(Signer(KEY), self.base),
            "sender": SENDER,
            "host": "127.0.0.1",
            "clock": self.clock,
            **changes,
        }
        return Notifier(**values)

    def digester(self) -> Digester:
        return Digester(
            self.store,
            self.mailer,
            Links(Signer(KEY), self.base),
            SENDER,
            "127.0.0.1",
            Pages(SiteData.load(self.site), self.base),
            self.clock,
        )

    def notify(self, site: Path | None = None, **changes: Any) -> None:
        manifest = load_manifest(str((site or self.site) / "api" / "v1" / "notify.json"))
        self.notifier(**changes).run(manifest)

    def subscribe(self, address: str, **choices: Any) -> None:
        fields = {
            "email": address,
            "topics": ["alerts"],
            "wards": ["walmer"],
            "frequency": "immediate",
            **choices,
        }
        already = len(self.inbox.to(address))
        status, _ = self.post("/subscriptions/subscribe", fields)
        assert status == 200
        confirmation = self.inbox.wait_for(address, already + 1)[-1]
        assert self.confirm(confirmation_link(confirmation))[0] == 200


def fetch(request: urllib.request.Request) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def confirmation_link(message: Message) -> str:
    link = re.search(r"(http://\S+/subscriptions/confirm\?token=\S+)", body(message, "plain"))
    assert link is not None
    return link.group(1)


def body(message: Message, kind: str) -> str:
    for part in message.walk():
        if part.get_content_type() == f"text/{kind}":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload.decode(part.get_content_charset() or "utf-8")
    raise AssertionError(f"no text/{kind} part")


def subject(message: Message) -> str:
    return str(make_header(decode_header(message["Subject"])))


@contextmanager
def world_at(
    tmp_path: Path,
    files: dict[str, str] | None = None,
    settings: dict[str, Any] | None = None,
    **serve: Any,
) -> Iterator[World]:
    """A site built from ``files`` (default FILES) with ``settings``, the embedded server
    (``serve``'s own) and an SMTP server catching mail, all on 127.0.0.1; ``serve`` passes
    options to ``tests.http_server.running``."""
    now = "2026-11-28T12:00:00+00:00"
    site = build(tmp_path / "site", files or FILES, now=now, **(settings or {}))
    inbox = Inbox()
    smtp_port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    environment = backend_environment(tmp_path / "var", KEY, smtp_port)
    store = SqliteStore(tmp_path / "var" / "subscribers.db")
    mailer = SmtpMailer("127.0.0.1", smtp_port)
    clock = Clock(datetime(2026, 11, 20, 12, 0, tzinfo=UTC))  # residents subscribe before the items
    try:
        with running(site, environment, clock, **serve) as base:
            yield World(site, base, inbox, store, mailer, clock, smtp_port)
    finally:
        mailer.close()
        controller.stop()
        store.close()


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with world_at(tmp_path) as world:
        yield world


def test_the_residents_journey(world: World, tmp_path: Path) -> None:
    resident = "resident@example.net"
    status, page = world.post(
        "/subscriptions/subscribe",
        {
            "email": resident,
            "topics": ["alerts", "notices"],
            "wards": ["walmer"],
            "lang": "en",
            "frequency": "immediate",
        },
    )
    assert status == 200 and "Check your email" in page
    confirmation = world.inbox.wait_for(resident, 1)[0]
    assert list(world.store.subscribers()) == []  # nothing stored before confirmation
    assert subject(confirmation) == "Confirm your email address"
    link = confirmation_link(confirmation)
    status, page = world.get(link)
    assert status == 200 and "Confirm and subscribe" in page
    assert list(world.store.subscribers()) == []  # opening the link (a mail scanner) does nothing
    status, page = world.confirm(link)
    assert status == 200 and "You are subscribed" in page
    assert len(list(world.store.subscribers())) == 1

    world.clock.now = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    world.notify()
    received = world.inbox.to(resident)[1:]
    assert [subject(m) for m in received] == ["Moderate alert: Flood alert: River Stour"]
    alert = received[0]
    assert alert["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/subscriptions/manage?token=" in body(alert, "plain")

    world.notify()
    assert len(world.inbox.to(resident)) == 2  # nothing twice

    unsubscribe_url = alert["List-Unsubscribe"].strip("<>")
    status, _ = world.post(
        unsubscribe_url.removeprefix(world.base), {"List-Unsubscribe": "One-Click"}
    )
    assert status == 200
    assert list(world.store.subscribers()) == []
    status, _ = world.post(
        unsubscribe_url.removeprefix(world.base), {"List-Unsubscribe": "One-Click"}
    )
    assert status == 200  # already unsubscribed: still success

    later = build(
        tmp_path / "later",
        {
            **FILES,
            "alerts/second.md": item(
                "alerts",
                Slug="second",
                Title="Second flood",
                Wards="walmer",
                Date="2026-11-28 11:00",
            ),
        },
        now="2026-11-28T12:00:00+00:00",
    )
    world.notify(later)
    assert len(world.inbox.to(resident)) == 2  # nothing after unsubscribing


def test_language_district_and_topics(world: World) -> None:
    world.subscribe(
        "polish@example.net", topics=["alerts", "notices", "bin-changes"], wards=["all"], lang="pl"
    )
    world.clock.now = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    world.notify()
    emails = {subject(m): m for m in world.inbox.to("polish@example.net")[1:]}
    # Without a Polish version: the English words framed in Polish (what it is, links,
    # footer), saying so in Polish at the top.
    assert sorted(emails) == [
        "Obwieszczenie urzędowe: Planning application: 1 High Street",
        "Odbiór odpadów: Bank holiday collections",
        "Umiarkowany alert: Alarm powodziowy w Walmer",  # the Polish version, in Polish
    ]
    polish_line = "To nie zostało jeszcze przetłumaczone na Twój język, dlatego jest po angielsku."
    notice = emails["Obwieszczenie urzędowe: Planning application: 1 High Street"]
    assert body(notice, "plain").startswith(polish_line + "\r\n\r\nObwieszczenie urzędowe:")
    assert f'<p style="margin:0 0 16px;" lang="pl" dir="auto">{polish_line}</p>' in body(
        notice, "html"
    )
    alert = emails["Umiarkowany alert: Alarm powodziowy w Walmer"]
    assert polish_line not in body(alert, "plain") and "((" not in body(alert, "plain")


def test_a_resident_whose_language_an_alert_lacks_gets_english_saying_so(world: World) -> None:
    world.subscribe("arabic@example.net", lang="ar")
    world.clock.now = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    world.notify()
    (alert,) = world.inbox.to("arabic@example.net")[1:]
    # The alert's own words, in English, framed in Arabic (its label, links and footer).
    assert subject(alert) == "تنبيه متوسط: Flood alert: River Stour"
    assert body(alert, "plain").startswith(
        "لم تُترجم هذه الرسالة إلى لغتك بعد، لذا فهي باللغة الإنجليزية.\r\n\r\n" + subject(alert)
    )
    html = body(alert, "html")
    assert '<html lang="ar" dir="rtl">' in html
    assert '<span lang="en" dir="ltr">Flood alert: River Stour</span>' in html


def test_nothing_published_before_confirming(world: World) -> None:
    world.clock.now = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)  # after the flood alert
    world.subscribe("late@example.net")
    world.clock.now = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    world.notify()
    assert len(world.inbox.to("late@example.net")) == 1  # only the confirmation


def test_exercises_go_to_nobody_unless_configured(world: World) -> None:
    world.subscribe("a@example.net")
    world.clock.now = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    world.notify()
    assert "Exercise" not in " ".join(subject(m) for m in world.inbox.messages)
    world.notify(send_exercises=True)
    assert subject(world.inbox.to("a@example.net")[-1]).startswith("EXERCISE: ")


class CrashAfter:
    """A mailer that is killed after handing over its n-th message (before it is marked sent)."""

    def __init__(self, mailer: SmtpMailer, n: int) -> None:
        self.mailer, self.left = mailer, n

    def send(self, message: Message) -> None:
        self.mailer.send(message)
        self.left -= 1
        if self.left == 0:
            raise KeyboardInterrupt("killed")


def test_an_interrupted_run_skips_nobody_and_repeats_at_most_the_message_in_flight(
    world: World,
) -> None:
    residents = [f"r{n}@example.net" for n in range(6)]
    for address in residents:
        world.subscribe(address)
    world.clock.now = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    with pytest.raises(KeyboardInterrupt):
        world.notify(mailer=CrashAfter(world.mailer, 3))
    world.notify()
    world.notify()
    counts = [len(world.inbox.to(a)) - 1 for a in residents]  # less the confirmation
    assert all(count >= 1 for count in counts)
    assert sum(counts) <= len(residents) + 1
    assert counts.count(2) <= 1


def test_an_update_goes_to_everyone_who_got_the_original(world: World, tmp_path: Path) -> None:
    world.subscribe("walmer@example.net")
    world.clock.now = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    world.notify()
    subscriber = next(world.store.subscribers())
    moved = subscriber.preferences.to_dict() | {"wards": ["sandwich"]}
    from subscriber_lambda.core.preferences import Preferences

    world.store.save_subscriber(
        subscriber.email, subscriber.email_hash, Preferences.from_dict(moved), world.clock.now
    )
    update = item(
        "alerts",
        Slug="flood-2",
        Title="Flood warning update",
        Wards="mill-hill",
        Updates="flood",
        Date="2026-11-28 10:00",
    )
    later = build(
        tmp_path / "later", {**FILES, "alerts/flood-2.md": update}, now="2026-11-28T12:00:00+00:00"
    )
    world.notify(later)
    assert (
        subject(world.inbox.to("walmer@example.net")[-1]) == "Moderate alert: Flood warning update"
    )


def test_digests_gather_what_waits(world: World) -> None:
    world.subscribe(
        "daily@example.net", topics=["notices", "bin-changes"], wards=["all"], frequency="daily"
    )
    world.clock.now = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    world.notify()
    assert len(world.inbox.to("daily@example.net")) == 1  # nothing at once
    digester = world.digester()
    assert digester.run("daily").sent == 1
    assert digester.run("daily").sent == 0
    digest = world.inbox.to("daily@example.net")[-1]
    assert subject(digest) == "Your daily summary from Dover District Council: 2 new items"
    text = body(digest, "plain")
    assert "Planning application: 1 High Street" in text and "Bank holiday collections" in text
    world.notify()
    assert len(world.inbox.to("daily@example.net")) == 2


def test_responses_do_not_reveal_whether_an_address_is_subscribed(world: World) -> None:
    world.subscribe("known@example.net")
    pages = []
    for address in ("known@example.net", "unknown@example.net"):
        status, page = world.post(
            "/subscriptions/subscribe", {"email": address, "topics": "alerts", "wards": "walmer"}
        )
        pages.append((status, page.replace(address, "ADDRESS")))
        status, page = world.post("/subscriptions/manage-link", {"email": address})
        pages.append((status, page.replace(address, "ADDRESS")))
    assert pages[0] == pages[2] and pages[1] == pages[3]


@pytest.mark.parametrize("token", ["tampered", "expired"])
def test_bad_links_are_refused(world: World, token: str) -> None:
    signer = Signer(KEY)
    when = world.clock.now - timedelta(days=8) if token == "expired" else world.clock.now
    from subscriber_lambda.core.tokens import Purpose

    value = signer.make(Purpose.MANAGE, {"h": "x"}, when)
    if token == "tampered":
        value = value[:-3] + "AAA"
    status, page = world.get(f"/subscriptions/manage?token={value}")
    assert status == 400 and "This link does not work" in page


def test_header_injection_in_the_form_is_a_form_error(world: World) -> None:
    status, page = world.post(
        "/subscriptions/subscribe",
        {
            "email": "a@example.org\r\nBcc: victim@example.net",
            "topics": "alerts",
            "wards": "walmer",
        },
    )
    assert status == 400 and "Enter an email address in the correct format" in page
    assert world.inbox.messages == []


def test_form_errors_are_summarised_and_linked(world: World) -> None:
    status, page = world.post("/subscriptions/subscribe", {"email": ""})
    assert status == 400
    assert "There is a problem" in page
    for field_id in ("#email", "#topics", "#wards"):
        assert f'href="{field_id}"' in page


def test_limits_on_requests(world: World) -> None:
    statuses = [
        world.post("/subscriptions/manage-link", {"email": "busy@example.net"})[0] for _ in range(6)
    ]
    assert statuses == [200] * 5 + [429]
    assert world.post("/subscriptions/subscribe", {"email": "x" * 20000})[0] == 413
    assert (
        world.post(
            "/subscriptions/subscribe", {"email": "a@example.net"}, content_type="text/plain"
        )[0]
        == 415
    )


def test_a_link_to_the_form_can_choose_wards_and_topics(world: World) -> None:
    status, page = world.get(
        "/subscriptions/subscribe?wards=walmer&wards=nowhere&topics=alerts&topics=spam"
        "&email=x@example.net"
    )
    assert status == 200
    ticked = re.findall(r'name="(\w+)" type="checkbox" value="([\w-]+)" checked', page)
    assert ticked == [("topics", "alerts"), ("wards", "walmer")]
    assert "x@example.net" not in page


@pytest.mark.browser
def test_the_subscription_pages_are_accessible_without_javascript(world: World) -> None:
    from playwright.sync_api import sync_playwright

    from tests.browser import CHROMIUM, CHROMIUM_ARGS, axe_violations

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_context(java_script_enabled=False).new_page()
        page.goto(world.base + "/subscriptions/subscribe")
        page.get_by_role("button", name="Subscribe").click()
        assert page.locator(".govuk-error-summary").is_visible()
        page.get_by_label("Email address").fill("browser@example.net")
        page.get_by_role("checkbox", name="Emergency alerts").check()
        page.get_by_role("checkbox", name="Walmer", exact=True).check()
        page.get_by_role("button", name="Subscribe").click()
        assert "Check your email" in page.locator("main").inner_text()
        with_js = browser.new_context().new_page()
        for path in ("/subscriptions/subscribe", "/subscriptions/manage-link"):
            with_js.goto(world.base + path)
            assert axe_violations(with_js) == [], path
        with_js.goto(world.base + "/subscriptions/subscribe")
        with_js.get_by_role("button", name="Subscribe").click()
        assert axe_violations(with_js) == []
        browser.close()


def test_manage_changes_choices_and_can_unsubscribe_from_everything(world: World) -> None:
    world.subscribe("manager@example.net")
    status, _ = world.post("/subscriptions/manage-link", {"email": "manager@example.net"})
    assert status == 200
    link_email = world.inbox.wait_for("manager@example.net", 2)[-1]
    assert subject(link_email) == "Change the emails you get"
    manage = re.search(r"(http://\S+/subscriptions/manage\?token=\S+)", body(link_email, "plain"))
    assert manage is not None
    status, page = world.get(manage.group(1))
    assert status == 200 and 'value="walmer" checked' in page
    path = manage.group(1).removeprefix(world.base)
    fields = {
        "action": "update",
        "topics": ["alerts", "notices"],
        "wards": ["sandwich"],
        "frequency": "weekly",
        "lang": "en",
    }
    status, page = world.post(path, fields)
    assert status == 200 and "Your choices are saved." in page
    saved = next(world.store.subscribers()).preferences
    assert (saved.wards, saved.frequency) == ({"sandwich"}, "weekly")
    status, page = world.post(path, {"action": "unsubscribe"})
    assert status == 200 and list(world.store.subscribers()) == []


def test_the_mail_catcher_writes_each_message_to_the_outbox(tmp_path: Path) -> None:
    from subscriber_lambda.capture import start_capture
    from subscriber_lambda.core.messages import Envelope, build_message

    port = free_port()
    catcher = start_capture("127.0.0.1", port, tmp_path / "outbox")
    mailer = SmtpMailer("127.0.0.1", port)
    envelope = Envelope(SENDER, "r@example.net", "https://x/m", "https://x/u", "x")
    mailer.send(
        build_message(
            {"subject": "Hello", "text": "Hi", "html": "<p>Hi</p>"}, envelope, datetime.now(UTC)
        )
    )
    mailer.close()
    catcher.stop()
    written = list((tmp_path / "outbox").glob("*.eml"))
    assert len(written) == 1 and b"Subject: Hello" in written[0].read_bytes()


def test_export_and_erase_one_persons_data(tmp_path: Path) -> None:
    import json
    import os
    import subprocess
    import sys

    from subscriber_lambda.core.addresses import address_hash
    from subscriber_lambda.core.preferences import Preferences

    secret = tmp_path / "secret"
    secret.write_text(KEY.hex())
    secret.chmod(0o600)
    store = SqliteStore(tmp_path / "db.sqlite")
    january = datetime(2026, 1, 1, tzinfo=UTC)
    subscriber = store.save_subscriber(
        "p@example.net",
        address_hash("p@example.net", KEY),
        Preferences(frozenset({"alerts"}), frozenset({"all"})),
        january,
    )
    store.claim(subscriber.id, "alerts/flood", "r1", january)
    store.mark(subscriber.id, "alerts/flood", "r1", "sent", january + timedelta(minutes=1))
    store.claim(subscriber.id, "alerts/flood", "r2", january + timedelta(days=1))
    store.save_subscriber(
        "bounced@example.net",
        address_hash("bounced@example.net", KEY),
        Preferences(frozenset({"alerts"}), frozenset({"all"})),
        january,
    )
    store.close()
    env = {
        **os.environ,
        "SUBSCRIBER_STORE": f"sqlite:///{tmp_path / 'db.sqlite'}",
        "SUBSCRIBER_SECRET": secret.as_uri(),
    }

    def run(*args: str) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "subscriber_lambda", *args],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        return result.stdout

    exported = json.loads(run("export", "P@Example.NET"))
    assert exported["subscribed"] and exported["preferences"]["wards"] == ["all"]
    assert exported["suppressed"] is False
    assert exported["deliveries"] == [
        {
            "item_id": "alerts/flood",
            "revision": "r2",
            "channel": "email",
            "state": "pending",
            "updated_at": "2026-01-02T00:00:00+00:00",
        },
        {
            "item_id": "alerts/flood",
            "revision": "r1",
            "channel": "email",
            "state": "sent",
            "updated_at": "2026-01-01T00:01:00+00:00",
        },
    ]
    assert run("erase", "p@example.net").strip().startswith("erase: deleted; for 7 days a note")
    assert json.loads(run("export", "p@example.net")) == {
        "email": "p@example.net",
        "subscribed": False,
        "preferences": None,
        "confirmed_at": None,
        "phone": None,
        "number_waiting_for_its_code": None,
        "suppressed": False,
        "deliveries": [],
    }
    assert run("erase", "p@example.net").strip() == "erase: not subscribed; nothing held"

    store = SqliteStore(tmp_path / "db.sqlite")
    store.suppress(address_hash("bounced@example.net", KEY), "bounce", january)
    store.close()
    bounced = json.loads(run("export", "bounced@example.net"))
    assert (bounced["subscribed"], bounced["suppressed"], bounced["deliveries"]) == (
        False,
        True,
        [],
    )
    assert run("erase", "bounced@example.net").strip() == (
        "erase: not subscribed; only a suppression (a keyed hash) is held,"
        " kept so that the address is never mailed again"
    )
    assert json.loads(run("export", "bounced@example.net"))["suppressed"] is True


def test_unsubscribing_leaves_nothing_of_the_address_in_the_store(
    world: World, tmp_path: Path
) -> None:
    import sqlite3

    from subscriber_lambda.core.addresses import address_hash

    def everything() -> list[str]:
        db = sqlite3.connect(tmp_path / "var" / "subscribers.db")
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        rows = [
            f"{table}: {row!r}" for table in tables for row in db.execute(f"SELECT * FROM {table}")
        ]
        db.close()
        return rows

    resident = "leaving@example.net"
    traces = (resident, address_hash(resident, KEY))
    world.subscribe(resident, topics=["alerts", "notices"], wards=["all"], frequency="daily")
    world.subscribe("staying@example.net")
    world.clock.now = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    world.notify()
    before = everything()
    assert any(f"address:{traces[1]}" in row for row in before)  # the web's rate limit
    assert [row for row in before if row.startswith("deliveries:")]  # sent and waiting
    alert = world.inbox.to(resident)[-1]
    unsubscribe_url = alert["List-Unsubscribe"].strip("<>")
    status, _ = world.post(
        unsubscribe_url.removeprefix(world.base), {"List-Unsubscribe": "One-Click"}
    )
    assert status == 200
    after = everything()
    # All but a note that the subscription changed (the keyed hash and a time, kept as long
    # as an older confirmation link could be used, so that none re-subscribes them).
    left = [row for row in after if any(trace in row for trace in traces)]
    assert [row.split(":")[0] for row in left] == ["address_changes"]
    assert resident not in left[0]
    assert [row for row in after if "staying@example.net" in row]


def test_the_store_migrates_once(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "db.sqlite")
    latest = len(MIGRATIONS)
    assert store.migrate() == latest
    store.close()
    assert SqliteStore(tmp_path / "db.sqlite").migrate() == latest


def test_the_ledger_keeps_every_row_when_it_learns_failures(tmp_path: Path) -> None:
    """Migration 3 rebuilds the ledger (SQLite cannot change a CHECK constraint)."""
    import sqlite3

    before = sqlite3.connect(tmp_path / "db.sqlite", isolation_level=None)
    for number, script in enumerate(MIGRATIONS[:2], start=1):
        before.executescript(f"BEGIN; {script}; PRAGMA user_version = {number}; COMMIT;")
    before.executescript(
        """INSERT INTO subscribers VALUES (7, 'd@example.net', 'hash-d', '{"topics": ["notices"],
               "wards": ["all"], "frequency": "daily"}', 'daily', '2026-11-01T00:00:00+00:00');
           INSERT INTO deliveries VALUES (7, 'alerts/x', 'r1', 'sent', NULL, '2026-11-02');
           INSERT INTO deliveries VALUES (7, 'notices/n', 'r1', 'pending', NULL, '2026-11-02');
           INSERT INTO deliveries VALUES (7, 'notices/m', 'r1', 'digest',
               '{"title": "M", "summary": "S", "url": "https://x/m/"}', '2026-11-02');"""
    )
    before.close()
    store = SqliteStore(tmp_path / "db.sqlite")
    now = datetime(2026, 11, 28, tzinfo=UTC)
    assert store.claim("7", "alerts/x", "r1", now) is False  # sent stays sent
    assert store.recipients_of("alerts/x") == {"7"}
    assert store.claim("7", "notices/n", "r1", now) is True  # pending stays pending
    assert store.defer("7", "notices/n", "r1", now) == now + timedelta(minutes=1)
    assert [items for _, items in store.digest_due("daily")] == [
        [
            {
                "title": "M",
                "summary": "S",
                "url": "https://x/m/",
                "item_id": "notices/m",
                "revision": "r1",
            }
        ]
    ]
    store.delete_subscriber("hash-d")  # the ledger still belongs to its subscriber
    assert store.recipients_of("alerts/x") == set()
    store.close()


def test_configuration_by_environment(tmp_path: Path) -> None:
    from subscriber_lambda.config import Config, ConfigError

    config = Config.from_environment(
        {
            "SUBSCRIBER_MAILER": "smtp+starttls://user:p%40ss@relay.example.org:587",
            "SITE_URL": "https://n.example.org/",
        }
    )
    mailer = config.mailer()
    assert (mailer._host, mailer._port, mailer._starttls, mailer._login) == (
        "relay.example.org",
        587,
        True,
        ("user", "p@ss"),
    )
    assert config.site_url == "https://n.example.org" and config.host == "n.example.org"
    for name, value in (("SUBSCRIBER_QUEUE", "sqs://q"),):
        broken = Config.from_environment({name: value})
        with pytest.raises(ConfigError, match=f"{name}: .*AWS adapters"):
            {
                "SUBSCRIBER_STORE": broken.store,
                "SUBSCRIBER_MAILER": broken.mailer,
                "SUBSCRIBER_QUEUE": broken.queue,
            }[name]()
    with pytest.raises(ConfigError, match="SITE_URL"):
        Config.from_environment({"SITE_URL": "noticeboard.example.org"})
    secret_file = tmp_path / "var" / "secret"  # configured, so never made up
    with pytest.raises(ConfigError, match=f"SUBSCRIBER_SECRET: {secret_file} does not exist"):
        Config.from_environment({"SUBSCRIBER_SECRET": secret_file.as_uri()}).secret()
    assert not secret_file.exists()
    with pytest.raises(
        ConfigError, match="SUBSCRIBER_SECRET: 'vault://k' is not file:///ABSOLUTE/PATH"
    ):
        Config.from_environment({"SUBSCRIBER_SECRET": "vault://k"}).secret()


def test_on_aws_the_signing_key_comes_from_an_ssm_secure_string(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import boto3

    from subscriber_lambda.config import Config, ConfigError
    from tests.moto_server import CREDENTIALS, moto_server

    with moto_server() as endpoint:
        for name, value in (
            ("AWS_ENDPOINT_URL", endpoint),
            ("AWS_ACCESS_KEY_ID", CREDENTIALS["aws_access_key_id"]),
            ("AWS_SECRET_ACCESS_KEY", CREDENTIALS["aws_secret_access_key"]),
            ("AWS_DEFAULT_REGION", CREDENTIALS["region_name"]),
        ):
            monkeypatch.setenv(name, value)
        monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)  # one made from these variables
        boto3.client("ssm").put_parameter(
            Name="/noticeboard/subscriber-secret", Type="SecureString", Value="ab" * 32
        )
        config = Config.from_environment(
            {"SUBSCRIBER_SECRET": "ssm:///noticeboard/subscriber-secret"}
        )
        assert config.secret() == b"\xab" * 32
        boto3.client("ssm").put_parameter(
            Name="/noticeboard/short", Type="SecureString", Value="ab" * 16
        )
        with pytest.raises(ConfigError, match="the SSM parameter /noticeboard/short holds 16"):
            Config.from_environment({"SUBSCRIBER_SECRET": "ssm:///noticeboard/short"}).secret()


def test_the_ledger_keeps_every_row_when_it_learns_channels(tmp_path: Path) -> None:
    """Migration 6 rebuilds the ledger with a channel; every row before it was an email's."""
    import sqlite3

    before = sqlite3.connect(tmp_path / "db.sqlite", isolation_level=None)
    for number, script in enumerate(MIGRATIONS[:5], start=1):
        before.executescript(f"BEGIN; {script}; PRAGMA user_version = {number}; COMMIT;")
    before.executescript(
        """INSERT INTO subscribers VALUES (7, 'd@example.net', 'hash-d', '{"topics": ["notices"],
               "wards": ["all"], "frequency": "daily"}', 'daily', '2026-11-01T00:00:00+00:00');
           INSERT INTO deliveries VALUES (7, 'alerts/x', 'r1', 'sent', NULL, '2026-11-02', 0,
               NULL);
           INSERT INTO deliveries VALUES (7, 'alerts/y', 'r1', 'deferred', NULL, '2026-11-02', 2,
               '2026-11-02T00:05:00.000000Z');
           INSERT INTO deliveries VALUES (7, 'notices/m', 'r1', 'digest',
               '{"title": "M", "summary": "S", "url": "https://x/m/"}', '2026-11-02', 0, NULL);"""
    )
    before.close()
    store = SqliteStore(tmp_path / "db.sqlite")
    assert store.claim("7", "alerts/x", "r1", datetime(2026, 11, 28, tzinfo=UTC)) is False
    assert store.recipients_of("alerts/x") == {"7"}
    assert [(e.item_id, e.state, e.channel) for e in store.deliveries_of("hash-d")] == [
        ("notices/m", "digest", "email"),
        ("alerts/y", "deferred", "email"),
        ("alerts/x", "sent", "email"),
    ]
    subscriber = store.subscriber_by_hash("hash-d")
    assert subscriber is not None and subscriber.phone is None
    assert subscriber.preferences.text_topics == frozenset()
    assert next(items for _, items in store.digest_due("daily"))[0]["title"] == "M"


def test_translation_demand_counts_the_residents_each_missing_language_leaves_out(
    world: World,
) -> None:
    """The flood alert has a Polish version; residents who chose Arabic and Welsh do not
    get it in their language, nor does a Welsh one who wants it only by text."""
    everyone = [
        Preferences(frozenset({"alerts"}), frozenset({"walmer"}), lang="pl"),
        Preferences(frozenset({"alerts"}), frozenset({"walmer"}), lang="ar"),
        Preferences(frozenset({"alerts"}), frozenset({"all"}), lang="ar"),
        Preferences(frozenset(), frozenset({"walmer"}), "cy", text_topics=frozenset({"alerts"})),
        Preferences(frozenset({"alerts"}), frozenset({"sandwich"}), lang="cy"),  # not its ward
        Preferences(frozenset({"notices"}), frozenset({"all"}), lang="ro"),  # not alerts
    ]
    manifest = load_manifest(str(world.site / "api" / "v1" / "notify.json"))
    demand = translation_demand(manifest["items"], everyone, world.clock.now)
    assert demand["alerts/flood"] == {"ar": 2, "cy": 1}
    # Once the alert has expired, its translation no longer matters.
    after = datetime(2026, 12, 1, tzinfo=UTC)
    assert "alerts/flood" not in translation_demand(manifest["items"], everyone, after)
    assert "alerts/drill" not in demand  # exercises go to nobody
    assert demand_lines(demand) == [
        "translation demand: alerts/flood has no version for 2 residents who chose ar,"
        " 1 resident who chose cy"
    ]


def test_make_validate_and_the_notify_plan_report_translation_demand(
    world: World, tmp_path: Path
) -> None:
    world.subscribe("arabic@example.net", lang="ar")
    manifest = world.site / "api" / "v1" / "notify.json"
    env = {**os.environ, **backend_environment(tmp_path / "var", KEY)}
    at = ["--at", "2026-11-28T12:00:00+00:00"]
    demand = subprocess.run(
        [sys.executable, "-m", "subscriber_lambda", "demand", str(manifest), *at],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert demand.stdout == (
        "translation demand: alerts/flood has no version for 1 resident who chose ar\n"
    )
    nobody = {**env, "SUBSCRIBER_STORE": f"sqlite:///{tmp_path / 'none.db'}"}
    empty = subprocess.run(
        [sys.executable, "-m", "subscriber_lambda", "demand", str(manifest)],
        env=nobody, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert "no subscribers here" in empty.stdout and not (tmp_path / "none.db").exists()
    world.clock.now = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    plan = world.notifier().forecast(load_manifest(str(manifest)))
    assert "translation demand: alerts/flood has no version for 1 resident who chose ar" in (
        plan.summary()
    )
