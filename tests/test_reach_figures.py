"""Reach (issue 18): a fixture publish through the embedded backend (real SQLite, real web
routes, a real SMTP server refusing one address for good and another for now), then the
report command's every figure, in its JSON and its CSV. The AWS side (SES events through
the real handlers, DynamoDB Local) is in tests/test_aws.py."""

from __future__ import annotations

import argparse
import csv
import email
import io
import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from email.message import Message
from pathlib import Path
from typing import Any

import pytest

from subscriber_lambda import feedback
from subscriber_lambda.__main__ import day_given
from subscriber_lambda.config import Config
from subscriber_lambda.core.addresses import address_hash
from subscriber_lambda.core.reach import (
    Tally,
    day_of,
    item_of_tag,
    item_tag,
    reached,
    ses_counter,
)
from subscriber_lambda.core.tokens import Signer
from subscriber_lambda.feedback import TAKING, incoming, take_all
from subscriber_lambda.ports import EMAIL, SOCIAL, TEXT
from subscriber_lambda.reach import build_report, print_tables, write_csv
from tests import test_subscriptions
from tests.sitebuilder import ROOT
from tests.test_delivery_failures import Command
from tests.test_reach_dashboard import reach_site
from tests.test_subscriptions import KEY, World

world = test_subscriptions.world
PUBLISHED = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)  # the flood alert's Date (London = UTC)
FLOOD, PLAN = "alerts/flood", "notices/plan"
WITHIN_ALL = {"within_1m": 2, "within_5m": 2, "within_15m": 2}  # two texts in a minute


@pytest.fixture
def command(world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Command:
    return Command(world, tmp_path, monkeypatch)


def quoted(original: Message, whole: bool) -> str:
    """The email a report is about, as reports quote it: whole, or its headers only."""
    if whole:
        return f"Content-Type: message/rfc822\n\n{original.as_string()}"
    headers = original.as_string().split("\n\n", 1)[0]
    return f"Content-Type: text/rfc822-headers\n\n{headers}\n"


def abuse_report(original: Message, feedback_type: str = "abuse", whole: bool = False) -> bytes:
    """What a mailbox provider's feedback loop sends when its user marks an email as spam
    (ARF, RFC 5965)."""
    return f"""From: Feedback loop <fbl@mailbox.example>
To: abuse@council.example
Subject: Abuse report
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report; boundary="arf"

--arf
Content-Type: text/plain

This is an email abuse report for an email received from IP 192.0.2.25.

--arf
Content-Type: message/feedback-report

Feedback-Type: {feedback_type}
User-Agent: SomeMailbox/2.1
Version: 1
Original-Rcpt-To: {original["To"]}

--arf
{quoted(original, whole)}
--arf--
""".encode()


def delivery_status(original: Message, action: str, status: str, whole: bool = False) -> bytes:
    """What a relay that accepted an email sends back when it could not deliver it yet,
    or ever (a DSN, RFC 3464)."""
    return f"""From: Mail Delivery System <MAILER-DAEMON@relay.example>
To: noticeboard@council.example
Subject: Undelivered Mail Returned to Sender
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="dsn"

--dsn
Content-Type: text/plain

This is the mail system at host relay.example.

--dsn
Content-Type: message/delivery-status

Reporting-MTA: dns; relay.example

Final-Recipient: rfc822; {original["To"]}
Action: {action}
Status: {status}
Diagnostic-Code: smtp; {status} from the resident's mail server

--dsn
{quoted(original, whole)}
--dsn--
""".encode()


def csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8-sig") as file:  # Excel's byte order mark
        return list(csv.DictReader(file))


def as_csv(value: Any) -> str:
    return "" if value is None else str(value)


@pytest.fixture
def published(world: World, command: Command, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """Seven sign-ups, six confirmed (one daily, for notices); the flood alert published;
    one address refused for good, one deferred then sent; one unsubscribe from the alert's
    email, and one complaint about it; the daily digest, with the notice, the next day.
    Yields the report's JSON."""
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

    # r0 marks the alert as spam; their mailbox provider's feedback loop mails it back.
    world.clock.now = PUBLISHED + timedelta(minutes=25)
    complaint = tmp_path / "complaint.eml"
    complaint.write_bytes(abuse_report(world.inbox.to(residents[0])[-1]))
    taken = command("feedback", str(complaint))
    assert (taken.status, taken.out) == (
        0,
        "feedback: 1 message read: 1 complaint; 1 address newly suppressed; 0 not counted (no "
        "report about an email we sent, or taken before)\n",
    )

    world.clock.now = datetime(2026, 11, 28, 7, 0, tzinfo=UTC)
    assert command("digest", "--frequency", "daily").status == 0

    out = tmp_path / "reach"
    result = command("report", "--csv", str(out), "--json", str(out / "reach.json"))
    assert result.status == 0
    assert result.out == (
        "report: 2 items, 5 messages sent, 1 bounced, 1 complaints, 1 unsubscribes; "
        "3 subscribers, 2 suppressed\n"
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
            "complaints": 1,
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
            "complaints": 1,
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
        "total": 3,
        "by_topic": {"alerts": 2, "notices": 1},
        "by_ward": {"sandwich": 1, "walmer": 2},
        "by_language": {"en": 3},
        "by_channel": {"email": 3, "text": 0},
        "by_frequency": {"daily": 1, "immediate": 2},
        "suppressed": 2,  # refused; complained
        "sign_ups": 7,
        "confirmations": 6,
        "confirmation_rate": 0.8571,
        "growth": [
            {"date": "2026-11-20", "joined": 6, "left": 0},
            {"date": "2026-11-27", "joined": 0, "left": 3},  # refused; unsubscribed; complained
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
        ("total", "", "3"),
        ("by_topic", "alerts", "2"),
        ("by_topic", "notices", "1"),
        ("by_ward", "sandwich", "1"),
        ("by_ward", "walmer", "2"),
        ("by_language", "en", "3"),
        ("by_channel", "email", "3"),
        ("by_channel", "text", "0"),
        ("by_frequency", "daily", "1"),
        ("by_frequency", "immediate", "2"),
        ("suppressed", "", "2"),
        ("sign_ups", "", "7"),
        ("confirmations", "", "6"),
        ("confirmation_rate", "", "0.8571"),
        ("joined", "2026-11-20", "6"),
        ("left", "2026-11-20", "0"),
        ("joined", "2026-11-27", "0"),
        ("left", "2026-11-27", "3"),
    ]


def test_the_figures_outlast_the_ledger(published: dict[str, Any], command: Command) -> None:
    """Erasing everyone still subscribed changes the alert's figures not at all (only
    today's subscriber totals and the day's left)."""
    for n in (2, 4, 5):
        assert command("erase", f"r{n}@example.net").status == 0
    again = command("report", "--json", "again.json", "--since", "2026-11-27")
    assert again.status == 0
    report = json.loads(Path("again.json").read_text())
    assert report["since"] == "2026-11-27"
    assert report["items"] == published["items"]
    assert report["subscribers"]["total"] == 0
    assert report["subscribers"]["growth"] == [
        {"date": "2026-11-27", "joined": 0, "left": 3},
        {"date": "2026-11-28", "joined": 0, "left": 3},
    ]
    assert report["subscribers"]["sign_ups"] == 0  # the sign-ups were before --since


def test_reports_mailed_back_are_taken_once_and_only_when_an_email_of_ours_is_quoted(
    published: dict[str, Any], world: World, command: Command, tmp_path: Path
) -> None:
    """A Maildir the relay's bounces and the feedback loop's reports are delivered to:
    each new report is taken once, then deleted; forged, foreign and repeated ones change
    nothing; only an answer about the address suppresses it."""
    maildir = tmp_path / "Maildir"
    for part in ("cur", "new", "tmp"):
        (maildir / part).mkdir(parents=True)

    def alert_to(n: int) -> Message:
        return world.inbox.to(f"r{n}@example.net")[-1]

    forged = email.message_from_bytes(alert_to(4).as_bytes())  # a copy, to tamper with
    signed = forged["List-Unsubscribe"]
    forged.replace_header("List-Unsubscribe", signed.replace("token=", "token=x", 1))
    bounce = delivery_status(alert_to(2), "failed", "5.1.1", whole=True)
    news = {
        "1.bounce": bounce,
        "2.delay": delivery_status(alert_to(4), "delayed", "4.4.7"),
        "3.not-spam": abuse_report(alert_to(4), "not-spam"),
        "4.forged": abuse_report(forged),
        "5.away": b"From: r4@example.net\nSubject: Out of office\n\nBack on Monday.\n",
        "6.full": delivery_status(alert_to(4), "failed", "5.2.2"),  # mailbox full: kept
        "7.blocked": delivery_status(alert_to(4), "failed", "5.7.606"),  # final: one counts
        "8.again": bounce,  # the same report twice
        "9.success": delivery_status(alert_to(4), "delivered", "2.0.0"),  # never asked for
        "10.junk": b"\xff\xfe\x00Content-Type: multipart/report; boundary=\xff\n\n--\xff",
    }
    for name, raw in news.items():
        (maildir / "new" / name).write_bytes(raw)
    outside = tmp_path / "elsewhere.eml"
    outside.write_bytes(bounce)
    (maildir / "new" / "12.link").symlink_to(outside)  # a link could lead anywhere: left
    world.clock.now = PUBLISHED + timedelta(hours=2)
    taken = command("feedback", str(maildir))
    assert (taken.status, taken.out) == (
        0,
        "feedback: 10 messages read: 1 delay, 1 hard bounce, 1 soft bounce; 1 address newly "
        "suppressed; 7 not counted (no report about an email we sent, or taken before)\n",
    )
    assert [p.name for p in (maildir / "new").iterdir()] == ["12.link"]
    assert list((maildir / "cur").iterdir()) == []  # taken reports hold addresses: deleted
    again = command("feedback", str(maildir))
    assert again.out.startswith("feedback: 0 messages read: nothing to take;")

    assert command("report", "--json", "after.json").status == 0
    after = json.loads(Path("after.json").read_text())
    flood = {**published["items"][0], "deferred": 2, "bounced": 3}
    flood.update(bounced_hard=2, bounced_soft=1)  # refused at sending and 5.1.1; mailbox full
    assert after["items"] == [flood, published["items"][1]]
    assert (after["subscribers"]["total"], after["subscribers"]["suppressed"]) == (2, 3)
    assert world.store.is_suppressed(address_hash("r2@example.net", KEY))
    assert not world.store.is_suppressed(address_hash("r4@example.net", KEY))


def test_two_runs_on_one_maildir_take_each_report_once_and_a_failing_store_gives_it_back(
    published: dict[str, Any], world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    maildir = tmp_path / "Maildir"
    for part in ("cur", "new", "tmp"):
        (maildir / part).mkdir(parents=True)
    for n in (2, 4):
        report = delivery_status(world.inbox.to(f"r{n}@example.net")[-1], "delayed", "4.4.7")
        (maildir / "new" / f"r{n}").write_bytes(report)
    signer = Signer(KEY)
    listed = list(incoming([maildir], io.BytesIO()))
    assert listed[0].claim()  # another run takes the first between listing and taking
    counts = take_all(world.store, signer, listed, world.clock, None)
    assert (counts.read, counts.kinds) == (1, {"delay": 1})

    # That run was killed: ten minutes on, its claim goes back to new/ and is taken.
    stranded = maildir / "cur" / f"r2{TAKING}"
    os.utime(stranded, (time.time() - 11 * 60,) * 2)
    monkeypatch.setattr(feedback, "take_feedback", broken_store)
    with pytest.raises(OSError, match="disk I/O error"):
        take_all(world.store, signer, incoming([maildir], io.BytesIO()), world.clock, None)
    assert [p.name for p in (maildir / "new").iterdir()] == ["r2"]  # given back, for later


def broken_store(*args: Any) -> int:
    raise OSError("disk I/O error")


def test_a_report_piped_in_by_the_mail_system(
    published: dict[str, Any],
    world: World,
    command: Command,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A mail alias (``abuse: "|python -m subscriber_lambda feedback"``) gives one message
    on standard input; exit 75 asks the mail system to keep it and try again later."""
    raw = abuse_report(world.inbox.to("r4@example.net")[-1], whole=True)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw)))
    taken = command("feedback")
    assert taken.status == 0 and "1 complaint; 1 address newly suppressed" in taken.out
    assert world.store.is_suppressed(address_hash("r4@example.net", KEY))

    def read_only(config: Config) -> Any:
        raise sqlite3.OperationalError("attempt to write a readonly database")

    with monkeypatch.context() as patched:  # a store that cannot even be opened
        patched.setattr(Config, "store", read_only)
        patched.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw)))
        locked = command("feedback")
    assert locked.status == 75 and "Run it again" in locked.err

    monkeypatch.setenv("SUBSCRIBER_STORE", f"sqlite:///{tmp_path / 'nowhere' / 'gone.db'}")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw)))
    missing = command("feedback")
    assert missing.status == 75 and "no store here" in missing.err
    assert not (tmp_path / "nowhere").exists()
    folder = tmp_path / "reports"
    folder.mkdir()
    wrong = command("feedback", str(folder))
    assert wrong.status == 2
    assert wrong.err == (
        f"feedback: {folder}: neither an email file nor a Maildir (a folder with cur, new "
        "and tmp); give report files, a Maildir, or pipe one message in\n"
    )
    terminal = io.TextIOWrapper(io.BytesIO())
    terminal.isatty = lambda: True  # type: ignore[method-assign]
    monkeypatch.setattr(sys, "stdin", terminal)
    waiting = command("feedback")  # a person forgetting the path: told, not left waiting
    assert waiting.status == 2 and "give report files or a Maildir" in waiting.err
    gone = command("feedback", str(tmp_path / "gone.eml"))
    assert (gone.status, gone.err) == (
        2,
        f"feedback: {tmp_path / 'gone.eml'}: no such file or folder\n",
    )


def test_the_csv_opens_in_a_spreadsheet_as_text(tmp_path: Path) -> None:
    """A byte order mark for Excel, and a title that would be a formula kept as text."""
    at = PUBLISHED + timedelta(seconds=40)
    manifest = [
        {
            "id": FLOOD,
            "type": "alerts",
            "published": PUBLISHED.isoformat(),
            "versions": [{"title": '=HYPERLINK("https://evil.example","Llifogydd")'}],
        }
    ]
    tallies = [Tally(FLOOD, EMAIL, date(2026, 11, 27), {"recipients": 1, "sent": 1}, at, at)]
    write_csv(build_report("Council", at, None, tallies, manifest, [], 0), tmp_path)
    raw = (tmp_path / "items.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfid,")
    assert csv_rows(tmp_path / "items.csv")[0]["title"].startswith("'=HYPERLINK(")


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


@pytest.mark.parametrize(
    ("moment", "day"),
    [
        (datetime(2026, 7, 1, 23, 30, tzinfo=UTC), date(2026, 7, 2)),  # BST: 00:30 in London
        (datetime(2026, 12, 1, 23, 30, tzinfo=UTC), date(2026, 12, 1)),  # GMT
        (datetime(2027, 3, 28, 0, 30, tzinfo=UTC), date(2027, 3, 28)),  # clocks go forward
        (datetime(2026, 10, 24, 23, 30, tzinfo=UTC), date(2026, 10, 25)),  # ...and back
        (datetime(2026, 10, 25, 23, 30, tzinfo=UTC), date(2026, 10, 25)),
    ],
)
def test_counters_are_added_to_the_councils_day(moment: datetime, day: date) -> None:
    """A London day, summer or winter: an alert sent at half past midnight in July counts
    for that day, not the day before."""
    assert day_of(moment) == day


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
