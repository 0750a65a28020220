"""What the sanitiser took out of a page's text, and the lines of the officer's file to look
at, for warnings like ``content/notices/x.md: Text: warning: line 12: <script> ...``.

Found by comparing the HTML before and after (elements, attributes, classes, style
properties and comments, counted), not by predicting the sanitiser, so whatever it removes
is reported.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from lxml import etree
from lxml import html as lxml_html

from .policy import CONTENT_REMOVED, TAGS

_END_TAG = re.compile(r"</\s*([A-Za-z][A-Za-z0-9]*)\s*>")
# Where elements Markdown makes from its own syntax (not raw HTML) are written.
_MARKDOWN_SYNTAX = {
    "img": r"!\[",
    "h1": r"^ {0,3}#(?!#)|^=+\s*$",
    "h5": r"^ {0,3}#{5}(?!#)",
    "h6": r"^ {0,3}#{6}",
}
_HINTS = {
    "h1": "; the Title is the page's heading: use ## to #### for headings in the text",
    "h5": "; use ## to #### for headings",
    "h6": "; use ## to #### for headings",
}
_PICTURE = "pictures are not published, so the <img> was removed; link to the picture instead"


@dataclass(frozen=True)
class Removal:
    """One thing removed: what to tell the officer, and how to find it in their file."""

    message: str
    pattern: str  # a regular expression matching where it is written
    from_end: bool = False  # the n-th removal is at the n-th place from the end


def removals(before: str, after: str) -> Iterator[Removal]:
    """Everything in ``before`` that is not in ``after``, one Removal per occurrence."""
    old, new = _fragment(before), _fragment(after)
    for tag, count in (_tags(old) - _tags(new)).items():
        for _ in range(count):
            yield _removed_tag(tag)
    for (tag, name, value), count in (_attributes(old) - _attributes(new)).items():
        for _ in range(count):
            yield _removed_attribute(tag, name, value)
    for _ in range(_comments(old) - _comments(new)):
        yield Removal("an HTML comment was removed (comments are never published)", "<!--")
    for tag, count in (_end_tags(before) - _tags(old)).items():
        for _ in range(count):
            # Strays mostly follow a pair that is closed properly.
            yield Removal(
                f"a closing </{tag}> with no opening tag was removed",
                rf"</\s*{tag}\s*>",
                from_end=True,
            )


def _fragment(html: str) -> etree._Element:
    return lxml_html.fragment_fromstring(html, create_parent="div")


def _tags(root: etree._Element) -> Counter[str]:
    return Counter(e.tag for e in root.iterdescendants() if isinstance(e.tag, str))


def _comments(root: etree._Element) -> int:
    return sum(1 for _ in root.iterdescendants(etree.Comment))


def _end_tags(html: str) -> Counter[str]:
    return Counter(tag.lower() for tag in _END_TAG.findall(html))


def _attributes(root: etree._Element) -> Counter[tuple[str, str, str]]:
    """(tag, attribute, value) of elements the sanitiser keeps: classes and style
    properties one by one, as it filters them one by one."""
    found: Counter[tuple[str, str, str]] = Counter()
    for element in root.iterdescendants():
        if not isinstance(element.tag, str) or element.tag not in TAGS:
            continue
        for name, value in element.attrib.items():
            if name == "class":
                found.update((element.tag, name, c) for c in value.split())
            elif name == "style":
                properties = (p.split(":")[0].strip().lower() for p in value.split(";"))
                found.update((element.tag, name, p) for p in properties if p)
            else:
                found[(element.tag, name, value)] += 1
    return found


def _removed_tag(tag: str) -> Removal:
    where = rf"<\s*{tag}\b"
    if tag in _MARKDOWN_SYNTAX:
        where += "|" + _MARKDOWN_SYNTAX[tag]
    if tag == "img":
        return Removal(_PICTURE, where)
    if tag in CONTENT_REMOVED:
        return Removal(f"<{tag}> is not allowed and was removed with everything in it", where)
    return Removal(
        f"<{tag}> is not allowed and was removed, keeping its words{_HINTS.get(tag, '')}", where
    )


def _removed_attribute(tag: str, name: str, value: str) -> Removal:
    if name == "href":
        return Removal(
            f"the link to '{value}' was removed: links must start with https://, http:// or "
            "mailto:, or go to a page of this site",
            re.escape(value.strip()[:40]),
        )
    if name in ("class", "style"):
        written = rf"\b{name}\s*=" + (r"|\{:?[^}]*\." if name == "class" else "")
        return Removal(f"the {name} '{value}' on <{tag}> is not allowed and was removed", written)
    return Removal(
        f"the {name} attribute on <{tag}> is not allowed and was removed", rf"\b{name}\s*="
    )
