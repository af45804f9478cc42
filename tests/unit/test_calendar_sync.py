"""The engine's calendar follows the calendar version in the database, reading it at most once per interval."""
from __future__ import annotations

from datetime import date
from types import SimpleNamespace

from engine.calendar import load_rules
from engine.calendar.arrangements import SHIPPED_DIR, read_arrangement
from engine.calendar_sync import CalendarOfRecord


class FakeCalendarRows:
    """What `uow.calendar` answers, counting the version reads."""

    def __init__(self) -> None:
        self.version_value = 1
        self.rows = []
        self.reads = 0

    def version(self) -> int:
        self.reads += 1
        return self.version_value

    def current(self):
        return self.rows


def _row(path):
    arrangement = read_arrangement(path)
    return SimpleNamespace(year=arrangement.year, days=arrangement.to_dict(), installed_at=None)


def test_the_version_is_read_at_most_once_per_interval_and_a_change_rebuilds_the_calendar() -> None:
    clock = [100.0]
    pushed = []
    rows = FakeCalendarRows()
    uow = SimpleNamespace(calendar=rows)
    calendar = CalendarOfRecord(load_rules(), check_seconds=1.0, on_change=pushed.append, monotonic=lambda: clock[0])
    assert calendar.is_provisional(2027) and calendar.version is None

    calendar.follow(uow)
    assert (rows.reads, calendar.version, pushed) == (1, 1, [[]])
    rows.version_value, rows.rows = 2, [_row(SHIPPED_DIR / "2026.toml")]
    clock[0] += 0.5
    calendar.follow(uow)  # within the second: not read, still the old calendar
    assert (rows.reads, calendar.version) == (1, 1)
    assert calendar.add_working_days(date(2026, 9, 30), 1) == date(2026, 10, 8)  # the package knows 2026 too

    clock[0] += 0.5
    calendar.follow(uow)
    assert (rows.reads, calendar.version) == (2, 2)
    assert [payload[0]["notice"] for payload in pushed[1:]] == ["国办发明电〔2025〕7号"]
    assert calendar.notice(2026).source == "local:2026.toml"

    clock[0] += 5
    calendar.follow(uow)  # read again, unchanged: nothing rebuilt or pushed
    assert (rows.reads, len(pushed)) == (3, 2)


def test_recheck_reads_the_version_at_the_next_unit_of_work() -> None:
    rows = FakeCalendarRows()
    uow = SimpleNamespace(calendar=rows)
    calendar = CalendarOfRecord(load_rules(), check_seconds=3600, monotonic=lambda: 0.0)
    calendar.follow(uow)
    calendar.follow(uow)
    calendar.recheck()
    calendar.follow(uow)
    assert rows.reads == 2
