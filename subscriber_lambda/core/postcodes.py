"""UK postcodes as residents type them: one normal form, shared by the site's importer and
the backend's forms."""

from __future__ import annotations

import re

POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})$")


def normalise_postcode(text: str) -> str | None:
    """'ct161lu' -> 'CT16 1LU'; None when it is not a UK postcode."""
    squeezed = re.sub(r"\s+", "", text.upper())
    match = POSTCODE.match(squeezed)
    return f"{match.group(1)} {match.group(2)}" if match else None


def outward_code(postcode: str) -> str:
    return postcode.split(" ", 1)[0]
