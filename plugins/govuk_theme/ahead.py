"""Item pages rendered ahead by forked helpers, one per other core (``plugins.forked``).

Rendering each item's page through the GOV.UK macros is the largest part of a build, and
Pelican renders one page at a time. When Pelican is about to write (its ``get_writer``
signal: every generator has read its content and intersite links are resolved), the item
pages are shared out in the order Pelican writes them: the build renders the first share
itself as it writes, and each helper renders its share into memory and hands each page
back. Pelican's writer still writes every page, in its own order, with its own checks and
signals; a page no helper handed back the build renders itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import ExitStack
from typing import Any

from pelican import signals
from pelican.generators import ArticlesGenerator

from plugins.forked import HandBack, Helpers, share_out

from .writer import RENDERED_AHEAD, RenderingWriter

# Where the build notes the generator of item pages until Pelican is about to write.
ITEM_PAGES = "NOTICEBOARD_ITEM_PAGES"


def item_pages_in_order(generator: ArticlesGenerator) -> list[str]:
    """The pages Pelican's ``generate_articles`` writes, in the order it writes them."""
    found: list[str] = []
    with signals.article_generator_write_article.muted():
        generator.generate_articles(lambda name, *args, **kwargs: found.append(name))
    return found


def render_share(generator: ArticlesGenerator, share: frozenset[str], hand_back: HandBack) -> None:
    """In a helper: Pelican's ``generate_articles`` as the build runs it, with each page of
    ``share`` rendered into memory and handed back, and nothing else done. Nobody is told
    of pages written (the build tells them when it writes each one)."""
    writer = RenderingWriter(generator.output_path, settings=generator.settings)
    relative_urls = generator.settings["RELATIVE_URLS"]

    def write(name: str, *args: Any, **kwargs: Any) -> None:
        if name in share:
            hand_back(name, writer.render(name, *args, relative_urls=relative_urls, **kwargs))

    with ExitStack() as muted:
        for signal in (signals.content_written, signals.article_generator_write_article):
            muted.enter_context(signal.muted())
        generator.generate_articles(write)


def note_articles_generator(generators: Sequence[Any]) -> None:
    """Pelican's ``all_generators_finalized``: which generator writes the item pages."""
    for generator in generators:
        if isinstance(generator, ArticlesGenerator):
            generator.settings[ITEM_PAGES] = generator


def start_helpers(pelican: Any) -> None:
    """Pelican's ``get_writer``, sent when every page's content is final: the helpers
    start on their shares."""
    settings = pelican.settings
    settings.pop(RENDERED_AHEAD, None)  # a failed build's, in these settings before (preview)
    generator = settings.pop(ITEM_PAGES, None)
    if isinstance(generator, ArticlesGenerator):
        settings[RENDERED_AHEAD] = share_out(
            "rendering item pages",
            item_pages_in_order(generator),
            settings,
            lambda share, hand_back: render_share(generator, share, hand_back),
        )


def stop_helpers(pelican: Any) -> None:
    """Pelican's ``finalized``: every helper has ended and been reaped."""
    helpers = pelican.settings.pop(RENDERED_AHEAD, None)
    if isinstance(helpers, Helpers):
        helpers.wait()
