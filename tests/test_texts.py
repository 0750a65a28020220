"""Text messages cost what providers charge: parts counted for GSM-7 and UCS-2, and every
item's text fits two parts, rendered at build time into the notify manifest."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from subscriber_lambda.core.texts import (
    POST_MAX_GRAPHEMES,
    STOP_CODE_LENGTH,
    fit_post,
    fit_text,
    graphemes,
    stop_line,
    text_length,
)
from tests.sitebuilder import build, item


@pytest.mark.parametrize(
    ("text", "encoding", "units", "segments"),
    [
        ("", "GSM-7", 0, 0),
        ("a" * 160, "GSM-7", 160, 1),  # one part holds 160 septets
        ("a" * 161, "GSM-7", 161, 2),  # split: 153 a part
        ("a" * 306, "GSM-7", 306, 2),
        ("a" * 307, "GSM-7", 307, 3),
        ("€" * 80, "GSM-7", 160, 1),  # the extension table costs two septets
        ("{" * 81, "GSM-7", 162, 2),
        ("Zamknięta droga", "UCS-2", 15, 1),  # one Polish letter: UCS-2
        ("ł" * 70, "UCS-2", 70, 1),
        ("ł" * 71, "UCS-2", 71, 2),  # split: 67 a part
        ("ł" * 134, "UCS-2", 134, 2),
        ("ł" * 135, "UCS-2", 135, 3),
        ("طريق مغلق", "UCS-2", 9, 1),  # Arabic
        ("🌊" * 35, "UCS-2", 70, 1),  # outside the BMP: two code units each
        ("🌊" * 36, "UCS-2", 72, 2),
    ],
)
def test_parts_are_counted_as_providers_count_them(
    text: str, encoding: str, units: int, segments: int
) -> None:
    length = text_length(text)
    assert (length.encoding, length.units, length.segments) == (encoding, units, segments)


SITE = "https://www.example.org"
LINK = f"{SITE}/alerts/flood-warning-river-stour/"


def test_a_text_keeps_what_fits_most_important_first() -> None:
    lines = [
        "Severe alert: Flood warning",
        "Area: Sandwich",
        "Move to higher ground." * 20,  # too long: left out, and the next line still kept
        "Until 6pm on 30 November 2026.",
    ]
    text = fit_text(lines, LINK, SITE)
    assert (
        text
        == f"Severe alert: Flood warning\nArea: Sandwich\nUntil 6pm on 30 November 2026.\n{LINK}"
    )
    assert text_length(text).segments <= 2


def test_a_headline_too_long_is_shortened_at_a_word_and_the_link_kept_whole() -> None:
    text = fit_text(["Severe alert: " + "verylong " * 40 + "end"], LINK, SITE)
    assert text.endswith(f"verylong...\n{LINK}") and text.startswith("Severe alert: verylong")
    assert text_length(text).segments == 2


def test_emoji_are_left_out_of_texts_so_they_keep_their_room() -> None:
    text = fit_text(["Storm Bert returns \U0001f32c\ufe0f", "Area: Deal"], LINK, SITE)
    assert text == f"Storm Bert returns\nArea: Deal\n{LINK}"
    assert text_length(text).encoding == "GSM-7"


def test_plain_punctuation_keeps_an_english_text_in_gsm_7() -> None:
    typeset = "Flood warning \u2013 don\u2019t drive through \u201cflood water\u201d\u2026"
    text = fit_text([typeset], LINK, SITE)
    assert text.startswith('Flood warning - don\'t drive through "flood water"...')
    assert text_length(text).encoding == "GSM-7"
    polish = fit_text(["Powódź w Sandwich"], f"{SITE}/pl/alerts/flood/", SITE)
    assert polish.startswith("Powódź w Sandwich\n") and text_length(polish).encoding == "UCS-2"


def test_a_text_leaves_room_for_the_stop_link_the_backend_adds() -> None:
    lines = ["Severe flood warning: River Stour", "Area: Sandwich", "Leave now. " * 17]
    text = fit_text(lines, LINK, SITE)
    sent = f"{text}\n{stop_line(SITE, 'abcdefghij')}"
    assert text_length(sent).segments <= 2
    assert "Leave now" not in text  # it would not have fitted beside the stop link
    assert stop_line(SITE, "abcdefghij") == ("Stop: https://www.example.org/s?c=abcdefghij")


def test_every_item_in_the_manifest_has_its_text_within_two_parts(tmp_path: Path) -> None:
    files = {
        "alerts/flood.md": item(
            "alerts",
            Slug="flood",
            Instruction="Move valuables upstairs and keep away from the river. " * 6,
        ),
        "alerts/flood.pl.md": item(
            "alerts",
            Slug="flood",
            Lang="pl",
            Title="Ostrzeżenie powodziowe: rzeka Stour",
            Summary="Rzeka może zalać drogi.",
            Instruction="Przenieś cenne rzeczy na piętro. " * 2,
        ),
        "meetings/m.md": item("meetings", Slug="m", Date="2026-11-27 09:00"),
    }
    manifest = json.loads((build(tmp_path, files) / "api" / "v1" / "notify.json").read_text())
    texts = {(i["id"], v["lang"]): v["text"] for i in manifest["items"] for v in i["versions"]}
    assert texts[("alerts/flood", "en")] == {
        "body": "Moderate alert: Flood alert: River Stour\nArea: Sandwich\n"
        "Until 6pm on 30 November 2026.\nhttp://127.0.0.1:8000/alerts/flood/",
        "encoding": "GSM-7",
        "segments": 2,  # with the stop link
        "stop": "Stop",
    }
    polish = texts[("alerts/flood", "pl")]
    assert (polish["encoding"], polish["segments"]) == ("UCS-2", 2)
    assert polish["body"].endswith("\nhttp://127.0.0.1:8000/pl/alerts/flood/")
    assert "Przenieś" not in polish["body"]  # left out: two UCS-2 parts hold 134 units
    assert texts[("meetings/m", "en")]["body"].startswith("Public meeting: Planning committee\n")
    stop = stop_line("http://127.0.0.1:8000", "x" * STOP_CODE_LENGTH)
    for text in texts.values():
        assert text_length(f"{text['body']}\n{stop}").segments == text["segments"] <= 2
    # Texts for residents whose language an item is not in: also within two parts, with
    # the stop link's word in their language; or none, and they get the original's.
    fallbacks = [t for i in manifest["items"] for t in i["texts_not_translated"].values()]
    assert fallbacks
    for text in fallbacks:
        sent = f"{text['body']}\n{stop_line('http://127.0.0.1:8000', 'x' * 10, text['stop'])}"
        assert text_length(sent).segments == text["segments"] <= 2
        assert len(text["body"].splitlines()) > 2  # the line, some of the headline, the link
    posts = {
        (i["id"], v["lang"]): v["post"]["body"] for i in manifest["items"] for v in i["versions"]
    }
    assert posts[("alerts/flood", "pl")].startswith("Umiarkowany alert: Ostrzeżenie powodziowe")
    assert "Przenieś cenne rzeczy" in posts[("alerts/flood", "pl")]  # a post has more room
    assert all(graphemes(post) <= POST_MAX_GRAPHEMES for post in posts.values())


def test_a_post_counts_what_readers_see_as_one_character() -> None:
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # one emoji of five code points
    assert graphemes(family) == 1 and graphemes("e\u0301") == 1
    post = fit_post(["Flood" + f" warning {family}" * 100], LINK)
    assert 250 < graphemes(post) <= POST_MAX_GRAPHEMES and post.endswith(f"{family}\u2026\n{LINK}")
    assert "\u2019" in fit_post(["Don\u2019t drive"], LINK)  # posts keep their typography


def test_a_text_that_loses_its_headline_is_reported_at_build(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    files = {
        "alerts/flood-warning-for-the-river-stour-at-sandwich.pl.md": item(
            "alerts",
            Slug="flood-warning-for-the-river-stour-at-sandwich",
            Lang="pl",
            Title="Poważne ostrzeżenie powodziowe dla rzeki Stour w Sandwich",
        ),
        "alerts/flood-warning-for-the-river-stour-at-sandwich.md": item(
            "alerts", Slug="flood-warning-for-the-river-stour-at-sandwich"
        ),
    }
    with caplog.at_level("WARNING", logger="plugins.open_data"):
        build(tmp_path, files)
    warned = [r.getMessage() for r in caplog.records if "shorten the Title" in r.getMessage()]
    assert len(warned) == 1  # the file's path, as the content check gives it
    assert (
        "alerts/flood-warning-for-the-river-stour-at-sandwich.pl.md: its text message"
        in (warned[0])
    )
