"""The calendar of record: the working calendar of the holiday notices installed in the database.

Every process (web workers, schedulers, the command line) counts by the notices in
`calendar_arrangements`. An install raises `calendar_head.version`; each process compares
that version with the one its calendar was built from and rebuilds when they differ, and
tells its script worker, so a new notice takes effect everywhere without a restart.

The trade-off: the version is read at the start of a unit of work, but at most once per
`check_seconds` (PDW_CALENDAR_CHECK_SECONDS, 1 s by default) per process, so the hot path
(start, decide, fire) pays for one indexed read per second, not one per transaction. For that
long after an install another process may still count by the old calendar (and a transaction
it began before noticing may commit later still); the installing process itself switches at
once, and the scheduler re-counts, a minute after it notices a change, what was written by the
old calendar meanwhile (engine.scheduler.CalendarSettler; `pdw calendar recount` by hand).
"""
from __future__ import annotations

import threading
import time
from datetime import datetime
from typing import Callable

from engine.calendar import Rule, WorkingCalendar
from engine.calendar.arrangements import Arrangement


class CalendarOfRecord:
    """The engine's calendar: a WorkingCalendar (every method of which it answers) that follows
    the database's calendar version.

    Until the database is first read it is the holidays package's calendar alone.

    Args:
        rules: the statutory period rules.
        check_seconds: read the version at most this often (0: at every unit of work).
        on_change: called with the arrangements (as JSON data) whenever they change, so the
            script worker counts by them too.
        monotonic: the clock that spaces the checks (tests pass their own).
    """

    def __init__(self, rules: dict[str, Rule], *, check_seconds: float = 1.0,
                 on_change: Callable[[list[dict]], None] | None = None,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._rules = rules
        self._check_seconds = check_seconds
        self._on_change = on_change
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._next_check = float("-inf")
        self._calendar = WorkingCalendar(rules=rules)
        self._arrangements: dict[int, Arrangement] = {}
        self.version: int | None = None

    def __getattr__(self, name: str):
        # Everything else is the current calendar's: is_workday, deadline, notice, ...
        return getattr(self._calendar, name)

    @property
    def current(self) -> WorkingCalendar:
        """The calendar counted by now."""
        return self._calendar

    @property
    def arrangements(self) -> dict[int, Arrangement]:
        """The installed arrangements the current calendar was built from, by year."""
        return dict(self._arrangements)

    def follow(self, uow) -> None:
        """Read the calendar version in `uow` (unless read less than `check_seconds` ago) and
        rebuild the calendar when it changed."""
        now = self._monotonic()
        if now < self._next_check:
            return
        self._next_check = now + self._check_seconds
        version = uow.calendar.version()
        if version != self.version:
            self.use(version, arrangements_of(uow.calendar.current()))

    def use(self, version: int, arrangements: dict[int, Arrangement]) -> None:
        """Count by `arrangements`, which are calendar version `version`."""
        calendar = WorkingCalendar(arrangements, self._rules)
        with self._lock:
            changed = arrangements != self._arrangements or self.version is None
            self._calendar, self._arrangements, self.version = calendar, dict(arrangements), version
        if changed and self._on_change is not None:
            self._on_change(worker_payload(arrangements))

    def recheck(self) -> None:
        """Read the version at the next unit of work, however recently it was read."""
        self._next_check = float("-inf")


def arrangements_of(rows) -> dict[int, Arrangement]:
    """The arrangements of installed rows (`ArrangementRow`s), by year."""
    return {row.year: arrangement_of(row.days, row.installed_at) for row in rows}


def arrangement_of(days: dict, installed_at: datetime | None) -> Arrangement:
    """The arrangement a row's `days` hold."""
    return Arrangement.from_dict(days, installed_at)


def worker_payload(arrangements: dict[int, Arrangement]) -> list[dict]:
    """The arrangements as the script worker takes them."""
    return [arrangements[year].to_dict() for year in sorted(arrangements)]
