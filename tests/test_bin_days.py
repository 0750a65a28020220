"""Every household's bin days: a fixture council with three rounds, a Christmas change and
the clock changes of 2027 (28 March, 31 October) inside the calendars' year.

The rounds (built on Saturday 28 November 2026):
- walmer-friday: rubbish every other Friday from 11 December, recycling the Fridays between;
- deal-monday: rubbish every Monday, garden waste every other Monday from 30 November;
- sandwich-tuesday: rubbish every Tuesday, for the sector CT13 9 and one Walmer postcode
  (CT14 7JP), more specific than Walmer's ward.
Christmas moves Friday 25 December to Saturday 26th and Monday 28th to Tuesday 29th.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import icalendar
import jsonschema
import pytest
import vobject
from referencing import Registry, Resource

from plugins.content_model import ContentInvalid
from tests.sitebuilder import build, item, read

ROUNDS = """\
round,name,service,weekday,every,anchor,covers
walmer-friday,"Walmer, Friday",refuse,friday,2,2026-12-11,ward:walmer
walmer-friday,"Walmer, Friday",recycling,Friday,2,2026-12-04,ward:walmer
deal-monday,"Deal, Monday",refuse,monday,1,2026-11-30,ward:north-deal;ward:middle-deal
deal-monday,"Deal, Monday",garden,monday,2,2026-11-30,ward:north-deal
sandwich-tuesday,Sandwich Tuesday,refuse,tuesday,1,2026-12-01,CT13 9;ct147jp
"""
POSTCODES = {
    "ward_vintage": "WD25",
    "postcodes": {
        "CT14 7AA": "walmer",
        "CT14 7JP": "walmer",
        "CT14 6AA": "north-deal",
        "CT13 9AA": "sandwich",
        "CT15 5AA": "eastry-rural",
    },
}
CHRISTMAS = item(
    "bin-changes",
    Slug="christmas",
    Title="Christmas collections",
    Changes="2026-12-25 -> 2026-12-26; 2026-12-28 -> 2026-12-29",
    Reason="Christmas bank holidays",
)
FIRST, LAST = date(2026, 11, 28), date(2027, 11, 27)  # the calendars' year


def council(root: Path, rounds: str = ROUNDS, **files: str) -> dict[str, Any]:
    """Settings for a fixture council with ``rounds`` and the postcode lookup."""
    (root / "rounds.csv").write_text(rounds, encoding="utf-8")
    (root / "postcodes.json").write_text(json.dumps(POSTCODES), encoding="utf-8")
    return {"ROUNDS_FILE": str(root / "rounds.csv"), "POSTCODES_FILE": str(root / "postcodes.json")}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("bins")
    return build(root, {"bin-changes/christmas.md": CHRISTMAS}, **council(root))


def every(first: date, weeks: int) -> list[date]:
    """Every ``weeks`` weeks from ``first`` to the end of the calendars' year."""
    found = []
    while first <= LAST:
        found.append(first)
        first += timedelta(weeks=weeks)
    return found


def moved(days: list[date], moves: dict[date, date]) -> list[date]:
    return sorted(moves.get(day, day) for day in days)


CHRISTMAS_MOVES = {date(2026, 12, 25): date(2026, 12, 26), date(2026, 12, 28): date(2026, 12, 29)}
EXPECTED = {
    "walmer-friday": {
        "Rubbish": moved(every(date(2026, 12, 11), 2), CHRISTMAS_MOVES),
        "Recycling": moved(every(date(2026, 12, 4), 2), CHRISTMAS_MOVES),
    },
    "deal-monday": {
        "Rubbish": moved(every(date(2026, 11, 30), 1), CHRISTMAS_MOVES),
        "Garden waste": moved(every(date(2026, 11, 30), 2), CHRISTMAS_MOVES),
    },
    "sandwich-tuesday": {"Rubbish": every(date(2026, 12, 1), 1)},
}


def dates_by_icalendar(data: bytes) -> dict[str, list[date]]:
    found: dict[str, list[date]] = {}
    for event in icalendar.Calendar.from_ical(data).walk("VEVENT"):
        start = event.decoded("dtstart")
        assert type(start) is date, "an all-day event: clock changes cannot move it"
        found.setdefault(str(event.get("categories").cats[0]), []).append(start)
    return {service: sorted(days) for service, days in found.items()}


def dates_by_vobject(data: bytes) -> dict[str, list[date]]:
    found: dict[str, list[date]] = {}
    for event in vobject.readOne(data.decode("utf-8")).vevent_list:
        start = event.dtstart.value
        assert not isinstance(start, datetime)
        found.setdefault(event.categories.value[0], []).append(start)
    return {service: sorted(days) for service, days in found.items()}


@pytest.mark.parametrize("round_slug", list(EXPECTED))
@pytest.mark.parametrize("parse", [dates_by_icalendar, dates_by_vobject])
def test_each_rounds_calendar_holds_exactly_its_collection_days(
    site: Path, round_slug: str, parse: Any
) -> None:
    data = (site / "bin-days" / f"{round_slug}.ics").read_bytes()
    assert parse(data) == EXPECTED[round_slug]


def test_collections_keep_their_weekday_across_the_clock_changes(site: Path) -> None:
    days = dates_by_icalendar((site / "bin-days" / "walmer-friday.ics").read_bytes())
    spring, autumn = date(2027, 3, 28), date(2027, 10, 31)
    assert date(2027, 3, 26) in days["Recycling"] and date(2027, 4, 2) in days["Rubbish"]
    assert date(2027, 10, 29) in days["Rubbish"] and date(2027, 11, 5) in days["Recycling"]
    around = [d for ds in days.values() for d in ds if spring - timedelta(14) < d < autumn]
    assert {d.weekday() for d in around} == {4}  # all Fridays


def test_a_changed_day_says_it_moved_and_why(site: Path) -> None:
    calendar = icalendar.Calendar.from_ical((site / "bin-days" / "walmer-friday.ics").read_bytes())
    boxing_day = [e for e in calendar.walk("VEVENT") if e.decoded("dtstart") == date(2026, 12, 26)]
    assert [str(e["summary"]) for e in boxing_day] == [
        "Rubbish collection (moved from Friday 25 December: Christmas bank holidays)"
    ]
    event = boxing_day[0]
    assert "Christmas collections. Usually collected on Friday 25 December." in event["description"]
    assert str(event["url"]).endswith("/bin-changes/christmas/")
    # The same UID as the usual day's: calendar apps move the event they have.
    assert str(event["uid"]).startswith("walmer-friday-refuse-2026-12-25@")


def test_the_alarm_calendar_rings_at_six_the_evening_before(site: Path) -> None:
    data = (site / "bin-days" / "walmer-friday" / "evening-alarm.ics").read_bytes()
    events = icalendar.Calendar.from_ical(data).walk("VEVENT")
    alarms = [alarm for event in events for alarm in event.walk("VALARM")]
    days = {event.decoded("dtstart") for event in events}
    assert len(alarms) == len(days) > 40  # one an evening, however many bins
    assert {alarm.decoded("trigger") for alarm in alarms} == {timedelta(hours=-6)}
    deal = (site / "bin-days" / "deal-monday" / "evening-alarm.ics").read_bytes()
    said = [str(a["description"]) for a in icalendar.Calendar.from_ical(deal).walk("VALARM")]
    assert said[:2] == [
        "Put out your rubbish and garden waste tonight",
        "Put out your rubbish tonight",
    ]
    assert dates_by_vobject(data) == EXPECTED["walmer-friday"]
    plain = icalendar.Calendar.from_ical((site / "bin-days" / "walmer-friday.ics").read_bytes())
    assert not plain.walk("VALARM")


def ward_calendar_days(site: Path, ward: str) -> list[date]:
    data = (site / "wards" / ward / "bin-changes.ics").read_bytes()
    return sorted(e.decoded("dtstart") for e in icalendar.Calendar.from_ical(data).walk("VEVENT"))


@pytest.mark.parametrize(
    ("ward", "days"),
    [
        ("walmer", [date(2026, 12, 26)]),  # Fridays only: not Monday's move
        ("north-deal", [date(2026, 12, 29)]),  # Mondays only
        ("sandwich", []),  # Tuesdays: Christmas moves nothing there
        ("mill-hill", []),  # no round collects there
    ],
)
def test_a_wards_calendar_holds_only_the_changes_of_its_rounds(
    site: Path, ward: str, days: list[date]
) -> None:
    assert ward_calendar_days(site, ward) == days


def test_without_rounds_a_wards_calendar_holds_every_change_naming_it(tmp_path: Path) -> None:
    site = build(tmp_path, {"bin-changes/christmas.md": CHRISTMAS})
    assert ward_calendar_days(site, "walmer") == [date(2026, 12, 26), date(2026, 12, 29)]
    assert not (site / "bin-days").exists()


def test_the_round_page_lists_the_next_collections_with_changes_explained(site: Path) -> None:
    page = read(site, "/bin-days/walmer-friday/")
    assert '<h1 class="govuk-heading-xl">Walmer, Friday</h1>' in page
    assert "Friday 4 December 2026" in page  # recycling next
    assert "Friday 11 December 2026" in page  # rubbish next
    assert "Saturday 26 December 2026" in page and "Moved from Friday 25 December 2026." in page
    assert "Christmas bank holidays" in page and "/bin-changes/christmas/" in page
    assert 'href="webcal://127.0.0.1:8000/bin-days/walmer-friday.ics"' in page
    assert "/bin-days/walmer-friday/evening-alarm.ics" in page
    assert "/subscriptions/subscribe?reminders=bin-days" in page


def test_find_your_bin_days_lists_every_round(site: Path) -> None:
    page = read(site, "/bin-days/")
    for slug in EXPECTED:
        assert f'href="/bin-days/{slug}/"' in page
    assert "data-rounds=" in page and 'name="for" value="bin-days"' in page


@pytest.mark.parametrize(
    ("postcode", "rounds"),
    [
        ("CT14 7AA", {"refuse": "walmer-friday", "recycling": "walmer-friday"}),
        # A unit is more specific than its ward: rubbish on Tuesdays, recycling as Walmer.
        ("CT14 7JP", {"refuse": "sandwich-tuesday", "recycling": "walmer-friday"}),
        ("CT14 6AA", {"refuse": "deal-monday", "garden": "deal-monday"}),
        ("CT13 9AA", {"refuse": "sandwich-tuesday"}),
    ],
)
def test_a_postcodes_file_says_its_round_for_each_service(
    site: Path, postcode: str, rounds: dict[str, str]
) -> None:
    outward = postcode.split()[0]
    lookup = json.loads((site / "api" / "v1" / "postcodes" / f"{outward}.json").read_text())
    assert lookup["rounds"][postcode] == rounds


def test_a_postcode_no_round_covers_has_none(site: Path) -> None:
    lookup = json.loads((site / "api" / "v1" / "postcodes" / "CT15.json").read_text())
    assert "CT15 5AA" not in lookup.get("rounds", {})


def schema_registry(site: Path) -> Registry:
    schemas = site / "api" / "v1" / "schema"
    resources = [
        (f"http://127.0.0.1:8000/api/v1/schema/{p.name}", json.loads(p.read_text()))
        for p in schemas.glob("*.json")
    ]
    return Registry().with_resources((uri, Resource.from_contents(doc)) for uri, doc in resources)


def test_the_round_files_follow_their_published_schemas(site: Path) -> None:
    registry, api = schema_registry(site), site / "api" / "v1"
    rounds = json.loads((api / "rounds.json").read_text())
    schema = json.loads((api / "schema" / "rounds.schema.json").read_text())
    jsonschema.Draft202012Validator(schema, registry=registry).validate(rounds)
    assert [r["slug"] for r in rounds["rounds"]] == list(EXPECTED)
    one = json.loads((api / "rounds" / "walmer-friday.json").read_text())
    schema = json.loads((api / "schema" / "round.schema.json").read_text())
    jsonschema.Draft202012Validator(schema, registry=registry).validate(one)
    assert (one["from"], one["until"]) == (str(FIRST), str(LAST))
    boxing_day = [c for c in one["collections"] if c["changed"]]
    assert boxing_day == [
        {
            "date": "2026-12-26",
            "service": "refuse",
            "usual_date": "2026-12-25",
            "changed": True,
            "reason": "Christmas bank holidays",
            "bin_change": "bin-changes/christmas",
            "bin_change_url": "http://127.0.0.1:8000/bin-changes/christmas/",
        }
    ]
    by_service: dict[str, list[date]] = {}
    for c in one["collections"]:
        by_service.setdefault(c["service"], []).append(date.fromisoformat(c["date"]))
    assert by_service == {
        "refuse": EXPECTED["walmer-friday"]["Rubbish"],
        "recycling": EXPECTED["walmer-friday"]["Recycling"],
    }


# --- what the check refuses: one test per rule ---------------------------------------


def refused(root: Path, rounds: str = ROUNDS, **files: str) -> list[str]:
    root.mkdir(parents=True, exist_ok=True)
    with pytest.raises(ContentInvalid) as stopped:
        build(root, {"bin-changes/christmas.md": CHRISTMAS, **files}, **council(root, rounds))
    assert not (root / "output").exists()
    return [
        str(p).replace(str(root / "content"), "content").replace(str(root), "ROOT")
        for p in stopped.value.report.problems
    ]


HEADER = "round,name,service,weekday,every,anchor,covers\n"
ROUNDS_RULES = [
    (
        "columns",
        "round,name,service,weekday,anchor,covers\nx,X,refuse,monday,2026-11-30,ward:walmer\n",
        "ROOT/rounds.csv: columns: needs every; the header row has: round, name, service, "
        "weekday, anchor, covers; it should be: round,name,service,weekday,every,anchor,covers",
    ),
    (
        "semicolons",
        "round;name;service;weekday;every;anchor;covers\nx;X;refuse;monday;1;2026-11-30;a\n",
        "ROOT/rounds.csv: columns: needs round, name, service, weekday, every, anchor, covers; "
        "the header row has: round;name;service;weekday;every;anchor;covers; it is separated "
        "by semicolons: save it as CSV (comma-separated)",
    ),
    (
        "empty",
        "",
        "ROOT/rounds.csv: file: is empty; its first line is the header: "
        "round,name,service,weekday,every,anchor,covers",
    ),
    (
        "header only",
        HEADER + ",,,,,,\n",
        "ROOT/rounds.csv: file: has no rounds under its header; add a row for each round and "
        "service, or delete the file to publish bin changes only",
    ),
    (
        "rows counted as a spreadsheet shows them",
        "sep=,\n" + HEADER.upper() + ",,,,,,\n\nx,X,refuse,monday,1,2026-12-01,ward:walmer\n",
        "ROOT/rounds.csv: row 4: anchor: 2026-12-01 is a Tuesday, not a Monday; give a day "
        "this service is collected",
    ),
    (
        "line break",
        HEADER + 'x,"Deal,\nMonday",refuse,monday,1,2026-11-30,ward:walmer\n',
        "ROOT/rounds.csv: row 3: name: has a line break in it; put the value on one line",
    ),
    (
        "unquoted comma",
        HEADER + "x,Deal, Monday,refuse,monday,1,2026-11-30,ward:walmer\n",
        "ROOT/rounds.csv: row 2: row: has 1 more cells than the header row; a value with a "
        'comma in it (a name like "Deal, Monday") must be in double quotes',
    ),
    (
        "slug",
        HEADER + "Deal Monday,Deal,refuse,monday,1,2026-11-30,ward:walmer\n",
        "ROOT/rounds.csv: row 2: round: 'Deal Monday' is not a slug like 'deal-monday' "
        "(a-z, 0-9, hyphens)",
    ),
    (
        "service",
        HEADER + "x,X,rubish,monday,1,2026-11-30,ward:walmer\n",
        "ROOT/rounds.csv: row 2: service: 'rubish' is not a service; use one of: refuse, "
        "recycling, food, garden",
    ),
    (
        "weekday",
        HEADER + "x,X,refuse,mon,1,2026-11-30,ward:walmer\n",
        "ROOT/rounds.csv: row 2: weekday: 'mon' is not a day; use one of: monday, tuesday, "
        "wednesday, thursday, friday, saturday, sunday; did you mean 'monday'?",
    ),
    (
        "every",
        HEADER + "x,X,refuse,monday,fortnightly,2026-11-30,ward:walmer\n",
        "ROOT/rounds.csv: row 2: every: 'fortnightly' is not a number of weeks from 1 "
        "(weekly) to 12; fortnightly is 2",
    ),
    (
        "anchor date",
        HEADER + "x,X,refuse,monday,1,30/11/2026,ward:walmer\n",
        "ROOT/rounds.csv: row 2: anchor: '30/11/2026' is not a date like 2026-01-05 (YYYY-MM-DD)",
    ),
    (
        "anchor weekday",
        HEADER + "x,X,refuse,monday,1,2026-12-01,ward:walmer\n",
        "ROOT/rounds.csv: row 2: anchor: 2026-12-01 is a Tuesday, not a Monday; give a day "
        "this service is collected",
    ),
    (
        "unknown ward",
        HEADER + "x,X,refuse,monday,1,2026-11-30,ward:walmr\n",
        "ROOT/rounds.csv: row 2: covers: 'ward:walmr': 'walmr' is not a ward in the wards "
        "file; did you mean 'walmer'?",
    ),
    (
        "postcode outside the council",
        HEADER + "x,X,refuse,monday,1,2026-11-30,CT1 1AA\n",
        "ROOT/rounds.csv: row 2: covers: 'CT1 1AA' is not a postcode in the council's area "
        "(the postcode lookup from make postcodes); check it",
    ),
    (
        "sector outside the council",
        HEADER + "x,X,refuse,monday,1,2026-11-30,CT1 1\n",
        "ROOT/rounds.csv: row 2: covers: 'CT1 1' has no postcodes in the council's area "
        "(the postcode lookup from make postcodes); check it",
    ),
    (
        "not a place",
        HEADER + "x,X,refuse,monday,1,2026-11-30,Walmer\n",
        "ROOT/rounds.csv: row 2: covers: 'Walmer' is not a postcode (CT14 7JP), a postcode "
        "sector (CT14 7) or a ward (ward:walmer)",
    ),
    (
        "one round per service",
        HEADER
        + "x,X,refuse,monday,1,2026-11-30,ward:walmer\n"
        + "y,Y,refuse,friday,1,2026-12-04,ward:sandwich;ward:walmer\n",
        "ROOT/rounds.csv: row 3: covers: 'ward:walmer' is already covered for refuse by row 2 "
        "(round 'x'); each household has one round for each service, so list it in one of them",
    ),
    (
        "one row per round and service",
        HEADER
        + "x,X,refuse,monday,1,2026-11-30,ward:walmer\n"
        + "x,X,refuse,monday,1,2026-11-30,ward:sandwich\n",
        "ROOT/rounds.csv: row 3: service: round 'x' already collects refuse in row 2; give "
        "each round and service one row",
    ),
    (
        "one name per round",
        HEADER
        + "x,X,refuse,monday,1,2026-11-30,ward:walmer\n"
        + "x,Ex,food,monday,1,2026-11-30,ward:walmer\n",
        "ROOT/rounds.csv: row 3: name: 'Ex' differs from row 2's 'X'; give each round one name",
    ),
]


@pytest.mark.parametrize(
    ("rounds", "message"), [pytest.param(r, m, id=rule) for rule, r, m in ROUNDS_RULES]
)
def test_rounds_rule(tmp_path: Path, rounds: str, message: str) -> None:
    assert refused(tmp_path, rounds) == [message]


def test_a_change_that_moves_nothing_is_refused(tmp_path: Path) -> None:
    """Walmer's rounds: Fridays, and Tuesdays for CT14 7JP."""
    wednesday = item(
        "bin-changes", Slug="wrong", Wards="walmer", Changes="2026-12-23 -> 2026-12-24"
    )
    assert refused(tmp_path, **{"bin-changes/wrong.md": wednesday}) == [
        "content/bin-changes/wrong.md: Changes: '2026-12-23 -> 2026-12-24' moves nothing: "
        "no round of the Wards and Rounds named collects on Wednesday 23 December 2026 (their "
        "nearest collections are on Friday 18 December, Tuesday 22 December, Friday 25 "
        "December and Tuesday 29 December); check the date, the Wards, the Rounds and the "
        "Services"
    ]


def test_a_change_moves_the_rounds_it_names_as_well_as_its_wards(tmp_path: Path) -> None:
    tuesday = item(
        "bin-changes",
        Slug="tuesday",
        Wards="walmer",
        Rounds="sandwich-tuesday",
        Changes="2026-12-01 -> 2026-12-02",
        Reason="Vehicle breakdown",
    )
    site = build(tmp_path, {"bin-changes/tuesday.md": tuesday}, **council(tmp_path))
    one = json.loads((site / "api" / "v1" / "rounds" / "sandwich-tuesday.json").read_text())
    assert [c["date"] for c in one["collections"][:2]] == ["2026-12-02", "2026-12-08"]
    assert one["collections"][0]["reason"] == "Vehicle breakdown"


def test_a_past_change_is_not_refused_when_rounds_change(tmp_path: Path) -> None:
    """Re-planned rounds never stop the build over a change whose days have gone."""
    old = item(
        "bin-changes", Slug="old", Date="2026-05-01 09:00", Changes="2026-05-06 -> 2026-05-07"
    )  # a Wednesday: no round collects then
    build(tmp_path, {"bin-changes/old.md": old}, **council(tmp_path))


def test_an_unknown_round_is_refused_with_the_nearest(tmp_path: Path) -> None:
    change = item("bin-changes", Slug="r", Rounds="walmer-fri", Changes="2026-12-25 -> 2026-12-26")
    assert refused(tmp_path, **{"bin-changes/r.md": change}) == [
        "content/bin-changes/r.md: Rounds: 'walmer-fri' is not a round in the rounds file; "
        "did you mean 'walmer-friday'?"
    ]


def test_rounds_without_a_rounds_file_are_refused(tmp_path: Path) -> None:
    change = item("bin-changes", Slug="r", Rounds="walmer-friday")
    with pytest.raises(ContentInvalid) as stopped:
        build(tmp_path, {"bin-changes/r.md": change})
    assert [p.message for p in stopped.value.report.problems] == [
        "names rounds, but the site has no rounds file (data/rounds.csv); leave Rounds out "
        "and name the Wards"
    ]


def test_the_example_rounds_are_marked_as_made_up_and_build(example_site: Path) -> None:
    root = Path(__file__).resolve().parents[1]
    assert "made up" in (root / "pelicanconf.py").read_text()
    header = (root / "data" / "rounds.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header == "round,name,service,weekday,every,anchor,covers"
    assert (example_site / "bin-days" / "sandwich-eastry-friday" / "index.html").exists()


def test_postcodes_without_a_round_for_a_service_are_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Published all the same: a postcode lookup may list a farm no lorry goes to."""
    build(tmp_path, {"bin-changes/christmas.md": CHRISTMAS}, **council(tmp_path))
    shown = capsys.readouterr().err.replace(str(tmp_path), "ROOT").splitlines()
    assert shown == [
        "ROOT/rounds.csv: covers: warning: no round collects garden from 4 of the council's 5 "
        "postcodes (CT13 9AA, CT14 7AA, CT14 7JP, ...); residents there will not find that "
        "collection in their bin days",
        "ROOT/rounds.csv: covers: warning: no round collects recycling from 3 of the council's "
        "5 postcodes (CT13 9AA, CT14 6AA, CT15 5AA); residents there will not find that "
        "collection in their bin days",
        "ROOT/rounds.csv: covers: warning: no round collects refuse from 1 of the council's 5 "
        "postcodes (CT15 5AA); residents there will not find that collection in their bin days",
    ]


def round_links(page: str, after: str) -> list[str]:
    part = page.split(after, 1)[1].split("</ul>", 1)[0]
    return re.findall(r'href="/bin-days/([a-z0-9-]+)/"', part)


def test_a_changes_page_links_the_rounds_it_moves(site: Path) -> None:
    page = read(site, "/bin-changes/christmas/")
    assert round_links(page, "Collection rounds this change moves") == [
        "walmer-friday",
        "deal-monday",
    ]


def test_a_wards_page_links_the_rounds_collecting_there(site: Path) -> None:
    page = read(site, "/wards/walmer/")
    links = round_links(page, "Bin days of the collection rounds here:")
    assert links == ["walmer-friday", "sandwich-tuesday"]


def test_a_fortnightly_service_on_its_other_week_is_refused_with_its_days(
    tmp_path: Path,
) -> None:
    garden = item(
        "bin-changes",
        Slug="garden",
        Wards="north-deal",
        Services="garden",
        Changes="2026-12-07 -> 2026-12-08",
    )
    assert refused(tmp_path, **{"bin-changes/garden.md": garden}) == [
        "content/bin-changes/garden.md: Changes: '2026-12-07 -> 2026-12-08' moves nothing: "
        "no round of the Wards and Rounds named collects garden waste on Monday 7 December "
        "2026 (their nearest collections of garden waste are on Monday 30 November and "
        "Monday 14 December); check the date, the Wards, the Rounds and the Services"
    ]


def test_a_collection_to_come_cannot_move_to_a_day_gone(tmp_path: Path) -> None:
    """A mistyped year, and a day gone."""
    typo = item("bin-changes", Slug="typo", Changes="2026-12-25 -> 2025-12-26")
    assert refused(tmp_path, **{"bin-changes/typo.md": typo}) == [
        "content/bin-changes/typo.md: Changes: '2026-12-25 -> 2025-12-26' moves a collection "
        "364 days; collections move by days, at most 31: check the year and the month"
    ]
    back = item("bin-changes", Slug="back", Changes="2026-12-01 -> 2026-11-27")
    assert refused(tmp_path / "back", **{"bin-changes/back.md": back}) == [
        "content/bin-changes/back.md: Changes: '2026-12-01 -> 2026-11-27' moves a collection "
        "still to come to a day that has passed; check the new day's year and month"
    ]


def test_a_collection_moved_onto_its_next_collection_is_one_collection(tmp_path: Path) -> None:
    """Deal's rubbish of Monday 7 December collected with the next week's, on the 14th."""
    late = item(
        "bin-changes",
        Slug="late",
        Wards="north-deal",
        Services="refuse",
        Changes="2026-12-07 -> 2026-12-14",
        Reason="Vehicle breakdown",
    )
    site = build(tmp_path, {"bin-changes/late.md": late}, **council(tmp_path))
    days = dates_by_vobject((site / "bin-days" / "deal-monday.ics").read_bytes())["Rubbish"]
    assert date(2026, 12, 7) not in days and days.count(date(2026, 12, 14)) == 1
    one = json.loads((site / "api" / "v1" / "rounds" / "deal-monday.json").read_text())
    [fourteenth] = [
        c for c in one["collections"] if (c["date"], c["service"]) == ("2026-12-14", "refuse")
    ]
    assert (fourteenth["usual_date"], fourteenth["reason"]) == ("2026-12-07", "Vehicle breakdown")


@pytest.mark.parametrize(
    ("lang", "direction", "error"), [("cy", "ltr", "Gwall:"), ("ar", "rtl", "خطأ:")]
)
def test_bin_days_are_in_each_language_the_site_speaks(
    site: Path, lang: str, direction: str, error: str
) -> None:
    page = read(site, f"/{lang}/bin-days/walmer-friday/")
    assert f'<html lang="{lang}" dir="{direction}"' in page
    assert "Your bin days" not in page and "Moved from" not in page  # translated
    # The officer's words stay in theirs, marked so.
    assert '<bdi lang="en">Christmas bank holidays</bdi>' in page
    assert '<h1 class="govuk-heading-xl"><bdi lang="en">Walmer, Friday</bdi></h1>' in page
    assert 'hreflang="en" href="/bin-days/walmer-friday/"' in page  # its other versions
    assert 'hreflang="x-default" href="/bin-days/walmer-friday/"' in page
    finder = read(site, f"/{lang}/bin-days/")
    assert f'data-message-prefix="{error}"' in finder  # the script's "Error:"
    assert f'data-rounds="/{lang}/bin-days/"' in finder
    assert f'href="/{lang}/bin-days/walmer-friday/"' in finder
    assert f'href="/{lang}/bin-days/"' in read(site, f"/{lang}/")


@pytest.mark.parametrize(
    ("ward", "summary"),
    [
        ("walmer", "Rubbish collected today instead of Friday 25 December 2026"),
        (
            "north-deal",
            "Rubbish and garden waste collected today instead of Monday 28 December 2026",
        ),
    ],
)
def test_a_wards_calendar_names_the_bins_that_move_there(
    site: Path, ward: str, summary: str
) -> None:
    """The change moves 'all' collections: each ward's calendar says which bins that is."""
    data = (site / "wards" / ward / "bin-changes.ics").read_bytes()
    events = icalendar.Calendar.from_ical(data).walk("VEVENT")
    assert [str(e["summary"]) for e in events] == [summary]
