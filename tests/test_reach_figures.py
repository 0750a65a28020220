"""Reach (issue 18): a fixture publish through the embedded backend (real SQLite, real web
routes, a real SMTP server refusing one address for good and another for now), then the
report command's every figure, in its JSON and its CSV. The AWS side (SES events through
the real handlers, DynamoDB Local) is in tests/test_aws.py."""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from subscriber_lambda.__main__ import day_given
from subscriber_lambda.core.reach import Tally, item_of_tag, item_tag, reached, ses_counter
from subscriber_lambda.ports import EMAIL, SOCIAL, TEXT
from subscriber_lambda.reach import build_report, print_tables
from tests import test_subscriptions
from tests.sitebuilder import ROOT
from tests.test_delivery_failures import Command
from tests.test_reach_dashboard import reach_site
from tests.test_subscriptions import World

world = test_subscriptions.world
PUBLISHED = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)  # the flood alert's Date (London = UTC)
FLOOD, PLAN = "alerts/flood", "notices/plan"
WITHIN_ALL = {"within_1m": 2, "within_5m": 2, "within_15m": 2}  # two texts in a minute


@pytest.fixture
def command(world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Command:
    return Command(world, tmp_path, monkeypatch)


def csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


def as_csv(value: Any) -> str:
    return "" if value is None else str(value)


@pytest.fixture
def published(world: World, command: Command, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """Seven sign-ups, six confirmed (one daily, for notices); the flood alert published;
    one address refused for good, one deferred then sent; one unsubscribe from the alert's
    email; the daily digest, with the notice, the next day. Yields the report's JSON."""
    residents = [f"r{n}@example.net" for n in range(6)]
    for address in residents[:5]:
        world.subscribe(address)
    world.subscribe(residents[5], frequency="daily", topics=["notices"], wards=["sandwich"])
    fields = {"email": "r6@example.net", "topics": ["alerts"], "wards": ["walmer"]}
    assert world.post("/subscriptions/subscribe", fields)[0] == 200  # never confirmed
    world.inbox.refuse.add(residents[1])
    world.inbox.defer.add(residents[2])

    world.clock.now = PUBLISHED + timedelta(seconds=30)
    assert command.notify().status == 75
    world.inbox.defer.clear()
    world.clock.now = PUBLISHED + timedelta(minutes=3)
    assert command.notify().status == 0

    world.clock.now = PUBLISHED + timedelta(minutes=20)
    alert = world.inbox.to(residents[3])[-1]
    link = alert["List-Unsubscribe"].strip("<>")
    assert world.post(link, {"List-Unsubscribe": "One-Click"})[0] == 200
    assert world.post(link, {"List-Unsubscribe": "One-Click"})[0] == 200  # once is once

    world.clock.now = datetime(2026, 11, 28, 7, 0, tzinfo=UTC)
    assert command("digest", "--frequency", "daily").status == 0

    out = tmp_path / "reach"
    result = command("report", "--csv", str(out), "--json", str(out / "reach.json"))
    assert result.status == 0
    assert result.out == (
        "report: 2 items, 5 messages sent, 1 bounced, 0 complaints, 1 unsubscribes; "
        "4 subscribers, 1 suppressed\n"
    )
    yield json.loads((out / "reach.json").read_text())


def test_every_figure_of_a_publish_is_in_the_json(published: dict[str, Any], world: World) -> None:
    manifest = json.loads((world.site / "api" / "v1" / "notify.json").read_text())
    flood = next(i for i in manifest["items"] if i["id"] == FLOOD)
    plan = next(i for i in manifest["items"] if i["id"] == PLAN)
    assert (
        published["council"]
        == json.loads((world.site / "subscriptions" / "options.json").read_text())["council"]
    )
    assert published["generated"] == "2026-11-28T07:00:00+00:00"
    assert published["since"] is None
    assert published["items"] == [
        {
            "id": FLOOD,
            "url": flood["versions"][0]["url"],
            "title": flood["versions"][0]["title"],
            "type": "alerts",
            "published": flood["published"],
            "channel": "email",
            "recipients": 5,  # 4 sent, 1 refused for good
            "sent": 4,  # 3 within a minute, 1 after its deferral
            "delivered": None,  # SMTP reports no deliveries
            "deferred": 1,
            "bounced": 1,
            "bounced_hard": 1,
            "bounced_soft": 0,
            "failed": 0,  # none given up after its retries
            "complaints": 0,
            "unsubscribes": 1,
            "segments": None,
            "posts": None,
            "opens": None,
            "clicks": None,
            "first_sent": "2026-11-27T09:00:30+00:00",
            "last_sent": "2026-11-27T09:03:00+00:00",
            "within_1m": 0.6,
            "within_5m": 0.8,
            "within_15m": 0.8,
        },
        {
            "id": PLAN,
            "url": plan["versions"][0]["url"],
            "title": plan["versions"][0]["title"],
            "type": "notices",
            "published": plan["published"],
            "channel": "email",
            "recipients": 1,  # held for the daily digest
            "sent": 1,  # in the digest, the next day
            **dict.fromkeys(("delivered", "segments", "posts", "opens", "clicks")),
            **dict.fromkeys(("deferred", "bounced", "bounced_hard", "bounced_soft", "failed"), 0),
            **dict.fromkeys(("complaints", "unsubscribes"), 0),
            "first_sent": "2026-11-28T07:00:00+00:00",
            "last_sent": "2026-11-28T07:00:00+00:00",
            **dict.fromkeys(("within_1m", "within_5m", "within_15m"), 0.0),
        },
    ]
    assert published["days"] == [
        {
            "date": "2026-11-27",
            "channel": "email",
            "recipients": 6,
            "sent": 4,
            "deferred": 1,
            "bounced": 1,
            "complaints": 0,
            "unsubscribes": 1,
        },
        {
            "date": "2026-11-28",
            "channel": "email",
            "recipients": 0,
            "sent": 1,
            "deferred": 0,
            "bounced": 0,
            "complaints": 0,
            "unsubscribes": 0,
        },
    ]
    assert published["subscribers"] == {
        "total": 4,
        "by_topic": {"alerts": 3, "notices": 1},
        "by_ward": {"sandwich": 1, "walmer": 3},
        "by_language": {"en": 4},
        "by_channel": {"email": 4, "text": 0},
        "by_frequency": {"daily": 1, "immediate": 3},
        "suppressed": 1,
        "sign_ups": 7,
        "confirmations": 6,
        "confirmation_rate": 0.8571,
        "growth": [
            {"date": "2026-11-20", "joined": 6, "left": 0},
            {"date": "2026-11-27", "joined": 0, "left": 2},  # refused; unsubscribed
        ],
    }


def test_the_csv_files_hold_the_same_figures(published: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "reach"
    items = csv_rows(out / "items.csv")
    assert items == [{k: as_csv(v) for k, v in row.items()} for row in published["items"]]
    days = csv_rows(out / "days.csv")
    assert days == [{k: as_csv(v) for k, v in row.items()} for row in published["days"]]
    figures = [(r["figure"], r["key"], r["value"]) for r in csv_rows(out / "subscribers.csv")]
    assert figures == [
        ("total", "", "4"),
        ("by_topic", "alerts", "3"),
        ("by_topic", "notices", "1"),
        ("by_ward", "sandwich", "1"),
        ("by_ward", "walmer", "3"),
        ("by_language", "en", "4"),
        ("by_channel", "email", "4"),
        ("by_channel", "text", "0"),
        ("by_frequency", "daily", "1"),
        ("by_frequency", "immediate", "3"),
        ("suppressed", "", "1"),
        ("sign_ups", "", "7"),
        ("confirmations", "", "6"),
        ("confirmation_rate", "", "0.8571"),
        ("joined", "2026-11-20", "6"),
        ("left", "2026-11-20", "0"),
        ("joined", "2026-11-27", "0"),
        ("left", "2026-11-27", "2"),
    ]


def test_the_figures_outlast_the_ledger(published: dict[str, Any], command: Command) -> None:
    """Erasing everyone who got the alert changes its figures not at all (only today's
    subscriber totals and the day's left)."""
    for n in (0, 2, 4, 5):
        assert command("erase", f"r{n}@example.net").status == 0
    again = command("report", "--json", "again.json", "--since", "2026-11-27")
    assert again.status == 0
    report = json.loads(Path("again.json").read_text())
    assert report["since"] == "2026-11-27"
    assert report["items"] == published["items"]
    assert report["subscribers"]["total"] == 0
    assert report["subscribers"]["growth"] == [
        {"date": "2026-11-27", "joined": 0, "left": 2},
        {"date": "2026-11-28", "joined": 0, "left": 4},
    ]
    assert report["subscribers"]["sign_ups"] == 0  # the sign-ups were before --since


def test_texts_and_posts_have_their_own_figures() -> None:
    """A text's segments and a post's count are shown on their channels only; delivery,
    opens and clicks only once a provider has reported one."""
    day, at = date(2026, 11, 27), PUBLISHED + timedelta(seconds=40)
    tallies = [
        Tally(FLOOD, TEXT, day, {"recipients": 2, "sent": 2, "segments": 4, **WITHIN_ALL}, at, at),
        Tally(FLOOD, SOCIAL, day, {"sent": 2, "posts": 2}, at, at),
        Tally("bin-days/2026-11-28", EMAIL, day, {"recipients": 1, "sent": 1}, at, at),
    ]
    manifest = [
        {"id": FLOOD, "type": "alerts", "published": PUBLISHED.isoformat(), "versions": [{}]}
    ]
    report = build_report("Council", at, None, tallies, manifest, [], 0)
    rows = {(row["id"], row["channel"]): row for row in report["items"]}
    text, social = rows[(FLOOD, TEXT)], rows[(FLOOD, SOCIAL)]
    assert (text["segments"], text["posts"], text["delivered"], text["within_1m"]) == (
        4,
        None,
        None,
        1.0,
    )
    assert (social["posts"], social["segments"], social["within_1m"], social["recipients"]) == (
        2,
        None,
        None,
        0,
    )
    reminder = rows[("bin-days/2026-11-28", EMAIL)]
    assert (reminder["type"], reminder["published"], reminder["title"]) == ("bin-days", None, None)
    assert (reminder["within_1m"], reminder["opens"]) == (None, None)
    assert list(rows) == [(FLOOD, TEXT), (FLOOD, SOCIAL), ("bin-days/2026-11-28", EMAIL)]
    screen = io.StringIO()
    print_tables(report, screen)  # what a terminal shows
    lines = screen.getvalue().splitlines()
    assert lines[0] == "Reach for Council (made 2026-11-27T09:00:40+00:00)"
    assert lines[5].split() == ["alerts/flood", "text", "2", "2", "-", "0", "0", "0", "0", "100%"]


def test_time_to_reach_and_ses_tags() -> None:
    assert reached(PUBLISHED, PUBLISHED + timedelta(seconds=60)) == {
        "within_1m": 1,
        "within_5m": 1,
        "within_15m": 1,
    }
    assert reached(PUBLISHED, PUBLISHED + timedelta(minutes=6)) == {"within_15m": 1}
    assert reached(None, PUBLISHED) == {}
    for item_id in (FLOOD, "bin-changes/xmas-2026", "bin-days/2026-11-28"):
        assert item_of_tag(item_tag(item_id)) == item_id
    assert ses_counter({"eventType": "Bounce", "bounce": {"bounceType": "Transient"}}) == (
        "bounced_soft"
    )
    assert ses_counter({"eventType": "Send"}) is None


def test_the_dashboard_is_built_from_the_reports_json(
    published: dict[str, Any], tmp_path: Path
) -> None:
    """The command's JSON as it is, into the site's build: the dashboard reads what the
    report writes (two tools, one shape)."""
    root = tmp_path / "dashboard"
    root.mkdir()
    site = reach_site(root, published)
    page = (site / "reach" / "index.html").read_text(encoding="utf-8")
    assert "noindex" in page and published["items"][0]["id"].split("/")[1] in page


def test_a_report_where_there_is_no_store_says_so_and_makes_none(tmp_path: Path) -> None:
    """A timer run in the wrong folder must not write a dashboard of zeros."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SUBSCRIBER_")}
    environment["PYTHONPATH"] = str(ROOT)
    result = subprocess.run(
        [sys.executable, "-m", "subscriber_lambda", "report", "--json", "r.json"],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("report: var/subscribers.db: no store here")
    assert list(tmp_path.iterdir()) == []


def test_a_report_is_told_how_to_write_a_day_and_a_manifest_it_cannot_find(
    world: World, command: Command
) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match="'yesterday' is not a day; write it"):
        day_given("yesterday")  # argparse's message for --since
    missing = command("report", "--manifest", "nowhere/notify.json")
    assert missing.status == 2
    assert missing.err.startswith("report: nowhere/notify.json: no such file;")
