"""Numbers in right-to-left text, kept in their own order.

In an Arabic paragraph, "03459 33 55 77" is shown as "77 55 33 03459": the Unicode bidi
algorithm lays out the space-separated groups of digits right to left, like the words
around them, and a resident would dial the wrong number. Each run of digits (with the
spaces, dashes, dots, slashes and brackets inside it) is isolated as left-to-right, as
``<bdi dir="ltr">`` does; the officer's Markdown stays as written.
"""

from __future__ import annotations

import re
from typing import Any

from lxml import html as lxml_html
from markupsafe import Markup

NUMBER_RUN = re.compile(r"\+?\d[\d\s().\-/]*\d")
SKIP = {"script", "style", "bdi", "code", "pre"}  # already isolated, or not prose


def isolate_numbers(content: str) -> Markup:
    """``content`` (HTML) with each run of digits in its text wrapped in an isolate."""
    if not NUMBER_RUN.search(content):
        return Markup(content)
    root = lxml_html.fragment_fromstring(content, create_parent="div")
    for element in list(root.iter()):
        if not isinstance(element.tag, str) or element.tag in SKIP:
            continue
        if any(ancestor.tag in SKIP for ancestor in element.iterancestors()):
            continue
        _isolate(element, element.text, 0, "text", element)
        for child in list(element):
            _isolate(element, child.tail, element.index(child) + 1, "tail", child)
    wrapped = lxml_html.tostring(root, encoding="unicode")
    return Markup(wrapped.removeprefix("<div>").removesuffix("</div>"))


def _isolate(parent: Any, text: str | None, position: int, where: str, owner: Any) -> None:
    """Put each number run of ``text`` (``owner``'s text or tail) in its own isolate,
    inserted into ``parent`` from ``position``."""
    if not text or not NUMBER_RUN.search(text):
        return
    pieces = NUMBER_RUN.split(text)
    setattr(owner, where, pieces[0])
    for number, after in zip(NUMBER_RUN.findall(text), pieces[1:], strict=True):
        isolate = lxml_html.Element("bdi", dir="ltr")
        isolate.text, isolate.tail = number, after
        parent.insert(position, isolate)
        position += 1
