"""How dates, times and lists read on the site: GOV.UK style, in London time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from functools import lru_cache

from babel.dates import format_date, format_time

from plugins.content_model.london_time import LONDON


@lru_cache(maxsize=65536)  # each item's dates appear on several pages of a build
def london_date(moment: date | datetime, locale: str = "en") -> str:
    """'28 November 2026' (a datetime is first moved to London time)."""
    day = moment.astimezone(LONDON).date() if isinstance(moment, datetime) else moment
    return format_date(day, "d MMMM y", locale=locale.replace("-", "_"))


@lru_cache(maxsize=65536)
def london_weekday_date(day: date, locale: str = "en") -> str:
    """'Friday 25 December 2026', for collection days."""
    return format_date(day, "EEEE d MMMM y", locale=locale.replace("-", "_"))


def weekday_name(weekday: int, locale: str = "en") -> str:
    """'Monday' for 0, in ``locale``."""
    return format_date(date(2024, 1, 1 + weekday), "EEEE", locale=locale.replace("-", "_"))


Gettext = Callable[[str], str]


def _untranslated(text: str) -> str:
    return text


def london_time(moment: datetime, locale: str = "en", gettext: Gettext = _untranslated) -> str:
    """'9:30am', 'midday' or 'midnight', as GOV.UK writes times in English; in another
    language, as that language writes them (CLDR's short time: '09:30', '9:30 م')."""
    local = moment.astimezone(LONDON)
    if locale.split("-")[0] != "en":
        return format_time(local, "short", locale=locale.replace("-", "_"))
    if (local.hour, local.minute) == (12, 0):
        return gettext("midday")
    if (local.hour, local.minute) == (0, 0):
        return gettext("midnight")
    hour = local.hour % 12 or 12
    suffix = gettext("am") if local.hour < 12 else gettext("pm")
    return f"{hour}:{local.minute:02d}{suffix}" if local.minute else f"{hour}{suffix}"


@lru_cache(maxsize=65536)
def london_datetime(moment: datetime, locale: str = "en", gettext: Gettext = _untranslated) -> str:
    """'9:30am on 28 November 2026'."""
    return gettext("%(time)s on %(date)s") % {
        "time": london_time(moment, locale, gettext),
        "date": london_date(moment, locale),
    }


def iso(moment: date | datetime) -> str:
    """Machine-readable time for <time datetime>: seconds and a numeric offset."""
    if isinstance(moment, datetime):
        return moment.astimezone(LONDON).isoformat(timespec="seconds")
    return moment.isoformat()
