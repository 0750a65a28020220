"""Interface text in the resident's language, for the site's build and the backend alike.

Catalogues are ``.po`` files (``{folder}/{lang}/LC_MESSAGES/{domain}.po``), read and
compiled in memory on first use: no compiled ``.mo`` files to go stale. A language with no
catalogue, and a message a catalogue lacks, read in English: the messages are the English
text, so a resident never sees a key.

What is being written (a page of the site, a backend page, an email) is in one language at
a time, but templates and macros are shared by all of them, so the language cannot travel
in a template's context: whoever writes sets it (``speaking``) and the gettext functions
installed in Jinja (``InterfaceText``) read it. A ``ContextVar``: each thread, and each
request, has its own.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

DEFAULT_LANGUAGE = "en"
SPEAKING: ContextVar[str] = ContextVar("interface_language", default=DEFAULT_LANGUAGE)


def N_(message: str) -> str:
    """Marks a message for the catalogues (``make extract-messages``) where it is defined;
    it is translated where it is shown."""
    return message


@contextmanager
def speaking(lang: str) -> Iterator[None]:
    """Interface text in ``lang`` while the block runs (one page or email being written)."""
    token = SPEAKING.set(lang)
    try:
        yield
    finally:
        SPEAKING.reset(token)


def catalogue_path(directory: Path, lang: str, domain: str = "messages") -> Path:
    return directory / lang.replace("-", "_") / "LC_MESSAGES" / f"{domain}.po"


def catalogue(
    directory: Path, lang: str, domain: str = "messages"
) -> Translations | NullTranslations:
    """The language's catalogue, or none (English) when it has none. Compiled once per
    version of its file, so an edited catalogue is read again (``make preview``)."""
    path = catalogue_path(directory, lang, domain)
    if not path.is_file():
        base = lang.split("-")[0]
        return catalogue(directory, base, domain) if base != lang else NullTranslations()
    return _compiled(path, lang, domain, path.stat().st_mtime_ns)


@lru_cache(maxsize=64)
def _compiled(path: Path, lang: str, domain: str, version: int) -> Translations:
    with path.open("rb") as source:
        messages = read_po(source, locale=lang.replace("-", "_"))
    compiled = io.BytesIO()
    write_mo(compiled, messages)
    compiled.seek(0)
    return Translations(compiled, domain=domain)


def shipped_languages(directory: Path, domain: str = "messages") -> list[str]:
    """The languages with a catalogue, English first."""
    found = sorted(
        p.parent.parent.name.replace("_", "-") for p in directory.glob(f"*/LC_MESSAGES/{domain}.po")
    )
    return [DEFAULT_LANGUAGE, *found]


@lru_cache(maxsize=256)  # asked on every page a build writes; a locale takes long to load
def direction(lang: str) -> str:
    """'rtl' for a language written right to left (Arabic, Urdu...), else 'ltr'."""
    try:
        order = Locale.parse(lang.replace("-", "_")).character_order
    except (UnknownLocaleError, ValueError):
        return "ltr"
    return "rtl" if order == "right-to-left" else "ltr"


@lru_cache(maxsize=256)
def language_name(tag: str, in_language: str | None = None) -> str:
    """A language's name as a sentence in ``in_language`` writes it, by default in its own
    ('Cymraeg' for cy, 'polski' for pl; 'Saesneg' for en in cy)."""
    try:
        locale = Locale.parse(tag, sep="-")
        reader = Locale.parse(in_language, sep="-") if in_language else locale
    except (UnknownLocaleError, ValueError):
        return tag
    return str(locale.get_display_name(reader) or tag)


def language_label(tag: str) -> str:
    """A language's name in that language as a list of languages shows it: starting with a
    capital, as a name on its own does ('Polski', 'Română')."""
    name = language_name(tag)
    return name[:1].upper() + name[1:]


def preferred_languages(accept_language: str) -> list[str]:
    """The languages of an ``Accept-Language`` header, most wanted first (RFC 9110:
    ``cy-GB,cy;q=0.9,en;q=0.5``); a language weighted 0 is not wanted at all."""
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept_language.split(",")[:32]):
        tag, _, parameters = part.strip().partition(";")
        weight = 1.0
        name, _, value = parameters.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                weight = float(value)
            except ValueError:
                continue
        if tag.strip() and weight > 0:
            weighted.append((-weight, position, tag.strip().lower()))
    return [tag for _, _, tag in sorted(weighted)]


def negotiate(accept_language: str, available: Sequence[str]) -> str | None:
    """The first of a browser's languages this site speaks (``cy-GB`` matches ``cy``), or
    None. ``*`` matches nothing: it says any language will do, so the default stays."""
    spoken = {lang.lower(): lang for lang in available}
    for tag in preferred_languages(accept_language):
        for candidate in (tag, tag.split("-")[0]):
            if candidate in spoken:
                return spoken[candidate]
    return None


class InterfaceText:
    """The gettext functions Jinja calls: each answers in the language being spoken."""

    def __init__(self, directory: Path, domain: str = "messages") -> None:
        self.directory, self.domain = directory, domain

    def translations(self) -> Translations | NullTranslations:
        return catalogue(self.directory, SPEAKING.get(), self.domain)

    def gettext(self, message: str) -> str:
        return str(self.translations().gettext(message))

    def ngettext(self, singular: str, plural: str, number: int) -> str:
        return str(self.translations().ngettext(singular, plural, number))
