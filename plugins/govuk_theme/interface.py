"""Interface text in the language of the page being written.

A page speaks its content's language: a Polish alert's page says "Poziom zagrożenia", not
"Warning level", and is marked ``lang="pl"``. Pelican renders every page with one Jinja
environment, and the theme's macros are imported once, so the language cannot travel in
a template's context: the writer sets it here (``speaking``) around each page it writes,
and the gettext functions installed in Jinja read it.

Catalogues are the ``.po`` files in ``theme/translations/{lang}/LC_MESSAGES/``, read and
compiled in memory on first use (no compiled ``.mo`` files to go stale). A language with no
catalogue, and a message a catalogue lacks, read in English: the messages are the English
text, so a resident never sees a key.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

SPEAKING: ContextVar[str] = ContextVar("interface_language", default="en")


# The site's catalogues; a setting (INTERFACE_TRANSLATIONS) may name another folder.
TRANSLATIONS_DIR = Path(__file__).resolve().parents[2] / "theme" / "translations"


def translations_dir(settings: Mapping[str, Any]) -> Path:
    return Path(settings.get("INTERFACE_TRANSLATIONS") or TRANSLATIONS_DIR)


def catalogue_path(directory: Path, lang: str) -> Path:
    return directory / lang.replace("-", "_") / "LC_MESSAGES" / "messages.po"


def catalogue(directory: Path, lang: str) -> Translations | NullTranslations:
    """The language's catalogue, or none (English) when it has none. Compiled once per
    version of its file, so an edited catalogue is read again (``make preview``)."""
    path = catalogue_path(directory, lang)
    if not path.is_file():
        base = lang.split("-")[0]
        return catalogue(directory, base) if base != lang else NullTranslations()
    return _compiled(path, lang, path.stat().st_mtime_ns)


@lru_cache(maxsize=64)
def _compiled(path: Path, lang: str, version: int) -> Translations:
    with path.open("rb") as source:
        messages = read_po(source, locale=lang.replace("-", "_"))
    compiled = io.BytesIO()
    write_mo(compiled, messages)
    compiled.seek(0)
    return Translations(compiled, domain="messages")


def shipped_languages(directory: Path) -> list[str]:
    """The languages with a catalogue, English first."""
    found = sorted(
        p.parent.parent.name.replace("_", "-") for p in directory.glob("*/LC_MESSAGES/messages.po")
    )
    return ["en", *found]


def gettext_for(content_lang: str, settings: Mapping[str, Any]) -> Callable[[str], str]:
    """gettext in the interface language of content in ``content_lang`` (``language_of``):
    for what is made outside a page (feeds, CAP, the notify manifest)."""
    translations = catalogue(translations_dir(settings), language_of(content_lang, settings))
    return lambda message: str(translations.gettext(message))


def direction(lang: str) -> str:
    """'rtl' for a language written right to left (Arabic, Urdu...), else 'ltr'."""
    try:
        order = Locale.parse(lang.replace("-", "_")).character_order
    except (UnknownLocaleError, ValueError):
        return "ltr"
    return "rtl" if order == "right-to-left" else "ltr"


def language_of(content_lang: str | None, settings: Mapping[str, Any]) -> str:
    """The interface language of a page: a translation's own language (content whose Lang
    is not the site's DEFAULT_LANG), else the site's interface language, INTERFACE_LANG."""
    if content_lang and content_lang != settings.get("DEFAULT_LANG", "en"):
        return content_lang
    return str(settings.get("INTERFACE_LANG", "en"))


@contextmanager
def speaking(lang: str) -> Iterator[None]:
    """Interface text in ``lang`` while the block runs (one page being written)."""
    token = SPEAKING.set(lang)
    try:
        yield
    finally:
        SPEAKING.reset(token)


class InterfaceText:
    """The gettext functions Jinja calls: each answers in the language being spoken."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def translations(self) -> Translations | NullTranslations:
        return catalogue(self.directory, SPEAKING.get())

    def gettext(self, message: str) -> str:
        return str(self.translations().gettext(message))

    def ngettext(self, singular: str, plural: str, number: int) -> str:
        return str(self.translations().ngettext(singular, plural, number))
