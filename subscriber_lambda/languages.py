"""The languages the backend's pages, emails and texts speak, and which one each answer is
in: the one a link chose (``?lang=cy``), else the one the resident chose (their
preferences), else the first of their browser's (``Accept-Language``) the backend speaks,
else English.

The catalogues are ``subscriber_lambda/translations/{lang}/LC_MESSAGES/subscriptions.po``
(inside the package, so the Lambda carries them); the site's are the theme's.
"""

from __future__ import annotations

from pathlib import Path

from .core.catalogues import DEFAULT_LANGUAGE, InterfaceText, negotiate, shipped_languages

TRANSLATIONS = Path(__file__).resolve().parent / "translations"
DOMAIN = "subscriptions"
SPOKEN = tuple(shipped_languages(TRANSLATIONS, DOMAIN))
TEXT = InterfaceText(TRANSLATIONS, DOMAIN)


def gettext(message: str) -> str:
    """``message`` in the language being spoken (``core.catalogues.speaking``)."""
    return TEXT.gettext(message)


def ngettext(singular: str, plural: str, number: int) -> str:
    return TEXT.ngettext(singular, plural, number)


def answer_language(
    chosen: str = "",
    remembered: str = "",
    accept_language: str = "",
    default: str = DEFAULT_LANGUAGE,
) -> str:
    """The language to answer in: ``chosen`` by a link, else the ``remembered`` preference,
    else the browser's, each only if the backend speaks it; else ``default``, the site's
    own (a Welsh council's may be Welsh)."""
    for lang in (chosen, remembered):
        if lang in SPOKEN:
            return lang
    return negotiate(accept_language, SPOKEN) or default
