"""Reading the ONS postcode directory (NSPL or ONSPD CSV) as published.

Column names change between releases: older files have ``laua``/``ward`` (ONSPD
``oslaua``/``osward``), newer ones year-suffixed names such as ``lad25cd``/``wd25cd``.
They are found by pattern, and the ward vintage (``WD25``) is recorded.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from subscriber_lambda.core.postcodes import normalise_postcode, outward_code

__all__ = ["Columns", "DirectoryError", "find_columns", "normalise_postcode", "outward_code"]

_LAD_SUFFIXED = re.compile(r"^lad(\d\d)cd$")
_WARD_SUFFIXED = re.compile(r"^wd(\d\d)cd$")


class DirectoryError(ValueError):
    """A file that is not a usable postcode directory; the message says what to do."""


@dataclass(frozen=True)
class Columns:
    """Where the fields we need are in this release's rows."""

    postcode: int
    terminated: int
    authority: int
    ward: int
    ward_vintage: str  # 'WD25', or the column's name where the file does not say the year
    latitude: int | None = None  # where the postcode is (its centroid), when the file says
    longitude: int | None = None


def find_columns(header: Sequence[str]) -> Columns:
    names = [name.strip().lower() for name in header]

    def position(wanted: str, *patterns: str | re.Pattern[str]) -> int:
        for pattern in patterns:
            for index, name in enumerate(names):
                if name == pattern if isinstance(pattern, str) else pattern.match(name):
                    return index
        raise DirectoryError(
            f"columns: no {wanted} column (looked for {', '.join(_show(p) for p in patterns)}); "
            "is this the National Statistics Postcode Lookup (NSPL) or ONSPD CSV?"
        )

    ward = position("ward", _WARD_SUFFIXED, "ward", "osward")
    suffixed = _WARD_SUFFIXED.match(names[ward])
    latitude, longitude = (names.index(n) if n in names else None for n in ("lat", "long"))
    return Columns(
        latitude=latitude if longitude is not None else None,
        longitude=longitude if latitude is not None else None,
        postcode=position("postcode", "pcds"),
        terminated=position("termination date", "doterm"),
        authority=position("local authority", _LAD_SUFFIXED, "laua", "oslaua"),
        ward=ward,
        ward_vintage=f"WD{suffixed.group(1)}" if suffixed else names[ward],
    )


def _show(pattern: str | re.Pattern[str]) -> str:
    return (
        pattern
        if isinstance(pattern, str)
        else pattern.pattern.strip("^$").replace("(\\d\\d)", "NN")
    )
