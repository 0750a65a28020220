"""One registry of content types drives everything, and the two types added on it
(consultations and public meetings) work end to end like the others: pages, lists, ward
pages, feeds, calendars, JSON valid against the generated schemas, and emails."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import pytest
from icalendar import Calendar
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from plugins.content_model import registry
from plugins.content_model.registry import ITEM_TYPES
from plugins.content_model.schema import COMMON_FIELDS, ContentType, Field
from plugins.editor.config import editor_config
from plugins.open_data.schemas import api_schemas
from plugins.subscriptions import subscription_topics
from tests.sitebuilder import build, item, read
from tests.test_subscriptions import World, subject, world_at

NOW = "2026-11-28T12:00:00+00:00"
NOW_LOCAL = "2026-11-28 11:00"  # an hour before NOW, as officers write it
PDF = b"%PDF-1.4\n%%EOF\n"
FILES: dict[str, str | bytes] = {
    "consultations/coming.md": item(
        "consultations", Slug="coming", Title="Play area", Opens="2026-12-01", Closes="2027-01-31"
    ),
    "consultations/open.md": item(
        "consultations", Slug="open", Title="Parking charges", Wards="middle-deal"
    ),
    "consultations/closed.md": item(
        "consultations",
        Slug="closed",
        Title="Bus station",
        Opens="2026-09-01",
        Closes="2026-10-31",
        Date="2026-09-01 09:00",
    ),
    "consultations/decided.md": item(
        "consultations",
        Slug="decided",
        Title="Town centre plan",
        Opens="2026-06-01",
        Closes="2026-08-31",
        Date="2026-06-01 09:00",
        Outcome="The cabinet adopted the plan with more seating on the Market Square.",
    ),
    "meetings/planning.md": item(
        "meetings",
        Slug="planning",
        Ends="2026-12-10 21:00",
        Agenda="planning-agenda.pdf",
        Webcast="https://www.example.org/live/planning",
    ),
    "meetings/council.md": item(
        "meetings",
        Slug="council",
        Title="Full council",
        Starts="2026-12-03 18:00",
        Cancelled="yes",
        Modified="2026-11-27 16:00",
    ),
    "meetings/forum.md": item(
        "meetings",
        Slug="forum",
        Title="Deal area forum",
        Starts="2026-11-18 19:00",
        Wards="middle-deal",
        Date="2026-11-04 09:00",
    ),
    "meetings/documents/planning-agenda.pdf": PDF,
}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("types"), FILES, now=NOW)


def api(site: Path, name: str) -> dict:  # type: ignore[type-arg]
    return json.loads((site / "api" / "v1" / f"{name}.json").read_text())


def calendar(site: Path, path: str) -> Calendar:
    return Calendar.from_ical((site / path).read_bytes())


# --- the registry --------------------------------------------------------------------------

PETITIONS = ContentType(
    folder="petitions",
    label="Petitions",
    singular="Petition",
    fields=(
        *COMMON_FIELDS,
        Field("Signatures", "text", required=True, help="How many have signed."),
        Field("Decision", "choice", choices=("debate", "response"), help="What follows."),
    ),
    template="petition",
)


@pytest.fixture
def with_petitions(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The registry with one more type, and nothing else changed."""
    monkeypatch.setitem(registry.ITEM_TYPES, PETITIONS.folder, PETITIONS)
    monkeypatch.setitem(registry.ALL_TYPES, PETITIONS.folder, PETITIONS)
    yield


def derived() -> tuple[dict, dict, list]:  # type: ignore[type-arg]
    return (
        api_schemas(ITEM_TYPES.values()),
        editor_config(["walmer"], {"name": "test-repo"}),
        subscription_topics({}),
    )


def test_the_schemas_the_editor_and_the_topics_follow_the_registry(with_petitions: None) -> None:
    schemas, editor, topics = derived()
    petitions = schemas["petitions.schema.json"]["properties"]["petitions"]["items"]
    assert petitions["properties"]["signatures"]["type"] == "string"
    assert petitions["properties"]["decision"]["oneOf"][0] == {
        "description": "What follows.",
        "enum": ["debate", "response"],
    }
    assert (
        "petitions"
        in schemas["notify.schema.json"]["properties"]["items"]["items"]["properties"]["type"][
            "enum"
        ]
    )
    assert (
        "petitions" in schemas["common.schema.json"]["$defs"]["item"]["properties"]["id"]["pattern"]
    )
    collection = next(c for c in editor["collections"] if c["name"] == "petitions")
    assert collection["folder"] == "content/petitions"
    assert [f["name"] for f in collection["fields"]][-3:] == ["Signatures", "Decision", "body"]
    assert {"slug": "petitions", "label": "Petitions", "texts": False, "labels": {}} in topics


def test_a_field_changed_in_the_registry_changes_what_is_derived(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    meetings = ITEM_TYPES["meetings"]
    before = derived()
    venue = meetings.field("venue")
    assert venue is not None
    fewer = tuple(f for f in meetings.fields if f is not venue)
    monkeypatch.setitem(registry.ITEM_TYPES, "meetings", replace(meetings, fields=fewer))
    monkeypatch.setitem(registry.ALL_TYPES, "meetings", registry.ITEM_TYPES["meetings"])
    schemas, editor, _ = derived()
    record = schemas["meetings.schema.json"]["properties"]["meetings"]["items"]
    assert (
        "venue"
        in before[0]["meetings.schema.json"]["properties"]["meetings"]["items"]["properties"]
    )
    assert "venue" not in record["properties"] and "venue" not in record["required"]
    collection = next(c for c in editor["collections"] if c["name"] == "meetings")
    assert "Venue" not in [f["name"] for f in collection["fields"]]


def test_every_type_has_its_templates() -> None:
    templates = Path(__file__).resolve().parents[1] / "theme" / "templates"
    for content_type in ITEM_TYPES.values():
        assert (templates / f"{content_type.template}.html").is_file(), content_type.folder
        for part in ("meta.html", "subject.txt", "email.txt", "email.html", "short.txt"):
            assert (templates / "types" / content_type.template / part).is_file(), part


# --- consultations ---------------------------------------------------------------------------


def test_a_consultation_is_upcoming_open_closed_or_decided(site: Path) -> None:
    statuses = {c["slug"]: c["status"] for c in api(site, "consultations")["consultations"]}
    assert statuses == {
        "coming": "upcoming",
        "open": "open",
        "closed": "closed",
        "decided": "decided",
    }
    assert "Opens soon" in read(site, "/consultations/coming/")
    open_page = read(site, "/consultations/open/")
    assert "Respond to" in open_page and "have-your-say/parking" in open_page
    assert "will publish what it decided" in read(site, "/consultations/closed/")
    decided = read(site, "/consultations/decided/")
    assert "Outcome" in decided and "more seating on the Market Square" in decided


def test_open_and_coming_consultations_are_on_the_home_and_ward_pages(site: Path) -> None:
    home = read(site, "/")
    section = home.split("Consultations you can respond to")[1].split("<h2")[0]
    # the one closing soonest first; closed and decided ones are not current
    assert section.index("Parking charges") < section.index("Play area")
    assert "Bus station" not in section and "Town centre plan" not in section
    assert "Parking charges" in read(site, "/wards/middle-deal/")
    assert "Parking charges" not in read(site, "/wards/walmer/").split("Everything for")[0]


def test_the_consultations_calendar_has_every_closing_day(site: Path) -> None:
    events = {str(e["UID"]): e for e in calendar(site, "consultations/calendar.ics").walk("VEVENT")}
    opened = events["open-closes@127.0.0.1:8000"]
    assert opened.decoded("DTSTART").isoformat() == "2027-01-15"
    assert str(opened["SUMMARY"]) == "Consultation closes: Parking charges"
    assert "have-your-say/parking" in str(opened["DESCRIPTION"])


# --- meetings --------------------------------------------------------------------------------


def test_a_meeting_page_says_when_where_and_how_to_watch(site: Path) -> None:
    page = read(site, "/meetings/planning/")
    assert "Council Chamber, Dover" in page
    assert 'href="/meetings/documents/planning-agenda.pdf"' in page
    assert (site / "meetings" / "documents" / "planning-agenda.pdf").read_bytes() == PDF
    assert 'href="https://www.example.org/live/planning"' in page
    assert "This meeting has been cancelled." in read(site, "/meetings/council/")
    assert "This meeting has taken place." in read(site, "/meetings/forum/")


def test_the_meetings_calendar_moves_and_cancels_the_same_event(tmp_path: Path) -> None:
    """A calendar app that subscribed before the change updates its event: same UID, a
    higher SEQUENCE, STATUS:CANCELLED."""
    planned = {"meetings/council.md": item("meetings", Slug="council", Starts="2026-12-03 18:00")}
    cancelled = {
        "meetings/council.md": item(
            "meetings",
            Slug="council",
            Starts="2026-12-03 18:30",
            Cancelled="yes",
            Modified="2026-11-27 16:00",
        )
    }
    before = calendar(build(tmp_path / "a", planned), "meetings/calendar.ics").walk("VEVENT")[0]
    after = calendar(build(tmp_path / "b", cancelled), "meetings/calendar.ics").walk("VEVENT")[0]
    assert before["UID"] == after["UID"] == "council-meeting@127.0.0.1:8000"
    assert after["SEQUENCE"] > before["SEQUENCE"]
    assert (before["STATUS"], after["STATUS"]) == ("CONFIRMED", "CANCELLED")
    assert after.decoded("DTSTART") == datetime(2026, 12, 3, 18, 30, tzinfo=UTC)
    assert str(after["LOCATION"]) == "Council Chamber, Dover"


def test_coming_meetings_are_listed_soonest_first_cancellations_included(site: Path) -> None:
    section = read(site, "/").split("Coming meetings")[1].split("<h2")[0]
    assert section.index("Full council") < section.index("Planning committee")
    assert "Cancelled" in section and "Deal area forum" not in section


# --- every output ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["consultations", "meetings"])
def test_the_new_types_are_in_lists_feeds_and_json_valid_against_their_schemas(
    site: Path, kind: str
) -> None:
    assert "govuk-heading-xl" in read(site, f"/{kind}/")
    feed = feedparser.parse((site / "feeds" / f"{kind}.atom.xml").read_bytes())
    assert len(feed.entries) == 4 if kind == "consultations" else 3
    assert f"/{kind}/" in read(site, "/feeds/")
    schema_dir = site / "api" / "v1" / "schema"
    resources = Registry().with_resources(
        (p.name, Resource.from_contents(json.loads(p.read_text())))
        for p in schema_dir.glob("*.json")
    )
    schema = json.loads((schema_dir / f"{kind}.schema.json").read_text())
    schema.pop("$id")
    validator = Draft202012Validator(
        schema, registry=resources, format_checker=Draft202012Validator.FORMAT_CHECKER
    )
    assert [e.message for e in validator.iter_errors(api(site, kind))] == []
    nav = read(site, "/").split('class="council-nav"')[1].split("</nav>")[0]
    assert f'href="/{kind}/"' in nav


def test_residents_subscribe_to_the_new_types_and_get_their_emails(tmp_path: Path) -> None:
    published = "2026-11-27 09:00"  # after the resident confirms
    files = {
        "meetings/council.md": item(
            "meetings",
            Slug="council",
            Title="Full council",
            Cancelled="yes",
            Wards="walmer",
            Date=published,
        ),
        "consultations/parking.md": item(
            "consultations", Slug="parking", Wards="walmer", Date=published
        ),
        "notices/plan.md": item("notices", Slug="plan", Wards="walmer", Date=published),
    }
    world: World
    with world_at(tmp_path, files) as world:
        options = json.loads((world.site / "subscriptions" / "options.json").read_text())
        assert [t["slug"] for t in options["topics"]] == list(ITEM_TYPES)
        status, page = world.get("/subscriptions/subscribe")
        assert status == 200 and 'value="meetings"' in page and "Public meetings" in page
        world.subscribe("meetings@example.net", topics=["meetings", "consultations"])
        world.clock.now = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
        world.notify()
        received = world.inbox.to("meetings@example.net")[1:]
        assert sorted(subject(m) for m in received) == [
            "Consultation: Parking in Deal town centre",
            "Meeting cancelled: Full council",
        ]


def test_every_generated_file_is_written_through_pelicans_writer(tmp_path: Path) -> None:
    """Other plugins (and Pelican's own) see each file the build makes: feeds, calendars,
    JSON, CAP and the forms' options are written as pages are, and its signal fires."""
    from pelican import signals

    written: set[str] = set()

    def seen(path: str, context: object) -> None:
        written.add(Path(path).relative_to(tmp_path / "output").as_posix())

    signals.content_written.connect(seen)
    try:
        output = build(tmp_path, FILES, now=NOW)
    finally:
        signals.content_written.disconnect(seen)
    copied = ("theme/", "admin/", "meetings/documents/")  # static files, copied as they are
    made_after = {"sitemap.xml", "robots.txt"}  # listed from the finished output
    made = {
        p.relative_to(output).as_posix()
        for p in output.rglob("*")
        if p.is_file() and not p.relative_to(output).as_posix().startswith(copied)
    }
    assert made - made_after - written == set()
    assert {"feeds/meetings.atom.xml", "meetings/calendar.ics", "api/v1/meetings.json"} <= written
    assert {"admin/config.yml", "subscriptions/options.json"} <= written


def test_a_meeting_page_tells_search_engines_about_the_event(site: Path) -> None:
    def event(slug: str) -> dict:  # type: ignore[type-arg]
        page = read(site, f"/meetings/{slug}/")
        found = page.split('<script type="application/ld+json">')[1].split("</script>")[0]
        return json.loads(found)  # type: ignore[no-any-return]

    planning = event("planning")
    assert planning["@type"] == "Event"
    assert planning["startDate"] == "2026-12-10T18:30:00+00:00"
    assert planning["eventStatus"] == "https://schema.org/EventScheduled"
    assert [place["@type"] for place in planning["location"]] == ["Place", "VirtualLocation"]
    assert event("council")["eventStatus"] == "https://schema.org/EventCancelled"


# --- found by trying it: changes reach residents, and say so ---------------------------------


def test_a_change_to_an_item_published_long_ago_is_in_the_notify_manifest(tmp_path: Path) -> None:
    """The manifest's window counts from an item's revision (Modified), not its Date: a
    meeting announced a month ago and cancelled today is sent again."""
    files = {
        "meetings/forum.md": item(
            "meetings",
            Slug="forum",
            Date="2026-10-20 09:00",
            Starts="2026-12-18 19:00",
            Cancelled="yes",
            Modified="2026-11-28 10:00",
        ),
        "meetings/old.md": item("meetings", Slug="old", Date="2026-10-20 09:00"),
    }
    manifest = api(build(tmp_path, files, now=NOW), "notify")
    assert [(i["id"], i["revision"]) for i in manifest["items"]] == [
        ("meetings/forum", "2026-11-28T10:00:00+00:00")
    ]
    subject_line = manifest["items"][0]["versions"][0]["email"]["subject"]
    assert subject_line == "Meeting cancelled: Planning committee"


def test_residents_who_subscribed_after_a_meeting_was_announced_hear_it_is_cancelled(
    tmp_path: Path,
) -> None:
    announced = item("meetings", Slug="council", Title="Full council", Wards="walmer")
    with world_at(tmp_path, {"meetings/council.md": announced}) as world:  # Date 20 Nov 09:00
        world.subscribe("late@example.net", topics=["meetings"])  # confirmed 20 Nov 12:00
        world.clock.now = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
        world.notify()
        assert world.inbox.to("late@example.net")[1:] == []  # announced before they confirmed
        cancelled = item(
            "meetings",
            Slug="council",
            Title="Full council",
            Wards="walmer",
            Cancelled="yes",
            Modified="2026-11-27 16:00",
        )
        world.notify(build(tmp_path / "later", {"meetings/council.md": cancelled}, now=NOW))
        received = world.inbox.to("late@example.net")[1:]
        assert [subject(m) for m in received] == ["Meeting cancelled: Full council"]
        text = received[0].get_payload()[0].get_payload(decode=True).decode()
        assert "This meeting has been cancelled." in text and "Watch online" not in text


def test_an_outcome_written_early_is_published_only_once_the_consultation_closes(
    tmp_path: Path,
) -> None:
    early = item("consultations", Slug="early", Outcome="Approved with changes.")
    output = build(tmp_path, {"consultations/early.md": early}, now=NOW)
    record = api(output, "consultations")["consultations"][0]
    assert (record["status"], record["outcome"]) == ("open", None)
    assert "Approved with changes." not in read(output, "/consultations/early/")
    email = api(output, "notify")["items"][0]["versions"][0]["email"]
    assert "Approved with changes." not in email["text"] + email["html"]
    later = build(tmp_path / "later", {"consultations/early.md": early}, now="2027-01-20T12:00:00Z")
    record = api(later, "consultations")["consultations"][0]
    assert (record["status"], record["outcome"]) == ("decided", "Approved with changes.")


def test_feeds_lists_and_calendars_say_what_changed(site: Path) -> None:
    feed = feedparser.parse((site / "feeds" / "meetings.atom.xml").read_bytes())
    assert "Cancelled: Full council" in [entry.title for entry in feed.entries]
    page = read(site, "/meetings/")
    listed = page[page.index('class="council-list"') :]
    # coming meetings first, soonest first; then past ones, newest first
    order = [listed.index(t) for t in ("Full council", "Planning committee", "Deal area forum")]
    assert order == sorted(order)
    one = calendar(site, "meetings/planning.ics").walk("VEVENT")
    assert [str(e["UID"]) for e in one] == ["planning-meeting@127.0.0.1:8000"]
    assert not (site / "meetings" / "forum.ics").exists()  # past: no calendar of its own
    assert (site / "consultations" / "open.ics").exists()


def test_a_cancelled_meeting_without_modified_is_published_with_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    build(tmp_path, {"meetings/m.md": item("meetings", Slug="m", Cancelled="yes")}, now=NOW)
    shown = capsys.readouterr().err.replace(str(tmp_path / "content"), "content")
    assert shown.splitlines() == [
        "content/meetings/m.md: Cancelled: warning: the meeting is cancelled but has no "
        "Modified line, so residents who were told about it are not emailed that it is "
        "cancelled; add 'Modified:' with the time of the change"
    ]


def test_only_changes_that_are_news_are_sent_again(tmp_path: Path) -> None:
    """A change (a later Modified) goes to subscribers again while it matters: a coming
    meeting moved, or any statutory notice; not the notes of a meeting that took place."""
    old = "2026-10-20 09:00"
    files = {
        "meetings/past.md": item(
            "meetings", Slug="past", Date=old, Starts="2026-11-18 19:00", Modified=NOW_LOCAL
        ),
        "meetings/moved.md": item("meetings", Slug="moved", Date=old, Modified=NOW_LOCAL),
        "notices/tax.md": item("notices", Slug="tax", Date=old, Modified=NOW_LOCAL),
    }
    manifest = api(build(tmp_path, files, now=NOW), "notify")
    items = {i["id"]: i for i in manifest["items"]}
    assert set(items) == {"meetings/moved", "notices/tax"}
    email = items["notices/tax"]["versions"][0]["email"]
    assert email["subject"] == "Updated: Statutory notice: Planning application: 1 High Street"
    assert "this has changed since it was first published" in email["text"]
    moved = build(tmp_path / "first", {"meetings/moved.md": item("meetings", Slug="moved")})
    first = api(moved, "notify")["items"][0]["versions"][0]["email"]
    assert first["subject"] == "Public meeting: Planning committee"
    assert "changed since" not in first["text"]


def test_rss_readers_see_a_change_as_news(tmp_path: Path) -> None:
    files = {"meetings/m.md": item("meetings", Slug="m", Cancelled="yes", Modified=NOW_LOCAL)}
    feed = feedparser.parse((build(tmp_path, files) / "feeds" / "meetings.rss.xml").read_bytes())
    entry = feed.entries[0]
    assert entry.title == "Cancelled: Planning committee"
    assert entry.published_parsed[:5] == (2026, 11, 28, 11, 0)
    assert entry.id.endswith("#updated-2026-11-28T11:00:00+00:00")


def test_notify_links_residents_to_the_address_the_site_was_built_for(tmp_path: Path) -> None:
    """Without SITE_URL, notify's manage and unsubscribe links use the manifest's site_url:
    ``make run PORT=8124`` then ``make notify`` links to port 8124, where the routes are."""
    import os
    import subprocess
    import sys

    from aiosmtpd.controller import Controller

    from subscriber_lambda.adapters.sqlite_store import SqliteStore
    from subscriber_lambda.core.addresses import address_hash
    from subscriber_lambda.core.preferences import Preferences
    from tests.services import free_port
    from tests.test_subscriptions import KEY, Inbox

    published = "2026-11-27 09:00"
    files = {"meetings/m.md": item("meetings", Slug="m", Wards="walmer", Date=published)}
    site = build(tmp_path / "site", files, now=NOW, SITE_URL="http://127.0.0.1:8124")
    secret = tmp_path / "secret"
    secret.write_text(KEY.hex())
    secret.chmod(0o600)
    store = SqliteStore(tmp_path / "db.sqlite")
    store.save_subscriber(
        "r@example.net",
        address_hash("r@example.net", KEY),
        Preferences(frozenset({"meetings"}), frozenset({"walmer"})),
        datetime(2026, 11, 1, tzinfo=UTC),
    )
    store.close()
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        env = {k: v for k, v in os.environ.items() if k != "SITE_URL"}
        env |= {
            "SUBSCRIBER_STORE": f"sqlite:///{tmp_path / 'db.sqlite'}",
            "SUBSCRIBER_SECRET": secret.as_uri(),
            "SUBSCRIBER_MAILER": f"smtp://127.0.0.1:{port}",
        }
        manifest = str(site / "api" / "v1" / "notify.json")
        result = subprocess.run(
            [sys.executable, "-m", "subscriber_lambda", "notify", manifest],
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        (message,) = inbox.wait_for("r@example.net", 1)
    finally:
        controller.stop()
    assert message["List-Unsubscribe"].startswith("<http://127.0.0.1:8124/subscriptions/")
