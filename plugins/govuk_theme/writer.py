"""Pelican's writer, speaking each page's language, and taking pages rendered ahead.

A page speaks its content's language (``interface``). An item's page a build helper has
rendered already (``ahead``) is written as it was rendered, through Pelican's own writing
(its checks, its ``content_written`` signal).
"""

from __future__ import annotations

from collections.abc import Mapping
from io import StringIO
from typing import Any

from pelican.writers import Writer

from plugins import forked
from plugins.output_files import Rendered

from .interface import language_of, speaking

# A page that is not an item's says its language by this keyword to ``write_file``.
INTERFACE_LANG = "interface_lang"
# Where a build keeps the helpers rendering item pages ahead (``plugins.forked``).
RENDERED_AHEAD = "NOTICEBOARD_RENDERED_AHEAD"


def rendered_ahead(settings: Mapping[str, Any], name: str) -> Rendered | None:
    html = forked.take(settings, RENDERED_AHEAD, name)
    return None if html is None else Rendered(html)


class SpeakingWriter(Writer):  # type: ignore[misc]
    """Pelican's writer, writing each page in its interface language: ``interface_lang``
    if given, else ``language_of`` its ``article`` or ``page``."""

    def write_file(self, name: str, template: Any, context: Any, *args: Any, **kwargs: Any) -> Any:
        content = kwargs.get("article") or kwargs.get("page")
        lang = kwargs.get(INTERFACE_LANG) or language_of(
            getattr(content, "lang", None), self.settings
        )
        if "article" in kwargs:
            template = rendered_ahead(self.settings, name) or template
        with speaking(lang):
            return super().write_file(name, template, context, *args, **kwargs)


class RenderingWriter(SpeakingWriter):
    """The writer rendering a page into memory (``render``) instead of a file: a build
    helper's (forked before any helper was kept in the settings, it takes none itself).
    Pelican makes the page's folder, as it would anyway."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._page = ""

    def render(self, name: str, *args: Any, **kwargs: Any) -> str:
        """The page ``write_file`` would write (same arguments)."""
        self.write_file(name, *args, **kwargs)
        return self._page

    def _open_w(self, filename: str, encoding: str, override: bool = False) -> StringIO:
        writer = self

        class Page(StringIO):
            def close(self) -> None:
                writer._page = self.getvalue()
                super().close()

        return Page()
