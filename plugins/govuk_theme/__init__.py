"""Pelican plugin: the GOV.UK Design System in Pelican's Jinja environment.

Loads the govuk-frontend-jinja macros (``{% from "govuk_frontend_jinja/components/..." %}``),
installs the interface gettext catalogue for INTERFACE_LANG (Babel, theme/translations/)
and adds the date and ward filters the templates use.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from babel.support import NullTranslations, Translations
from jinja2 import ChoiceLoader, PackageLoader, PrefixLoader
from pelican import signals

from . import formatting
from .pagination import pagination_items
from .rendering import SHARED_BYTECODE, EntryCache, Fragments, LazyModule, component_globals

RENDERED = "NOTICEBOARD_RENDERED"
TRANSLATIONS_DIR = Path(__file__).resolve().parents[2] / "theme" / "translations"


def interface_translations(
    lang: str, directory: Path = TRANSLATIONS_DIR
) -> Translations | NullTranslations:
    """The catalogue for ``lang``, or none (the English source text) when there is none."""
    return Translations.load(str(directory), [lang.replace("-", "_")], domain="messages")


def configure_environment(generator: Any) -> None:
    env = generator.env
    if not isinstance(env.loader, ChoiceLoader):
        return
    env.loader.loaders = [
        *env.loader.loaders,
        PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
    ]
    env.bytecode_cache = SHARED_BYTECODE
    # Rendered once per build, shared by all generators: Pelican's settings are per build.
    rendered = generator.settings.setdefault(RENDERED, {})
    lang = generator.settings.get("INTERFACE_LANG", "en")
    directory = Path(generator.settings.get("INTERFACE_TRANSLATIONS") or TRANSLATIONS_DIR)
    translations = interface_translations(lang, directory)
    env.install_gettext_translations(translations, newstyle=True)
    gettext = translations.gettext
    env.filters.update(
        london_date=lambda moment: formatting.london_date(moment, lang),
        london_datetime=lambda moment: formatting.london_datetime(moment, lang, gettext),
        london_weekday_date=lambda day: formatting.london_weekday_date(day, lang),
        london_time=lambda moment: formatting.london_time(moment, gettext),
        iso=formatting.iso,
        language_name=formatting.language_name,
    )
    env.globals.update(
        component_globals(env),
        pagination_items=pagination_items,
        fragment=Fragments(env, generator.context, rendered),
        listed=EntryCache(env, "partials/macros.html", "list_entry", rendered),
        ui=LazyModule(env, "partials/macros.html"),
    )


def forget_rendered(pelican: Any) -> None:
    """After each run: Pelican's autoreload runs again with the same settings."""
    pelican.settings.pop(RENDERED, None)


def register() -> None:
    signals.generator_init.connect(configure_environment)
    signals.finalized.connect(forget_rendered)
