"""Pelican plugin: the GOV.UK Design System in Pelican's Jinja environment.

Loads the govuk-frontend-jinja macros (``{% from "govuk_frontend_jinja/components/..." %}``),
installs interface text in the language of each page written (``interface``: an item's
page speaks its own language; every other page INTERFACE_LANG), and adds the date and
ward filters the templates use.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, PackageLoader, PrefixLoader
from markupsafe import Markup, escape
from pelican import signals
from pelican.writers import Writer

from plugins.cache_keys import TEMPLATE_SETTINGS, settings_key
from subscriber_lambda.core.catalogues import language_label, language_name

from . import ahead, formatting
from .bidi import isolate_numbers
from .interface import (
    SPEAKING,
    BuildText,
    direction,
    translations_dir,
)
from .pagination import pagination_items
from .rendering import SHARED_BYTECODE, EntryCache, Fragments, LazyModule, component_globals
from .writer import SpeakingWriter

RENDERED = "NOTICEBOARD_RENDERED"


def own_language(value: Any, item: Any, attr: str) -> Markup:
    """An item's ``attr`` value (HTML), marked with its own language where that is not the
    page's: a translation's Instruction taken from its English original is English, and so
    is an English alert's title in the email framed in Welsh for a Welsh reader; screen
    readers should say them so."""
    lang = item.lang_of(attr)
    html = escape(value)
    if lang == SPEAKING.get():
        return Markup(html)
    return Markup(f'<span lang="{escape(lang)}" dir="{direction(lang)}">{html}</span>')


def speaking_writer(pelican: Any) -> type[Writer]:
    return SpeakingWriter


def configure_environment(generator: Any) -> None:
    env = generator.env
    if not isinstance(env.loader, ChoiceLoader):
        return
    env.loader.loaders = [
        *env.loader.loaders,
        PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
    ]
    folder = generator.settings.get("TEMPLATE_CACHE_PATH")
    key = settings_key(generator.settings, TEMPLATE_SETTINGS, ("jinja2",))
    SHARED_BYTECODE.keep_in(Path(folder) / key if folder else None, key)
    env.bytecode_cache = SHARED_BYTECODE
    # Rendered once per build, shared by all generators: Pelican's settings are per build.
    rendered = generator.settings.setdefault(RENDERED, {})
    directory = translations_dir(generator.settings)
    SPEAKING.set(generator.settings.get("INTERFACE_LANG", "en"))  # outside any page
    text = BuildText(directory)
    env.install_gettext_callables(text.gettext, text.ngettext, newstyle=True)
    env.filters.update(
        london_date=lambda moment: formatting.london_date(moment, SPEAKING.get()),
        london_datetime=lambda moment: formatting.london_datetime(
            moment, SPEAKING.get(), text.gettext
        ),
        london_weekday_date=lambda day: formatting.london_weekday_date(day, SPEAKING.get()),
        weekday_name=lambda weekday: formatting.weekday_name(weekday, SPEAKING.get()),
        london_time=lambda moment: formatting.london_time(moment, SPEAKING.get(), text.gettext),
        iso=formatting.iso,
        language_label=language_label,
        own_language=own_language,
        # A language named in the page's language ('Saesneg' on a Welsh page).
        language_named=lambda tag: language_name(tag, SPEAKING.get()),
        direction=direction,
        # Officers' words on a right-to-left page: numbers kept in their own order.
        numbers_in_order=lambda words: (
            isolate_numbers(str(words)) if direction(SPEAKING.get()) == "rtl" else words
        ),
    )
    env.globals.update(
        component_globals(env),
        page_language=SPEAKING.get,
        page_direction=lambda: direction(SPEAKING.get()),
        pagination_items=pagination_items,
        fragment=Fragments(env, generator.context, rendered),
        listed=EntryCache(env, "partials/macros.html", "list_entry", rendered),
        ui=LazyModule(env, "partials/macros.html"),
    )


def forget_rendered(pelican: Any) -> None:
    """After each run: Pelican's autoreload runs again with the same settings."""
    pelican.settings.pop(RENDERED, None)


def register() -> None:
    signals.get_writer.connect(speaking_writer)
    signals.generator_init.connect(configure_environment)
    signals.finalized.connect(forget_rendered)
    signals.get_writer.connect(ahead.start_helpers)
    signals.finalized.connect(ahead.stop_helpers)
