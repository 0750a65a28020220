"""Dates are ISO 8601 in Europe/London unless they carry an offset."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from plugins.content_model.london_time import TimeProblem, parse_date, parse_datetime


def offset_hours(text: str) -> float:
    offset = parse_datetime(text).utcoffset()
    assert offset is not None
    return offset / timedelta(hours=1)


def test_winter_times_are_gmt() -> None:
    assert offset_hours("2026-12-25 09:00") == 0


def test_summer_times_are_bst() -> None:
    assert offset_hours("2026-07-01 09:00") == 1


def test_the_hour_before_and_after_the_march_change() -> None:
    assert offset_hours("2026-03-29 00:59") == 0
    assert offset_hours("2026-03-29 02:00") == 1


def test_the_hour_before_and_after_the_october_change() -> None:
    assert offset_hours("2026-10-25 00:59") == 1
    assert offset_hours("2026-10-25 02:00") == 0


def test_an_offset_settles_the_repeated_october_hour() -> None:
    assert offset_hours("2026-10-25T01:30+01:00") == 1
    assert offset_hours("2026-10-25T01:30+00:00") == 0


@pytest.mark.parametrize("text", ["2026-03-29 01:00", "2026-03-29 01:59"])
def test_the_missing_march_hour_is_refused(text: str) -> None:
    with pytest.raises(TimeProblem, match="does not exist in London"):
        parse_datetime(text)


def test_the_repeated_october_hour_is_refused_without_an_offset() -> None:
    with pytest.raises(TimeProblem, match="happens twice"):
        parse_datetime("2026-10-25 01:00")


def test_a_date_alone_is_london_midnight() -> None:
    moment = parse_datetime("2026-07-01")
    assert (moment.hour, moment.utcoffset()) == (0, timedelta(hours=1))


def test_utc_z_and_seconds_are_accepted() -> None:
    assert parse_datetime("2026-11-28T09:30:15Z").utcoffset() == timedelta(0)


def test_dates_are_calendar_dates() -> None:
    assert parse_date("2026-12-31") == date(2026, 12, 31)
    with pytest.raises(TimeProblem):
        parse_date("2026-12-31 09:00")
