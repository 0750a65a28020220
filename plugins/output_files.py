"""Writing a generated document (a feed, a calendar, JSON) through Pelican's writer, as
its pages are, so that Pelican's ``content_written`` signal fires for every file the
build makes and its checks (one writer per file, paths kept inside the output) apply."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Rendered:
    """What Pelican's writer takes as a template: a document (or page) already made."""

    text: str

    def render(self, context: Mapping[str, Any]) -> str:
        return self.text


def write_document(
    writer: Any, context: Mapping[str, Any], save_as: str, data: str | bytes
) -> None:
    """Write ``data`` (UTF-8 when bytes) to ``save_as`` under the output folder."""
    text = data.decode("utf-8") if isinstance(data, bytes) else data
    writer.write_file(save_as, Rendered(text), context, url="")
