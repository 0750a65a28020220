"""The postcode lookup grouped for pages that work without JavaScript: each outward code
(CT16) with its sectors (CT16 1), and for each sector the ward it is in or, where a
sector is split between wards, which postcodes are in which ward."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from .nspl import outward_code

_PARTS = re.compile(r"^([A-Z]+)(\d+)(.*)$")


@dataclass(frozen=True)
class Sector:
    code: str  # 'CT16 1'
    wards: Mapping[str, tuple[str, ...]]  # ward slug -> its postcodes in the sector

    @property
    def split(self) -> bool:
        return len(self.wards) > 1


@dataclass(frozen=True)
class Outward:
    code: str  # 'CT16'
    sectors: tuple[Sector, ...]

    @property
    def wards(self) -> list[str]:
        """Ward slugs with postcodes here, each once."""
        return list(dict.fromkeys(slug for sector in self.sectors for slug in sector.wards))


def outward_order(code: str) -> tuple[str, int, str]:
    """CT3 before CT13, as residents expect."""
    match = _PARTS.match(code)
    return (match.group(1), int(match.group(2)), match.group(3)) if match else (code, 0, "")


def postcode_areas(postcodes: Mapping[str, str]) -> list[Outward]:
    """``postcodes`` maps 'CT16 1LU' to a ward slug; outward codes in natural order."""
    grouped: dict[str, dict[str, dict[str, list[str]]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(list))
    )
    for postcode in sorted(postcodes):
        grouped[outward_code(postcode)][postcode[:-2]][postcodes[postcode]].append(postcode)
    return [
        Outward(
            outward,
            tuple(
                Sector(sector, {ward: tuple(codes) for ward, codes in wards.items()})
                for sector, wards in sorted(grouped[outward].items())
            ),
        )
        for outward in sorted(grouped, key=outward_order)
    ]
