"""Sanitising one page's text and saying, line by line, what was removed."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence

from plugins.content_model.model import TEXT, Problem

from .policy import clean
from .removals import Removal, removals

# The Markdown a page's text was made from, and the line of the file it starts on.
BodyReader = Callable[[], tuple[str, int]]


def sanitise(html: str, path: str, read_body: BodyReader) -> tuple[str, list[Problem]]:
    """The safe HTML of a page's text, and a warning for everything taken out of it.

    ``read_body`` is called only when something was removed, to find its lines.
    """
    cleaned = clean(html)
    if cleaned == html:  # the usual case: nothing to compare
        return html, []
    found = list(removals(html, cleaned))
    if not found:  # written differently, nothing taken out
        return cleaned, []
    body, body_line = read_body()
    warnings = [
        Problem(path, TEXT, f"line {number}: {r.message}" if number else r.message, warning=True)
        for r, number in zip(found, lines_of(found, body, body_line), strict=True)
    ]
    return cleaned, list(dict.fromkeys(warnings))


def lines_of(found: Sequence[Removal], body: str, body_line: int) -> list[int | None]:
    """The line each removal is written on: the n-th removal of a kind is taken to be the
    n-th place that kind is written (counted from the end for stray closing tags)."""
    lines = body.splitlines()
    seen: Counter[str] = Counter()
    numbers: list[int | None] = []
    for removal in found:
        pattern = re.compile(removal.pattern, re.IGNORECASE)
        places = [
            number
            for number, line in enumerate(lines, start=body_line)
            for _ in pattern.finditer(line)
        ]
        nth = seen[removal.pattern]
        seen[removal.pattern] += 1
        if removal.from_end:
            places.reverse()
        numbers.append(places[min(nth, len(places) - 1)] if places else None)
    return numbers
