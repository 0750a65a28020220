"""The built site: pages at the contract's URLs, lists, wards, archive, hold-back, languages."""

from __future__ import annotations

import html as html_text
import re
from pathlib import Path

import pytest

from tests.sitebuilder import ROOT, banner_headlines, build, item, numbered_notices, read


def titles(html: str) -> list[str]:
    """Item titles listed on a page, in order."""
    found = re.findall(r'class="council-list__title"><a [^>]*>([^<]+)</a>', html)
    return [html_text.unescape(title) for title in found]


@pytest.fixture(scope="module")
def small_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    files = {
        "alerts/flood.md": item("alerts", Slug="flood", Severity="moderate"),
        "alerts/fire.md": item(
            "alerts",
            Slug="fire",
            Title="Moorland fire",
            Event="fire",
            Severity="severe",
            Wards="walmer",
            Summary="Smoke from a fire on the downs.",
        ),
        "alerts/old.md": item(
            "alerts",
            Slug="old",
            Title="Old storm",
            Date="2026-11-01 09:00",
            Expires="2026-11-02 09:00",
            Summary="A storm last month.",
            Wards="all",
        ),
        "alerts/flood-update.md": item(
            "alerts",
            Slug="flood-update",
            Title="Flood warning: River Stour",
            Date="2026-11-28 08:00",
            Updates="flood",
            Severity="severe",
            Summary="Flooding is now expected.",
        ),
        "alerts/flood.cy.md": item(
            "alerts",
            Slug="flood",
            Lang="cy",
            Title="Rhybudd llifogydd",
            Summary="Gall yr afon orlifo.",
        ),
        "notices/open.md": item("notices", Slug="open", Respond_By="2026-12-10", Wards="walmer"),
        "notices/closed.md": item(
            "notices",
            Slug="closed",
            Title="Closed notice",
            Reference="R/2",
            Date="2026-11-19 09:00",
            Respond_By="2026-11-25",
            Wards="sandwich",
        ),
        "notices/last-year.md": item(
            "notices",
            Slug="last-year",
            Title="Last year's notice",
            Reference="R/3",
            Date="2025-06-01 09:00",
        ),
        "notices/future.md": item(
            "notices",
            Slug="future",
            Title="Not yet",
            Reference="R/4",
            Date="2026-12-01 09:00",
        ),
        "notices/draft.md": item(
            "notices",
            Slug="draft",
            Title="Draft notice",
            Reference="R/5",
            Status="draft",
        ),
        "bin-changes/christmas.md": item(
            "bin-changes",
            Slug="christmas",
            Changes="2026-12-31 -> 2027-01-02; 2026-12-25 -> 2026-12-26",
        ),
        "pages/about.md": item("pages", Slug="about", body="We publish notices."),
    }
    return build(tmp_path_factory.mktemp("small"), files)


def test_each_item_has_a_page_at_its_type_and_slug(small_site: Path) -> None:
    for url in ("/alerts/flood/", "/notices/open/", "/bin-changes/christmas/", "/about/"):
        assert "<h1" in read(small_site, url)


def test_a_translation_is_published_under_its_language(small_site: Path) -> None:
    welsh = read(small_site, "/cy/alerts/flood/")
    assert "Rhybudd llifogydd" in welsh
    assert 'lang="cy"' in welsh
    english = read(small_site, "/alerts/flood/")
    assert 'href="/cy/alerts/flood/" hreflang="cy" lang="cy">Cymraeg</a>' in english


def test_future_dated_items_are_held_back(small_site: Path) -> None:
    assert not (small_site / "notices" / "future").exists()
    assert "Not yet" not in read(small_site, "/notices/")


def test_a_future_item_appears_once_its_date_has_come(tmp_path: Path) -> None:
    files = {"notices/future.md": item("notices", Slug="future", Date="2026-12-01 09:00")}
    assert not (
        build(tmp_path / "before", files, now="2026-12-01T08:59:00+00:00") / "notices" / "future"
    ).exists()
    assert (
        build(tmp_path / "after", files, now="2026-12-01T09:00:00+00:00") / "notices" / "future"
    ).exists()


def test_drafts_are_never_written(small_site: Path) -> None:
    assert not (small_site / "notices" / "draft").exists()
    assert not (small_site / "drafts").exists()
    assert all("Draft notice" not in p.read_text() for p in small_site.rglob("*.html"))


def test_item_metadata_is_a_summary_list(small_site: Path) -> None:
    html = read(small_site, "/notices/open/")
    keys = re.findall(r'<dt class="govuk-summary-list__key">\s*([^<]+?)\s*</dt>', html)
    assert keys == [
        "Reference",
        "Type of notice",
        "Legislation",
        "Respond by",
        "Send responses to",
        "Published",
        "Wards",
    ]
    assert '<time datetime="2026-12-10">10 December 2026</time> (open for comments)' in html


def summary_value(page: str, key: str) -> str:
    """The HTML of a summary list row's value, by the row's key."""
    row = re.search(
        rf'<dt class="govuk-summary-list__key">\s*{re.escape(key)}\s*</dt>\s*'
        r'<dd class="govuk-summary-list__value">\s*(.*?)\s*</dd>',
        page,
        re.DOTALL,
    )
    assert row, key
    return row.group(1)


@pytest.mark.parametrize(
    ("respond_to", "shown"),
    [
        (
            "planning@example.org",
            '<a class="govuk-link" href="mailto:planning@example.org?subject=DOV%2F26%2F00001">'
            "planning@example.org</a>",
        ),
        (
            "https://example.org/comment",
            '<a class="govuk-link" href="https://example.org/comment">'
            "https://example.org/comment</a>",
        ),
        ("Planning, Council Offices, Dover CT16 3PJ", "Planning, Council Offices, Dover CT16 3PJ"),
    ],
)
def test_an_open_notice_says_where_responses_go_and_offers_its_deadline_for_a_calendar(
    tmp_path: Path, respond_to: str, shown: str
) -> None:
    files = {
        "notices/n.md": item("notices", Slug="n", Respond_By="2026-12-10", Respond_To=respond_to)
    }
    page = read(build(tmp_path, files), "/notices/n/")
    assert summary_value(page, "Send responses to") == shown
    assert re.search(
        r'<a class="govuk-link" href="/notices/n.ics"[^>]*>'
        r"Add the last day for comments to your calendar</a>",
        summary_value(page, "Respond by"),
    )


def test_responses_go_where_respond_to_says(small_site: Path) -> None:
    page = read(small_site, "/notices/open/")
    assert "mailto:notices@example.org?subject=" in summary_value(page, "Send responses to")


def test_a_closed_notice_says_where_responses_went_and_offers_no_calendar(
    small_site: Path,
) -> None:
    page = read(small_site, "/notices/closed/")
    assert "notices@example.org" in summary_value(page, "Responses went to")
    assert ".ics" not in summary_value(page, "Respond by")


def test_a_notice_without_a_deadline_asks_for_no_response(small_site: Path) -> None:
    page = read(small_site, "/notices/last-year/")
    assert "Send responses to" not in page and "Respond by" not in page


def test_the_home_page_puts_active_alerts_first_most_severe_first(small_site: Path) -> None:
    page = read(small_site, "/")
    # both severe, so newest first
    assert banner_headlines(page) == ["Flood warning: River Stour", "Moorland fire"]
    assert page.index("data-alert-banner") < page.index("Latest statutory notices")
    assert "Old storm" not in page  # expired
    assert "Flood alert: River Stour" not in page  # superseded by its update


def test_the_home_page_lists_coming_bin_changes(small_site: Path) -> None:
    assert "Bank holiday collections" in read(small_site, "/")


def test_type_lists_are_newest_first(small_site: Path) -> None:
    assert titles(read(small_site, "/notices/")) == [
        "Planning application: 1 High Street",
        "Closed notice",
        "Last year's notice",
    ]


def test_lists_are_paginated(tmp_path: Path) -> None:
    output = build(tmp_path, numbered_notices(25))
    first, second = read(output, "/notices/"), read(output, "/notices/page/2/")
    assert len(titles(first)) == 20 and titles(first)[0] == "Notice 25"
    assert titles(second) == [f"Notice {i:02d}" for i in range(5, 0, -1)]
    assert 'href="/notices/page/2/"' in first
    assert 'rel="prev"' in second


def test_a_ward_page_lists_its_items_and_district_wide_ones(small_site: Path) -> None:
    listed = read(small_site, "/wards/walmer/")
    everything = listed[listed.index("Everything for this ward") :]
    assert titles(everything) == [
        "Moorland fire",
        "Planning application: 1 High Street",
        "Bank holiday collections",
        "Old storm",
        "Last year's notice",
    ]
    assert "Notices open for comments" in listed


def test_every_ward_has_a_page_even_with_nothing_in_it(small_site: Path) -> None:
    assert "Nothing has been published for this ward yet" not in read(small_site, "/wards/walmer/")
    assert "Old storm" in read(small_site, "/wards/whitfield/")  # 'all' reaches every ward
    assert (small_site / "wards" / "mill-hill" / "index.html").exists()


def test_notices_archive_by_year(small_site: Path) -> None:
    index = read(small_site, "/notices/archive/")
    assert "2026</a> (2 items)" in index and "2025</a> (1 item)" in index
    assert titles(read(small_site, "/notices/archive/2025/")) == ["Last year's notice"]


def test_alert_page_says_when_it_has_been_updated(small_site: Path) -> None:
    html = read(small_site, "/alerts/flood/")
    assert "This alert has been updated." in html
    assert 'href="/alerts/flood-update/"' in html


def test_bin_change_page_tabulates_moves_across_new_year(small_site: Path) -> None:
    html = read(small_site, "/bin-changes/christmas/")
    rows = re.findall(r'<time datetime="([\d-]+)">', html)
    assert rows[:4] == ["2026-12-25", "2026-12-26", "2026-12-31", "2027-01-02"]
    assert "Thursday 31 December 2026" in html and "Saturday 2 January 2027" in html


def test_there_is_a_404_page(small_site: Path) -> None:
    assert "Page not found" in read(small_site, "/404.html")


def test_officers_text_is_escaped(tmp_path: Path) -> None:
    output = build(tmp_path, {"notices/x.md": item("notices", Slug="x", Title="Fish & <chips>")})
    html = read(output, "/notices/x/")
    assert "Fish &amp; &lt;chips&gt;" in html and "<chips>" not in html


def test_no_pelican_leftovers_are_written(small_site: Path) -> None:
    for leftover in ("tags.html", "authors.html", "categories.html", "archives.html", "drafts"):
        assert not (small_site / leftover).exists()


def test_the_example_site_has_every_page_type(example_site: Path) -> None:
    for url in (
        "/",
        "/alerts/",
        "/notices/",
        "/bin-changes/",
        "/wards/",
        "/wards/sandwich/",
        "/notices/archive/",
        "/notices/archive/2025/",
        "/about/",
        "/accessibility/",
        "/privacy/",
        "/how-to-subscribe/",
        "/pl/alerts/bird-flu-deal-beach/",
    ):
        assert "</html>" in read(example_site, url)
    assert not (example_site / "bin-changes" / "easter-bin-collections-2027").exists()


def test_every_top_level_folder_of_the_site_is_reserved_from_page_slugs(
    example_site: Path,
) -> None:
    """A page named like one of the site's own folders would overwrite it: the reserved
    names come from one list, and the built site has no folder that list misses."""
    from plugins.content_model.registry import ITEM_TYPES, RESERVED_PAGE_SLUGS
    from plugins.content_model.schema import SITE_FOLDERS

    pages = {p.stem for p in (ROOT / "content" / "pages").glob("*.md")}
    languages = {p.suffixes[0].strip(".") for p in (ROOT / "content").rglob("*.*.md")}
    for folder in (p.name for p in example_site.iterdir() if p.is_dir()):
        assert folder in {*ITEM_TYPES, *SITE_FOLDERS, *pages, *languages}, folder
        if folder not in pages:
            assert folder in RESERVED_PAGE_SLUGS or folder in languages, folder
    assert {"admin", "pagefind"} <= RESERVED_PAGE_SLUGS
