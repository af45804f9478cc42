"""Local arrangement files: one TOML per year transcribing a State Council holiday notice."""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from engine.calendar.model import DAY_OFF, MAKE_UP_WORKDAY, MAX_YEAR, MIN_YEAR, CalendarError, DayEntry, Notice

SHIPPED_DIR = Path(__file__).with_name("arrangements")


@dataclass(frozen=True)
class Arrangement:
    """A year's days off and make-up working days as one local file declares them."""

    notice: Notice
    days_off: frozenset[date]
    make_up_workdays: frozenset[date]
    entries: tuple[DayEntry, ...]


def load_arrangements(*folders: Path) -> dict[int, Arrangement]:
    """Read every *.toml in the folders, in order; a later file replaces an earlier one's year.

    Raises:
        CalendarError: a folder does not exist or a file is malformed.
    """
    by_year: dict[int, Arrangement] = {}
    for folder in folders:
        if not folder.is_dir():
            raise CalendarError("calendar.file_invalid", detail=f"arrangements folder {folder} does not exist")
        for path in sorted(folder.glob("*.toml")):
            arrangement = read_arrangement(path)
            by_year[arrangement.notice.year] = arrangement
    return by_year


def read_arrangement(path: Path) -> Arrangement:
    """Parse and validate one arrangement file.

    Raises:
        CalendarError: the file is unreadable, not TOML, or a field is missing or inconsistent.
    """
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except OSError as exc:
        raise CalendarError("calendar.file_invalid", detail=f"{path.name}: cannot read arrangement ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise CalendarError("calendar.file_invalid", detail=f"{path.name}: not valid TOML ({exc})") from None
    year = data.get("year")
    if not isinstance(year, int) or isinstance(year, bool) or not MIN_YEAR <= year <= MAX_YEAR:
        raise CalendarError("calendar.file_invalid", detail=f"{path.name}: year must be a whole number from {MIN_YEAR} to {MAX_YEAR}")
    published = data.get("published")
    if published is not None and type(published) is not date:
        raise CalendarError("calendar.file_invalid", detail=f"{path.name}: published must be a date such as 2025-11-04")
    source = f"local:{path.name}"
    notice = Notice(year, _optional_text(data, "notice", path), _optional_text(data, "title", path), published, source)
    days_off = _read_days(data, "days_off", DAY_OFF, year, source, path)
    make_up = _read_days(data, "make_up_workdays", MAKE_UP_WORKDAY, year, source, path)
    clash = {entry.day for entry in days_off} & {entry.day for entry in make_up}
    if clash:
        raise CalendarError("calendar.file_invalid", detail=f"{path.name}: {min(clash).isoformat()} is both a day off and a make-up working day")
    entries = tuple(sorted(days_off + make_up, key=lambda entry: entry.day))
    return Arrangement(
        notice,
        frozenset(entry.day for entry in days_off),
        frozenset(entry.day for entry in make_up),
        entries,
    )


def _optional_text(data: dict, key: str, path: Path) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise CalendarError("calendar.file_invalid", detail=f"{path.name}: {key} must be a string")
    return value


def _read_days(data: dict, key: str, kind: str, year: int, source: str, path: Path) -> list[DayEntry]:
    raw_days = data.get(key, [])
    if not isinstance(raw_days, list):
        raise CalendarError("calendar.file_invalid", detail=f"{path.name}: {key} must be an array of tables ([[{key}]])")
    entries: list[DayEntry] = []
    seen: set[date] = set()
    for index, raw in enumerate(raw_days, start=1):
        where = f"{path.name}: {key} #{index}"
        day = raw.get("date") if isinstance(raw, dict) else None
        if type(day) is not date:
            raise CalendarError("calendar.file_invalid", detail=f"{where}: date must be a date such as {year}-01-01")
        if day.year != year:
            raise CalendarError("calendar.file_invalid", detail=f"{where}: {day.isoformat()} is not in {year}")
        if day in seen:
            raise CalendarError("calendar.file_invalid", detail=f"{where}: {day.isoformat()} is listed twice")
        if kind == MAKE_UP_WORKDAY and day.weekday() < 5:
            raise CalendarError("calendar.file_invalid", detail=f"{where}: {day.isoformat()} is a weekday, so it cannot be a make-up working day")
        name = raw.get("name", "")
        if not isinstance(name, str):
            raise CalendarError("calendar.file_invalid", detail=f"{where}: name must be a string")
        seen.add(day)
        entries.append(DayEntry(day, kind, name, source))
    return entries
