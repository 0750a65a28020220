"""Feeds, calendars and open data: every feed parses, ward feeds hold exactly the right
items, calendars carry the right days (across New Year and the clock changes), and every
JSON file matches its published schema."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import feedparser
import pytest
from icalendar import Calendar
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from plugins.content_model.registry import ITEM_TYPES
from tests.sitebuilder import ROOT, build, item, read

NOW = "2026-11-28T12:00:00+00:00"
FILES = {
    "alerts/flood.md": item("alerts", Slug="flood", Wards="sandwich", Date="2026-11-27 09:00"),
    "alerts/flood.pl.md": item(
        "alerts",
        Slug="flood",
        Lang="pl",
        Wards="sandwich",
        Date="2026-11-27 09:00",
        Title="Alarm powodziowy",
        Summary="Rzeka może wylać.",
    ),
    "alerts/drill.md": item(
        "alerts",
        Slug="drill",
        Title="Exercise",
        Exercise="yes",
        Wards="walmer",
        Date="2026-11-28 10:00",
        Summary="A drill of the alert system.",
    ),
    "notices/walmer.md": item(
        "notices",
        Slug="walmer-plan",
        Title="Walmer plan",
        Reference="W/1",
        Wards="walmer",
        Respond_By="2026-12-10",
        Documents="plan.pdf",
    ),
    "notices/closed.md": item(
        "notices",
        Slug="closed",
        Title="Closed </script> notice",
        Reference="C/1",
        Wards="walmer",
        Date="2026-10-01 09:00",
        Respond_By="2026-10-20",
    ),
    "notices/quiet.md": item(
        "notices",
        Slug="quiet",
        Title="Quiet notice",
        Reference="Q/1",
        Notify="no",
        Date="2026-11-26 09:00",
    ),
    "notices/old.md": item(
        "notices",
        Slug="old",
        Title="Old notice",
        Reference="O/1",
        Date="2026-09-01 09:00",
    ),
    "notices/documents/plan.pdf": b"%PDF-1.4\n%%EOF\n",
    "bin-changes/new-year.md": item(
        "bin-changes",
        Slug="new-year",
        Wards="all",
        Date="2026-11-20 09:00",
        Changes="2026-12-31 -> 2027-01-02; 2026-12-25 -> 2026-12-26",
        Services="refuse, recycling",
        Reason="Bank holidays",
    ),
    "bin-changes/clocks.md": item(
        "bin-changes",
        Slug="clocks",
        Title="Clock change collections",
        Wards="sandwich",
        Date="2026-03-01 09:00",
        Changes="2026-03-28 -> 2026-03-29; 2026-10-24 -> 2026-10-25",
    ),
}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("data"), FILES, now=NOW)


def feed(site: Path, name: str) -> feedparser.FeedParserDict:
    parsed = feedparser.parse((site / "feeds" / name).read_bytes())
    assert not parsed.bozo, f"{name}: {parsed.get('bozo_exception')}"
    return parsed


def ids(parsed: feedparser.FeedParserDict) -> list[str]:
    return [entry.id.removeprefix("http://127.0.0.1:8000/") for entry in parsed.entries]


# --- feeds --------------------------------------------------------------------------------


def test_every_feed_parses_and_every_entry_has_an_id_a_link_and_dates(
    site: Path, example_site: Path
) -> None:
    feeds = [*site.glob("feeds/**/*.xml"), *example_site.glob("feeds/**/*.xml")]
    assert len(feeds) > 2 * 20
    for path in feeds:
        parsed = feedparser.parse(path.read_bytes())
        assert not parsed.bozo, f"{path}: {parsed.get('bozo_exception')}"
        for entry in parsed.entries:
            assert (
                entry.id and entry.link and entry.get("published") and entry.get("updated_parsed")
            ), path


def test_the_feeds_are_where_the_design_says(site: Path) -> None:
    expected = {
        "all.atom.xml",
        "alerts.atom.xml",
        "alerts.rss.xml",
        "notices.atom.xml",
        "notices.rss.xml",
        "bin-changes.atom.xml",
        "bin-changes.rss.xml",
        "alerts.cap.atom.xml",
        "en/all.atom.xml",
        "pl/all.atom.xml",
        "wards/sandwich.atom.xml",
        "wards/walmer.atom.xml",
    }
    written = {p.relative_to(site / "feeds").as_posix() for p in (site / "feeds").rglob("*.xml")}
    assert expected <= written


def test_a_ward_feed_has_exactly_its_items_and_district_wide_ones(site: Path) -> None:
    assert ids(feed(site, "wards/walmer.atom.xml")) == [
        "alerts/drill/",
        "notices/quiet/",
        "notices/walmer-plan/",
        "bin-changes/new-year/",
        "notices/closed/",
        "notices/old/",
    ]
    assert ids(feed(site, "wards/sandwich.atom.xml")) == [
        "alerts/flood/",
        "bin-changes/new-year/",
        "bin-changes/clocks/",
    ]
    assert ids(feed(site, "wards/mill-hill.atom.xml")) == ["bin-changes/new-year/"]


def test_type_and_language_feeds(site: Path) -> None:
    assert ids(feed(site, "alerts.rss.xml")) == ["alerts/drill/", "alerts/flood/"]
    assert ids(feed(site, "pl/all.atom.xml")) == ["pl/alerts/flood/"]
    assert "pl/alerts/flood/" not in ids(feed(site, "all.atom.xml"))


def test_entries_carry_content_categories_and_alert_details(site: Path) -> None:
    entry = feed(site, "alerts.atom.xml").entries[1]
    assert entry.title == "Flood alert: River Stour" and entry.summary
    assert "<p>Some words.</p>" in entry.content[0].value
    assert {t.term for t in entry.tags} == {"alerts", "flooding", "moderate", "sandwich"}
    assert entry.cap_severity == "Moderate"
    assert entry.cap_expires == "2026-11-30T18:00:00+00:00"
    assert entry.published == "2026-11-27T09:00:00+00:00"


def test_feeds_keep_the_newest_feed_max_items(tmp_path: Path) -> None:
    from tests.sitebuilder import numbered_notices

    output = build(tmp_path, numbered_notices(7), now=NOW, FEED_MAX_ITEMS=5)
    assert ids(feed(output, "notices.atom.xml")) == [f"notices/n{i:02d}/" for i in range(7, 2, -1)]


def test_pages_advertise_their_feeds(site: Path) -> None:
    def heads(url: str) -> str:
        return read(site, url).split("</head>")[0]

    assert 'href="/feeds/all.atom.xml"' in heads("/")
    assert 'href="/feeds/notices.atom.xml"' in heads("/notices/")
    assert 'href="/feeds/notices.rss.xml"' in heads("/notices/walmer-plan/")
    ward = heads("/wards/walmer/")
    assert 'href="/feeds/wards/walmer.atom.xml"' in ward
    assert 'type="text/calendar" href="/wards/walmer/bin-changes.ics"' in ward


def test_the_feeds_page_links_every_feed_and_calendar(site: Path) -> None:
    page = read(site, "/feeds/")
    for path in [*site.glob("feeds/**/*.xml"), *site.glob("**/*.ics")]:
        relative = "/" + path.relative_to(site).as_posix()
        if relative.startswith("/wards/") and relative.endswith(".ics"):
            assert f'href="{relative}"' in read(site, relative.removesuffix("bin-changes.ics"))
        elif relative.startswith("/notices/") and relative != "/notices/calendar.ics":
            assert f'href="{relative}"' in read(site, relative.removesuffix(".ics") + "/")
        else:
            assert f'href="{relative}"' in page, relative


def test_the_bin_calendars_can_be_subscribed_to_not_only_downloaded(site: Path) -> None:
    for page, path in [
        ("/wards/walmer/", "/wards/walmer/bin-changes.ics"),
        ("/feeds/", "/bin-changes/calendar.ics"),
    ]:
        html = read(site, page)
        assert f'href="webcal://127.0.0.1:8000{path}">subscribe in your calendar app</a>' in html
        assert f'href="{path}" type="text/calendar">download it</a>' in html


# --- calendars -------------------------------------------------------------------------------


def calendar(site: Path, path: str) -> Calendar:
    return Calendar.from_ical((site / path).read_bytes())


def events(site: Path, path: str) -> dict[str, tuple[date, str]]:
    return {
        str(e["UID"]): (e.decoded("DTSTART"), str(e["SUMMARY"]))
        for e in calendar(site, path).walk("VEVENT")
    }


def test_the_bin_calendar_has_an_all_day_event_on_each_new_day(site: Path) -> None:
    found = events(site, "bin-changes/calendar.ics")
    assert found == {
        "new-year-2026-12-25@127.0.0.1:8000": (
            date(2026, 12, 26),
            "Rubbish and recycling collected today instead of Friday 25 December 2026",
        ),
        "new-year-2026-12-31@127.0.0.1:8000": (
            date(2027, 1, 2),
            "Rubbish and recycling collected today instead of Thursday 31 December 2026",
        ),
        "clocks-2026-03-28@127.0.0.1:8000": (
            date(2026, 3, 29),
            "All collections collected today instead of Saturday 28 March 2026",
        ),
        "clocks-2026-10-24@127.0.0.1:8000": (
            date(2026, 10, 25),
            "All collections collected today instead of Saturday 24 October 2026",
        ),
    }


def test_calendars_hold_the_past_year_and_what_is_to_come(tmp_path: Path) -> None:
    old = item(
        "bin-changes", Slug="old", Date="2025-04-01 09:00", Changes="2025-04-18 -> 2025-04-19"
    )
    output = build(tmp_path, {**FILES, "bin-changes/old.md": old}, now=NOW)
    assert not any(uid.startswith("old-") for uid in events(output, "bin-changes/calendar.ics"))
    assert any(
        m["bin_change"] == "bin-changes/old"
        for m in api(output, "bin-changes")["moved_collections"]
    )


def test_calendar_properties(site: Path) -> None:
    cal = calendar(site, "bin-changes/calendar.ics")
    assert str(cal["METHOD"]) == "PUBLISH"
    assert str(cal["NAME"]) == "Dover District Council: changed bin collections"
    assert cal["REFRESH-INTERVAL"].to_ical() == b"PT6H"
    assert (
        str(cal["X-PUBLISHED-TTL"]) in ("PT6H", "6:00:00")
        or cal["X-PUBLISHED-TTL"].to_ical() == b"PT6H"
    )
    assert [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")] == ["Europe/London"]
    for event in cal.walk("VEVENT"):
        assert event.decoded("DTEND") == event.decoded("DTSTART").__class__.fromordinal(
            event.decoded("DTSTART").toordinal() + 1
        )


def test_ward_calendars_have_their_wards_changes(site: Path) -> None:
    assert {uid.split("-20")[0] for uid in events(site, "wards/sandwich/bin-changes.ics")} == {
        "new-year",
        "clocks",
    }
    assert {uid.split("-20")[0] for uid in events(site, "wards/walmer/bin-changes.ics")} == {
        "new-year"
    }


def test_notice_deadlines_calendar(site: Path) -> None:
    found = events(site, "notices/calendar.ics")
    assert found["walmer-plan-respond-by@127.0.0.1:8000"] == (
        date(2026, 12, 10),
        "Last day to comment: Walmer plan (W/1)",
    )
    assert len(found) == 2


def test_an_open_notice_has_its_own_calendar_of_its_last_day(site: Path) -> None:
    assert events(site, "notices/walmer-plan.ics") == {
        "walmer-plan-respond-by@127.0.0.1:8000": (
            date(2026, 12, 10),
            "Last day to comment: Walmer plan (W/1)",
        )
    }
    assert str(calendar(site, "notices/walmer-plan.ics")["NAME"]) == (
        "Dover District Council: last day to comment on Walmer plan"
    )
    assert not (site / "notices" / "closed.ics").exists()


def test_a_deadline_says_where_responses_go(tmp_path: Path) -> None:
    files = {
        "notices/n.md": item(
            "notices", Slug="n", Respond_By="2026-12-10", Respond_To="planning@example.org"
        )
    }
    output = build(tmp_path, files, now=NOW)
    for path in ("notices/n.ics", "notices/calendar.ics"):
        (event,) = calendar(output, path).walk("VEVENT")
        assert "Send responses to: planning@example.org" in str(event["DESCRIPTION"]), path


def test_calendars_are_the_same_across_rebuilds(tmp_path: Path) -> None:
    first = build(tmp_path / "a", FILES, now=NOW)
    second = build(tmp_path / "b", FILES, now="2026-11-28T13:00:00+00:00")
    for path in first.rglob("*.ics"):
        assert path.read_bytes() == (second / path.relative_to(first)).read_bytes()


# --- JSON -------------------------------------------------------------------------------------


def validator(name: str, site: Path) -> Draft202012Validator:
    """The schema as the site publishes it (generated from the registry at build)."""
    schema_dir = site / "api" / "v1" / "schema"
    registry: Registry = Registry().with_resources(
        (p.name, Resource.from_contents(json.loads(p.read_text())))
        for p in schema_dir.glob("*.json")
    )
    schema = json.loads((schema_dir / f"{name}.schema.json").read_text())
    schema.pop("$id")  # resolve its relative $refs by file name, as registered above
    return Draft202012Validator(
        schema, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER
    )


def api(site: Path, name: str) -> dict:  # type: ignore[type-arg]
    return json.loads((site / "api" / "v1" / f"{name}.json").read_text())


@pytest.mark.parametrize("name", [*ITEM_TYPES, "wards", "notify"])
def test_every_json_file_matches_its_schema(site: Path, example_site: Path, name: str) -> None:
    for output in (site, example_site):
        errors = [
            f"{e.json_path}: {e.message}"
            for e in validator(name, output).iter_errors(api(output, name))
        ]
        assert errors == []
    assert (site / "api" / "v1" / "schema" / f"{name}.schema.json").exists()


def test_the_schemas_catch_a_wrong_record(site: Path) -> None:
    alerts = api(site, "alerts")
    alerts["alerts"][0]["severity"] = "huge"
    alerts["alerts"][0]["published"] = "2026-11-27T09:00:00Z"
    messages = " ".join(e.message for e in validator("alerts", site).iter_errors(alerts))
    assert "'huge' is not one of" in messages
    assert "'2026-11-27T09:00:00Z' does not match" in messages


def test_notices_have_status_dates_and_documents(site: Path) -> None:
    notices = {n["slug"]: n for n in api(site, "notices")["notices"]}
    plan = notices["walmer-plan"]
    assert (plan["status"], plan["respond_by"], plan["reference"]) == ("open", "2026-12-10", "W/1")
    assert plan["documents"] == [
        {"name": "plan.pdf", "url": "http://127.0.0.1:8000/notices/documents/plan.pdf"}
    ]
    assert notices["closed"]["status"] == "closed"
    assert plan["wards"] == ["walmer"] and plan["district_wide"] is False


def test_bin_changes_list_every_moved_collection(site: Path) -> None:
    data = api(site, "bin-changes")
    assert [
        (m["usual_date"], m["new_date"], m["bin_change"]) for m in data["moved_collections"]
    ] == [
        ("2026-03-28", "2026-03-29", "bin-changes/clocks"),
        ("2026-10-24", "2026-10-25", "bin-changes/clocks"),
        ("2026-12-25", "2026-12-26", "bin-changes/new-year"),
        ("2026-12-31", "2027-01-02", "bin-changes/new-year"),
    ]
    new_year = next(
        m for m in data["moved_collections"] if m["bin_change"] == "bin-changes/new-year"
    )
    assert new_year["district_wide"] and len(new_year["wards"]) == 17
    assert new_year["services"] == ["refuse", "recycling"]


def test_alerts_and_wards(site: Path) -> None:
    flood = next(a for a in api(site, "alerts")["alerts"] if a["slug"] == "flood")
    assert flood["translations"] == [
        {"lang": "pl", "url": "http://127.0.0.1:8000/pl/alerts/flood/"}
    ]
    assert flood["cap_url"] == "http://127.0.0.1:8000/alerts/flood.cap.xml"
    assert flood["status"] == "active" and flood["expires"] == "2026-11-30T18:00:00+00:00"
    wards = api(site, "wards")
    assert wards["local_authority_code"] == "E07000108" and len(wards["wards"]) == 17


def test_the_notify_manifest(site: Path) -> None:
    manifest = api(site, "notify")
    items = {i["id"]: i for i in manifest["items"]}
    assert "notices/quiet" not in items  # Notify: no
    assert "notices/old" not in items and "notices/closed" not in items  # before the window
    flood = items["alerts/flood"]
    assert (flood["urgency"], flood["revision"], flood["wards"]) == (
        "immediate",
        "2026-11-27T09:00:00+00:00",
        ["sandwich"],
    )
    assert [v["lang"] for v in flood["versions"]] == ["en", "pl"]
    email = flood["versions"][0]["email"]
    assert email["subject"] == "Moderate alert: Flood alert: River Stour"
    for part in (email["text"], email["html"]):
        assert "((manage_url))" in part and "((unsubscribe_url))" in part
        assert "http://127.0.0.1:8000/alerts/flood/" in part
    assert items["alerts/drill"]["exercise"] is True
    assert items["alerts/drill"]["versions"][0]["email"]["subject"].startswith("EXERCISE: ")
    assert items["notices/walmer-plan"]["urgency"] == "routine"


def test_notice_pages_carry_json_ld(site: Path) -> None:
    page = read(site, "/notices/closed/")
    script = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    assert script is not None
    data = json.loads(script.group(1))
    assert data["identifier"] == "C/1" and data["name"] == "Closed </script> notice"
    assert data["creativeWorkStatus"] == "closed"
    assert "</script> notice" not in script.group(1)


def test_json_ld_uses_only_what_schema_org_defines(example_site: Path, tmp_path: Path) -> None:
    """Each notice's and meeting's JSON-LD, type-checked against schema.org's vocabulary as
    the schema-dts package (pinned) describes it: an unknown property fails."""
    import subprocess

    lines = ['import type { CreativeWork, Event, WithContext } from "schema-dts";']
    for folder, schema_type in (("notices", "CreativeWork"), ("meetings", "Event")):
        blocks = [
            json.loads(found)
            for page in sorted(example_site.glob(f"{folder}/*/index.html"))
            for found in re.findall(
                r'<script type="application/ld\+json">(.*?)</script>', page.read_text(), re.S
            )
        ]
        assert blocks, folder
        lines += [
            f"export const {folder}{n}: WithContext<{schema_type}> = {json.dumps(block)};"
            for n, block in enumerate(blocks)
        ]
    (tmp_path / "notices.ts").write_text("\n".join(lines))
    (tmp_path / "node_modules").symlink_to(ROOT / "node_modules")
    options = {"strict": True, "noEmit": True, "moduleResolution": "node", "types": []}
    (tmp_path / "tsconfig.json").write_text(
        json.dumps({"compilerOptions": options, "files": ["notices.ts"]})
    )
    result = subprocess.run(
        [str(ROOT / "node_modules" / ".bin" / "tsc"), "-p", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout


def test_sitemap_and_robots(site: Path) -> None:
    sitemap = (site / "sitemap.xml").read_text()
    assert "<loc>http://127.0.0.1:8000/notices/walmer-plan/</loc>" in sitemap
    assert "404" not in sitemap
    assert "Sitemap: http://127.0.0.1:8000/sitemap.xml" in (site / "robots.txt").read_text()


@pytest.mark.parametrize("name", [*ITEM_TYPES, "wards", "notify"])
def test_an_off_the_shelf_validator_validates_the_api_against_the_published_schemas(
    example_site: Path, name: str
) -> None:
    """ajv-cli, given the published files and nothing else: the schemas' absolute $id
    makes their relative $refs resolve; strict mode finds nothing to complain about."""
    import subprocess

    api_dir = example_site / "api" / "v1"
    schema = json.loads((api_dir / "schema" / f"{name}.schema.json").read_text())
    assert schema["$id"] == f"http://127.0.0.1:8000/api/v1/schema/{name}.schema.json"
    result = subprocess.run(
        [
            str(ROOT / "node_modules" / ".bin" / "ajv"),
            *("validate", "--spec=draft2020", "-c", "ajv-formats"),
            *("-s", f"schema/{name}.schema.json", "-r", "schema/common.schema.json"),
            *("-d", f"{name}.json"),
        ],
        cwd=api_dir,
        capture_output=True,
        text=True,
    )
    said = (result.stdout + result.stderr).strip()
    assert result.returncode == 0 and said == f"{name}.json valid", said


def test_calendar_text_is_escaped_everywhere(tmp_path: Path) -> None:
    """RFC 5545 TEXT: commas, semicolons and backslashes escaped in the calendar's name and
    description as in its events, so clients read the council's name whole."""
    output = build(tmp_path, FILES, now=NOW, COUNCIL_NAME="Dover, Deal; and Sandwich \\ Council")
    raw = (output / "bin-changes" / "calendar.ics").read_bytes().decode("utf-8")
    unfolded = raw.replace("\r\n ", "")
    for name in ("NAME", "X-WR-CALNAME"):
        assert f"\r\n{name}:Dover\\, Deal\\; and Sandwich \\\\ Council:" in unfolded
    assert "Dover, Deal" not in unfolded  # nowhere unescaped, descriptions included
