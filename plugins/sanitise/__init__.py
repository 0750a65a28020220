"""Pelican plugin: officers' Markdown may carry raw HTML; what reaches a page is sanitised
to GOV.UK typography (``policy.py``), and every removal is reported as a warning naming the
file and line, in the content check's form (``path: Text: warning: line N: ...``).

Sanitised when Pelican makes each page's content, so every output that reads it (pages,
feeds, CAP, emails, search) has the safe HTML.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pelican import signals

from plugins.content_model.checks import print_problems
from plugins.content_model.source import MetadataReader, display_path

from .text import sanitise

__all__ = ["register", "sanitise"]


def sanitise_content(content: Any) -> None:
    html = getattr(content, "_content", None)
    if not html or not content.source_path:
        return
    source = Path(content.source_path)

    def read_body() -> tuple[str, int]:
        _, body, body_line = MetadataReader()(source.read_text(encoding="utf-8-sig"))
        return body, body_line

    content._content, warnings = sanitise(html, display_path(source), read_body)
    print_problems(warnings)


def register() -> None:
    signals.content_object_init.connect(sanitise_content)
