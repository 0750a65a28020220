"""Pelican plugin: full-text search with Pagefind (from PyPI), indexed after each build.

Only item pages and content pages are indexed (``data-pagefind-body``), with filters by
type and ward (``data-pagefind-filter``). The index is written to /pagefind/ and used by
/search/; the site works fully without it. SEARCH_INDEX = False skips indexing (tests,
benchmarks); a failed indexing stops the build with Pagefind's message.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from pelican import signals


class SearchIndexError(SystemExit):
    """Pagefind failed; exits non-zero with its message."""


def index_site(output: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pagefind", "--site", str(output), "--silent"],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        message = result.stderr.strip() or result.stdout.strip()
        raise SearchIndexError(f"search index: Pagefind failed: {message}")


def index_after_build(pelican: Any) -> None:
    if pelican.settings.get("SEARCH_INDEX", True):
        index_site(Path(pelican.output_path))


def register() -> None:
    signals.finalized.connect(index_after_build)
