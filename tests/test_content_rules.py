"""One test per rule of the content model: a site with one bad file fails to build, with
exactly the message an officer would see, and nothing is written."""

from __future__ import annotations

from pathlib import Path

import pytest

from plugins.content_model import ContentInvalid
from plugins.content_model.placeholders import BODY, placeholder
from plugins.content_model.registry import ITEM_TYPES
from plugins.content_model.schema import ContentType
from tests.sitebuilder import BASE, build, item


def left_by_new(content_type: ContentType, key: str) -> str:
    """What make new writes for a field it was not given."""
    spec = content_type.field(key)
    assert spec is not None
    return placeholder(spec)


GOOD = {
    "alerts/river.md": item("alerts", Slug="river"),
    "notices/plan.md": item("notices"),
    "meetings/planning-committee.md": item("meetings", Slug="planning-committee"),
}

A, N, B = "content/alerts/bad.md", "content/notices/bad.md", "content/bin-changes/bad.md"
C, M = "content/consultations/bad.md", "content/meetings/bad.md"
Z = "content/notices/zz-later.md"  # sorts after the good files, so it is the second one seen

RULES = [
    # --- every type -------------------------------------------------------------------
    (
        "title required",
        A,
        item("alerts", drop=("Title",)),
        f"{A}: Title: missing; add a line like 'Title: Flood warning'",
    ),
    (
        "title length",
        N,
        item("notices", Title="x" * 201),
        f"{N}: Title: is 201 characters long; keep it to 200 or fewer",
    ),
    (
        "control characters",
        N,
        item("notices", Location="Town\x07Hall"),
        f"{N}: Location: contains control characters; retype it as plain text",
    ),
    (
        "date required",
        A,
        item("alerts", drop=("Date",)),
        f"{A}: Date: missing; add a line like 'Date: 2026-11-28 09:30'",
    ),
    (
        "date format",
        A,
        item("alerts", Date="28/11/2026"),
        f"{A}: Date: '28/11/2026' is not an ISO 8601 date and time; write it like "
        "2026-11-28 09:30 (London time) or 2026-11-28T09:30+00:00",
    ),
    (
        "date real",
        A,
        item("alerts", Date="2026-02-30 09:00"),
        f"{A}: Date: '2026-02-30 09:00' is not a real date and time; write it like "
        "2026-11-28 09:30 (London time) or 2026-11-28T09:30+00:00",
    ),
    (
        "clocks go forward",
        N,
        item("notices", Date="2026-03-29 01:30"),
        f"{N}: Date: '2026-03-29 01:30' does not exist in London: the clocks go forward an hour "
        "then; use a time an hour later or earlier",
    ),
    (
        "clocks go back",
        N,
        item("notices", Date="2026-10-25 01:30"),
        f"{N}: Date: '2026-10-25 01:30' happens twice in London when the clocks go back; add the "
        "offset: 2026-10-25T01:30+01:00 (first, BST) or 2026-10-25T01:30+00:00 (second, GMT)",
    ),
    (
        "summary required",
        N,
        item("notices", drop=("Summary",)),
        f"{N}: Summary: missing; add a line like "
        "'Summary: Roads near the river may flood overnight.'",
    ),
    (
        "summary length",
        N,
        item("notices", Summary="Word " * 61),
        f"{N}: Summary: is 304 characters long; keep it to 300 or fewer (one or two sentences)",
    ),
    (
        "summary plain",
        N,
        item("notices", Summary="Read <b>this</b>."),
        f"{N}: Summary: must be plain text; remove the HTML tags",
    ),
    (
        "wards required",
        N,
        item("notices", drop=("Wards",)),
        f"{N}: Wards: missing; add a line like 'Wards: sandwich, little-stour-and-ashstone'",
    ),
    (
        "wards known",
        N,
        item("notices", Wards="walmer, sandwhich"),
        f"{N}: Wards: 'sandwhich' is not a ward in the wards file; did you mean 'sandwich'?",
    ),
    (
        "wards all alone",
        N,
        item("notices", Wards="all, walmer"),
        f"{N}: Wards: 'all' already covers every ward; write 'all' alone",
    ),
    (
        "wards once",
        N,
        item("notices", Wards="walmer, walmer"),
        f"{N}: Wards: 'walmer' is listed twice; list it once",
    ),
    (
        "slug form",
        N,
        item("notices", Slug="Plan_1"),
        f"{N}: Slug: 'Plan_1' is not a slug; use lower-case letters, digits and single hyphens, "
        "like 'flood-warning-sandwich'",
    ),
    (
        "slug reserved",
        N,
        item("notices", Slug="archive"),
        f"{N}: Slug: 'archive' is used by the site's own addresses; choose another Slug",
    ),
    (
        "slug from title",
        N,
        item("notices", Title="!!!"),
        f"{N}: Slug: could not be made from the Title; add a Slug line",
    ),
    (
        "lang tag",
        N,
        item("notices", Lang="english"),
        f"{N}: Lang: 'english' is not a BCP 47 language tag; use e.g. en, cy or pl",
    ),
    (
        "lang known",
        N,
        item("notices", Lang="zz"),
        f"{N}: Lang: 'zz' is not a known language; use e.g. en, cy or pl",
    ),
    (
        "modified after date",
        N,
        item("notices", Modified="2026-11-19 09:00"),
        f"{N}: Modified: is before Date; a change cannot come before publication",
    ),
    (
        "notify yes or no",
        N,
        item("notices", Notify="maybe"),
        f"{N}: Notify: 'maybe' is not allowed; write yes or no",
    ),
    (
        "status values",
        N,
        item("notices", Status="hidden"),
        f"{N}: Status: 'hidden' is not allowed; use one of: published, draft",
    ),
    (
        "unknown field",
        A,
        item("alerts", Expiry="2026-12-01"),
        f"{A}: Expiry: is not a field of emergency alerts; did you mean 'expires'?",
    ),
    (
        "one file per content folder",
        "content/bad.md",
        item("notices"),
        "content/bad.md: file: is not in a content folder; move it to content/alerts/, "
        "content/notices/, content/bin-changes/, content/consultations/, content/meetings/, "
        "content/pages/",
    ),
    (
        "only markdown",
        "content/notices/bad.markdown",
        item("notices"),
        "content/notices/bad.markdown: file: only .md files are published; rename it to bad.md "
        "or move it out of content/",
    ),
    (
        "no placeholder left in a field",
        N,
        item("notices", Summary=left_by_new(ITEM_TYPES["notices"], "summary")),
        f"{N}: Summary: still has the placeholder 'FILL IN ...' from make new; replace it with "
        "the Summary",
    ),
    (
        "no placeholder left in a choice",
        A,
        item("alerts", Severity=left_by_new(ITEM_TYPES["alerts"], "severity")),
        f"{A}: Severity: still has the placeholder 'CHOOSE one of ...' from make new; replace it "
        "with one of: extreme, severe, moderate, minor",
    ),
    (
        "no placeholder left in the text",
        N,
        item("notices", body=f"The order is made.\n\n{BODY}"),
        f"{N}: Text: line 11: still has the placeholder 'Write the notice here ...' from make new; "
        "replace it with the notice itself",
    ),
    (
        "utf-8",
        N,
        "Title: Caf\xe9".encode("latin-1"),
        f"{N}: file: is not UTF-8 text; save it as UTF-8",
    ),
    # --- alerts -------------------------------------------------------------------------
    (
        "event values",
        A,
        item("alerts", Event="flood"),
        f"{A}: Event: 'flood' is not allowed; use one of: flooding, road-closure, public-health, "
        "severe-weather, water-supply, power-outage, fire, pollution, other; "
        "did you mean 'flooding'?",
    ),
    (
        "severity required",
        A,
        item("alerts", drop=("Severity",)),
        f"{A}: Severity: missing; add a line like 'Severity: extreme'",
    ),
    (
        "urgency values",
        A,
        item("alerts", Urgency="now"),
        f"{A}: Urgency: 'now' is not allowed; use one of: immediate, expected, future, past",
    ),
    (
        "certainty values",
        A,
        item("alerts", Certainty="sure"),
        f"{A}: Certainty: 'sure' is not allowed; use one of: observed, likely, possible, unlikely",
    ),
    (
        "expires required",
        A,
        item("alerts", drop=("Expires",)),
        f"{A}: Expires: missing; add a line like 'Expires: 2026-11-29 18:00'",
    ),
    (
        "expires after date",
        A,
        item("alerts", Expires="2026-11-27 08:00"),
        f"{A}: Expires: must be after Date (2026-11-27 09:00)",
    ),
    (
        "onset before expires",
        A,
        item("alerts", Onset="2026-12-01 09:00"),
        f"{A}: Onset: must be before Expires (2026-11-30 18:00)",
    ),
    (
        "alert headline length",
        A,
        item("alerts", Title="Flood " * 24),
        f"{A}: Title: is 143 characters long; alert headlines must be 140 or fewer",
    ),
    (
        "headline differs from summary",
        A,
        item("alerts", Title="Flood", Summary="Flood"),
        f"{A}: Summary: repeats the Title; say in a sentence what is happening and where",
    ),
    (
        "polygon closed",
        A,
        item("alerts", Polygon="51.1,1.3 51.2,1.3 51.2,1.4 51.1,1.4"),
        f"{A}: Polygon: must end where it starts; repeat the first point at the end",
    ),
    (
        "polygon points",
        A,
        item("alerts", Polygon="51.1,1.3 51.2;1.3 51.2,1.4 51.1,1.3"),
        f"{A}: Polygon: '51.2;1.3' is not a 'lat,lon' point; write points like 51.12,1.31 "
        "separated by spaces",
    ),
    (
        "polygon size",
        A,
        item("alerts", Polygon="51.1,1.3 51.2,1.3 51.1,1.3"),
        f"{A}: Polygon: needs at least four points, the last the same as the first",
    ),
    (
        "polygon on earth",
        A,
        item("alerts", Polygon="1.3,151.1 95,1.3 51.2,1.4 1.3,151.1"),
        f"{A}: Polygon: '95,1.3' is outside the world; latitude first, then longitude",
    ),
    (
        "exercise yes or no",
        A,
        item("alerts", Exercise="test"),
        f"{A}: Exercise: 'test' is not allowed; write yes or no",
    ),
    (
        "updates names an alert",
        A,
        item("alerts", Date="2026-11-28 09:00", Updates="rivr"),
        f"{A}: Updates: no alert has the Slug 'rivr'; did you mean 'river'?",
    ),
    (
        "not itself",
        A,
        item("alerts", Slug="self", Cancels="self"),
        f"{A}: Cancels: an alert cannot update or cancel itself",
    ),
    (
        "update or cancel",
        A,
        item("alerts", Date="2026-11-28 09:00", Updates="river", Cancels="river"),
        f"{A}: Cancels: an alert either updates or cancels another, not both; keep one",
    ),
    (
        "updates something earlier",
        A,
        item("alerts", Updates="river"),
        f"{A}: Updates: 'river' was published at the same time or later; Date must be after its "
        "Date (2026-11-27 09:00)",
    ),
    # --- statutory notices --------------------------------------------------------------
    (
        "notice type values",
        N,
        item("notices", Notice_Type="planing"),
        f"{N}: Notice-Type: 'planing' is not allowed; use one of: environmental-protection, "
        "licensing, planning, traffic-regulation-order, public-spaces-protection-order, highways, "
        "elections, council-tax, housing, other; did you mean 'planning'?",
    ),
    (
        "reference required",
        N,
        item("notices", drop=("Reference",)),
        f"{N}: Reference: missing; add a line like 'Reference: TRO/2026/041'",
    ),
    (
        "reference unique",
        Z,
        item("notices", Title="Another application"),
        f"{Z}: Reference: 'DOV/26/00001' is already the reference of content/notices/plan.md; "
        "references must be unique",
    ),
    (
        "reference length",
        N,
        item("notices", Reference="R" * 61),
        f"{N}: Reference: is longer than 60 characters",
    ),
    (
        "legislation required",
        N,
        item("notices", drop=("Legislation",)),
        f"{N}: Legislation: missing; add a line like 'Legislation: Road Traffic Regulation Act "
        "1984, section 14'",
    ),
    (
        "effective is a date",
        N,
        item("notices", Effective="next week"),
        f"{N}: Effective: 'next week' is not a date; write it like 2026-11-28",
    ),
    (
        "respond by after date",
        N,
        item("notices", Respond_By="2026-11-19", Respond_To="planning@example.org"),
        f"{N}: Respond-By: is before Date (2026-11-20 09:00); residents need time to respond",
    ),
    (
        "respond to with respond by",
        N,
        item("notices", Respond_By="2026-12-19", drop=("Respond-To",)),
        f"{N}: Respond-To: is needed with Respond-By: say where responses go (an email "
        "address, a web address or a postal address)",
    ),
    (
        "documents exist",
        N,
        item("notices", Title="Plan", Reference="X/2", Documents="plan.pdf"),
        f"{N}: Documents: 'plan.pdf' is not in content/notices/documents/; add the file or fix "
        "the name",
    ),
    (
        "documents are plain names",
        N,
        item("notices", Documents="../secret.pdf"),
        f"{N}: Documents: '../secret.pdf' is not a plain file name; give names like 'plan.pdf' of "
        "files in content/notices/documents/",
    ),
    # --- bin-collection changes ---------------------------------------------------------
    (
        "changes required",
        B,
        item("bin-changes", drop=("Changes",)),
        f"{B}: Changes: missing; add a line like 'Changes: 2026-12-25 -> 2026-12-27; "
        "2026-12-26 -> 2026-12-28'",
    ),
    (
        "changes pairs",
        B,
        item("bin-changes", Changes="2026-12-25 to 2026-12-26"),
        f"{B}: Changes: '2026-12-25 to 2026-12-26' is not a 'YYYY-MM-DD -> YYYY-MM-DD' pair "
        "(usual day -> new day)",
    ),
    (
        "changes real dates",
        B,
        item("bin-changes", Changes="2026-02-30 -> 2026-03-01"),
        f"{B}: Changes: '2026-02-30' is not a real date; write it like 2026-11-28",
    ),
    (
        "changes move",
        B,
        item("bin-changes", Changes="2026-12-25 -> 2026-12-25"),
        f"{B}: Changes: '2026-12-25 -> 2026-12-25' moves a collection to the same day; remove "
        "the pair",
    ),
    (
        "changes once per day",
        B,
        item("bin-changes", Changes="2026-12-25 -> 2026-12-26; 2026-12-25 -> 2026-12-27"),
        f"{B}: Changes: 2026-12-25 is moved twice; keep one pair for it",
    ),
    (
        "services values",
        B,
        item("bin-changes", Services="refuse, glass"),
        f"{B}: Services: 'glass' is not allowed; use one of: refuse, recycling, food, garden, all",
    ),
    (
        "services all alone",
        B,
        item("bin-changes", Services="all, food"),
        f"{B}: Services: 'all' already covers every value; write 'all' alone",
    ),
    # --- across files -------------------------------------------------------------------
    (
        "slug unique",
        Z,
        item("notices", Reference="X/1", Slug="planning-application-1-high-street"),
        f"{Z}: Slug: 'planning-application-1-high-street' is already used by "
        "content/notices/plan.md; choose another Slug "
        "(the same Slug in another Lang is a translation)",
    ),
    (
        "translation has an original",
        N,
        item("notices", Lang="pl", Slug="nowhere"),
        f"{N}: Slug: this 'pl' translation has no 'en' original in content/notices/ with the Slug "
        "'nowhere'; give it the same Slug as the original (an original without a Slug line "
        "has its Title's, as its page address shows)",
    ),
    (
        "translation keeps the data",
        A,
        "Title: Powódź\nSummary: Rzeka może zalać drogi.\nSlug: river\nLang: pl\n"
        "Severity: severe\n\nSłowa.\n",
        f"{A}: Severity: differs from the original content/alerts/river.md; leave it out and "
        "the translation takes the original's",
    ),
    # --- consultations and meetings ----------------------------------------------------
    (
        "a consultation closes after it opens",
        C,
        item("consultations", Opens="2026-12-01", Closes="2026-11-30"),
        f"{C}: Closes: is before Opens (2026-12-01); give the last day for responses",
    ),
    (
        "a consultation says where responses go",
        C,
        item("consultations", drop=("Respond-To",)),
        f"{C}: Respond-To: missing; add a line like "
        "'Respond-To: https://www.example.org/consultations/parking'",
    ),
    (
        "a meeting ends after it starts",
        M,
        item("meetings", Starts="2026-12-10 18:30", Ends="2026-12-10 18:30"),
        f"{M}: Ends: must be after Starts",
    ),
    (
        "a meeting's agenda file exists",
        M,
        item("meetings", Slug="with-agenda", Agenda="agenda.pdf"),
        f"{M}: Agenda: 'agenda.pdf' is not in content/meetings/documents/; add the file or "
        "fix the name",
    ),
    (
        "a meeting's agenda is a file or a web address",
        M,
        item("meetings", Agenda="see the website"),
        f"{M}: Agenda: 'see the website' is neither a web address (https://...) nor the name "
        "of a file in content/meetings/documents/",
    ),
    (
        "a webcast is a web address",
        M,
        item("meetings", Webcast="www.example.org/live"),
        f"{M}: Webcast: 'www.example.org/live' is not a web address; write the whole address, "
        "like https://example.org/",
    ),
    (
        "a moved meeting's translation keeps its time",
        M,
        "Title: Pwyllgor cynllunio\nSummary: Y pwyllgor.\nSlug: planning-committee\nLang: cy\n"
        "Starts: 2026-12-11 18:30\n\nGeiriau.\n",
        f"{M}: Starts: differs from the original content/meetings/planning-committee.md; leave "
        "it out and the translation takes the original's",
    ),
    (
        "a field on two lines is refused, not joined",
        M,
        "Venue: Old Hall, Deal\n" + item("meetings", Slug="twice"),
        f"{M}: Venue: is given more than once (lines 1 and 7); keep one line",
    ),
    (
        "a stray carriage return is refused",
        M,
        item("meetings", Slug="cr", Title="Planning\rEvent: fire"),
        f"{M}: file: line 1 has a stray carriage return in it (often from pasted text); "
        "retype the line",
    ),
    (
        "invisible direction overrides are refused",
        M,
        item("meetings", Slug="rlo", Venue="Council \u202eChamber"),
        f"{M}: Venue: contains invisible characters that change how text is shown "
        "(direction overrides or line separators, often from pasted text); retype it as "
        "plain text",
    ),
    (
        "plain-text fields have a length limit",
        M,
        item("meetings", Slug="long", Venue="x" * 1001),
        f"{M}: Venue: is 1001 characters long; keep it to 1000 or fewer",
    ),
    (
        "responses cannot go to a script",
        C,
        item("consultations", Slug="script", Respond_To="javascript:alert(1)"),
        f"{C}: Respond-To: is a script or data address; give an email address, a web address "
        "(https://...) or a postal address",
    ),
    (
        "page slug reserved",
        "content/pages/bad.md",
        item("pages", Slug="alerts"),
        "content/pages/bad.md: Slug: 'alerts' is used by the site's own addresses; choose another "
        "Slug",
    ),
]


def problems_of(tmp_path: Path, files: dict[str, str | bytes]) -> list[str]:
    with pytest.raises(ContentInvalid) as stopped:
        build(tmp_path, files)
    content = str(tmp_path / "content")
    return [str(p).replace(content, "content") for p in stopped.value.report.problems]


@pytest.mark.parametrize(
    ("path", "text", "message"),
    [pytest.param(path, text, message, id=rule) for rule, path, text, message in RULES],
)
def test_rule(tmp_path: Path, path: str, text: str | bytes, message: str) -> None:
    files = {**GOOD, path.removeprefix("content/"): text}
    assert problems_of(tmp_path, files) == [message]
    assert not (tmp_path / "output").exists(), "nothing may be written when content is refused"


def test_an_alert_emergency_systems_cannot_map_is_published_with_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    alert = item("alerts", drop=("Polygon",), Wards="sandwich, walmer")
    output = build(tmp_path, {**GOOD, "alerts/unmapped.md": alert})
    assert (output / "alerts" / "flood-alert-river-stour" / "index.html").exists()
    shown = capsys.readouterr().err.replace(str(tmp_path / "content"), "content")
    assert shown.splitlines() == [
        "content/alerts/unmapped.md: Wards: warning: Sandwich, Walmer have no ONS code in the "
        "wards file and the alert has no Polygon, so emergency systems get them by name only "
        "(CAP areaDesc: no geocode, no polygon) and cannot place them on a map; add the codes "
        "to the wards file, or a Polygon"
    ]


def test_ward_codes_or_the_whole_district_locate_an_alert_without_a_polygon(
    tmp_path: Path,
) -> None:
    wards = tmp_path / "wards.csv"
    wards.write_text("slug,name,gss\nsandwich,Sandwich,E05009999\nwalmer,Walmer,\n")
    coded = item("alerts", drop=("Polygon",), Slug="coded")
    district = item("alerts", drop=("Polygon",), Slug="district", Wards="all")
    output = build(
        tmp_path,
        {"alerts/coded.md": coded, "alerts/district.md": district},
        WARDS_FILE=str(wards),
    )
    assert (output / "alerts" / "coded" / "index.html").exists()


def test_metadata_comes_first(tmp_path: Path) -> None:
    problems = problems_of(
        tmp_path, {**GOOD, "alerts/bad.md": "A flood is coming.\n\nTitle: Flood\n"}
    )
    assert (
        f"{A}: Title: missing; add a line like 'Title: Flood warning' at the very top of the "
        "file (metadata lines come first, then a blank line)"
    ) in problems
    assert all(p.startswith(f"{A}: ") and ": missing; add a line like" in p for p in problems)


def test_what_a_translation_inherits_is_reported_once_on_the_original(tmp_path: Path) -> None:
    files = {
        **GOOD,
        "alerts/bad.md": item("alerts", Slug="bad", Expires="soon"),
        "alerts/bad.pl.md": "Title: Zły\nSummary: Coś.\nSlug: bad\nLang: pl\n\nSłowa.\n",
    }
    assert problems_of(tmp_path, files) == [
        "content/alerts/bad.md: Expires: 'soon' is not an ISO 8601 date and time; write it like "
        "2026-11-28 09:30 (London time) or 2026-11-28T09:30+00:00"
    ]


def test_an_alert_cannot_update_a_draft(tmp_path: Path) -> None:
    files = {
        **GOOD,
        "alerts/draft.md": item("alerts", Slug="draft", Status="draft"),
        "alerts/update.md": item("alerts", Slug="update", Date="2026-11-28 09:00", Updates="draft"),
    }
    assert problems_of(tmp_path, files) == [
        "content/alerts/update.md: Updates: 'draft' is a draft; publish it first, or remove Updates"
    ]


def test_an_alert_is_updated_or_cancelled_once(tmp_path: Path) -> None:
    update = item("alerts", Date="2026-11-28 09:00", Updates="river", Slug="update")
    cancel = item("alerts", Date="2026-11-28 10:00", Cancels="river", Slug="zcancel")
    problems = problems_of(
        tmp_path, {**GOOD, "alerts/update.md": update, "alerts/zcancel.md": cancel}
    )
    assert problems == [
        "content/alerts/zcancel.md: Cancels: 'river' is already updated or cancelled by "
        "content/alerts/update.md; point this alert at 'update' instead"
    ]


def test_every_problem_in_every_file_is_reported_at_once(tmp_path: Path) -> None:
    files = {
        **GOOD,
        "alerts/one.md": item("alerts", Severity="huge", Expires="soon"),
        "notices/two.md": item("notices", Wards="atlantis", drop=("Reference",)),
    }
    problems = problems_of(tmp_path, files)
    assert [p.split(": ")[:2] for p in problems] == [
        ["content/alerts/one.md", "Expires"],
        ["content/alerts/one.md", "Severity"],
        ["content/notices/two.md", "Reference"],
        ["content/notices/two.md", "Wards"],
    ]


def test_the_base_fixtures_are_themselves_valid(tmp_path: Path) -> None:
    files = {f"{kind}/ok.md": item(kind) for kind in BASE}
    assert (build(tmp_path, files) / "index.html").is_file()


def test_every_problem_of_a_file_is_reported_at_once_documents_included(tmp_path: Path) -> None:
    bad = item("meetings", Slug="m", Agenda="agenda.pdf", Ends="2026-12-10 18:00")
    assert problems_of(tmp_path, {**GOOD, "meetings/m.md": bad}) == [
        f"{M.replace('bad', 'm')}: Agenda: 'agenda.pdf' is not in content/meetings/documents/; "
        "add the file or fix the name",
        f"{M.replace('bad', 'm')}: Ends: must be after Starts",
    ]


def test_a_translation_is_not_blamed_for_its_originals_problems(tmp_path: Path) -> None:
    """The original's own problem is reported; its translation is not also told that it
    has no original."""
    original = item("meetings", Slug="m", Venue="")
    welsh = "Title: Pwyllgor\nSummary: Y pwyllgor.\nSlug: m\nLang: cy\n\nGeiriau.\n"
    assert problems_of(
        tmp_path, {**GOOD, "meetings/m.md": original, "meetings/m.cy.md": welsh}
    ) == [
        "content/meetings/m.md: Venue: missing; add a line like "
        "'Venue: Council Chamber, White Cliffs Business Park, Dover'"
    ]


def test_a_translation_with_a_mistyped_slug_is_told_only_that_and_the_nearest(
    tmp_path: Path,
) -> None:
    """Not that it lacks the dates and wards it would have inherited."""
    welsh = "Title: Pwyllgor\nSummary: Y pwyllgor.\nSlug: council-meting\nLang: cy\n\nGeiriau.\n"
    original = item("meetings", Slug="council-meeting")
    files = {**GOOD, "meetings/m.md": original, "meetings/m.cy.md": welsh}
    assert problems_of(tmp_path, files) == [
        "content/meetings/m.cy.md: Slug: this 'cy' translation has no 'en' original in "
        "content/meetings/ with the Slug 'council-meting' (did you mean "
        "'council-meeting'?); give it the same Slug as the original (an original without "
        "a Slug line has its Title's, as its page address shows)"
    ]
