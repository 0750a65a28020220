"""Pelican plugin: full-text search with Pagefind (from PyPI), indexed during each build.

Only item pages and content pages are indexed (``data-pagefind-body``), with filters by
type and ward (``data-pagefind-filter``). The index is written to /pagefind/ and used by
/search/; the site works fully without it. SEARCH_INDEX = False skips indexing (tests,
benchmarks); a failed indexing stops the build with Pagefind's message.

Pagefind is a program of its own, so it runs beside the build on another core: it starts
as soon as Pelican has written the items' and content pages (the pages it indexes), while
lists, feeds, calendars and data are still being written, and the build waits for it at
the end. Should a page it indexes be written after it started (the reach dashboard, when
public), it runs again then.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from pelican import signals

from plugins import build_children

# Where the build keeps its indexing: in the settings (the end of the build sees them) and
# the generators' shared context (every page written sees a copy of it).
INDEXING = "NOTICEBOARD_SEARCH_INDEXING"
INDEXED = b"data-pagefind-body"


class SearchIndexError(SystemExit):
    """Pagefind failed; exits non-zero with its message."""


@dataclass(eq=False)  # one per run of Pagefind, kept in a set (build_children)
class Indexing:
    """Pagefind running on the output folder."""

    output: Path
    said: IO[bytes] = field(default_factory=tempfile.TemporaryFile)
    late: bool = False  # a page to index was written after Pagefind started
    process: subprocess.Popen[bytes] = field(init=False)

    def __post_init__(self) -> None:
        # Messages to a file: a pipe nobody reads until the end could fill and stop it.
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pagefind", "--site", str(self.output), "--silent"],
            stdout=self.said,
            stderr=subprocess.STDOUT,
        )
        build_children.started(self)

    def end(self) -> None:
        """Stopped with the build that failed or was stopped (``build_children``)."""
        self.process.kill()
        self.process.wait()
        build_children.finished(self)

    def wait(self) -> None:
        """Until Pagefind is done; SearchIndexError with its message if it failed."""
        status = self.process.wait()
        build_children.finished(self)
        self.said.seek(0)
        message = self.said.read().decode("utf-8", "replace").strip()
        self.said.close()
        if status != 0:
            raise SearchIndexError(f"search index: Pagefind failed: {message}")


def start_indexing(generator: Any, writer: Any = None) -> None:
    """Once the pages to index are written (Pelican's ``page_writer_finalized``)."""
    settings = generator.settings
    if settings.get("SEARCH_INDEX", True) and INDEXING not in settings:
        indexing = Indexing(Path(generator.output_path))
        settings[INDEXING] = generator.context[INDEXING] = indexing


def note_late_page(path: str, context: Any = None) -> None:
    """A page to index written after Pagefind started: it must run again at the end."""
    indexing: Indexing | None = (context or {}).get(INDEXING)
    if indexing and not indexing.late and path.endswith(".html"):
        indexing.late = INDEXED in Path(path).read_bytes()


def finish_indexing(pelican: Any) -> None:
    indexing: Indexing | None = pelican.settings.pop(INDEXING, None)
    if indexing is None:  # SEARCH_INDEX = False
        return
    indexing.wait()
    if indexing.late:
        Indexing(indexing.output).wait()


def register() -> None:
    signals.page_writer_finalized.connect(start_indexing)
    signals.content_written.connect(note_late_page)
    signals.finalized.connect(finish_indexing)
