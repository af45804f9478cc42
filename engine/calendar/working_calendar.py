"""The statutory working-day calendar: which days are 工作日, and when a period ends."""
from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import holidays
from holidays.countries.china import ChinaStaticHolidays

from engine.calendar.arrangements import SHIPPED_DIR, Arrangement, load_arrangements
from engine.calendar.model import (
    DAY_OFF,
    DAYS,
    MAKE_UP_WORKDAY,
    MAX_YEAR,
    MIN_YEAR,
    SOURCE_PACKAGE,
    SOURCE_PROVISIONAL,
    WORKING_DAYS,
    CalendarError,
    DayEntry,
    Deadline,
    Notice,
    Rule,
)
from engine.calendar.rules import load_rules
from engine.clock import SHANGHAI

# The holidays package transcribes each year's State Council notice (its make-up working days
# and swapped days off live in ChinaStaticHolidays.special_public_holidays) from 2001, the first
# year of the current notice system, up to the newest notice it ships. Outside those years the
# package only knows the statutory festival days, so a deadline there is provisional until a
# local arrangement file for the year is loaded.
PACKAGE_OFFICIAL_YEARS = range(2001, max(ChinaStaticHolidays.special_public_holidays) + 1)


@dataclass(frozen=True)
class _Year:
    """One year, precomputed: its working days as sorted ordinals, for bisect.

    `neighbours` are the notices of the years either side that move days into this one.
    """

    ordinals: tuple[int, ...]
    ordinal_set: frozenset[int]
    notice: Notice
    entries: tuple[DayEntry, ...]
    neighbours: tuple[Notice, ...] = ()


class WorkingCalendar:
    """Working days from the holidays package, overridden year by year by arrangements.

    An arrangement may also name days at the turn of the year next to its own (a notice moving
    days across New Year); those override what the neighbouring year says about them.
    Years are computed lazily on first use and kept on the instance; the caller keeps the instance.
    """

    def __init__(self, arrangements: dict[int, Arrangement] | None = None, rules: dict[str, Rule] | None = None) -> None:
        self._arrangements = dict(arrangements or {})
        self._rules = rules
        self._years: dict[int, _Year] = {}
        self._basis: dict[tuple[int, int], tuple[Notice, ...]] = {}
        self._due_at: dict[date, datetime] = {}

    @classmethod
    def load(cls, extra_dir: Path | None = None) -> "WorkingCalendar":
        """Build the calendar from the package, the shipped arrangements and a local folder.

        Args:
            extra_dir: a folder of arrangement files read after the shipped ones (the
                arrangements_dir setting); None for the shipped ones only.

        Returns:
            A calendar whose years are computed on first use.

        Raises:
            CalendarError: the extra folder does not exist.
            InvalidInput: an arrangement file has problems.
        """
        folders = [SHIPPED_DIR]
        if extra_dir is not None:
            folders.append(Path(extra_dir))
        return cls(load_arrangements(*folders))

    @property
    def rules(self) -> dict[str, Rule]:
        """The rules this calendar resolves `extends` against: the shipped rules unless given."""
        if self._rules is None:
            self._rules = load_rules()
        return self._rules

    def is_workday(self, day: date) -> bool:
        """True when `day` is a working day (weekday not off, or a make-up working weekend day).

        Raises:
            CalendarError: the year is outside 1950..2200.
        """
        return day.toordinal() in self._year(day.year).ordinal_set

    def add_working_days(self, start: date, n: int) -> date:
        """The Nth working day after `start`; `start` itself is never counted.

        Raises:
            CalendarError: n < 1, or the result would fall outside 1950..2200.
        """
        _check_period(n, "working days")
        year = start.year
        ordinals = self._year(year).ordinals
        index = bisect_right(ordinals, start.toordinal())
        remaining = n
        while remaining > len(ordinals) - index:
            remaining -= len(ordinals) - index
            year += 1
            ordinals = self._year(year).ordinals
            index = 0
        return date.fromordinal(ordinals[index + remaining - 1])

    def add_days(self, start: date, n: int) -> date:
        """`start` + n calendar days, moved forward to the next working day when that is a day off.

        Raises:
            CalendarError: n < 1, or the result would fall outside 1950..2200.
        """
        _check_period(n, "days")
        self._year(start.year)
        try:
            end = start + timedelta(days=n)
        except OverflowError:
            raise CalendarError("calendar.beyond_range", start=start.isoformat(), days=n, max_year=MAX_YEAR) from None
        if end.toordinal() in self._year(end.year).ordinal_set:
            return end
        return self.add_working_days(end, 1)

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]; minus the working days in (end, start] when end < start.

        Raises:
            CalendarError: a year is outside 1950..2200.
        """
        if end < start:
            return -self.working_days_between(end, start)
        first = self._year(start.year).ordinals
        last = self._year(end.year).ordinals
        if start.year == end.year:
            return bisect_right(last, end.toordinal()) - bisect_right(first, start.toordinal())
        middle = sum(len(self._year(year).ordinals) for year in range(start.year + 1, end.year))
        return len(first) - bisect_right(first, start.toordinal()) + middle + bisect_right(last, end.toordinal())

    def is_provisional(self, year: int) -> bool:
        """True when neither a local file nor the package carries the year's State Council notice.

        Raises:
            CalendarError: the year is outside 1950..2200.
        """
        _check_year(year)
        return year not in self._arrangements and year not in PACKAGE_OFFICIAL_YEARS

    def notice(self, year: int) -> Notice:
        """Where the year's arrangement comes from.

        Raises:
            CalendarError: the year is outside 1950..2200.
        """
        return self._year(year).notice

    def year_entries(self, year: int) -> list[DayEntry]:
        """The year's days off and make-up working days, sorted, each with its source.

        Raises:
            CalendarError: the year is outside 1950..2200.
        """
        return list(self._year(year).entries)

    def deadline(
        self,
        received: date,
        *,
        working_days: int | None = None,
        days: int | None = None,
        rule: Rule | str | None = None,
        rules: dict[str, Rule] | None = None,
    ) -> Deadline:
        """The deadline of a period starting the day after `received`.

        Args:
            received: the day of receipt (not counted).
            working_days: a period of N working days.
            days: a period of N calendar days.
            rule: a Rule, or a rule id looked up in `rules`; a rule that `extends` another is
                counted on from the other rule's deadline.
            rules: the rules to resolve ids and `extends` against; the shipped rules when None.

        Returns:
            The deadline, ending at 24:00 Asia/Shanghai on the due date, with its notices.

        Raises:
            CalendarError: not exactly one period given, N < 1, an unknown rule, or a year
                outside 1950..2200.
        """
        given = (working_days is not None) + (days is not None) + (rule is not None)
        if given != 1:
            raise CalendarError("calendar.period_ambiguous")
        rule_id = article = None
        if working_days is not None:
            due = self.add_working_days(received, working_days)
        elif days is not None:
            due = self.add_days(received, days)
        else:
            known = rules if rules is not None else self.rules
            rule = self._resolve(rule, known)
            due = self._rule_due(received, rule, known)
            rule_id, article = rule.id, rule.article
        basis = self._basis_for(received.year, due.year)
        provisional = any(notice.source == SOURCE_PROVISIONAL for notice in basis)
        return Deadline(due, self._end_of(due), provisional, rule_id, article, basis)

    def _resolve(self, rule: Rule | str, rules: dict[str, Rule]) -> Rule:
        if isinstance(rule, Rule):
            return rule
        if rule not in rules:
            raise CalendarError("calendar.rule_unknown", rule=rule, known=sorted(rules))
        return rules[rule]

    def _rule_due(self, received: date, rule: Rule, rules: dict[str, Rule], depth: int = 0) -> date:
        start = received
        if rule.extends is not None:
            if rule.extends not in rules or depth > len(rules):
                raise CalendarError("calendar.rule_extends_unknown", rule=rule.id, extends=rule.extends)
            start = self._rule_due(received, rules[rule.extends], rules, depth + 1)
        if rule.unit == WORKING_DAYS:
            return self.add_working_days(start, rule.period)
        if rule.unit == DAYS:
            return self.add_days(start, rule.period)
        raise CalendarError("calendar.unit_unknown", rule=rule.id, unit=rule.unit)

    def _basis_for(self, first: int, last: int) -> tuple[Notice, ...]:
        key = (first, last)
        if key not in self._basis:
            notices = {}
            for year in range(first, last + 1):
                built = self._year(year)
                for notice in (built.notice, *built.neighbours):
                    notices.setdefault(notice.year, notice)
            self._basis[key] = tuple(notices[year] for year in sorted(notices))
        return self._basis[key]

    def _end_of(self, due: date) -> datetime:
        # The period ends at 24:00 of the due date in Beijing, which is 00:00 of the next day.
        if due not in self._due_at:
            midnight = datetime.combine(due + timedelta(days=1), time(0), tzinfo=SHANGHAI)
            self._due_at[due] = midnight.astimezone(timezone.utc)
        return self._due_at[due]

    def _year(self, year: int) -> _Year:
        cached = self._years.get(year)
        if cached is None:
            _check_year(year)
            cached = self._years[year] = self._build_year(year)
        return cached

    def _build_year(self, year: int) -> _Year:
        arrangement = self._arrangements.get(year)
        if arrangement is not None:
            notice = arrangement.notice
            by_day = {entry.day: entry for entry in arrangement.entries if entry.day.year == year}
        else:
            notice, entries = self._package_year(year)
            by_day = {entry.day: entry for entry in entries}
        neighbours = []
        for other in (year - 1, year + 1):
            moved = [entry for entry in self._arrangements[other].entries
                     if entry.day.year == year] if other in self._arrangements else []
            if moved:
                # The notice of the next (or last) year moves these days across New Year.
                by_day.update((entry.day, entry) for entry in moved)
                neighbours.append(self._arrangements[other].notice)
        days_off = frozenset(day for day, entry in by_day.items() if entry.kind == DAY_OFF)
        make_up = frozenset(day for day, entry in by_day.items() if entry.kind == MAKE_UP_WORKDAY)
        first = date(year, 1, 1).toordinal()
        ordinals = tuple(
            ordinal
            for ordinal in range(first, date(year, 12, 31).toordinal() + 1)
            if _is_workday(date.fromordinal(ordinal), days_off, make_up)
        )
        entries = tuple(sorted(by_day.values(), key=lambda entry: entry.day))
        return _Year(ordinals, frozenset(ordinals), notice, entries, tuple(neighbours))

    def _package_year(self, year: int) -> tuple[Notice, list[DayEntry]]:
        package = holidays.China(years=year, language="zh_CN")
        days_off = frozenset(day for day in package if day.year == year)
        # weekend_workdays accumulates make-up days of other years too; keep this year's only.
        make_up = frozenset(day for day in package.weekend_workdays if day.year == year)
        entries = [DayEntry(day, DAY_OFF, package[day], SOURCE_PACKAGE) for day in days_off]
        entries += [DayEntry(day, MAKE_UP_WORKDAY, "调休上班", SOURCE_PACKAGE) for day in make_up]
        source = SOURCE_PACKAGE if year in PACKAGE_OFFICIAL_YEARS else SOURCE_PROVISIONAL
        return Notice(year, None, None, None, source), entries


def _is_workday(day: date, days_off: frozenset[date], make_up: frozenset[date]) -> bool:
    if day.weekday() >= 5:
        return day in make_up
    return day not in days_off


def _check_period(n: int, unit: str) -> None:
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise CalendarError("calendar.period_invalid", unit=unit, n=repr(n))


def _check_year(year: int) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise CalendarError("calendar.year_out_of_range", year=year, min=MIN_YEAR, max=MAX_YEAR)
