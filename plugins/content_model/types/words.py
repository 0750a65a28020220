"""Small helpers the types' modules share."""

from __future__ import annotations

from datetime import date, datetime

from ..london_time import LONDON


def N_(text: str) -> str:
    """Marks interface text for the translation catalogues; templates translate it when
    they show it (``_(content_type.label)``)."""
    return text


def shown(moment: datetime) -> str:
    """A time as officers write it, in problems' messages."""
    return moment.astimezone(LONDON).strftime("%Y-%m-%d %H:%M")


def today(now: datetime) -> date:
    """The day it is in London."""
    return now.astimezone(LONDON).date()
