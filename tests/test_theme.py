"""The theme: the council's brand on GOV.UK Frontend, never GOV.UK's own identity, and every
piece of interface text through gettext."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from noticeboard.build_css import BrandError, check_brand_colour
from noticeboard.build_css import build as build_css
from plugins.govuk_theme.bidi import isolate_numbers
from plugins.govuk_theme.interface import catalogue, catalogue_path, shipped_languages
from plugins.govuk_theme.pagination import page_numbers
from tests.sitebuilder import ROOT, build, item, read


def test_the_brand_colour_must_contrast_with_white_text() -> None:
    assert check_brand_colour("#00594F") == "#00594f"
    with pytest.raises(BrandError) as refused:
        check_brand_colour("#ffdd00")
    assert str(refused.value) == (
        "pelicanconf.py: BRAND_COLOUR: #ffdd00 gives 1.3:1 contrast with white text; "
        "WCAG needs 4.5:1, choose a darker shade"
    )
    with pytest.raises(BrandError, match="is not a colour like #00594f"):
        check_brand_colour("teal")


def test_another_council_rebrands_by_configuration(tmp_path: Path) -> None:
    (tmp_path / "content").mkdir()
    settings = tmp_path / "pelicanconf.py"
    settings.write_text(
        (ROOT / "pelicanconf.py")
        .read_text()
        .replace('BRAND_COLOUR = "#00594f"', 'BRAND_COLOUR = "#4c2c92"')
        .replace("HERE = Path(__file__).resolve().parent", f"HERE = Path({str(ROOT)!r})")
    )
    css = build_css(str(settings), tmp_path / "build").read_text()
    assert "#4c2c92" in css.lower()
    assert "#00594f" not in css.lower()


def test_the_css_uses_arial_and_never_gds_transport(example_site: Path) -> None:
    css = (example_site / "theme" / "build" / "noticeboard.css").read_text()
    assert "GDS Transport" not in css
    assert re.search(r"font-family:\s*arial,\s*sans-serif", css)


def test_no_gov_uk_identity_is_published(example_site: Path) -> None:
    names = [p.name for p in example_site.rglob("*")]
    assert not [n for n in names if "govuk-crest" in n or "govuk-icon" in n or n.endswith(".woff2")]
    home = read(example_site, "/")
    for marker in ("govuk-header__logotype", "govuk-logo", "crown", "GOV.UK"):
        assert marker not in home


def test_the_council_logo_and_name_are_in_the_header(example_site: Path) -> None:
    header = (
        read(example_site, "/").split('<header class="council-header">')[1].split("</header>")[0]
    )
    assert 'src="/theme/images/logo.svg" alt="Dover District Council"' in header


def write_catalogue(folder: Path, lang: str, messages: dict[str, str]) -> Path:
    catalogue = Catalog(locale=lang)
    for msgid, msgstr in messages.items():
        catalogue.add(msgid, msgstr)
    target = folder / lang / "LC_MESSAGES"
    target.mkdir(parents=True, exist_ok=True)
    with (target / "messages.po").open("wb") as handle:
        write_po(handle, catalogue)
    return folder


# Each catalogue's folder, and where its messages are used: as `make extract-messages`
# reads them (the site's templates and plugins; the subscription backend).
CATALOGUES = {
    "messages": (ROOT / "theme" / "translations", ("theme/templates", "plugins")),
    "subscriptions": (ROOT / "subscriber_lambda" / "translations", ("subscriber_lambda",)),
}
KEYWORDS = {"_": None, "N_": None, "gettext": None, "ngettext": (1, 2)}


def used_messages(domain: str) -> set[str]:
    """The messages (plural ones by their singular) the code and templates of ``domain``
    use."""
    found = set()
    for source in CATALOGUES[domain][1]:
        for _, _, message, _, _ in extract_from_dir(
            str(ROOT / source),
            method_map=[("**.html", "jinja2"), ("**.txt", "jinja2"), ("**.py", "python")],
            options_map={
                pattern: {"extensions": "jinja2.ext.i18n,jinja2.ext.do"}
                for pattern in ("**.html", "**.txt")
            },
            keywords=KEYWORDS,
        ):
            found.add(message if isinstance(message, str) else message[0])
    return found


def template_messages() -> set[str]:
    return used_messages("messages")


def welsh_notice(tmp_path: Path, messages: dict[str, str]) -> str:
    """A notice's page, built with INTERFACE_LANG cy and a Welsh catalogue of ``messages``."""
    translations = write_catalogue(tmp_path / "translations", "cy", messages)
    output = build(
        tmp_path / "site",
        {"notices/plan.md": item("notices", Slug="plan")},
        INTERFACE_LANG="cy",
        INTERFACE_TRANSLATIONS=str(translations),
    )
    return read(output, "/notices/plan/")


def test_a_catalogue_translates_the_interface(tmp_path: Path) -> None:
    messages = {"Skip to main content": "Neidio i'r prif gynnwys", "Reference": "Cyfeirnod"}
    html = welsh_notice(tmp_path, messages)
    assert "Neidio i'r prif gynnwys" in html
    assert "Cyfeirnod" in html
    assert '<html lang="cy"' in html


def test_every_piece_of_interface_text_goes_through_gettext(tmp_path: Path) -> None:
    """Build with a pseudo-language that brackets every message: no bare text remains in
    the site's furniture (header, navigation, breadcrumbs, labels, footer)."""
    messages = {m: f"[{m}]" for m in template_messages()}
    translations = write_catalogue(tmp_path / "translations", "cy", messages)
    output = build(
        tmp_path / "site",
        {
            "alerts/a.md": item("alerts", Slug="a", Area="Riverside"),
            "notices/n.md": item("notices", Slug="n"),
        },
        INTERFACE_LANG="cy",
        INTERFACE_TRANSLATIONS=str(translations),
    )
    for url in ("/", "/alerts/a/", "/notices/n/"):
        html = read(output, url)
        furniture = [
            *re.findall(r'class="govuk-link council-nav__link"[^>]*>([^<]+)<', html),
            *re.findall(r'<dt class="govuk-summary-list__key">\s*([^<]+?)\s*</dt>', html),
            *re.findall(r'<h2 class="govuk-[^"]*">([^<]+)</h2>', html),
            *re.findall(r'class="govuk-skip-link"[^>]*>([^<]+)<', html),
            *re.findall(r'class="govuk-breadcrumbs__link"[^>]*>([^<]+)<', html),
        ]
        assert furniture, url
        assert [text for text in furniture if not text.strip().startswith("[")] == [], url


@pytest.mark.parametrize("domain", sorted(CATALOGUES))
def test_the_message_template_is_up_to_date(domain: str) -> None:
    with (CATALOGUES[domain][0] / f"{domain}.pot").open("rb") as handle:
        in_pot = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}
    missing = used_messages(domain) - in_pot
    assert not missing, f"run 'make extract-messages': {sorted(missing)[:5]}"


@pytest.mark.parametrize(
    ("current", "total", "expected"),
    [
        (1, 1, [1]),
        (1, 3, [1, 2, 3]),
        (1, 20, [1, 2, None, 20]),
        (5, 20, [1, None, 4, 5, 6, None, 20]),
        (3, 20, [1, 2, 3, 4, None, 20]),
        (20, 20, [1, None, 19, 20]),
    ],
)
def test_long_lists_link_a_few_pages_not_all(
    current: int, total: int, expected: list[int | None]
) -> None:
    assert page_numbers(current, total) == expected


SHIPPED = ("cy", "pl", "ro", "ar")
PLACEHOLDER = re.compile(r"%\([a-z_]+\)s|\{[a-z_]+\}|<[^>]+>")


@pytest.mark.parametrize("domain", sorted(CATALOGUES))
def test_the_site_and_the_subscription_pages_speak_the_same_languages(domain: str) -> None:
    assert shipped_languages(CATALOGUES[domain][0], domain) == ["en", *sorted(SHIPPED)]


@pytest.mark.parametrize("domain", sorted(CATALOGUES))
@pytest.mark.parametrize("lang", SHIPPED)
def test_a_shipped_catalogue_has_every_message_used(domain: str, lang: str) -> None:
    """Complete, with its placeholders (and any markup), and saying who translated it and
    that a council should have it reviewed: the site's and the subscription backend's."""
    path = catalogue_path(CATALOGUES[domain][0], lang, domain)
    header = " ".join(
        line.lstrip("# ").strip()
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.startswith("# ")
    )
    assert "machine assistance" in header and "should have it reviewed" in header
    with path.open("rb") as handle:
        catalogue = read_po(handle)
    translated = {
        (m.id if isinstance(m.id, str) else m.id[0]): m
        for m in catalogue
        if m.id
        and not m.fuzzy
        and all(str(s).strip() for s in (m.string if isinstance(m.string, tuple) else [m.string]))
    }
    missing = sorted(used_messages(domain) - set(translated))
    assert not missing, f"{lang}: untranslated {missing[:5]}: run 'make extract-messages'"
    for msgid, message in translated.items():
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(PLACEHOLDER.findall(" ".join(ids)))
        for string in strings:
            assert set(PLACEHOLDER.findall(string)) == wanted, f"{lang}: {msgid!r}"


def test_a_message_a_catalogue_lacks_reads_in_english(tmp_path: Path) -> None:
    html = welsh_notice(tmp_path, {"Reference": "Cyfeirnod"})
    assert "Cyfeirnod" in html and "Skip to main content" in html  # English, not a key


def test_numbers_keep_their_order_in_right_to_left_text() -> None:
    isolated = isolate_numbers(
        "<p>اتصل على 03459 33 55 77 الآن</p><pre>12 34</pre><p>Ref <code>A 1 2</code> 9-10</p>"
    )
    assert isolated == (
        '<p>اتصل على <bdi dir="ltr">03459 33 55 77</bdi> الآن</p><pre>12 34</pre>'
        '<p>Ref <code>A 1 2</code> <bdi dir="ltr">9-10</bdi></p>'
    )
    assert isolate_numbers("<p>no digits</p>") == "<p>no digits</p>"


def test_an_arabic_pages_numbers_are_isolated_and_an_english_pages_are_not(
    example_site: Path,
) -> None:
    arabic = read(example_site, "/ar/alerts/bird-flu-deal-beach/")
    assert '<bdi dir="ltr">03459 33 55 77</bdi>' in arabic
    english = read(example_site, "/alerts/bird-flu-deal-beach/")
    assert "helpline on 03459 33 55 77." in english


def test_an_edited_catalogue_is_read_again(tmp_path: Path) -> None:
    """make preview rebuilds in one process: a translator's correction must show."""
    folder = write_catalogue(tmp_path / "translations", "cy", {"Reference": "Cyfeirnod"})
    assert catalogue(folder, "cy").gettext("Reference") == "Cyfeirnod"
    po = catalogue_path(folder, "cy")
    po.unlink()
    write_catalogue(folder, "cy", {"Reference": "Cyfeirnod y cyngor"})
    os.utime(po, ns=(po.stat().st_mtime_ns + 1_000_000, po.stat().st_mtime_ns + 1_000_000))
    assert catalogue(folder, "cy").gettext("Reference") == "Cyfeirnod y cyngor"


def test_an_arabic_alerts_summary_and_area_keep_their_numbers_in_order(tmp_path: Path) -> None:
    files = {
        "alerts/flood.md": item("alerts", Slug="flood"),
        "alerts/flood.ar.md": item(
            "alerts",
            Slug="flood",
            Lang="ar",
            Title="تحذير من الفيضانات",
            Summary="اتصل على 0800 80 70 60 للمساعدة.",
            Area="الطريق A258 بين 10 و 12 شارع القلعة",
        ),
    }
    page = read(build(tmp_path, files), "/ar/alerts/flood/")
    assert '<bdi dir="ltr">0800 80 70 60</bdi>' in page
    assert '<bdi dir="ltr">10</bdi> و <bdi dir="ltr">12</bdi>' in page


def test_an_arabic_notices_reference_and_location_and_a_meetings_venue_keep_their_order(
    tmp_path: Path,
) -> None:
    files = {
        "notices/plan.md": item("notices", Slug="plan"),
        "notices/plan.ar.md": item(
            "notices", Slug="plan", Lang="ar", Title="طلب تخطيط", Location="12 شارع القلعة"
        ),
        "meetings/m.md": item("meetings", Slug="m"),
        "meetings/m.ar.md": item(
            "meetings", Slug="m", Lang="ar", Title="اجتماع", Venue="الغرفة 2.05، مبنى المجلس"
        ),
    }
    site = build(tmp_path, files)
    notice = read(site, "/ar/notices/plan/")
    assert '<bdi dir="ltr">DOV/26/00001</bdi>' in notice
    assert '<bdi dir="ltr">12</bdi> شارع القلعة' in notice
    assert 'الغرفة <bdi dir="ltr">2.05</bdi>، مبنى المجلس' in read(site, "/ar/meetings/m/")
