"""The clock: system time, PDW_CLOCK's frozen instant, and `set` for tests and rehearsals."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from engine.clock import Clock, ClockError


def test_set_freezes_a_running_clock_at_the_instant() -> None:
    clock = Clock()
    assert not clock.frozen
    clock.set(datetime(2026, 3, 2, 9, tzinfo=timezone(timedelta(hours=8))))
    assert clock.frozen
    assert clock.now() == datetime(2026, 3, 2, 1, tzinfo=timezone.utc)
    assert clock.now() == clock.now()


def test_set_moves_a_frozen_clock() -> None:
    clock = Clock.parse("2026-03-02T09:00:00+08:00")
    clock.set(datetime(2026, 3, 9, 9, tzinfo=timezone.utc))
    assert clock.now() == datetime(2026, 3, 9, 9, tzinfo=timezone.utc)


def test_a_naive_instant_means_beijing_time() -> None:
    clock = Clock()
    # 2026-03-02 07:00 in Beijing is still 03-01 in UTC; today() is Beijing's date.
    clock.set(datetime(2026, 3, 2, 7))
    assert clock.now() == datetime(2026, 3, 1, 23, tzinfo=timezone.utc)
    assert clock.today() == date(2026, 3, 2)


def test_parse_freezes_at_an_iso_datetime_and_runs_on_an_empty_value() -> None:
    assert Clock.parse("2026-03-02T09:00").now() == datetime(2026, 3, 2, 1, tzinfo=timezone.utc)
    assert not Clock.parse("").frozen


def test_parse_names_pdw_clock_when_the_value_is_not_a_datetime() -> None:
    with pytest.raises(ClockError, match=r"^PDW_CLOCK='yesterday' is not an ISO datetime"):
        Clock.parse("yesterday")
