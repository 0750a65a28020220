"""Pelican plugin: the content model. Refuses bad content before anything is written.

Every file is checked as Pelican's generators are made (before the output folder is
cleared), all problems are printed as ``path: field: what is wrong`` and the build exits
non-zero. What was checked goes into Pelican's context (``checked_content(context)``):
the typed items, attached to Pelican's content objects as ``.item``, the wards and the
build's "now", for the templates and the other plugins.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pelican import signals
from pelican.generators import ArticlesGenerator

from .checks import ContentInvalid, build_time, check_site_content, print_problems, site_places
from .items import Item
from .reader import CHECKED_SOURCES, convert_ahead, read_checked_sources, stop_converting
from .registry import ITEM_TYPES
from .rounds import Rounds
from .source import documents_folders
from .wards import Ward, WardsFileError

__all__ = [
    "CheckedContent",
    "ContentInvalid",
    "articles_generator",
    "build_time",
    "checked_content",
    "register",
]

CONTEXT_KEY = "checked_content"
# Where the build notes its articles generator (``articles_generator``).
ARTICLES_GENERATOR = "NOTICEBOARD_ARTICLES_GENERATOR"


@dataclass(frozen=True)
class CheckedContent:
    """The content check's result for one build."""

    items: Mapping[str, Item]  # by the file's absolute path
    wards: Mapping[str, Ward]
    now: datetime
    rounds: Rounds  # the bin collection rounds (none without a rounds file)


def checked_content(context: Mapping[str, Any]) -> CheckedContent:
    found: CheckedContent = context[CONTEXT_KEY]
    return found


def read_types_folders(pelican: Any) -> None:
    """Pelican reads the registry's folders as articles, and types' documents as files."""
    settings = pelican.settings
    settings["ARTICLE_PATHS"] = list(ITEM_TYPES)
    documents = documents_folders()
    settings["ARTICLE_EXCLUDES"] = documents
    settings["STATIC_PATHS"] = [
        *(p for p in settings.get("STATIC_PATHS", []) if p not in documents),
        *documents,
    ]


def check_before_build(generator: Any) -> None:
    """At the first generator made: the check, once, into the context all of them share."""
    context = generator.context
    if CONTEXT_KEY in context:
        return
    settings = generator.settings
    now = build_time(settings.get("NOTICEBOARD_NOW"))
    try:
        places, problems = site_places(settings, now)
    except WardsFileError as error:
        raise SystemExit(f"{error}\nThe wards file is unusable; nothing was built.") from None
    report = check_site_content(settings, found=(places, problems))
    print_problems([*report.problems, *report.warnings])
    if not report.ok:
        raise ContentInvalid(report)
    settings[CHECKED_SOURCES] = report.sources
    context[CONTEXT_KEY] = CheckedContent(
        {item.source_path: item for item in report.items}, places.wards, now, places.rounds
    )


def attach_item(content: Any) -> None:
    """Give Pelican's article or page its checked item, template and hold-back status.

    Pelican gives a content object the context it was read with (``_context``), the same
    dict its generators share."""
    context = getattr(content, "_context", None) or {}
    checked: CheckedContent | None = context.get(CONTEXT_KEY)
    item = checked.items.get(os.path.abspath(content.source_path)) if checked else None
    if checked is None or item is None:
        return
    content.item = item
    content.template = item.type.template
    # The checked values, not Pelican's reading of the file: a translation inherits its
    # original's Date and Status when it leaves them out.
    content.date = item.values.get("date", getattr(content, "date", None))
    content.status = item.values["status"]
    if item.kind in ITEM_TYPES and item.values["date"] > checked.now:
        content.status = "draft"  # held back until its Date; drafts are never written


# Where Pelican's article and page generators keep content, translations included.
CONTENT_LISTS = (
    *("articles", "translations", "drafts", "drafts_translations", "hidden_articles"),
    *("hidden_translations", "pages", "hidden_pages", "draft_pages", "draft_translations"),
)


def order_translations(generator: Any) -> None:
    """Each article's or page's translations by language. Pelican links them in the order
    it found the files (a set's, which differs from process to process), so the outputs
    listing them (CAP, feeds, the notify manifest) would change from build to build with
    nothing changed, and an incremental rebuild would upload and announce them again."""
    for name in CONTENT_LISTS:
        for content in getattr(generator, name, None) or ():
            content.translations.sort(key=lambda version: (version.lang, version.source_path))


def note_articles_generator(generators: Sequence[Any]) -> None:
    """Pelican's ``all_generators_finalized``: the generator of the item pages, for what
    is done when Pelican is about to write (``get_writer`` is told only of Pelican)."""
    for generator in generators:
        if isinstance(generator, ArticlesGenerator):
            generator.settings[ARTICLES_GENERATOR] = generator


def articles_generator(settings: Mapping[str, Any]) -> ArticlesGenerator | None:
    """This build's articles generator, once every generator has read its content."""
    found = settings.get(ARTICLES_GENERATOR)
    return found if isinstance(found, ArticlesGenerator) else None


def forget_sources(pelican: Any) -> None:
    """After each run (``make preview`` builds again with the same settings)."""
    pelican.settings.pop(CHECKED_SOURCES, None)
    pelican.settings.pop(ARTICLES_GENERATOR, None)


def register() -> None:
    signals.initialized.connect(read_types_folders)
    signals.readers_init.connect(read_checked_sources)
    signals.finalized.connect(forget_sources)
    signals.all_generators_finalized.connect(note_articles_generator)
    signals.generator_init.connect(check_before_build)
    signals.generator_init.connect(convert_ahead)
    signals.finalized.connect(stop_converting)
    signals.content_object_init.connect(attach_item)
    signals.article_generator_pretaxonomy.connect(order_translations)
    signals.page_generator_finalized.connect(order_translations)
