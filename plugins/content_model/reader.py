"""Pelican reads each Markdown file as the content check read it: not from the file again.

The check (``source.py``) has already read every file and split its metadata from the text
after it with the Markdown ``meta`` extension Pelican uses. This reader takes that, so each
file is read and its metadata parsed once per build, and converts the text with one
Markdown converter per reader (reset between files) instead of one made for every file.
A file the check did not read (none in a normal build) is read as Pelican would.

Converting is most of reading, so the items' files are shared out in the order Pelican
reads them (``plugins.forked``): helpers on the other cores convert theirs ahead, and the
reader takes their HTML when Pelican comes to each file.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, MutableMapping, Sequence
from typing import Any

from markdown import Markdown
from pelican.generators import ArticlesGenerator
from pelican.readers import MarkdownReader

from plugins import forked
from plugins.forked import HandBack

from .items import Source

# Where the check leaves what it read for this build's readers (Pelican's settings are
# per build, and readers see only them), and the helpers converting it ahead.
CHECKED_SOURCES = "NOTICEBOARD_CHECKED_SOURCES"
CONVERTED_AHEAD = "NOTICEBOARD_CONVERTED_AHEAD"
# The build converts this much of a helper's share: it also makes every file's article
# (metadata, sanitising) while a helper only converts, and a helper starts before it reads.
# Measured at 1,000 items on two cores, 0.2 to 0.5 of a share did best.
OWN_SHARE = 0.3


def converter(settings: Mapping[str, Any]) -> Markdown:
    """Pelican's Markdown converter, for text whose metadata the check has taken off (so
    text that looks like metadata is text)."""
    made = Markdown(**settings["MARKDOWN"])
    made.preprocessors.deregister("meta")
    return made


def metadata_of(source: Source, process: Any) -> dict[str, Any]:
    """The file's metadata as Pelican's Markdown reader makes it (each value processed by
    ``process``: dates parsed, slugs stripped...); values on several lines are joined, as
    the check reads them."""
    return {name: process(name, value) for name, value in source.metadata.items()}


class CheckedMarkdownReader(MarkdownReader):  # type: ignore[misc]
    """Pelican's Markdown reader, fed by the content check."""

    _converter: Markdown | None = None

    def converter(self) -> Markdown:
        if self._converter is None:
            self._converter = converter(self.settings)
        self._converter.reset()
        return self._converter

    def read(self, source_path: str) -> tuple[str, dict[str, Any]]:
        checked: Mapping[str, Source] = self.settings.get(CHECKED_SOURCES, {})
        source = checked.get(source_path)
        if source is None:
            content, metadata = super().read(source_path)
            return content, metadata
        html = forked.take(self.settings, CONVERTED_AHEAD, source_path)
        if html is None:
            html = self.converter().convert(source.body)
        return html, metadata_of(source, self.process_metadata)


def read_checked_sources(readers: Any) -> None:
    """Pelican's ``readers_init``: Markdown files are read through the check."""
    readers.reader_classes["md"] = CheckedMarkdownReader


def convert_share(
    settings: Mapping[str, Any], share: frozenset[str], order: Sequence[str], hand_back: HandBack
) -> None:
    """In a helper: each checked file of ``share``, in Pelican's reading ``order``."""
    sources: Mapping[str, Source] = settings[CHECKED_SOURCES]
    convert = converter(settings)
    for path in order:
        if path in share:
            hand_back(path, convert.reset().convert(sources[path].body))


def convert_ahead(generator: Any) -> None:
    """Pelican's ``generator_init``, after the check: the items' files, in the order the
    articles generator will read them, shared out to helpers converting them. Not when
    Pelican's content cache will spare reading most files (an incremental rebuild)."""
    if not isinstance(generator, ArticlesGenerator):
        return
    settings: MutableMapping[str, Any] = generator.settings
    order = [] if settings.get("LOAD_CONTENT_CACHE") else reading_order(generator)
    forked.start(
        settings,
        CONVERTED_AHEAD,
        "converting Markdown",
        order,
        lambda share, hand_back: convert_share(settings, share, order, hand_back),
        own=OWN_SHARE,
    )


def reading_order(generator: ArticlesGenerator) -> list[str]:
    """The checked files, by absolute path, in the order the generator will read them."""
    settings = generator.settings
    sources: Mapping[str, Source] = settings.get(CHECKED_SOURCES, {})
    found = generator.get_files(settings["ARTICLE_PATHS"], exclude=settings["ARTICLE_EXCLUDES"])
    paths = (os.path.abspath(os.path.join(generator.path, name)) for name in found)
    return [path for path in paths if path in sources]


def stop_converting(pelican: Any) -> None:
    """After each run: the helpers have ended and been reaped."""
    forked.finish(pelican.settings, CONVERTED_AHEAD)
