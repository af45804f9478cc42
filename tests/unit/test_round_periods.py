"""The cycles of periodic rounds: which period's round is due on a day, and when the next falls due."""
from __future__ import annotations

from datetime import date

import pytest

from engine.services.rounds import Period, fill, latest_due, next_due


@pytest.mark.parametrize("cycle, anchor, day, expected", [
    ("yearly", date(2026, 1, 15), date(2026, 1, 14), None),
    ("yearly", date(2026, 1, 15), date(2026, 1, 15), Period("2026", "2026年度", date(2026, 1, 15))),
    ("yearly", date(2026, 1, 15), date(2027, 1, 14), Period("2026", "2026年度", date(2026, 1, 15))),
    ("quarterly", date(2026, 4, 1), date(2026, 8, 3), Period("2026-Q3", "2026年第3季度", date(2026, 7, 1))),
    # The anchor's month within its quarter carries over: 02-10 makes 05-10, 08-10, 11-10.
    ("quarterly", date(2026, 2, 10), date(2026, 11, 9), Period("2026-Q3", "2026年第3季度", date(2026, 8, 10))),
    ("quarterly", date(2026, 2, 10), date(2027, 1, 5), Period("2026-Q4", "2026年第4季度", date(2026, 11, 10))),
    # A day the month lacks is its last day.
    ("monthly", date(2026, 1, 31), date(2026, 2, 28), Period("2026-02", "2026年2月", date(2026, 2, 28))),
    ("monthly", date(2026, 1, 31), date(2026, 2, 27), Period("2026-01", "2026年1月", date(2026, 1, 31))),
])
def test_the_latest_period_due_on_a_day(cycle, anchor, day, expected):
    assert latest_due(cycle, anchor, day) == expected


def test_rounds_due_before_the_schedule_existed_are_not_owed():
    assert latest_due("monthly", date(2026, 1, 5), date(2026, 3, 2), since=date(2026, 3, 2)) is None
    assert latest_due("monthly", date(2026, 1, 5), date(2026, 4, 5), since=date(2026, 3, 2)).key == "2026-04"


@pytest.mark.parametrize("cycle, anchor, day, expected", [
    ("yearly", date(2026, 1, 15), date(2026, 3, 2), ("2027", date(2027, 1, 15))),
    ("yearly", date(2027, 1, 15), date(2026, 3, 2), ("2027", date(2027, 1, 15))),
    ("quarterly", date(2026, 4, 1), date(2026, 4, 1), ("2026-Q3", date(2026, 7, 1))),
    ("monthly", date(2026, 3, 2), date(2026, 12, 5), ("2027-01", date(2027, 1, 2))),
])
def test_the_next_period_falls_due_after_the_day(cycle, anchor, day, expected):
    found = next_due(cycle, anchor, day)
    assert (found.key, found.due_on) == expected


def test_the_start_data_gets_the_period_and_deadline_wherever_they_are_named():
    period = Period("2026-Q4", "2026年第4季度", date(2026, 10, 1))
    assert fill({"round_name": "{period}轮次", "due_on": "{deadline}", "items": ["{period}", 3], "n": 1}, period,
                date(2026, 11, 5)) == {"round_name": "2026年第4季度轮次", "due_on": "2026-11-05",
                                       "items": ["2026年第4季度", 3], "n": 1}
