"""Where content applies, as the check sees it: the wards, the bin collection rounds and
the day of the build (rules about what is still to come, such as a bin change that must
move a collection, leave the past alone)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from .rounds import NO_ROUNDS, Rounds
from .wards import Ward


@dataclass(frozen=True)
class Places:
    wards: Mapping[str, Ward]
    rounds: Rounds = NO_ROUNDS
    today: date | None = None  # None: every date is checked as if still to come
