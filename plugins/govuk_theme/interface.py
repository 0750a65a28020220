"""Interface text in the language of the page being written.

A page speaks its content's language: a Polish alert's page says "Poziom zagrożenia", not
"Warning level", and is marked ``lang="pl"``. The writer sets the language around each
page it writes (``speaking``); the catalogues and the gettext functions installed in Jinja
are the backend's too (``subscriber_lambda.core.catalogues``). The site's catalogues are
``theme/translations/{lang}/LC_MESSAGES/messages.po``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from babel.support import NullTranslations, Translations

from subscriber_lambda.core.catalogues import (
    SPEAKING,
    InterfaceText,
    catalogue,
    catalogue_path,
    direction,
    shipped_languages,
    speaking,
)

__all__ = [
    "SPEAKING",
    "BuildText",
    "InterfaceText",
    "catalogue",
    "catalogue_path",
    "direction",
    "gettext_for",
    "language_of",
    "shipped_languages",
    "speaking",
    "translations_dir",
]

# The site's catalogues; a setting (INTERFACE_TRANSLATIONS) may name another folder.
TRANSLATIONS_DIR = Path(__file__).resolve().parents[2] / "theme" / "translations"


class BuildText(InterfaceText):
    """The interface text of one build: each language's catalogue is looked up once, not
    at every message (a file check each time). Catalogues do not change while a build
    runs; the next build (``make preview``) makes a new one and sees an edited catalogue."""

    def __init__(self, directory: Path) -> None:
        super().__init__(directory)
        self._found: dict[str, Translations | NullTranslations] = {}

    def translations(self) -> Translations | NullTranslations:
        lang = SPEAKING.get()
        found = self._found.get(lang)
        if found is None:
            found = self._found[lang] = super().translations()
        return found


def translations_dir(settings: Mapping[str, Any]) -> Path:
    return Path(settings.get("INTERFACE_TRANSLATIONS") or TRANSLATIONS_DIR)


def gettext_for(content_lang: str, settings: Mapping[str, Any]) -> Callable[[str], str]:
    """gettext in the interface language of content in ``content_lang`` (``language_of``):
    for what is made outside a page (feeds, CAP, the notify manifest)."""
    translations = catalogue(translations_dir(settings), language_of(content_lang, settings))
    return lambda message: str(translations.gettext(message))


def language_of(content_lang: str | None, settings: Mapping[str, Any]) -> str:
    """The interface language of a page: a translation's own language (content whose Lang
    is not the site's DEFAULT_LANG), else the site's interface language, INTERFACE_LANG."""
    if content_lang and content_lang != settings.get("DEFAULT_LANG", "en"):
        return content_lang
    return str(settings.get("INTERFACE_LANG", "en"))
