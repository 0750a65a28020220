"""Pelican reads each Markdown file as the content check read it: not from the file again.

The check (``source.py``) has already read every file and split its metadata from the text
after it with the Markdown ``meta`` extension Pelican uses. This reader takes that, so each
file is read and its metadata parsed once per build, and converts the text with one
Markdown converter per reader (reset between files) instead of one made for every file.
A file the check did not read (none in a normal build) is read as Pelican would.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from markdown import Markdown
from pelican.readers import MarkdownReader

from .items import Source

# Where the check leaves what it read for this build's readers (Pelican's settings are
# per build, and readers see only them).
CHECKED_SOURCES = "NOTICEBOARD_CHECKED_SOURCES"


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
            self._converter = Markdown(**self.settings["MARKDOWN"])
            # The check has taken the metadata off: text that looks like it is text.
            self._converter.preprocessors.deregister("meta")
        self._converter.reset()
        return self._converter

    def read(self, source_path: str) -> tuple[str, dict[str, Any]]:
        checked: Mapping[str, Source] = self.settings.get(CHECKED_SOURCES, {})
        source = checked.get(source_path)
        if source is None:
            content, metadata = super().read(source_path)
            return content, metadata
        return self.converter().convert(source.body), metadata_of(source, self.process_metadata)


def read_checked_sources(readers: Any) -> None:
    """Pelican's ``readers_init``: Markdown files are read through the check."""
    readers.reader_classes["md"] = CheckedMarkdownReader
