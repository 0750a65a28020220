"""The placeholders ``make new`` writes for the officer to replace, and how the content check
finds any left behind. One source for both, so a changed placeholder is still refused."""

from __future__ import annotations

from .schema import Field

FILL_IN = "FILL IN"
CHOOSE = "CHOOSE one of"
WRITE_HERE = "Write the notice here"
BODY = f"{WRITE_HERE}, in plain English. Use ## headings, lists and links as needed.\n"

# What the check looks for: each placeholder's fixed opening words, as make new writes them.
MARKERS = (f"{FILL_IN} (", f"{CHOOSE} ", WRITE_HERE)


def placeholder(spec: Field) -> str:
    """What make new writes for a required field it was not given."""
    if spec.choices:
        return f"{CHOOSE} {', '.join(spec.choices)}"
    return f"{FILL_IN} ({spec.help or spec.name})"


def placeholder_in(text: str) -> str | None:
    """The opening words of the first placeholder left in ``text``, if any."""
    return next((marker.strip(" (") for marker in MARKERS if marker in text), None)
