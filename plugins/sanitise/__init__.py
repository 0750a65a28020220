"""Pelican plugin: officers' Markdown may carry raw HTML; what reaches a page is sanitised
to GOV.UK typography (``policy.py``), and every removal is reported as a warning naming the
file and line, in the content check's form (``path: Text: warning: line N: ...``).

Sanitised when Pelican makes each page's content, so every output that reads it (pages,
feeds, CAP, emails, search) has the safe HTML.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pelican import signals
from pelican.readers import MarkdownReader

from plugins.content_model.checks import print_problems
from plugins.content_model.model import Problem
from plugins.content_model.source import MetadataReader, display_path

from .text import BodyReader, sanitise

__all__ = ["register", "sanitise", "text_warnings"]


def sanitise_content(content: Any) -> None:
    html = getattr(content, "_content", None)
    if not html or not content.source_path:
        return
    source = Path(content.source_path)
    content._content, warnings = sanitise(html, display_path(source), body_reader(source))
    print_problems(warnings)


def text_warnings(source_paths: Iterable[str], settings: Mapping[str, Any]) -> list[Problem]:
    """What building these files would remove from their text, for ``make validate``:
    each read by Pelican's own Markdown reader, as the build reads it."""
    reader = MarkdownReader(settings)
    warnings: list[Problem] = []
    for path in map(Path, source_paths):
        html, _ = reader.read(str(path))
        warnings += sanitise(html, display_path(path), body_reader(path))[1]
    return warnings


def body_reader(source: Path) -> BodyReader:
    def read_body() -> tuple[str, int]:
        _, body, body_line = MetadataReader()(source.read_text(encoding="utf-8-sig"))
        return body, body_line

    return read_body


def register() -> None:
    signals.content_object_init.connect(sanitise_content)
