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

from contextlib import ExitStack
from typing import Any

from pelican import signals
from pelican.generators import ArticlesGenerator

from plugins import forked
from plugins.content_model import articles_generator
from plugins.forked import HandBack

from .writer import RENDERED_AHEAD, RenderingWriter


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


def start_helpers(pelican: Any) -> None:
    """Pelican's ``get_writer``, sent when every page's content is final: the helpers
    start on their shares."""
    generator = articles_generator(pelican.settings)
    pages = item_pages_in_order(generator) if generator else []
    forked.start(
        pelican.settings,
        RENDERED_AHEAD,
        "rendering item pages",
        pages,
        lambda share, hand_back: render_share(generator, share, hand_back),
    )


def stop_helpers(pelican: Any) -> None:
    """Pelican's ``finalized``: every helper has ended and been reaped."""
    forked.finish(pelican.settings, RENDERED_AHEAD)
