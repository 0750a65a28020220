"""Bin-day reminders (issue 17), through the real parts: a site built with rounds and a bank
holiday change (Friday 25 December 2026 moved to Saturday 26th), the embedded server, a
real SQLite file, a real SMTP server (aiosmtpd) and GOV.UK Notify's client against its
stand-in; ``python -m subscriber_lambda reminders`` as a schedule runs it."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from subscriber_lambda.__main__ import one_at_a_time
from subscriber_lambda.adapters.govuk_notify import NotifyTexts
from subscriber_lambda.config import Config
from subscriber_lambda.core.addresses import address_hash
from subscriber_lambda.core.phones import stop_code
from subscriber_lambda.core.preferences import Preferences
from subscriber_lambda.core.texts import text_length
from subscriber_lambda.core.tokens import Purpose, Signer
from subscriber_lambda.notify import Links
from subscriber_lambda.pages import Pages
from subscriber_lambda.ports import Phone
from subscriber_lambda.reach import build_report
from subscriber_lambda.reminders import Reminders, london_today
from subscriber_lambda.site_data import SiteData
from tests.fake_notify import API_KEY, SMS_TEMPLATE, fake_notify
from tests.http_server import backend_environment
from tests.sitebuilder import ROOT, item
from tests.test_subscriptions import KEY, SENDER, World, body, subject, world_at

ROUNDS = """round,name,service,weekday,every,anchor,covers
walmer-friday,"Walmer, Friday",refuse,friday,1,2026-10-02,CT14 7
walmer-friday,"Walmer, Friday",food,friday,1,2026-10-02,CT14 7
deal-monday,"Deal, Monday",refuse,monday,1,2026-10-05,CT14 6
deal-monday,"Deal, Monday",recycling,monday,2,2026-10-05,CT14 6
garden-tuesday,"Garden waste, Tuesday",garden,tuesday,2,2026-10-06,CT14 7JP
"""
POSTCODE_LOOKUP = {
    "ward_vintage": "WD25",
    "postcodes": {
        "CT14 7AA": "walmer",
        "CT14 7JP": "walmer",
        "CT14 6AB": "north-deal",
        "CT14 9ZZ": "walmer",  # in the district, on no round
    },
}
FILES = {
    "bin-changes/christmas.md": item(
        "bin-changes",
        Slug="christmas",
        Title="Christmas collections",
        Wards="walmer",
        Rounds="walmer-friday",
        Reason="Christmas",
        Changes="2026-12-25 -> 2026-12-26",
        Date="2026-11-20 09:00",
    ),
    "alerts/flood.md": item("alerts", Slug="flood", Wards="walmer", Date="2026-11-27 09:00"),
}
CHANGED = "This is a changed day: usually Friday 25 December. Christmas."


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("rounds-data")
    (folder / "rounds.csv").write_text(ROUNDS)
    (folder / "postcodes.json").write_text(json.dumps(POSTCODE_LOOKUP))
    return {
        "ROUNDS_FILE": str(folder / "rounds.csv"),
        "POSTCODES_FILE": str(folder / "postcodes.json"),
    }


@pytest.fixture
def world(tmp_path: Path, data: dict[str, str]) -> Iterator[World]:
    with world_at(tmp_path, FILES, settings=data) as world:
        yield world


def resident(
    world: World,
    address: str,
    postcode: str,
    reminders: bool = True,
    lang: str = "en",
    number: str = "",
) -> None:
    """A confirmed subscriber who gave a postcode (and a confirmed number, if given, for
    texts about bin changes)."""
    email_hash = address_hash(address, KEY)
    preferences = Preferences(
        frozenset({"bin-changes"}),
        frozenset({"walmer"}),
        lang=lang,
        postcode=postcode,
        reminders=frozenset({"bin-days"} if reminders else ()),
        text_topics=frozenset({"bin-changes"} if number else ()),
    )
    world.store.save_subscriber(address, email_hash, preferences, world.clock())
    if number:
        number_hash = address_hash(number, KEY)
        phone = Phone(number, number_hash, stop_code(KEY, number_hash), None)
        world.store.save_phone(email_hash, phone, "code", world.clock() + timedelta(hours=1))
        assert world.store.confirm_phone(email_hash, "code", world.clock())


def reminders(world: World, **changes: Any) -> Reminders:
    values: dict[str, Any] = {
        "store": world.store,
        "mailer": world.mailer,
        "links": Links(Signer(KEY), world.base),
        "sender": SENDER,
        "host": "127.0.0.1",
        "pages": Pages(SiteData.load(world.site), world.base),
        "clock": world.clock,
        **changes,
    }
    return Reminders(**values)


def run_command(world: World, var: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m subscriber_lambda reminders`` with the server's settings (its store and
    secret in ``var``, its SMTP server's port)."""
    environment = {
        **os.environ,
        **backend_environment(var, KEY, world.smtp_port),
        "SITE_URL": world.base,
    }
    command = ["reminders", "--site-dir", str(world.site), *args]
    return subprocess.run(
        [sys.executable, "-m", "subscriber_lambda", *command],
        capture_output=True,
        text=True,
        env=environment,
        cwd=ROOT,
        check=False,
    )


def test_the_evening_before_a_changed_day_each_household_is_reminded_once(
    world: World, tmp_path: Path
) -> None:
    resident(world, "friday@example.net", "CT14 7AA")
    resident(world, "monday@example.net", "CT14 6AB")
    resident(world, "none@example.net", "CT14 7AA", reminders=False)
    first = run_command(world, tmp_path / "var", "--on", "2026-12-25")
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == (
        "reminders for 2026-12-26: 1 emails sent, 0 deferred, 0 suppressed"
    )
    [reminder] = world.inbox.wait_for("friday@example.net", 1)
    assert subject(reminder) == "Put out your rubbish and food waste bins tonight"
    text = body(reminder, "plain")
    assert "Your bins are collected tomorrow, Saturday 26 December: rubbish and food waste." in text
    assert CHANGED in text and f"{world.base}/bin-changes/christmas/" in text
    assert f"{world.base}/bin-days/walmer-friday/" in text
    assert CHANGED in body(reminder, "html")
    assert reminder["List-Unsubscribe"].startswith(f"<{world.base}/subscriptions/unsubscribe?")
    assert reminder["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/subscriptions/manage?token=" in text
    assert world.inbox.to("monday@example.net") == world.inbox.to("none@example.net") == []
    again = run_command(world, tmp_path / "var", "--on", "2026-12-25")
    assert again.returncode == 0 and "0 emails sent" in again.stdout
    assert len(world.inbox.messages) == 1
    entries = world.store.deliveries_of(address_hash("friday@example.net", KEY))
    assert [(e.item_id, e.state) for e in entries] == [("bin-days/2026-12-26", "sent")]


def test_one_run_at_a_time_for_each_days_reminders(world: World, tmp_path: Path) -> None:
    """The schedule's run for one day does not stop a person's catch-up run for another."""
    resident(world, "friday@example.net", "CT14 7AA")
    var = tmp_path / "var"
    config = Config.from_environment(backend_environment(var, KEY, world.smtp_port))
    with one_at_a_time(config, "reminders", date(2026, 12, 26).toordinal()) as alone:
        assert alone
        busy = run_command(world, var, "--on", "2026-12-25")
        assert (busy.returncode, busy.stdout.strip()) == (
            0,
            "reminders: another run is sending the reminders for 2026-12-26; this one stops",
        )
        other = run_command(world, var, "--on", "2026-12-24")
        assert other.returncode == 0 and "reminders for 2026-12-25" in other.stdout
    assert world.inbox.to("friday@example.net") == []  # the 26th's is still to send
    jobs = config.jobs_path()
    assert jobs is not None
    stale = jobs.parent / f"{jobs.name}.reminders-{date(2026, 11, 1).toordinal()}.lock"
    stale.touch()
    after = run_command(world, var, "--on", "2026-12-25")
    assert "1 emails sent" in after.stdout
    assert not stale.exists()  # a lock of a month ago is tidied away


def test_the_evening_before_a_usual_day_the_reminder_says_only_which_bins(world: World) -> None:
    resident(world, "monday@example.net", "CT14 6AB")
    resident(world, "friday@example.net", "CT14 7AA")
    report = reminders(world).run(date(2026, 12, 27))  # a Sunday: Monday 28th's collections
    assert (report.sent, report.exit_status) == (1, 0)
    [reminder] = world.inbox.to("monday@example.net")
    assert subject(reminder) == "Put out your rubbish and recycling bins tonight"
    text = body(reminder, "plain")
    assert "tomorrow, Monday 28 December: rubbish and recycling." in text
    assert "changed day" not in text
    reminders(world).run(date(2027, 1, 3))  # a week on: no recycling that week
    assert subject(world.inbox.to("monday@example.net")[-1]) == "Put out your rubbish bin tonight"
    # The day the clocks go forward: Monday 29 March's collection (no recycling that week).
    reminders(world).run(date(2027, 3, 28))
    latest = world.inbox.to("monday@example.net")[-1]
    assert "tomorrow, Monday 29 March: rubbish." in body(latest, "plain")
    assert len(world.inbox.to("monday@example.net")) == 3
    assert world.inbox.to("friday@example.net") == []


def test_a_refused_address_does_not_stop_the_others(world: World) -> None:
    for address in ("refused@example.net", "next@example.net", "last@example.net"):
        resident(world, address, "CT14 7AA")
    world.inbox.refuse.add("refused@example.net")
    report = reminders(world).run(date(2026, 12, 25))
    assert (report.sent, report.suppressed, report.exit_status) == (2, 1, 0)
    assert len(world.inbox.to("next@example.net")) == len(world.inbox.to("last@example.net")) == 1
    assert world.store.is_suppressed(address_hash("refused@example.net", KEY))


@pytest.mark.parametrize("on", [date(2026, 11, 20), date(2027, 12, 1)])
def test_a_day_the_published_rounds_do_not_cover_is_said(
    world: World, on: date, caplog: pytest.LogCaptureFixture
) -> None:
    """Before the last build's day, or after its year: nothing to send, and the log says
    why (once a run per round)."""
    resident(world, "early@example.net", "CT14 7AA")
    resident(world, "late@example.net", "CT14 7AA")
    assert reminders(world).run(on).sent == 0
    warned = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert warned == [
        f"round walmer-friday: its published collections are from 2026-11-28 to 2027-11-27, "
        f"not {on + timedelta(days=1)}: build the site (or check --on)"
    ]


def test_a_deferred_reminder_goes_on_a_later_run_that_evening(world: World) -> None:
    resident(world, "busy@example.net", "CT14 7AA")
    world.inbox.defer.add("busy@example.net")
    first = reminders(world).run(date(2026, 12, 25))
    assert (first.sent, first.deferred, first.exit_status) == (0, 1, 75)
    world.inbox.defer.clear()
    early = reminders(world).run(date(2026, 12, 25))  # its retry time has not come
    assert (early.sent, early.waiting, early.exit_status) == (0, 1, 75)
    assert early.summary().endswith("1 still deferred by an earlier run (sent by a later one)")
    world.clock.now += timedelta(minutes=2)
    later = reminders(world).run(date(2026, 12, 25))
    assert (later.sent, later.waiting, later.exit_status) == (1, 0, 0)
    assert len(world.inbox.to("busy@example.net")) == 1


def test_a_reminder_in_the_residents_language_and_by_text(world: World) -> None:
    resident(world, "cymraeg@example.net", "CT14 7AA", lang="cy", number="+447700900123")
    resident(world, "gone@example.net", "CT14 7AA", number="+447700900124")
    world.inbox.refuse.add("gone@example.net")  # suppressed, number and all: no text
    with fake_notify() as notify:
        texts = NotifyTexts(API_KEY, SMS_TEMPLATE, base_url=notify.url)
        report = reminders(world, texts=texts).run(date(2026, 12, 25))
        assert (report.sent, report.suppressed, report.texts) == (1, 1, 1)
        assert reminders(world, texts=texts).run(date(2026, 12, 25)).texts == 0
        [sms] = notify.sent("sms")
    [reminder] = world.inbox.to("cymraeg@example.net")
    assert subject(reminder) == "Rhowch eich biniau sbwriel a gwastraff bwyd allan heno"
    assert "Dydd Sadwrn 26 Rhagfyr" in body(reminder, "plain")
    assert f"{world.base}/cy/bin-days/walmer-friday/" in body(reminder, "plain")
    text = sms.personalisation["body"]
    assert "Dydd Sadwrn 26 Rhagfyr" in text and "Christmas" in text
    assert f"{world.base}/s?c=" in text.splitlines()[-1]
    # Reach: the day's reminders as one subject, per channel (docs/reach.md).
    figures = build_report(
        "Council", world.clock(), None, world.store.tallies(), [], world.store.subscribers(), 1
    )
    counted = ("type", "recipients", "sent", "bounced_hard", "segments", "within_1m")
    assert [
        [row["id"], row["channel"], *(row[c] for c in counted)] for row in figures["items"]
    ] == [
        ["bin-days/2026-12-26", "email", "bin-days", 2, 1, 1, None, None],
        ["bin-days/2026-12-26", "text", "bin-days", 1, 1, 0, text_length(text).segments, None],
    ]


def test_the_form_asks_for_a_postcode_for_reminders(world: World) -> None:
    status, page = world.get("/subscriptions/subscribe?reminders=bin-days&topics=bin-changes")
    assert status == 200
    assert re.search(r'name="reminders"[^>]*value="bin-days"[^>]*checked', page)
    fields = {"email": "w@example.net", "topics": ["bin-changes"], "reminders": ["bin-days"]}
    status, page = world.post("/subscriptions/subscribe", {**fields, "wards": ["walmer"]})
    assert status == 400
    assert "For bin day reminders, enter your postcode instead of choosing wards" in page
    assert 'href="#reminders"' in page
    status, page = world.post("/subscriptions/subscribe", {**fields, "postcode": "CT14 9ZZ"})
    assert status == 400 and "We have no bin collection days for that postcode" in page
    status, _ = world.post("/subscriptions/subscribe", {**fields, "postcode": "ct14 7aa"})
    assert status == 200
    confirmation = world.inbox.wait_for("w@example.net", 1)[-1]
    link = re.search(r"(http://\S+/subscriptions/confirm\?token=\S+)", body(confirmation, "plain"))
    assert link is not None and world.confirm(link.group(1))[0] == 200
    saved = world.store.subscriber_by_hash(address_hash("w@example.net", KEY))
    assert saved is not None and saved.preferences.reminders == {"bin-days"}
    assert saved.preferences.postcode == "CT14 7AA"


def test_reminders_alone_are_a_subscription(world: World) -> None:
    fields = {"email": "r@example.net", "reminders": ["bin-days"], "postcode": "CT14 7AA"}
    status, _ = world.post("/subscriptions/subscribe", fields)
    assert status == 200
    confirmation = world.inbox.wait_for("r@example.net", 1)[-1]
    assert "Emails about" not in body(confirmation, "plain")  # nothing but reminders
    link = re.search(r"(http://\S+/subscriptions/confirm\?token=\S+)", body(confirmation, "plain"))
    assert link is not None and world.confirm(link.group(1))[0] == 200
    report = reminders(world).run(date(2026, 12, 25))
    assert report.sent == 1 and len(world.inbox.to("r@example.net")) == 2
    status, page = world.post("/subscriptions/subscribe", {"email": "n@example.net"})
    assert status == 400 and "Choose what you want emails about" in page


def test_manage_shows_and_changes_reminders(world: World) -> None:
    resident(world, "m@example.net", "CT14 7AA")
    token = Signer(KEY).make(
        Purpose.MANAGE, {"h": address_hash("m@example.net", KEY)}, world.clock()
    )
    status, page = world.get(f"/subscriptions/manage?token={token}")
    assert status == 200
    assert re.search(r'name="reminders"[^>]*value="bin-days"[^>]*checked', page)
    kept = {"topics": ["bin-changes"], "postcode": "CT14 7AA", "frequency": "immediate"}
    status, _ = world.post(f"/subscriptions/manage?token={token}", {**kept, "lang": "en"})
    assert status == 200
    saved = world.store.subscriber_by_hash(address_hash("m@example.net", KEY))
    assert saved is not None and saved.preferences.reminders == frozenset()


def test_a_site_without_rounds_offers_no_reminders(tmp_path: Path) -> None:
    with world_at(tmp_path) as world:
        _, page = world.get("/subscriptions/subscribe?reminders=bin-days")
        assert 'name="reminders"' not in page
        fields = {"email": "x@example.net", "topics": ["alerts"], "wards": ["walmer"]}
        status, page = world.post("/subscriptions/subscribe", {**fields, "reminders": "bin-days"})
        assert status == 400 and "Choose reminders from the list" in page


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any) -> None:
        return None


def test_find_area_for_bin_days_answers_with_the_households_rounds(world: World) -> None:
    url = f"{world.base}/subscriptions/find-area?for=bin-days&postcode=ct147aa"
    opener = urllib.request.build_opener(NoRedirects)
    with pytest.raises(urllib.error.HTTPError) as redirect:
        opener.open(url)
    assert redirect.value.code == 303
    assert redirect.value.headers["Location"] == "/bin-days/walmer-friday/"
    status, page = world.get("/subscriptions/find-area?for=bin-days&postcode=CT14+7JP")
    assert status == 200
    for service, round_ in (("Rubbish", "walmer-friday"), ("Garden waste", "garden-tuesday")):
        assert service in page and f'href="/bin-days/{round_}/"' in page
    assert "Garden waste, Tuesday" in page
    with pytest.raises(urllib.error.HTTPError) as redirect:
        opener.open(f"{url}&lang=cy")  # from the Welsh page: to the Welsh round page
    assert redirect.value.headers["Location"] == "/cy/bin-days/walmer-friday/"
    status, page = world.get("/subscriptions/find-area?for=bin-days&postcode=CT14+9ZZ")
    assert status == 400 and "We could not find bin collection days for that postcode" in page
    status, page = world.get("/subscriptions/find-area?for=bin-days&postcode=CT14+9ZZ&lang=pl")
    assert status == 400 and 'href="/pl/bin-days/"' in page


def test_a_postcode_not_found_gets_the_form_again_with_what_was_typed(world: World) -> None:
    """GOV.UK's error pattern, without JavaScript: summary, message, the value kept."""
    status, page = world.get("/subscriptions/find-area?for=bin-days&postcode=CT99+%3Cb%3E")
    assert status == 400
    assert "<title>Error: " in page and 'href="#postcode"' in page
    assert 'name="for" value="bin-days"' in page
    assert 'value="CT99 &lt;b&gt;"' in page  # escaped
    assert "Enter a real postcode, like CT16 1LU." in page
    _, page = world.get("/subscriptions/find-area?for=bin-days&postcode=ZZ&lang=cy")
    assert 'name="lang" value="cy"' in page  # a GET form's action loses its query
    status, page = world.get("/subscriptions/find-area?postcode=CT14+9ZZ")
    assert status == 200 and "is in Walmer ward" in page  # the ward lookup is as it was


@pytest.mark.parametrize(
    ("moment", "day"),
    [
        (datetime(2026, 10, 24, 23, 30, tzinfo=UTC), date(2026, 10, 25)),  # summer time
        (datetime(2026, 10, 25, 23, 30, tzinfo=UTC), date(2026, 10, 25)),  # clocks went back
        (datetime(2027, 3, 27, 23, 30, tzinfo=UTC), date(2027, 3, 27)),  # before they go on
    ],
)
def test_today_is_londons_across_the_clock_changes(moment: datetime, day: date) -> None:
    assert london_today(moment) == day


def test_the_make_target_runs_the_command() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert "-m subscriber_lambda reminders --site-dir $(OUTPUT)" in makefile
