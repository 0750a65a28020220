"""Short messages: how many parts (segments) a text message costs and how long a social
post is, each counted as its network counts, and fitting an item's lines into them.

A text is sent in the GSM 03.38 7-bit alphabet when every character is in it (160
characters in one part; 153 a part once split, the rest carrying the header that joins
them; characters of the alphabet's extension table, such as € and {, take two), and
otherwise in UCS-2 (70 UTF-16 code units in one part, 67 a part once split; a character
outside the Basic Multilingual Plane, such as most emoji, takes two). So one Polish letter
or one emoji more than halves what a part holds: counting must be exact. The alphabet is
3GPP TS 23.038's; no well-kept Python library counts it, so it is written out here.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import regex

# GSM 03.38 basic character set (default alphabet), as Unicode.
GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# The extension table: each costs an escape character and itself.
GSM_EXTENSION = frozenset("\f^{}\\[~]|€")

# Typography that has a plain equivalent in the GSM alphabet: written plainly, an English
# text with a curly apostrophe or a dash stays in GSM-7 (twice the room), as GOV.UK Notify
# also does. Letters are never changed: a Polish ł keeps the text in UCS-2.
PLAIN_PUNCTUATION = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2026": "...",
        "\u00a0": " ",
        "\u202f": " ",
        "\t": " ",
    }
)

# What joins or styles pictographs: left out with them.
EMOJI_JOINERS = frozenset("\u200d\ufe0e\ufe0f\u20e3")

SINGLE = {"GSM-7": 160, "UCS-2": 70}
PER_PART = {"GSM-7": 153, "UCS-2": 67}
MAX_SEGMENTS = 2  # a text's budget: headline, area and a link fit in two parts
ELLIPSIS = "..."  # in the GSM alphabet, unlike "…"
# A post's budget: Bluesky counts graphemes (what a reader sees as one character) and
# allows 300, the link's whole text included; Mastodon allows 500 characters, counting
# a link as 23. What fits the first fits both.
POST_MAX_GRAPHEMES = 300
GRAPHEME = regex.compile(r"\X")
# The route of a text's stop link (web.py): at the site's root, so that a text in UCS-2
# (134 characters in two parts) still has room for a headline beside two links.
STOP_PATH = "/s?c="
STOP_CODE_LENGTH = 10  # characters (50 bits) of the code in it (core.phones.stop_code)


STOP_LABEL = "Stop"  # before the stop link, unless the text says it in its language


def stop_line(site_url: str, code: str, label: str = STOP_LABEL) -> str:
    """The last line of every text: the number's own short link that stops texts, after
    ``label`` (the word for stop in the text's language)."""
    return f"{label}: {site_url.rstrip('/')}{STOP_PATH}{code}"


@dataclass(frozen=True)
class TextLength:
    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets, or UTF-16 code units
    segments: int


def text_length(text: str) -> TextLength:
    """The encoding a text goes in, its length in that encoding's units, and its parts."""
    if all(c in GSM_BASIC or c in GSM_EXTENSION for c in text):
        encoding, units = "GSM-7", sum(2 if c in GSM_EXTENSION else 1 for c in text)
    else:
        encoding, units = "UCS-2", len(text.encode("utf-16-le")) // 2
    if units <= SINGLE[encoding]:
        return TextLength(encoding, units, 1 if units else 0)
    return TextLength(encoding, units, -(-units // PER_PART[encoding]))


def graphemes(text: str) -> int:
    """Characters as a reader sees them: an emoji with its modifiers, a letter with its
    combining accents, each count once (Unicode's extended grapheme clusters)."""
    return len(GRAPHEME.findall(text))


def plain_text(line: str) -> str:
    """A line as a text message writes it: typography with a plain equivalent written
    plainly, and pictographs (emoji, symbols and their joiners) left out, since one of them
    puts the whole text in UCS-2, halving its room."""
    line = line.translate(PLAIN_PUNCTUATION)
    kept = (c for c in line if unicodedata.category(c) != "So" and c not in EMOJI_JOINERS)
    return " ".join("".join(kept).split())


def fit_text(
    lines: Sequence[str],
    link: str,
    site_url: str,
    max_segments: int = MAX_SEGMENTS,
    stop_label: str = STOP_LABEL,
    heading: str = "",
) -> str:
    """A text message of ``lines`` and the link, written plainly (``plain_text``), that
    fits in at most ``max_segments`` parts (see ``fit``) once the backend adds the stop
    link of the site at ``site_url`` (``stop_line``; every code is as long). A
    ``heading`` comes first, whole, before all of them (a line saying what language the
    rest is in)."""
    plain = [plain_text(line) for line in lines]
    reserve = "\n" + stop_line(site_url, "x" * STOP_CODE_LENGTH, stop_label)
    first = f"{plain_text(heading)}\n" if heading else ""

    def fits(text: str) -> bool:
        return text_length(first + text + reserve).segments <= max_segments

    return first + fit(plain, link, fits, ELLIPSIS)


def sent_length(body: str, site_url: str, stop_label: str = STOP_LABEL) -> TextLength:
    """A text's length as residents receive it: with its stop link (every code is as
    long)."""
    return text_length(f"{body}\n{stop_line(site_url, 'x' * STOP_CODE_LENGTH, stop_label)}")


def fit_post(lines: Sequence[str], link: str) -> str:
    """A social post of ``lines`` and the link within every network's limit."""
    return fit(lines, link, lambda text: graphemes(text) <= POST_MAX_GRAPHEMES, "\u2026")


def fit(lines: Sequence[str], link: str, fits: Callable[[str], bool], ellipsis: str) -> str:
    """``lines`` (most important first: the headline, then the area, what to do, when it
    ends) and the link, as much as ``fits``: after the headline, each line is kept if it
    still fits, in order, and left out if not. If the headline and the link alone are too
    long, the headline is shortened at a word. The link is always whole."""
    kept = [line.strip() for line in lines if line.strip()]

    def text(parts: Sequence[str]) -> str:
        return "\n".join([*parts, link])

    if kept and fits(text(kept[:1])):
        return text(with_what_fits(kept[:1], kept[1:], text, fits))
    headline = kept[0] if kept else ""
    # The longest start of the headline that fits, ending at a word. Each is tried,
    # longest first: whether one fits is not monotonic in its length (a shorter start may
    # leave out the one letter that made the whole text UCS-2, and have twice the room).
    # A headline of one word may be cut inside it; a longer one never is: half a word
    # ("Powa...") says nothing.
    words = [m.end() for m in regex.finditer(r"\S+", headline)][:-1]
    ends = reversed(words) if words else range(len(headline) - 1, 0, -1)
    for end in ends:
        shortened = headline[:end].rstrip() + ellipsis
        if fits(text([shortened])):  # a shorter headline may leave room for more
            return text(with_what_fits([shortened], kept[1:], text, fits))
    return link


def with_what_fits(
    chosen: list[str],
    lines: Sequence[str],
    text: Callable[[Sequence[str]], str],
    fits: Callable[[str], bool],
) -> list[str]:
    """``chosen``, then each of ``lines`` that still fits, in order."""
    for line in lines:
        if fits(text([*chosen, line])):
            chosen = [*chosen, line]
    return chosen
