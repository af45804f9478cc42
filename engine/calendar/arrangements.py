"""Arrangement files: one TOML per year transcribing a State Council holiday notice.

A file is checked whole: `check_arrangement` returns every problem it finds, each naming the
field and the line, so a file is either taken as a whole or refused with all its problems.
"""
from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from engine.calendar.model import DAY_OFF, MAKE_UP_WORKDAY, MAX_YEAR, MIN_YEAR, CalendarError, DayEntry, Notice
from engine.errors import InvalidInput, Problem
from engine.forms import has_control_characters

SHIPPED_DIR = Path(__file__).with_name("arrangements")

# Deepest nesting of brackets a notice may have ([[days_off]] is two).
MAX_NESTING = 4
# The days off a State Council notice lists: the 13 statutory holidays of the 全国年节及纪念日放假办法
# (as amended 2024) with the weekends moved next to them come to 25-35 (2025: 28, 2026: 33); 45
# leaves room for a year of long festivals. More is a transcription error (a year of days off
# would move every open deadline a year) and is refused. Fewer is not refused: a notice that
# only moves one festival (as the State Council's 2020 extension of the Spring Festival did)
# lists a handful of days, and counting too few days off shortens no deadline past its statute's
# festival days, which the calendar adds on its own.
MAX_DAYS_OFF = 45

_KEYS = ("year", "notice", "title", "published", "days_off", "make_up_workdays")
_DAY_KEYS = ("date", "name")
_LISTS = {"days_off": DAY_OFF, "make_up_workdays": MAKE_UP_WORKDAY}
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class Arrangement:
    """A year's days off and make-up working days as one notice declares them.

    A notice may move days across New Year, so a few dates may lie in December of the year
    before or January of the year after; the calendar applies them to those years.
    """

    notice: Notice
    days_off: frozenset[date]
    make_up_workdays: frozenset[date]
    entries: tuple[DayEntry, ...]

    @property
    def year(self) -> int:
        """The year the notice is for."""
        return self.notice.year

    def to_dict(self) -> dict[str, Any]:
        """The arrangement as JSON data (the database row's days and the script worker's input)."""
        return {
            "year": self.notice.year,
            "notice": self.notice.notice,
            "title": self.notice.title,
            "published": self.notice.published.isoformat() if self.notice.published else None,
            "source": self.notice.source,
            "days_off": [[e.day.isoformat(), e.name] for e in self.entries if e.kind == DAY_OFF],
            "make_up_workdays": [[e.day.isoformat(), e.name] for e in self.entries if e.kind == MAKE_UP_WORKDAY],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], installed_at: datetime | None = None) -> "Arrangement":
        """Rebuild an arrangement from `to_dict` output (data already checked when it was installed)."""
        published = date.fromisoformat(data["published"]) if data.get("published") else None
        notice = Notice(data["year"], data.get("notice"), data.get("title"), published, data["source"], installed_at)
        return _build(notice, [(date.fromisoformat(d), name) for d, name in data.get("days_off", [])],
                      [(date.fromisoformat(d), name) for d, name in data.get("make_up_workdays", [])])

    def with_source(self, source: str, installed_at: datetime | None = None) -> "Arrangement":
        """The same days, credited to `source` (and installed at `installed_at`)."""
        notice = replace(self.notice, source=source, installed_at=installed_at)
        entries = tuple(replace(entry, source=source) for entry in self.entries)
        return replace(self, notice=notice, entries=entries)

    def fingerprint(self) -> str:
        """A digest of the notice and its days, whatever file they came from: equal for the same arrangement."""
        data = self.to_dict()
        data.pop("source")
        return hashlib.sha256(repr(sorted(data.items())).encode("utf-8")).hexdigest()


def load_arrangements(*folders: Path) -> dict[int, Arrangement]:
    """Read every *.toml in the folders, in order; a later file replaces an earlier one's year.

    Raises:
        CalendarError: a folder does not exist (`calendar.folder_missing`).
        InvalidInput: a file has problems (`calendar.arrangement_invalid`, one Problem each).
    """
    by_year: dict[int, Arrangement] = {}
    for folder in folders:
        if not folder.is_dir():
            raise CalendarError("calendar.folder_missing", folder=str(folder))
        for path in sorted(folder.glob("*.toml")):
            arrangement = read_arrangement(path)
            by_year[arrangement.year] = arrangement
    return by_year


def read_arrangement(path: Path) -> Arrangement:
    """Parse and check one arrangement file.

    Raises:
        InvalidInput: the file is unreadable or has problems (`calendar.arrangement_invalid`).
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        problems = [Problem("calendar.file_unreadable", {"file": path.name}, file=path.name)]
        raise InvalidInput("calendar.arrangement_invalid", problems, file=path.name, count=1) from None
    arrangement, problems = check_arrangement(text, path.name)
    if problems:
        raise InvalidInput("calendar.arrangement_invalid", problems, file=path.name, count=len(problems))
    return arrangement


def check_arrangement(text: str, file_name: str) -> tuple[Arrangement | None, list[Problem]]:
    """Parse `text` (the TOML of one notice) and find every problem in it.

    The notice number, title and publication date must be present; every date must lie in the
    year (or in December before it or January after it, as notices move days across New Year);
    no day may be listed twice or be both a day off and a make-up working day; make-up
    working days fall on weekends; there is at least one day off; no field is unknown.

    Returns:
        (the arrangement, []) when the file is sound, else (None, every problem, each with its
        field and line).
    """
    lines = _Lines(text)
    if _nesting(text) > MAX_NESTING:
        # Checked before parsing: tomllib recurses once per level and a file of brackets would
        # exhaust the stack. A notice has one level of tables under the top.
        return None, [Problem("calendar.too_deep", {"limit": MAX_NESTING}, file=file_name)]
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        found = re.search(r"\(at line (\d+), column \d+\)", message)
        detail = message[:found.start()].strip() if found else message
        return None, [Problem("calendar.toml_invalid", {"detail": detail}, file=file_name,
                              line=int(found.group(1)) if found else None)]

    problems: list[Problem] = []

    def problem(code: str, params: dict | None = None, *, field: str, line: int | None) -> None:
        problems.append(Problem(code, params or {}, field=field, file=file_name, line=line))

    for key in data:
        if key not in _KEYS:
            problem("calendar.field_unknown", {"name": key}, field=key, line=lines.key(key))
    year = data.get("year")
    if not isinstance(year, int) or isinstance(year, bool) or not MIN_YEAR <= year <= MAX_YEAR:
        problem("calendar.year_invalid", {"min": MIN_YEAR, "max": MAX_YEAR}, field="year", line=lines.key("year"))
        year = None
    for key in ("notice", "title"):
        if isinstance(data.get(key), str) and has_control_characters(data[key]):
            problem("calendar.control_characters", {"field": key}, field=key, line=lines.key(key))
    if not _text(data.get("notice")):
        problem("calendar.notice_missing", field="notice", line=lines.key("notice"))
    if not _text(data.get("title")):
        problem("calendar.title_missing", field="title", line=lines.key("title"))
    published = data.get("published")
    if published is None:
        problem("calendar.published_missing", field="published", line=None)
    elif type(published) is not date:
        problem("calendar.published_invalid", {"value": str(published)}, field="published",
                line=lines.key("published"))

    days: dict[str, list[tuple[date, str]]] = {key: [] for key in _LISTS}
    seen: dict[date, tuple[str, int | None]] = {}
    for key in _LISTS:
        raw_days = data.get(key, [])
        if not isinstance(raw_days, list) or not all(isinstance(raw, dict) for raw in raw_days):
            problem("calendar.days_not_tables", {"key": key}, field=key, line=lines.key(key))
            continue
        for index, raw in enumerate(raw_days):
            field, line = f"{key}[{index + 1}]", lines.table(key, index)
            for unknown in sorted(set(raw) - set(_DAY_KEYS)):
                problem("calendar.field_unknown", {"name": unknown}, field=f"{field}.{unknown}", line=line)
            name = raw.get("name")
            if isinstance(name, str) and has_control_characters(name):
                problem("calendar.control_characters", {"field": f"{field}.name"}, field=f"{field}.name",
                        line=lines.table_key(key, index, "name", line))
            if not _text(name):
                problem("calendar.name_missing", field=f"{field}.name", line=lines.table_key(key, index, "name", line))
            day = raw.get("date")
            line = lines.table_key(key, index, "date", line)
            if type(day) is not date:
                problem("calendar.date_invalid", {"example": f"{year or 2027}-01-01"}, field=f"{field}.date",
                        line=line)
                continue
            if year is not None and not _near(day, year):
                problem("calendar.date_outside_year", {"date": day.isoformat(), "year": year}, field=f"{field}.date",
                        line=line)
            if day in seen:
                other_key, other_line = seen[day]
                if other_key == key:
                    problem("calendar.date_repeated", {"date": day.isoformat(), "first_line": other_line},
                            field=f"{field}.date", line=line)
                else:
                    problem("calendar.date_off_and_worked", {"date": day.isoformat(), "other_line": other_line},
                            field=f"{field}.date", line=line)
                continue
            seen[day] = (key, line)
            if key == "make_up_workdays" and day.weekday() < 5:
                problem("calendar.make_up_not_weekend", {"date": day.isoformat(), "weekday": _WEEKDAYS[day.weekday()]},
                        field=f"{field}.date", line=line)
            days[key].append((day, name if isinstance(name, str) else ""))
    if isinstance(data.get("days_off", []), list) and not data.get("days_off"):
        problem("calendar.no_days_off", field="days_off", line=None)
    elif len(days["days_off"]) > MAX_DAYS_OFF:
        problem("calendar.days_off_unusual", {"count": len(days["days_off"]), "max": MAX_DAYS_OFF},
                field="days_off", line=lines.key("days_off"))
    if problems:
        return None, problems
    notice = Notice(year, data["notice"].strip(), data["title"].strip(), published, f"local:{file_name}")
    return _build(notice, days["days_off"], days["make_up_workdays"]), []


def _nesting(text: str) -> int:
    # The deepest run of [ and { outside strings and comments: a cheap bound, never an exact parse.
    depth = deepest = 0
    quote = None
    comment = escaped = False
    for char in text:
        if comment:
            comment = char != "\n"
        elif escaped:
            escaped = False
        elif quote:
            escaped = quote == '"' and char == "\\"
            quote = None if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char == "#":
            comment = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth = max(0, depth - 1)
    return deepest


def _text(value) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _near(day: date, year: int) -> bool:
    # A notice's own year, or the turn of the year on either side of it.
    return day.year == year or (day.year == year - 1 and day.month == 12) or (day.year == year + 1 and day.month == 1)


def _build(notice: Notice, days_off: list[tuple[date, str]], make_up: list[tuple[date, str]]) -> Arrangement:
    entries = [DayEntry(day, DAY_OFF, name, notice.source) for day, name in days_off]
    entries += [DayEntry(day, MAKE_UP_WORKDAY, name, notice.source) for day, name in make_up]
    return Arrangement(notice, frozenset(day for day, _ in days_off), frozenset(day for day, _ in make_up),
                       tuple(sorted(entries, key=lambda entry: entry.day)))


class _Lines:
    """Line numbers of keys and [[tables]] in TOML text, so a problem can point at its line."""

    def __init__(self, text: str) -> None:
        self._lines = text.splitlines()
        self._headers: list[tuple[int, str]] = []
        for number, line in enumerate(self._lines, start=1):
            found = re.match(r"\s*\[\[\s*([A-Za-z0-9_-]+)\s*\]\]", line)
            if found:
                self._headers.append((number, found.group(1)))
            elif re.match(r"\s*\[", line):
                self._headers.append((number, ""))

    def key(self, key: str) -> int | None:
        """The line of a top-level `key = ...` (before the first table)."""
        end = self._headers[0][0] if self._headers else len(self._lines) + 1
        return self._find(key, 1, end)

    def table(self, key: str, index: int) -> int | None:
        """The line of the index-th (from 0) `[[key]]` header."""
        numbers = [number for number, name in self._headers if name == key]
        return numbers[index] if index < len(numbers) else None

    def table_key(self, key: str, index: int, name: str, default: int | None) -> int | None:
        """The line of `name = ...` inside the index-th `[[key]]` table, else `default`."""
        start = self.table(key, index)
        if start is None:
            return default
        later = [number for number, _ in self._headers if number > start]
        return self._find(name, start + 1, later[0] if later else len(self._lines) + 1) or default

    def _find(self, key: str, start: int, end: int) -> int | None:
        pattern = re.compile(rf"\s*{re.escape(key)}\s*=")
        for number in range(start, end):
            if pattern.match(self._lines[number - 1]):
                return number
        return None
