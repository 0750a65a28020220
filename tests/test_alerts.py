"""Alerts behave like emergency alerts: the banner on every page, statuses, CAP 1.2 and the
CAP index feed, and rebuilds that change nothing when nothing is due."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import feedparser
import pytest
from lxml import etree
from lxml import html as lxml_html

from plugins.cap.message import CAP_NS
from tests.sitebuilder import ROOT, banner_headlines, banner_of, build, item, read, shown_text

SCHEMA = ROOT.parent / "shared" / "standards" / "cap-v1.2.xsd"
NS = {"cap": CAP_NS}
NOW = "2026-11-28T12:00:00+00:00"

ALERTS = {
    # In force: the banner shows these, most severe first.
    "alerts/fire.md": item(
        "alerts",
        Slug="fire",
        Title="Moorland fire near Whitfield",
        Event="fire",
        Severity="severe",
        Wards="whitfield",
        Date="2026-11-28 08:00",
        Expires="2026-11-28 20:00",
        Area="Whitfield Down",
        Summary="Smoke is drifting over Whitfield. Keep windows closed.",
    ),
    "alerts/water.md": item(
        "alerts",
        Slug="water",
        Title="Low water pressure in Walmer",
        Event="water-supply",
        Severity="minor",
        Wards="walmer",
        Date="2026-11-28 09:00",
        Summary="Some homes in Walmer have low water pressure.",
    ),
    # Expired at 10:00 today.
    "alerts/ice.md": item(
        "alerts",
        Slug="ice",
        Title="Icy roads",
        Event="severe-weather",
        Wards="all",
        Date="2026-11-27 18:00",
        Expires="2026-11-28 10:00",
        drop=("Polygon",),
        Summary="Roads will be icy overnight.",
    ),
    # flood -> flood-update -> flood-over: updated, then cancelled.
    "alerts/flood.md": item("alerts", Slug="flood", Date="2026-11-27 09:00"),
    "alerts/flood-update.md": item(
        "alerts",
        Slug="flood-update",
        Title="Flood warning: River Stour",
        Date="2026-11-27 15:00",
        Updates="flood",
        Severity="severe",
        Summary="Flooding is now expected at The Quay.",
    ),
    "alerts/flood-over.md": item(
        "alerts",
        Slug="flood-over",
        Title="Flooding has eased",
        Date="2026-11-28 07:00",
        Cancels="flood-update",
        Severity="minor",
        Urgency="past",
        Expires="2026-11-29 07:00",
        Summary="River levels have fallen and the roads have reopened.",
    ),
    # A drill.
    "alerts/drill.md": item(
        "alerts",
        Slug="drill",
        Title="Exercise: chemical leak at the port",
        Event="pollution",
        Exercise="yes",
        Date="2026-11-28 10:00",
        Summary="This is an exercise.",
    ),
    "alerts/fire.pl.md": item(
        "alerts",
        Slug="fire",
        Lang="pl",
        Title="Pożar wrzosowiska koło Whitfield",
        Event="fire",
        Severity="severe",
        Wards="whitfield",
        Date="2026-11-28 08:00",
        Expires="2026-11-28 20:00",
        Area="Whitfield Down",
        Summary="Dym dociera nad Whitfield. Zamknij okna.",
    ),
    "notices/plan.md": item("notices", Slug="plan"),
}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("alerts"), ALERTS, now=NOW)


IN_FORCE = [
    "Moorland fire near Whitfield",
    "Exercise: chemical leak at the port",
    "Low water pressure in Walmer",
]


@pytest.mark.parametrize("url", ["/", "/alerts/"])
def test_the_home_page_and_the_alerts_list_show_every_alert_in_force_most_severe_first(
    site: Path, url: str
) -> None:
    assert banner_headlines(read(site, url)) == IN_FORCE


@pytest.mark.parametrize(
    "url", ["/notices/plan/", "/wards/walmer/", "/alerts/ice/", "/404.html", "/about/"]
)
def test_every_other_page_says_in_one_line_how_many_alerts_and_the_most_severe(
    tmp_path_factory: pytest.TempPathFactory, site: Path, url: str
) -> None:
    if url == "/about/":
        site = build(
            tmp_path_factory.mktemp("page"),
            {**ALERTS, "pages/about.md": item("pages", Slug="about")},
            now=NOW,
        )
    banner = banner_of(read(site, url))
    assert shown_text(banner) == (
        "3 emergency alerts in force Most severe: Severe alert: Moorland fire near Whitfield, "
        "until 8pm on 28 November 2026. See all emergency alerts"
    )
    assert [a.get("href") for a in banner.iter("a")] == ["/alerts/"]
    # Every alert in force is there for the script that hides them as they expire.
    alerts = banner.xpath(".//*[@data-expires]/strong")
    assert [" ".join(a.text_content().split()[2:]) for a in alerts] == IN_FORCE


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("/alerts/fire/", "2 emergency alerts in force Most severe: Moderate alert:"),
        ("/pl/alerts/fire/", "2 alerty kryzysowe obowiązują Najpoważniejszy: Umiarkowany alert:"),
    ],
)
def test_an_alerts_own_page_leaves_it_out_of_the_banner(site: Path, url: str, says: str) -> None:
    banner = banner_of(read(site, url))
    assert shown_text(banner).startswith(f"{says} Exercise: chemical leak")
    assert "Moorland fire" not in banner.text_content()


def test_no_banner_on_the_page_of_the_only_alert_in_force(tmp_path: Path) -> None:
    output = build(tmp_path, {"alerts/fire.md": ALERTS["alerts/fire.md"]}, now=NOW)
    assert banner_of(read(output, "/alerts/fire/")) is None
    assert banner_of(read(output, "/wards/")) is not None


def test_the_banner_says_severity_in_words_and_when_each_alert_ends(site: Path) -> None:
    page = read(site, "/")
    assert "SEVERE ALERT" not in page  # upper case is styling only
    assert re.search(r"Severe alert:\s*</span>\s*<a [^>]*>Moorland fire", page)
    assert 'data-expires="2026-11-28T20:00:00+00:00"' in page
    assert '<time datetime="2026-11-28T20:00:00+00:00">8pm on 28 November 2026</time>' in page
    assert "Emergency alerts in force" in page


def test_no_banner_when_no_alert_is_in_force(tmp_path: Path) -> None:
    output = build(tmp_path, {"alerts/ice.md": ALERTS["alerts/ice.md"]}, now=NOW)
    page = read(output, "/")
    assert (
        banner_headlines(page) == []
        and "data-alert-banner" not in page
        and "alert-expiry.js" not in page
    )
    assert "There are no emergency alerts in force." in page


def listed_statuses(page: str) -> dict[str, str]:
    """Each listed item's title and the status tags shown beside it without JavaScript."""
    found = {}
    for entry in lxml_html.fromstring(page).xpath('//li[@class="council-list__item"]'):
        title = entry.xpath('.//*[@class="council-list__title"]')[0].text_content()
        tags = entry.xpath('.//strong[contains(@class, "govuk-tag")][not(@hidden)]')
        found[title] = " ".join(t.text_content() for t in tags)
    return found


def test_the_alerts_list_shows_each_alerts_status(site: Path) -> None:
    assert listed_statuses(read(site, "/alerts/")) == {
        "Exercise: chemical leak at the port": "In force",
        "Moorland fire near Whitfield": "In force",
        "Low water pressure in Walmer": "In force",
        "Flooding has eased": "Cancellation",
        "Icy roads": "Expired",
        "Flood warning: River Stour": "Cancelled",
        "Flood alert: River Stour": "Updated",
    }


def test_a_ward_page_shows_each_alerts_status(site: Path) -> None:
    page = read(site, "/wards/walmer/")
    everything = page[page.index("Everything for this ward") :]
    assert listed_statuses(everything) == {
        "Low water pressure in Walmer": "In force",
        "Icy roads": "Expired",
        "Planning application: 1 High Street": "",
    }
    cards = lxml_html.fromstring(page).xpath('//div[contains(@class, "council-alert ")]')
    tags = [c.xpath('.//strong[contains(@class, "govuk-tag")][not(@hidden)]') for c in cards]
    assert [[t.text for t in shown] for shown in tags] == [["In force"]]


def test_an_alert_in_force_carries_the_tag_it_takes_when_it_expires(site: Path) -> None:
    page = read(site, "/alerts/")
    assert re.search(
        r'<span data-until="2026-11-28T20:00:00\+00:00"><strong [^>]*data-while-active>In force'
        r"</strong><strong [^>]*data-once-expired hidden>Expired</strong></span>",
        page,
    )


def test_an_active_alert_says_so(site: Path) -> None:
    assert "Severe alert in force until 8pm on 28 November 2026." in read(site, "/alerts/fire/")


def test_an_expired_alert_says_so(site: Path) -> None:
    assert "This alert expired at 10am on 28 November 2026. It no longer applies." in read(
        site, "/alerts/ice/"
    )


def test_an_updated_alert_links_to_the_newer_one_and_back(site: Path) -> None:
    old, new = read(site, "/alerts/flood/"), read(site, "/alerts/flood-update/")
    assert "This alert has been updated." in old
    assert 'href="/alerts/flood-update/">Read the latest: Flood warning: River Stour</a>' in old
    assert re.search(
        r"Updates\s*</dt>\s*<dd[^>]*>\s*<a [^>]*href=\"/alerts/flood/\">Flood alert", new
    )


def test_a_cancelled_alert_gives_the_reason(site: Path) -> None:
    page = read(site, "/alerts/flood-update/")
    assert "This alert was cancelled. River levels have fallen and the roads have reopened." in page
    assert "This message cancels an earlier alert:" in read(site, "/alerts/flood-over/")


def test_a_translation_has_its_originals_status(site: Path) -> None:
    assert "Poważny alert obowiązuje do" in read(site, "/pl/alerts/fire/")


# --- CAP 1.2 ------------------------------------------------------------------------------


def cap(site: Path, slug: str) -> etree._Element:
    return etree.fromstring((site / "alerts" / f"{slug}.cap.xml").read_bytes())


def text(element: etree._Element, path: str) -> str:
    return str(element.findtext(path, namespaces=NS))


def test_every_cap_message_is_valid_against_the_oasis_schema(
    site: Path, example_site: Path
) -> None:
    if not SCHEMA.exists():
        pytest.skip(f"{SCHEMA} is not here (shared/ sits beside the repository in the workplace)")
    schema = etree.XMLSchema(etree.parse(str(SCHEMA)))
    messages = [*site.glob("alerts/*.cap.xml"), *example_site.glob("alerts/*.cap.xml")]
    assert len(messages) == 7 + 7
    for path in messages:
        assert schema.validate(etree.parse(str(path))), f"{path.name}: {schema.error_log}"


def test_cap_header_fields(site: Path) -> None:
    message = cap(site, "fire")
    assert text(message, "cap:identifier") == "127.0.0.1:8000:alert:fire"
    assert text(message, "cap:sender") == "noticeboard@example.org"
    assert text(message, "cap:sent") == "2026-11-28T08:00:00+00:00"
    assert (
        text(message, "cap:status"),
        text(message, "cap:msgType"),
        text(message, "cap:scope"),
    ) == (
        "Actual",
        "Alert",
        "Public",
    )
    assert message.find("cap:references", NS) is None


def test_cap_info_fields(site: Path) -> None:
    info = cap(site, "fire").find("cap:info", NS)
    assert info is not None
    expected = {
        "language": "en-GB",
        "category": "Fire",
        "event": "Fire",
        "urgency": "Expected",
        "severity": "Severe",
        "certainty": "Likely",
        "expires": "2026-11-28T20:00:00+00:00",
        "senderName": "Dover District Council",
        "headline": "Moorland fire near Whitfield",
        "web": "http://127.0.0.1:8000/alerts/fire/",
    }
    assert {tag: text(info, f"cap:{tag}") for tag in expected} == expected
    assert text(info, "cap:description").startswith("Smoke is drifting over Whitfield.")
    assert text(info, "cap:area/cap:areaDesc") == "Whitfield Down"
    assert text(info, "cap:area/cap:polygon") == "51.27,1.32 51.28,1.34 51.27,1.35 51.27,1.32"


def test_cap_carries_translations_as_further_info_blocks(site: Path) -> None:
    infos = cap(site, "fire").findall("cap:info", NS)
    assert [text(i, "cap:language") for i in infos] == ["en-GB", "pl"]
    assert text(infos[1], "cap:headline") == "Pożar wrzosowiska koło Whitfield"
    assert text(infos[1], "cap:web") == "http://127.0.0.1:8000/pl/alerts/fire/"


def test_cap_updates_and_cancels_reference_the_whole_chain(site: Path) -> None:
    update, cancel = cap(site, "flood-update"), cap(site, "flood-over")
    assert text(update, "cap:msgType") == "Update"
    assert text(update, "cap:references") == (
        "noticeboard@example.org,127.0.0.1:8000:alert:flood,2026-11-27T09:00:00+00:00"
    )
    assert text(cancel, "cap:msgType") == "Cancel"
    assert text(cancel, "cap:references").split() == [
        "noticeboard@example.org,127.0.0.1:8000:alert:flood,2026-11-27T09:00:00+00:00",
        "noticeboard@example.org,127.0.0.1:8000:alert:flood-update,2026-11-27T15:00:00+00:00",
    ]
    assert text(cancel, "cap:info/cap:responseType") == "AllClear"


def test_cap_exercise_status(site: Path) -> None:
    assert text(cap(site, "drill"), "cap:status") == "Exercise"


def test_cap_geocodes_district_wide_alerts_with_the_councils_code(site: Path) -> None:
    area = cap(site, "ice").find("cap:info/cap:area", NS)
    assert area is not None
    assert text(area, "cap:areaDesc") == "The whole area of Dover District Council"
    assert text(area, "cap:geocode/cap:valueName") == "GSS"
    assert text(area, "cap:geocode/cap:value") == "E07000108"


def test_cap_geocodes_wards_with_their_ons_codes(tmp_path: Path) -> None:
    wards = tmp_path / "wards.csv"
    wards.write_text("slug,name,gss\nsandwich,Sandwich,E05009999\nwalmer,Walmer,E05009998\n")
    alert = item("alerts", Slug="a", Wards="sandwich, walmer", drop=("Polygon",))
    output = build(tmp_path, {"alerts/a.md": alert}, now=NOW, WARDS_FILE=str(wards))
    values = cap(output, "a").findall("cap:info/cap:area/cap:geocode/cap:value", NS)
    assert [v.text for v in values] == ["E05009999", "E05009998"]
    assert text(cap(output, "a"), "cap:info/cap:area/cap:areaDesc") == "Sandwich, Walmer"


def test_cap_names_an_area_it_cannot_map(tmp_path: Path) -> None:
    if not SCHEMA.exists():
        pytest.skip(f"{SCHEMA} is not here (shared/ sits beside the repository in the workplace)")
    alert = item("alerts", Slug="a", Wards="sandwich, walmer", drop=("Polygon",))
    output = build(tmp_path, {"alerts/a.md": alert}, now=NOW)
    area = cap(output, "a").find("cap:info/cap:area", NS)
    assert area is not None
    assert [child.tag.split("}")[1] for child in area] == ["areaDesc"]
    assert text(area, "cap:areaDesc") == "Sandwich, Walmer"
    schema = etree.XMLSchema(etree.parse(str(SCHEMA)))
    assert schema.validate(etree.parse(str(output / "alerts" / "a.cap.xml"))), schema.error_log


def test_cap_times_have_seconds_and_numeric_offsets(site: Path, example_site: Path) -> None:
    pattern = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$")
    for path in [*site.glob("alerts/*.cap.xml"), *example_site.glob("alerts/*.cap.xml")]:
        message = etree.parse(str(path))
        for tag in ("sent", "onset", "expires"):
            for element in message.iter(f"{{{CAP_NS}}}{tag}"):
                assert pattern.match(element.text or ""), f"{path.name}: {tag} {element.text}"
        assert "+01:00" not in path.read_text() or "2026-0" in path.read_text()


def test_summer_times_carry_the_bst_offset(tmp_path: Path) -> None:
    alert = item("alerts", Slug="s", Date="2026-07-01 09:00", Expires="2026-07-02 09:00")
    output = build(tmp_path, {"alerts/s.md": alert}, now="2026-07-01T12:00:00+01:00")
    assert text(cap(output, "s"), "cap:sent") == "2026-07-01T09:00:00+01:00"


def test_cap_meets_the_google_public_alerts_profile(site: Path, example_site: Path) -> None:
    for path in [*site.glob("alerts/*.cap.xml"), *example_site.glob("alerts/*.cap.xml")]:
        message = etree.parse(str(path)).getroot()
        for field in ("identifier", "sender"):
            assert not re.search(r"[\s,<&]", text(message, f"cap:{field}")), path.name
        for info in message.findall("cap:info", NS):
            areas = info.findall("cap:area", NS)
            assert any(
                a.find("cap:polygon", NS) is not None or a.find("cap:geocode", NS) is not None
                for a in areas
            ), path.name
            headline, description = text(info, "cap:headline"), text(info, "cap:description")
            assert len(headline) < 140 and description and headline != description, path.name
            assert text(info, "cap:web").startswith("http"), path.name


def test_cap_identifiers_are_stable_across_rebuilds(tmp_path: Path) -> None:
    first = build(tmp_path / "one", ALERTS, now=NOW)
    second = build(tmp_path / "two", ALERTS, now="2026-11-28T12:05:00+00:00")
    for path in first.glob("alerts/*.cap.xml"):
        assert path.read_bytes() == (second / "alerts" / path.name).read_bytes()


# --- the CAP index feed ---------------------------------------------------------------------


def test_the_cap_feed_lists_the_alerts_in_force_and_cancellations(site: Path) -> None:
    feed = feedparser.parse((site / "feeds" / "alerts.cap.atom.xml").read_bytes())
    assert not feed.bozo, feed.get("bozo_exception")
    titles = [e.title for e in feed.entries]
    assert sorted(titles) == sorted([*IN_FORCE, "Flooding has eased"])
    for entry in feed.entries:
        cap_links = [link for link in entry.links if link.type == "application/cap+xml"]
        assert len(cap_links) == 1 and cap_links[0].href.endswith(".cap.xml")
        assert entry.id and entry.published and entry.updated
    assert feed.feed.updated == "2026-11-28T10:00:00+00:00"  # the last change: 'ice' expired


def test_the_cap_feed_is_advertised_in_every_page_head(site: Path) -> None:
    head = read(site, "/notices/plan/").split("</head>")[0]
    assert (
        '<link rel="alternate" type="application/atom+xml" href="/feeds/alerts.cap.atom.xml"'
        in head
    )


def test_bad_cap_settings_stop_the_build(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as stopped:
        build(tmp_path, {"alerts/a.md": item("alerts")}, CAP_SENDER="Council, Dover")
    assert str(stopped.value) == (
        "pelicanconf.py: CAP_SENDER: 'Council, Dover' must be set and have no spaces, commas, "
        "'<' or '&'; nothing was built."
    )
    assert not (tmp_path / "output").exists()


# --- scheduled rebuilds ---------------------------------------------------------------------


def tree_digest(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_a_rebuild_with_nothing_due_changes_no_output(tmp_path: Path) -> None:
    before = build(tmp_path / "a", ALERTS, now="2026-11-28T12:00:00+00:00")
    later = build(tmp_path / "b", ALERTS, now="2026-11-28T19:59:00+00:00")
    assert tree_digest(before) == tree_digest(later)


def test_a_rebuild_after_an_expiry_takes_the_alert_out_of_the_banner(tmp_path: Path) -> None:
    after = build(tmp_path, ALERTS, now="2026-11-28T20:00:00+00:00")
    assert banner_headlines(read(after, "/")) == [
        "Exercise: chemical leak at the port",
        "Low water pressure in Walmer",
    ]
