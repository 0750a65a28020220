"""The example site in a real browser: accessibility (axe-core, WCAG 2.2 AA), small screens,
zoom, keyboard focus, print and no JavaScript."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, sync_playwright

from plugins.content_model.registry import ITEM_TYPES
from subscriber_lambda.core.catalogues import catalogue, language_label
from subscriber_lambda.languages import DOMAIN, TRANSLATIONS
from tests.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    axe_violations,
    has_horizontal_scroll,
    serving,
    wait_for_count,
)
from tests.sitebuilder import build, item
from tests.test_bin_days import CHRISTMAS, council
from tests.test_reach_dashboard import reach_site
from tests.test_ward_boundaries import outlines_file

pytestmark = pytest.mark.browser

KEY_PAGES = [
    "/",
    "/alerts/flood-warning-river-stour-sandwich-update/",
    "/notices/tro-castle-street-temporary-closure/",
    "/bin-changes/christmas-and-new-year-bin-collections-2026/",
    "/bin-days/",
    "/bin-days/sandwich-eastry-friday/",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: 'make test' installs Debian's chromium package")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def site_url(example_site: Path) -> Iterator[str]:
    with serving(example_site) as url:
        yield url


def every_page(site: Path) -> list[str]:
    urls = []
    for path in sorted(site.rglob("*.html")):
        relative = path.relative_to(site).as_posix()
        if relative.startswith("subscriptions/"):
            continue  # the subscription backend's page templates (one per language)
        urls.append("/" + relative.removesuffix("index.html"))
    return urls


def open_page(browser: Browser, url: str, **context: Any) -> Any:
    page = browser.new_context(**context).new_page()
    response = page.goto(url)
    assert response is not None
    return page, response


def test_key_pages_load(browser: Browser, site_url: str) -> None:
    for path in KEY_PAGES:
        page, response = open_page(browser, site_url + path)
        assert response.status == 200
        assert page.locator("h1").count() == 1
        page.context.close()


def test_every_page_has_no_axe_violations(
    browser: Browser, site_url: str, example_site: Path
) -> None:
    context = browser.new_context()
    page = context.new_page()
    failures = {}
    for path in every_page(example_site):
        page.goto(site_url + path)
        violations = axe_violations(page)
        if violations:
            failures[path] = violations
    context.close()
    assert failures == {}
    assert len(every_page(example_site)) > 40


def test_on_a_phone_every_section_of_the_menu_is_in_view(browser: Browser, site_url: str) -> None:
    """Without JavaScript too: the menu wraps, so the current section is never hidden."""
    page, _ = open_page(
        browser,
        site_url + "/meetings/",
        viewport={"width": 320, "height": 667},
        java_script_enabled=False,
    )
    links = page.locator(".council-nav__link")
    assert links.count() == len(ITEM_TYPES) + 2  # the types, "Your area" and "Search"
    for index in range(links.count()):
        box = links.nth(index).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 320
        assert box["height"] >= 24  # a target big enough to tap (WCAG 2.5.8)
    assert page.locator('.council-nav__link[aria-current="page"]').inner_text() == "Meetings"


@pytest.mark.parametrize("width", [320, 640])  # 640 CSS pixels is a 1280px window at 200% zoom
def test_no_horizontal_scrolling_on_small_screens(
    browser: Browser, site_url: str, width: int
) -> None:
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    scrolling = []
    for path in [*KEY_PAGES, "/wards/sandwich/", "/notices/", "/wards/", "/404.html"]:
        page.goto(site_url + path)
        if has_horizontal_scroll(page):
            scrolling.append(path)
    context.close()
    assert scrolling == []


def test_everything_can_be_read_and_navigated_without_javascript(
    browser: Browser, site_url: str
) -> None:
    page, _ = open_page(browser, site_url + "/", java_script_enabled=False)
    page.get_by_role("link", name="Statutory notices", exact=True).first.click()
    assert page.locator("h1").inner_text() == "Statutory notices"
    page.get_by_role(
        "link", name="Temporary closure of Castle Street, Dover for resurfacing"
    ).click()
    assert "TRO/2026/041" in page.locator(".govuk-summary-list").inner_text()
    page.get_by_role("link", name="Your area").click()
    page.get_by_role("link", name="Sandwich", exact=True).click()
    assert page.locator("h1").inner_text() == "Sandwich"
    page.context.close()


def test_a_wards_get_emails_link_opens_the_form_with_the_ward_chosen(
    browser: Browser, site_url: str
) -> None:
    page, _ = open_page(browser, site_url + "/wards/sandwich/", java_script_enabled=False)
    page.get_by_role("link", name="Get emails about this ward").click()
    assert page.locator("h1").inner_text().startswith("Get emails from")
    assert page.get_by_role("checkbox", name="Sandwich", exact=True).is_checked()
    assert not page.get_by_role("checkbox", name="Walmer", exact=True).is_checked()
    page.context.close()


def test_the_skip_link_is_first_and_visible_on_focus(browser: Browser, site_url: str) -> None:
    page, _ = open_page(browser, site_url + KEY_PAGES[2])
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "Skip to main content"
    box = page.evaluate("JSON.stringify(document.activeElement.getBoundingClientRect())")
    assert '"height":0' not in box
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main-content"
    page.context.close()


def test_focus_is_visible_on_links(browser: Browser, site_url: str) -> None:
    page, _ = open_page(browser, site_url + "/")
    for _ in range(3):
        page.keyboard.press("Tab")
    style = page.evaluate(
        "(() => { const s = getComputedStyle(document.activeElement);"
        " return [s.backgroundColor, s.boxShadow, s.outlineStyle]; })()"
    )
    background, shadow, outline = style
    assert background == "rgb(255, 221, 0)" or shadow != "none" or outline != "none"
    page.context.close()


def test_notices_print_without_navigation(browser: Browser, site_url: str) -> None:
    page, _ = open_page(browser, site_url + KEY_PAGES[2])
    page.emulate_media(media="print")
    assert not page.locator(".council-header").is_visible()
    assert not page.locator(".govuk-footer").is_visible()
    assert page.locator(".council-print-only").is_visible()
    assert page.locator(".govuk-summary-list").is_visible()
    page.context.close()


def test_unknown_addresses_get_the_404_page(browser: Browser, site_url: str) -> None:
    page, response = open_page(browser, site_url + "/alerts/no-such-alert/")
    assert response.status == 404
    assert page.locator("h1").inner_text() == "Page not found"
    page.context.close()


def test_an_items_own_heading_is_in_the_first_screen_of_a_phone(
    browser: Browser, site_url: str, example_site: Path
) -> None:
    """Whatever alerts are in force, the compact banner leaves the page's heading in view."""
    items = [
        path
        for path in every_page(example_site)
        if path.count("/") == 3 and path.split("/")[1] in ITEM_TYPES
    ]
    assert len(items) > 15
    context = browser.new_context(viewport={"width": 375, "height": 667})
    page = context.new_page()
    out_of_view = {}
    for path in items:
        page.goto(site_url + path)
        box = page.locator("h1").bounding_box()
        assert box is not None
        if box["y"] + box["height"] > 667:
            out_of_view[path] = box["y"] + box["height"]
    context.close()
    assert out_of_view == {}


def test_the_editor_starts_from_the_site_under_its_policy(browser: Browser, site_url: str) -> None:
    """The git backend cannot be reached here: the editor starts (its login), nothing is
    refused by the Content-Security-Policy and nothing is asked of another host."""
    context = browser.new_context()
    refused: list[str] = []
    elsewhere: list[str] = []
    context.on(
        "console",
        lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None,
    )
    context.on("request", lambda r: None if r.url.startswith(site_url) else elsewhere.append(r.url))
    page = context.new_page()
    page.goto(site_url + "/admin/")
    page.wait_for_function("document.getElementById('nc-root')?.childElementCount > 0")
    assert page.evaluate("typeof window.CMS.registerCustomFormat") == "function"
    assert not page.locator("[data-editor-fallback]").is_visible()
    context.close()
    assert refused == [] and elsewhere == []


def test_when_the_editor_cannot_load_the_page_says_what_to_do(
    browser: Browser, site_url: str
) -> None:
    page = browser.new_context().new_page()
    page.route("**/admin/decap-cms.js", lambda route: route.abort())
    page.goto(site_url + "/admin/")
    assert page.get_by_role("heading", name="The editor could not start").is_visible()
    page.context.close()


def test_when_the_editor_does_not_start_in_time_the_page_says_so(
    browser: Browser, site_url: str
) -> None:
    page = browser.new_context().new_page()
    page.clock.install()
    stalled = "window.CMS = {registerCustomFormat: function () {}};"  # loads, draws nothing
    page.route(
        "**/admin/decap-cms.js",
        lambda route: route.fulfill(body=stalled, content_type="text/javascript"),
    )
    page.goto(site_url + "/admin/")
    message = page.get_by_role("heading", name="The editor could not start")
    page.clock.run_for("00:19")
    assert not message.is_visible()
    page.clock.run_for("00:02")
    assert message.is_visible()
    page.context.close()


def test_without_javascript_the_editor_page_says_it_needs_it(
    browser: Browser, site_url: str
) -> None:
    page, _ = open_page(browser, site_url + "/admin/", java_script_enabled=False)
    assert "The editor needs JavaScript" in page.locator("body").inner_text()
    page.context.close()


@pytest.fixture(scope="module")
def alert_site_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Built at 28 November 2026, noon, with two alerts in force: a severe one until 8pm
    that day and a minor one until 10pm."""
    files = {
        "alerts/fire.md": item(
            "alerts",
            Slug="fire",
            Title="Moorland fire",
            Severity="severe",
            Date="2026-11-28 08:00",
            Expires="2026-11-28 20:00",
            Summary="Smoke over Whitfield.",
            Wards="whitfield",
        ),
        "alerts/bonfire.md": item(
            "alerts",
            Slug="bonfire",
            Title="Smoke from a bonfire",
            Severity="minor",
            Date="2026-11-28 09:00",
            Expires="2026-11-28 22:00",
            Summary="Smoke over Walmer.",
            Wards="walmer",
        ),
        "notices/plan.md": item("notices", Slug="plan"),
    }
    site = build(tmp_path_factory.mktemp("banner"), files, now="2026-11-28T12:00:00+00:00")
    with serving(site) as url:
        yield url


def banner_visible(browser: Browser, url: str, clock: str | None, javascript: bool = True) -> bool:
    context = browser.new_context(java_script_enabled=javascript)
    page = context.new_page()
    if clock:
        page.clock.set_fixed_time(clock)
    page.goto(url)
    page.wait_for_load_state("load")
    visible = page.locator("[data-alert-banner]").is_visible()
    context.close()
    return visible


def test_the_banner_shows_before_the_alert_expires(browser: Browser, alert_site_url: str) -> None:
    assert banner_visible(browser, alert_site_url + "/notices/plan/", "2026-11-28T19:59:00Z")


def test_the_banner_hides_itself_after_expiry_without_a_rebuild(
    browser: Browser, alert_site_url: str
) -> None:
    for path in ("/", "/notices/plan/", "/alerts/fire/", "/alerts/bonfire/"):
        assert not banner_visible(browser, alert_site_url + path, "2026-11-28T22:00:01Z"), path


def banner_text(page: Any) -> str:
    return " ".join(page.locator("[data-alert-banner]").inner_text().split())


def test_after_one_alert_expires_the_banners_show_those_left(
    browser: Browser, alert_site_url: str
) -> None:
    page = browser.new_context().new_page()
    page.clock.set_fixed_time("2026-11-28T20:30:00Z")
    page.goto(alert_site_url + "/notices/plan/")
    assert banner_text(page) == (
        "1 emergency alert in force Minor alert: Smoke from a bonfire, "
        "until 10pm on 28 November 2026. See all emergency alerts"
    )
    page.goto(alert_site_url + "/")
    assert "Moorland fire" not in banner_text(page)
    assert "Smoke from a bonfire" in banner_text(page)
    page.context.close()


def test_the_compact_banner_counts_down_while_the_page_is_open(
    browser: Browser, alert_site_url: str
) -> None:
    page = browser.new_context().new_page()
    page.clock.install(time="2026-11-28T19:58:00Z")
    page.goto(alert_site_url + "/notices/plan/")
    assert banner_text(page).startswith(
        "2 emergency alerts in force Most severe: Severe alert: Moorland fire"
    )
    page.clock.run_for("05:00")
    assert banner_text(page).startswith("1 emergency alert in force Minor alert: Smoke")
    page.clock.run_for("02:00:00")
    assert not page.locator("[data-alert-banner]").is_visible()
    page.context.close()


def test_an_alerts_page_says_it_has_expired_when_its_time_passes_while_open(
    browser: Browser, alert_site_url: str
) -> None:
    page = browser.new_context().new_page()
    page.clock.install(time="2026-11-28T19:58:00Z")
    page.goto(alert_site_url + "/alerts/fire/")
    in_force = page.get_by_text("Severe alert in force until 8pm on 28 November 2026.")
    expired = page.get_by_text("This alert expired at 8pm on 28 November 2026.")
    assert in_force.is_visible() and not expired.is_visible()
    page.clock.run_for("03:00")
    assert expired.is_visible() and not in_force.is_visible()
    page.context.close()


def test_lists_tag_an_alert_expired_once_its_time_has_passed(
    browser: Browser, alert_site_url: str
) -> None:
    page = browser.new_context().new_page()
    page.clock.set_fixed_time("2026-11-28T20:30:00Z")
    for path in ("/alerts/", "/wards/whitfield/"):
        page.goto(alert_site_url + path)
        entry = page.locator(".council-list__item", has_text="Moorland fire")
        assert entry.locator(".govuk-tag:visible").all_inner_texts() == ["Expired"], path
    page.context.close()


def test_without_javascript_the_banner_says_when_it_ends(
    browser: Browser, alert_site_url: str
) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(alert_site_url + "/notices/plan/")
    banner = page.locator("[data-alert-banner]")
    assert banner.is_visible()
    assert "until 8pm on 28 November 2026" in banner.inner_text()
    page.goto(alert_site_url + "/")
    assert "Until 8pm on 28 November 2026" in page.locator("[data-alert-banner]").inner_text()
    context.close()


@pytest.fixture(scope="module")
def postcode_site_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("postcodes")
    lookup = root / "postcodes.json"
    lookup.write_text(
        '{"source": "test", "local_authority_code": "E07000108", "ward_vintage": "WD25", '
        '"postcodes": {"CT16 1LU": "town-and-castle", "CT16 1ZZ": "buckland", '
        '"CT13 9AA": "sandwich"}}'
    )
    site = build(
        root, {"notices/plan.md": item("notices", Slug="plan")}, POSTCODES_FILE=str(lookup)
    )
    with serving(site) as url:
        yield url


def find_area(
    browser: Browser,
    url: str,
    postcode: str,
    javascript: bool = True,
    path: str = "/",
    label: str = "Find your area",
) -> Any:
    """The postcode typed into a page's form (by default the home page's "Find your area"),
    and the page it leads to."""
    page = browser.new_context(java_script_enabled=javascript).new_page()
    page.goto(url + path)
    page.get_by_label(label).fill(postcode)
    page.get_by_role("button", name="Find").click()
    page.wait_for_load_state("load")
    return page


def test_a_postcode_leads_to_its_ward(browser: Browser, postcode_site_url: str) -> None:
    page = find_area(browser, postcode_site_url, " ct16 1lu ")
    page.wait_for_url("**/wards/town-and-castle/")
    assert page.locator("h1").inner_text() == "Town and Castle"
    page.context.close()


@pytest.mark.parametrize(
    ("postcode", "message"),
    [
        ("CT1 1AA", "We could not find that postcode in our area."),
        ("CT13 9ZZ", "We could not find that postcode in our area."),
        ("hello", "Enter a real postcode, like CT16 1LU"),
        ("", "Enter your postcode"),
    ],
)
def test_an_unknown_or_wrong_postcode_gets_a_helpful_message(
    browser: Browser, postcode_site_url: str, postcode: str, message: str
) -> None:
    page = find_area(browser, postcode_site_url, postcode)
    error = page.locator("[data-postcode-error]")
    error.wait_for(state="visible")
    assert message in error.inner_text()
    assert page.evaluate("document.activeElement.name") == "postcode"
    assert axe_violations(page) == []
    page.context.close()


@pytest.mark.parametrize(
    ("postcode", "ward"), [("CT16 1LU", "Town and Castle"), ("ct13 9aa", "Sandwich")]
)
def test_without_javascript_the_postcode_typed_leads_to_its_ward(
    browser: Browser, postcode_site_url: str, postcode: str, ward: str
) -> None:
    """The form sends the postcode to the backend, which answers with the ward."""
    page = find_area(browser, postcode_site_url, postcode, javascript=False)
    assert f"{postcode.upper()} is in {ward} ward" in page.locator("main").inner_text()
    page.get_by_role("link", name=f"Alerts, notices and bin collection changes for {ward}").click()
    assert page.locator("h1").inner_text() == ward
    page.context.close()


def test_the_find_your_area_answers_have_no_axe_violations(
    browser: Browser, postcode_site_url: str
) -> None:
    page = browser.new_context().new_page()
    for postcode in ("CT16 1LU", "CT1 1AA", "nonsense"):
        page.goto(f"{postcode_site_url}/subscriptions/find-area?postcode={postcode}")
        assert axe_violations(page) == [], postcode
    page.context.close()


def test_without_javascript_an_unknown_postcode_is_said_and_the_wards_offered(
    browser: Browser, postcode_site_url: str
) -> None:
    page = find_area(browser, postcode_site_url, "CT1 1AA", javascript=False)
    assert "We could not find that postcode in our area" in page.locator("main").inner_text()
    page.get_by_role("link", name="Choose your ward from the list of wards").click()
    assert page.url.endswith("/wards/")
    page.context.close()


def test_the_postcode_areas_list_which_postcodes_are_in_which_ward(
    browser: Browser, postcode_site_url: str
) -> None:
    page = browser.new_context().new_page()
    page.goto(postcode_site_url + "/wards/#postcodes")
    split = page.get_by_role("row", name="CT16")
    split.get_by_role("link", name="Which postcodes in CT16 are in which ward").click()
    page.get_by_role("row", name="CT16 1LU").get_by_role("link", name="Town and Castle").click()
    assert page.locator("h1").inner_text() == "Town and Castle"
    page.context.close()


def test_the_postcode_area_pages_have_no_axe_violations(
    browser: Browser, postcode_site_url: str
) -> None:
    page = browser.new_context().new_page()
    for path in ("/wards/", "/wards/postcodes/CT16/"):
        page.goto(postcode_site_url + path)
        assert axe_violations(page) == [], path
    page.context.close()


def test_without_postcode_data_find_your_area_says_so_and_offers_the_wards(
    browser: Browser, site_url: str
) -> None:
    page = browser.new_context().new_page()
    page.goto(site_url + "/")
    area = page.locator(".council-find-area")
    assert "Postcodes cannot be looked up on this site yet." in area.inner_text()
    assert area.get_by_role("textbox").count() == 0
    area.get_by_role("link", name="Sandwich", exact=True).click()
    assert page.locator("h1").inner_text() == "Sandwich"
    page.goto(site_url + "/alerts/")
    page.locator(".council-find-area").get_by_role("link", name="Choose your ward").click()
    assert page.locator("h1").inner_text() == "Find what affects your area"
    page.context.close()


@pytest.fixture(scope="module")
def search_site_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    files = {
        "notices/tro.md": item(
            "notices",
            Slug="tro",
            Title="Castle Street closure",
            Reference="T/1",
            body="The carriageway will be rebuilt in January.",
        ),
        "alerts/road.md": item(
            "alerts",
            Slug="road",
            Title="Road resurfacing delays",
            Event="road-closure",
            body="Carriageway works are causing delays.",
        ),
        "alerts/old-road.md": item(
            "alerts",
            Slug="old-road",
            Title="Old roadworks",
            Date="2026-11-01 09:00",
            Expires="2026-11-02 09:00",
            body="Resurfacing has finished.",
        ),
        "bin-changes/xmas.md": item("bin-changes", Slug="xmas"),
    }
    site = build(tmp_path_factory.mktemp("search"), files, SEARCH_INDEX=True)
    with serving(site) as url:
        yield url


def test_search_finds_a_notice_by_a_word_in_its_body_and_filters_by_type(
    browser: Browser, search_site_url: str
) -> None:
    page = browser.new_context().new_page()
    page.goto(search_site_url + "/search/")
    page.get_by_placeholder("Search alerts, notices and bin collection changes").fill("January")
    results = page.locator(".pagefind-ui__result-link")
    results.first.wait_for()
    assert results.all_inner_texts() == ["Castle Street closure"]
    page.get_by_placeholder("Search alerts, notices and bin collection changes").fill("carriageway")
    wait_for_count(page, ".pagefind-ui__result-link", 2)
    page.locator(".pagefind-ui__filter-name", has_text="Type").click()
    page.get_by_label("Statutory notices").check()
    wait_for_count(page, ".pagefind-ui__result-link", 1)
    assert results.all_inner_texts() == ["Castle Street closure"]
    assert axe_violations(page) == []
    page.context.close()


def test_search_snippets_are_the_items_own_words(browser: Browser, search_site_url: str) -> None:
    page = browser.new_context().new_page()
    page.goto(search_site_url + "/search/")
    page.get_by_placeholder("Search alerts, notices and bin collection changes").fill("carriageway")
    wait_for_count(page, ".pagefind-ui__result-link", 2)
    snippets = page.locator(".pagefind-ui__result-excerpt").all_inner_texts()
    assert "The carriageway will be rebuilt in January." in " ".join(snippets)
    furniture = ["Published", "Wards", "Walmer", "Sandwich", "Reference", "Legislation"]
    furniture += ["Statutory notice", "Emergency alert", "Warning", "Moderate alert", "Severity"]
    assert [(w, s) for s in snippets for w in furniture if w in s] == []
    # A notice is still found by its reference.
    page.get_by_placeholder("Search alerts, notices and bin collection changes").fill("T/1")
    wait_for_count(page, ".pagefind-ui__result-link", 1)
    assert page.locator(".pagefind-ui__result-link").inner_text() == "Castle Street closure"
    page.context.close()


def search_statuses(page: Any, words: str, count: int) -> dict[str, str]:
    """Search, and each result's title with the tag before its excerpt."""
    page.get_by_placeholder("Search alerts, notices and bin collection changes").fill(words)
    wait_for_count(page, ".pagefind-ui__result-link", count)
    found = {}
    for result in page.locator(".pagefind-ui__result").all():
        title = result.locator(".pagefind-ui__result-link").inner_text()
        found[title] = " ".join(result.locator(".govuk-tag").all_inner_texts())
        assert not result.locator(".pagefind-ui__result-tags").count(), "meta shown as text"
    return found


def test_search_results_show_each_alerts_status(browser: Browser, search_site_url: str) -> None:
    page = browser.new_context().new_page()
    page.clock.set_fixed_time("2026-11-28T12:00:00Z")
    page.goto(search_site_url + "/search/")
    assert search_statuses(page, "resurfacing", 2) == {
        "Road resurfacing delays": "In force",
        "Old roadworks": "Expired",
    }
    assert axe_violations(page) == []
    page.context.close()
    later = browser.new_context().new_page()
    later.clock.set_fixed_time("2026-12-01T12:00:00Z")  # the first expired after the build
    later.goto(search_site_url + "/search/")
    assert set(search_statuses(later, "resurfacing", 2).values()) == {"Expired"}
    later.context.close()


def test_without_javascript_the_search_page_offers_the_lists(
    browser: Browser, search_site_url: str
) -> None:
    page = browser.new_context(java_script_enabled=False).new_page()
    page.goto(search_site_url + "/search/")
    assert "Search needs JavaScript" in page.locator("main").inner_text()
    page.get_by_role("link", name="Statutory notices", exact=True).last.click()
    assert page.locator("h1").inner_text() == "Statutory notices"
    page.context.close()


def test_the_sites_scripts_run_under_its_content_security_policy(
    browser: Browser, site_url: str, search_site_url: str, postcode_site_url: str
) -> None:
    """The policy refuses inline scripts and eval: every script the site runs (the alert
    banner, GOV.UK Frontend, search, find your area) must work without either."""
    refused: list[str] = []
    context = browser.new_context()
    context.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page = context.new_page()
    page.goto(site_url + "/")
    assert page.evaluate("document.body.classList.contains('govuk-frontend-supported')")
    page.goto(site_url + "/subscriptions/subscribe")
    page.goto(search_site_url + "/search/")
    page.get_by_placeholder("Search alerts, notices and bin collection changes").fill("January")
    page.locator(".pagefind-ui__result-link").first.wait_for()
    page.goto(postcode_site_url + "/")
    page.get_by_label("Find your area").fill("CT16 1LU")
    page.get_by_role("button", name="Find").click()
    page.wait_for_url("**/wards/town-and-castle/")
    context.close()
    assert refused == []


def test_what_a_subscription_step_says_is_in_the_first_screen_of_a_phone(
    browser: Browser, site_url: str
) -> None:
    """With alerts in force (the compact banner), a resident on a 375 px phone sees each
    step's outcome without scrolling: the problems, then 'Check your email'."""
    context = browser.new_context(viewport={"width": 375, "height": 667})
    page = context.new_page()
    page.goto(site_url + "/subscriptions/subscribe")
    page.get_by_role("button", name="Subscribe").click()
    summary = page.locator(".govuk-error-summary").bounding_box()
    assert summary is not None and summary["y"] + summary["height"] / 2 < 667
    page.get_by_label("Email address").fill("phone@example.net")
    page.get_by_role("checkbox", name="Emergency alerts").check()
    page.get_by_role("checkbox", name="The whole district").check()
    page.get_by_role("button", name="Subscribe").click()
    panel = page.locator(".govuk-panel").bounding_box()
    assert panel is not None and panel["y"] + panel["height"] < 667
    context.close()


# What each shipped language's alert page says of the alert's area, and its direction.
TRANSLATED = {
    "cy": ("Ardal", "ltr"),
    "pl": ("Obszar", "ltr"),
    "ro": ("Zona", "ltr"),
    "ar": ("المنطقة", "rtl"),
}


@pytest.mark.parametrize("lang", sorted(TRANSLATED))
def test_a_translated_alert_reads_in_its_language_with_a_switcher(
    browser: Browser, site_url: str, lang: str
) -> None:
    area, direction = TRANSLATED[lang]
    page, response = open_page(
        browser,
        f"{site_url}/{lang}/alerts/bird-flu-deal-beach/",
        viewport={"width": 375, "height": 800},
    )
    assert response.status == 200
    html = page.locator("html")
    assert (html.get_attribute("lang"), html.get_attribute("dir")) == (lang, direction)
    assert page.locator(".govuk-summary-list__key", has_text=area).count() == 1
    # Every version, and the original again as the default.
    assert page.locator("link[rel=alternate][hreflang]").count() == len(TRANSLATED) + 2
    switcher = page.locator(".council-languages")
    assert switcher.locator("[aria-current=true]").get_attribute("lang") == lang
    assert axe_violations(page) == []
    assert not has_horizontal_scroll(page)
    switcher.locator("a[hreflang=en]").click()
    page.wait_for_url(f"{site_url}/alerts/bird-flu-deal-beach/")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator(".govuk-summary-list__key", has_text="Area").count() == 1
    page.context.close()


@pytest.mark.parametrize("lang", sorted(TRANSLATED))
def test_the_subscription_form_speaks_each_language(
    browser: Browser, site_url: str, lang: str
) -> None:
    """On a phone: the form and its errors in the language, right to left in Arabic,
    axe-clean, no sideways scrolling; the language is already chosen for the emails."""
    direction = TRANSLATED[lang][1]
    said = catalogue(TRANSLATIONS, lang, DOMAIN).gettext
    page, response = open_page(
        browser,
        f"{site_url}/subscriptions/subscribe?lang={lang}",
        viewport={"width": 375, "height": 800},
    )
    assert response.status == 200
    html = page.locator("html")
    assert (html.get_attribute("lang"), html.get_attribute("dir")) == (lang, direction)
    assert page.get_by_role("radio", name=language_label(lang)).is_checked()
    # The box drawn for a checkbox is beside its touch target and label: on the right of
    # the label in a right-to-left page.
    box = page.locator(".govuk-checkboxes__input").first.bounding_box()
    label = page.locator(".govuk-checkboxes__label").first.bounding_box()
    assert box is not None and label is not None
    assert (box["x"] > label["x"]) == (direction == "rtl")
    drawn = page.evaluate(
        "() => getComputedStyle(document.querySelector('.govuk-checkboxes__label'), '::before')"
        ".right"
    )
    assert (drawn == "2px") == (direction == "rtl")
    assert axe_violations(page) == []
    assert not has_horizontal_scroll(page)
    page.get_by_role("button", name=said("Subscribe"), exact=True).click()
    summary = page.locator(".govuk-error-summary")
    assert said("There is a problem") in summary.inner_text()
    assert page.locator("html").get_attribute("dir") == direction
    assert axe_violations(page) == []
    page.context.close()


@pytest.fixture(scope="module")
def map_site_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("maps")
    files = {
        "alerts/both.md": item("alerts", Slug="both", Wards="walmer, sandwich", drop=("Polygon",)),
        "alerts/both.ar.md": "Title: تحذير من الفيضانات\nSummary: قد يفيض النهر.\nSlug: both\n"
        "Lang: ar\n\nكلمات.\n",  # noqa: RUF001
    }
    site = build(root, files, WARD_OUTLINES_FILE=str(outlines_file(root)))
    with serving(site) as url:
        yield url


@pytest.mark.parametrize("path", ["/alerts/both/", "/ar/alerts/both/", "/wards/walmer/"])
def test_maps_are_accessible_and_fit_a_phone(
    browser: Browser, map_site_url: str, path: str
) -> None:
    page, response = open_page(browser, map_site_url + path, viewport={"width": 375, "height": 800})
    assert response.status == 200
    figure = page.locator("figure.council-map-figure")
    assert figure.locator("svg[role=img]").count() == 1
    assert figure.locator("figcaption").inner_text().strip()
    box = figure.locator("svg").bounding_box()
    assert box is not None and box["width"] <= 375 and box["height"] > 50
    assert axe_violations(page) == []
    assert not has_horizontal_scroll(page)
    page.context.close()


@pytest.fixture(scope="module")
def rounds_site_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("rounds")
    site = build(root, {"bin-changes/christmas.md": CHRISTMAS}, **council(root))
    with serving(site) as url:
        yield url


def find_bin_days(browser: Browser, url: str, postcode: str, javascript: bool = True) -> Any:
    return find_area(browser, url, postcode, javascript, "/bin-days/", "Find your bin days")


def test_a_postcode_leads_to_its_rounds_page(browser: Browser, rounds_site_url: str) -> None:
    page = find_bin_days(browser, rounds_site_url, " ct14 7aa ")
    page.wait_for_url("**/bin-days/walmer-friday/")
    assert page.locator("h1").inner_text() == "Walmer, Friday"
    assert "Saturday 26 December 2026" in page.locator("main").inner_text()
    assert axe_violations(page) == []
    page.context.close()


def test_a_postcode_no_round_covers_gets_a_helpful_message(
    browser: Browser, rounds_site_url: str
) -> None:
    page = find_bin_days(browser, rounds_site_url, "CT15 5AA")
    error = page.locator("[data-postcode-error]")
    error.wait_for(state="visible")
    assert "We could not find a collection round for that postcode." in error.inner_text()
    page.context.close()


def test_a_postcode_with_rounds_for_each_service_lists_them(
    browser: Browser, rounds_site_url: str
) -> None:
    """CT14 7JP: rubbish on the Tuesday round, recycling on Walmer's: the script hands the
    postcode to the backend, which lists both."""
    page = find_bin_days(browser, rounds_site_url, "CT14 7JP")
    page.wait_for_url("**/subscriptions/find-area?**")
    main = page.locator("main").inner_text()
    assert "Your bins at CT14 7JP are collected on different rounds." in main
    links = page.locator("main dd a")
    assert sorted(links.all_inner_texts()) == ["Sandwich Tuesday", "Walmer, Friday"]
    assert axe_violations(page) == []
    page.context.close()


def test_without_javascript_a_postcode_leads_to_its_rounds_page(
    browser: Browser, rounds_site_url: str
) -> None:
    page = find_bin_days(browser, rounds_site_url, "ct14 6aa", javascript=False)
    page.wait_for_url("**/bin-days/deal-monday/")
    assert page.locator("h1").inner_text() == "Deal, Monday"
    page.context.close()


@pytest.mark.parametrize("path", ["/", "/cy/bin-days/", "/bin-days/sandwich-eastry-friday/"])
def test_on_a_phone_every_target_is_big_enough(browser: Browser, site_url: str, path: str) -> None:
    """At 320 px the language links wrap onto two rows: each stays a 24 px target."""
    context = browser.new_context(viewport={"width": 320, "height": 800})
    page = context.new_page()
    page.goto(site_url + path)
    assert axe_violations(page) == []
    context.close()


@pytest.mark.parametrize("width", [320, 1280])
def test_the_reach_dashboard_has_no_axe_violations_and_fits_a_phone(
    browser: Browser, tmp_path: Path, width: int
) -> None:
    """Its charts scale with the page; only its wide tables scroll, each in its own region."""
    with serving(reach_site(tmp_path)) as url:
        page, response = open_page(
            browser, url + "/reach/", viewport={"width": width, "height": 800}
        )
        assert response.status == 200
        assert axe_violations(page) == []
        assert not has_horizontal_scroll(page)
        for chart in page.locator("svg.council-chart").all():
            box = chart.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width
        page.context.close()
