"""Residents subscribe, confirm, change and stop in their own language: every page, error
and email of the subscription backend speaks it, chosen by a link, remembered in their
preferences, or taken from their browser; each item reaches them in it when it is
translated, and in English with a line in their language when it is not."""

from __future__ import annotations

import html
import re
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from email.message import Message
from pathlib import Path

import pytest

from plugins.govuk_theme.interface import TRANSLATIONS_DIR as THEME_TRANSLATIONS
from subscriber_lambda.core.catalogues import catalogue
from subscriber_lambda.languages import DOMAIN, TRANSLATIONS
from tests.test_subscriptions import (
    World,
    body,
    confirmation_link,
    subject,
    world_at,
)


def speaks(lang: str) -> Callable[[str], str]:
    """The backend's words in ``lang``, each checked to be translated (so a page that fell
    back to English fails)."""
    translations = catalogue(TRANSLATIONS, lang, DOMAIN)

    def said(message: str) -> str:
        text = str(translations.gettext(message))
        assert text != message, f"{lang} has no translation of {message!r}"
        return text

    return said


def opened(
    world: World, path: str, headers: dict[str, str] | None = None
) -> tuple[int, Message, str]:
    """Status, headers (any case) and page of a GET, sent with ``headers``."""
    request = urllib.request.Request(world.base + path, headers=headers or {})
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode()


def text_of(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with world_at(tmp_path) as world:
        yield world


def test_the_subscription_journey_in_welsh(world: World) -> None:
    cy = speaks("cy")
    status, headers, page = opened(world, "/subscriptions/subscribe?lang=cy")
    assert status == 200 and headers["Content-Language"] == "cy"
    assert '<html lang="cy" dir="ltr"' in page  # the site's Welsh shell
    words = text_of(page)
    assert cy("Get emails from %(council)s") % {"council": "Dover District Council"} in words
    assert cy("What do you want emails about?") in words
    assert 'action="/subscriptions/subscribe?lang=cy"' in page
    assert re.search(r'value="cy"\s+checked', page), "Welsh is the language already chosen"
    assert 'hreflang="pl" lang="pl">Polski</a>' in page  # the other languages, by name

    # A mistake is explained in Welsh, beside its field and in the page's title.
    status, page = world.post("/subscriptions/subscribe?lang=cy", {"email": "nid cyfeiriad"})
    assert status == 400
    assert f"<title>{cy('Error: %(title)s') % {'title': cy('Get emails')}}" in page
    assert cy("There is a problem") in page
    assert cy("Enter an email address in the correct format, like name@example.com") in page
    assert cy("Choose what you want emails about") in page

    resident = "cymraeg@example.net"
    fields = {"email": resident, "topics": ["alerts", "notices"], "wards": ["walmer"], "lang": "cy"}
    status, page = world.post("/subscriptions/subscribe?lang=cy", fields)
    assert status == 200 and cy("Check your email") in page
    confirmation = world.inbox.wait_for(resident, 1)[0]
    assert subject(confirmation) == cy("Confirm your email address")
    follow = (
        "To start getting them, follow this link within 7 days and select the button on the page:"
    )
    assert cy(follow) in body(confirmation, "plain")
    assert '<html lang="cy" dir="ltr">' in body(confirmation, "html")
    link = confirmation_link(confirmation)
    assert link.endswith("&lang=cy")

    status, page = world.get(link)
    assert cy("Confirm and subscribe") in page and '<html lang="cy"' in page
    status, page = world.confirm(link)
    assert status == 200 and cy("You are subscribed") in page
    assert "Cymraeg" in text_of(page)  # the language they chose, among their choices

    # An alert with no Welsh version: in English, saying so in Welsh, with Welsh links.
    world.clock.now = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    world.notify()
    alert = world.inbox.to(resident)[1]
    theme = catalogue(THEME_TRANSLATIONS, "cy")
    severity = theme.gettext("%(severity)s alert:") % {"severity": theme.gettext("Moderate")}
    assert subject(alert) == f"{severity} Flood alert: River Stour"
    welsh_line, rest = body(alert, "plain").split("\r\n", 1)
    assert welsh_line and "Saesneg" in welsh_line  # "...in English", in Welsh
    assert theme.gettext("Change what you get:") in rest  # its links in Welsh
    manage_url = re.search(r"(http://\S+/subscriptions/manage\?token=\S+)", body(alert, "plain"))
    assert manage_url is not None and manage_url.group(1).endswith("&lang=cy")
    assert alert["List-Unsubscribe"].strip("<>").endswith("&lang=cy")

    status, page = world.get(manage_url.group(1))
    assert status == 200 and cy("Your emails") in page and cy("Save changes") in page

    # Asking for a link to change them, in Welsh: the email is Welsh too.
    status, page = world.post("/subscriptions/manage-link?lang=cy", {"email": resident})
    assert status == 200 and cy("Check your email") in page
    change = world.inbox.wait_for(resident, 3)[-1]
    assert subject(change) == cy("Change the emails you get")

    unsubscribe = alert["List-Unsubscribe"].strip("<>").removeprefix(world.base)
    status, page = world.get(unsubscribe)
    assert cy("We will stop sending you emails and delete your email address.") in page
    status, page = world.post(unsubscribe, {"List-Unsubscribe": "One-Click"})
    assert status == 200 and cy("You are unsubscribed") in page


def test_the_browsers_language_is_the_default_and_a_link_chooses_another(world: World) -> None:
    _, headers, page = opened(
        world, "/subscriptions/subscribe", {"Accept-Language": "pl-PL,pl;q=0.9,en;q=0.5"}
    )
    assert headers["Content-Language"] == "pl" and "Accept-Language" in headers["Vary"]
    assert speaks("pl")("What do you want emails about?") in page
    assert re.search(r'value="pl"\s+checked', page)
    _, headers, page = opened(world, "/subscriptions/subscribe?lang=en", {"Accept-Language": "pl"})
    assert headers["Content-Language"] == "en" and "What do you want emails about?" in page
    _, headers, _ = opened(world, "/subscriptions/subscribe", {"Accept-Language": "xx, fr"})
    assert headers["Content-Language"] == "en"  # none it speaks: English
    _, headers, page = opened(world, "/subscriptions/subscribe?lang=zz")
    assert headers["Content-Language"] == "en"  # a language it does not speak: English


def test_a_problem_page_speaks_arabic_right_to_left(world: World) -> None:
    ar = speaks("ar")
    status, headers, page = opened(
        world, "/subscriptions/confirm?token=nonsense", {"Accept-Language": "ar"}
    )
    assert status == 400 and headers["Content-Language"] == "ar"
    assert '<html lang="ar" dir="rtl"' in page and ar("This link does not work") in page
    request = urllib.request.Request(
        world.base + "/subscriptions/subscribe", method="PUT", headers={"Accept-Language": "ar"}
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request)
    assert refused.value.code == 405
    assert ar("This page does not do that") in refused.value.read().decode()


def test_an_arabic_subscriber_gets_the_english_version_with_the_line_in_arabic(
    world: World,
) -> None:
    world.subscribe("arabic@example.net", lang="ar")
    world.subscribe("polish@example.net", lang="pl")
    world.clock.now = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    world.notify()
    confirmation = world.inbox.to("arabic@example.net")[0]
    assert subject(confirmation) == speaks("ar")("Confirm your email address")
    assert '<html lang="ar" dir="rtl">' in body(confirmation, "html")
    arabic = world.inbox.to("arabic@example.net")[1]
    assert subject(arabic).endswith(": Flood alert: River Stour")
    assert re.search("[\u0600-\u06ff]", subject(arabic)), "framed in Arabic"
    line = body(arabic, "plain").split("\r\n", 1)[0]
    assert re.search("[\u0600-\u06ff]", line), "the first line is in Arabic"
    assert f'lang="ar" dir="auto">{line}</p>' in body(arabic, "html")
    polish = world.inbox.to("polish@example.net")[1]
    assert subject(polish) == "Umiarkowany alert: Alarm powodziowy w Walmer"


def test_a_welsh_daily_summary_is_in_welsh(world: World) -> None:
    world.subscribe(
        "dyddiol@example.net", topics=["notices"], wards=["all"], frequency="daily", lang="cy"
    )
    world.clock.now = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    world.notify()
    digester = world.digester()
    assert digester.run("daily").sent == 1
    digest = world.inbox.to("dyddiol@example.net")[-1]
    cy = catalogue(TRANSLATIONS, "cy", DOMAIN)
    expected = cy.ngettext(
        "Your daily summary from %(council)s: %(num)s new item",
        "Your daily summary from %(council)s: %(num)s new items",
        1,
    ) % {"council": "Dover District Council", "num": 1}
    assert subject(digest) == expected and "new item" not in expected
    assert '<html lang="cy" dir="ltr">' in body(digest, "html")
    assert speaks("cy")("Change what you get") in body(digest, "plain")


def test_a_welsh_councils_pages_are_welsh_unless_a_resident_chooses_otherwise(
    tmp_path: Path,
) -> None:
    """With the site in Welsh (INTERFACE_LANG cy), as the Welsh Language Standards ask."""
    with world_at(tmp_path, settings={"INTERFACE_LANG": "cy"}) as world:
        _, headers, page = opened(world, "/subscriptions/subscribe")
        assert headers["Content-Language"] == "cy" and '<html lang="cy"' in page
        assert 'action="/subscriptions/subscribe"' in page  # its own language: no ?lang=
        _, headers, page = opened(world, "/subscriptions/subscribe?lang=en")
        assert headers["Content-Language"] == "en" and '<html lang="en"' in page
        assert 'action="/subscriptions/subscribe?lang=en"' in page  # English kept
        _, headers, _ = opened(world, "/subscriptions/subscribe", {"Accept-Language": "en-GB"})
        assert headers["Content-Language"] == "en"


def test_a_missing_page_is_said_in_the_language_of_its_section_or_browser(
    world: World,
) -> None:
    status, _, page = opened(world, "/cy/nothing-here/")
    assert status == 404 and '<html lang="cy"' in page
    status, headers, page = opened(world, "/subscriptions/nowhere", {"Accept-Language": "ar"})
    assert status == 404 and '<html lang="ar" dir="rtl"' in page
    assert headers["Content-Language"] == "ar" and "Accept-Language" in headers["Vary"]
    assert headers["Cache-Control"] == "no-store"
    status, _, page = opened(world, "/nothing-here/")
    assert status == 404 and '<html lang="en"' in page
