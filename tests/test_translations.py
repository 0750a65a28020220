"""A translation needs only its words: it inherits every data field it leaves out from its
original (same Slug, the default Lang), and every output sees the inherited values."""

from __future__ import annotations

import json
import re
from pathlib import Path

import feedparser
import pytest
from lxml import etree

from plugins.cap.message import CAP_NS
from plugins.govuk_theme.interface import TRANSLATIONS_DIR, catalogue
from tests.sitebuilder import build, item, read


def translation(slug: str, title: str, summary: str, *extra: str) -> str:
    """A Polish translation as a translator writes it: the prose only."""
    fields = [f"Title: {title}", f"Summary: {summary}", f"Slug: {slug}", "Lang: pl", *extra]
    return "\n".join(fields) + "\n\nSłowa po polsku.\n"


FILES = {
    "alerts/river.md": item(
        "alerts", Slug="river", Area="The Quay", Instruction="Keep away from the river."
    ),
    "alerts/river.pl.md": translation(
        "river",
        "Ostrzeżenie powodziowe",
        "Rzeka może zalać drogi.",
        "Instruction: Trzymaj się z dala od rzeki.",
    ),
    "notices/plan.md": item("notices", Slug="plan", Respond_By="2026-12-19"),
    "notices/plan.pl.md": translation("plan", "Wniosek budowlany", "Wniosek o rozbudowę."),
    "bin-changes/xmas.md": item("bin-changes", Slug="xmas"),
    "bin-changes/xmas.pl.md": translation("xmas", "Zmiany odbioru", "Odbiory o dzień później."),
}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("translations"), FILES)


def words(page: str) -> str:
    main = page.split("<main", 1)[1].split("</main>", 1)[0]
    return " ".join(re.sub(r"<[^>]+>", " ", main).split())


def test_an_alerts_translation_shows_the_originals_severity_expiry_and_wards(site: Path) -> None:
    """...in its own language: the interface text and dates are Polish."""
    page = words(read(site, "/pl/alerts/river/"))
    assert "Umiarkowany alert obowiązuje do 30 listopada 2026, 18:00" in page
    assert "Okręgi wyborcze Sandwich" in page and "Obszar The Quay" in page
    assert "Trzymaj się z dala od rzeki." in page
    # The Area it took from its original is said to be English (screen readers say it so);
    # its own Instruction is Polish, like the page.
    html = read(site, "/pl/alerts/river/")
    assert '<span lang="en" dir="ltr">The Quay</span>' in html
    assert 'lang="en" dir="ltr">Trzymaj' not in html


def test_a_notices_translation_shows_the_originals_reference_and_deadline(site: Path) -> None:
    page = words(read(site, "/pl/notices/plan/"))
    assert "Numer referencyjny DOV/26/00001" in page
    assert "Termin zgłaszania uwag 19 grudnia 2026 (można zgłaszać uwagi)" in page


def test_a_bin_changes_translation_shows_the_originals_new_days(site: Path) -> None:
    page = words(read(site, "/pl/bin-changes/xmas/"))
    assert "piątek 25 grudnia 2026 sobota 26 grudnia 2026" in page


def test_cap_gives_the_translation_its_own_words_and_the_originals_data(site: Path) -> None:
    message = etree.parse(str(site / "alerts" / "river.cap.xml"))
    ns = {"cap": CAP_NS}
    english, polish = message.findall("cap:info", ns)
    assert polish.findtext("cap:headline", namespaces=ns) == "Ostrzeżenie powodziowe"
    assert polish.findtext("cap:instruction", namespaces=ns) == "Trzymaj się z dala od rzeki."
    for data in ("severity", "expires", "area/cap:areaDesc", "area/cap:polygon"):
        assert polish.findtext(f"cap:{data}", namespaces=ns) == english.findtext(
            f"cap:{data}", namespaces=ns
        )


def test_the_language_feed_and_the_notify_manifest_carry_every_translation(site: Path) -> None:
    feed = feedparser.parse((site / "feeds" / "pl" / "all.atom.xml").read_bytes())
    assert len(feed.entries) == 3
    manifest = json.loads((site / "api" / "v1" / "notify.json").read_text())
    assert {i["id"]: [v["lang"] for v in i["versions"]] for i in manifest["items"]} == {
        "alerts/river": ["en", "pl"],
        "notices/plan": ["en", "pl"],
        "bin-changes/xmas": ["en", "pl"],
    }


# Each shipped language's feed title: the example site has an alert in every one.
SHIPPED = {
    "en": "Everything (English)",
    "cy": "Popeth (Cymraeg)",
    "pl": "Wszystko (polski)",
    "ro": "Tot (română)",
    "ar": "كل شيء (العربية)",
}


@pytest.mark.parametrize("lang", sorted(SHIPPED))
def test_each_languages_feed_is_titled_in_that_language(example_site: Path, lang: str) -> None:
    feed = feedparser.parse((example_site / "feeds" / lang / "all.atom.xml").read_bytes())
    assert feed.feed.title == f"Dover District Council: {SHIPPED[lang]}"
    assert feed.feed.get("language", lang) == lang
    assert any(e.link.endswith("/alerts/bird-flu-deal-beach/") for e in feed.entries)


def test_cap_keeps_one_info_per_language(example_site: Path) -> None:
    message = etree.parse(str(example_site / "alerts" / "bird-flu-deal-beach.cap.xml"))
    languages = [
        info.findtext(f"{{{CAP_NS}}}language") for info in message.iter(f"{{{CAP_NS}}}info")
    ]
    assert sorted(languages) == ["ar", "cy", "en-GB", "pl", "ro"]


def test_each_languages_cap_info_and_feed_categories_name_the_event_in_it(
    example_site: Path,
) -> None:
    message = etree.parse(str(example_site / "alerts" / "bird-flu-deal-beach.cap.xml"))
    events = {
        info.findtext(f"{{{CAP_NS}}}language"): info.findtext(f"{{{CAP_NS}}}event")
        for info in message.iter(f"{{{CAP_NS}}}info")
    }
    assert events == {
        "en-GB": "Public health",
        "cy": "Iechyd y cyhoedd",
        "pl": "Zdrowie publiczne",
        "ro": "Sănătate publică",
        "ar": "الصحة العامة",
    }
    feed = feedparser.parse((example_site / "feeds" / "pl" / "all.atom.xml").read_bytes())
    entry = next(e for e in feed.entries if e.link.endswith("/pl/alerts/bird-flu-deal-beach/"))
    labels = {tag.label for tag in entry.tags}
    assert {"Alert kryzysowy", "Zdrowie publiczne", "Umiarkowany"} <= labels
    # Each language's feed gives the alert's CAP event in that language too.
    atom = "{http://www.w3.org/2005/Atom}"
    for lang, event in events.items():
        folder = "en" if lang == "en-GB" else lang
        document = etree.parse(str(example_site / "feeds" / folder / "all.atom.xml"))
        entry_event = next(
            e.findtext(f"{{{CAP_NS}}}event")
            for e in document.iter(f"{atom}entry")
            if e.findtext(f"{atom}id", "").endswith("/alerts/bird-flu-deal-beach/")
        )
        assert entry_event == event, lang


@pytest.mark.parametrize("lang", sorted(set(SHIPPED) - {"en"}))
def test_each_language_has_a_home_that_marks_what_is_not_translated(
    example_site: Path, lang: str
) -> None:
    """/{lang}/: the noticeboard in that language. A translated alert is listed (and in the
    banner) in it; an item not yet translated is listed in its own language, marked in
    this one, linking to the original."""
    said = catalogue(TRANSLATIONS_DIR, lang).gettext
    page = read(example_site, f"/{lang}/")
    assert re.search(rf'<html lang="{lang}" dir="(ltr|rtl)"', page)
    for other in SHIPPED:
        href = "/" if other == "en" else f"/{other}/"
        assert f'<link rel="alternate" hreflang="{other}" href="{href}">' in page
    assert 'hreflang="x-default" href="/"' in page
    assert f'href="/{lang}/alerts/bird-flu-deal-beach/"' in page  # the banner, in this language
    notice = re.search(
        r'<h3 class="council-list__title" lang="en" dir="ltr"><a class="govuk-link" '
        r'href="/notices/([a-z0-9-]+)/" hreflang="en">',
        page,
    )
    assert notice is not None, "an untranslated notice, in English, marked as English"
    assert said("Not translated yet") != "Not translated yet" and said("Not translated yet") in page
    assert f'href="/subscriptions/subscribe?lang={lang}"' in page
    english = read(example_site, "/")
    assert f'<a class="govuk-link" href="/{lang}/" hreflang="{lang}" lang="{lang}">' in english
