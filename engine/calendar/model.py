"""Value objects of the working-day calendar: rules, notices, day entries, deadlines."""
from __future__ import annotations

from engine.errors import PdwError

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

WORKING_DAYS = "working_days"
DAYS = "days"
UNITS = (WORKING_DAYS, DAYS)

DAY_OFF = "day_off"
MAKE_UP_WORKDAY = "make_up_workday"

SOURCE_PACKAGE = "holidays package"
SOURCE_PROVISIONAL = "provisional"

MIN_YEAR = 1950
MAX_YEAR = 2200


class CalendarError(PdwError, ValueError):
    """Bad input to the calendar: a period below 1, an unknown rule, a year out of range, a
    missing arrangements folder, or a malformed rules file (`calendar.file_invalid`, its detail
    in English). A malformed arrangement is an InvalidInput naming each problem."""


@dataclass(frozen=True)
class Rule:
    """A statutory (or internal) period with its citation."""

    id: str
    period: int
    unit: str
    article: str
    title_zh: str
    title_en: str
    extends: str | None = None
    statutory: bool = True
    # "receipt": counted from the day the application was received (the statute's periods);
    # "task": from the day the step opens (internal limits such as a consultation).
    counts_from: str = "receipt"


@dataclass(frozen=True)
class Notice:
    """Where a year's days off come from: a State Council notice, the package, or nothing yet.

    `installed_at` is when the notice was installed in the database (None for a file read
    directly, the package and provisional years).
    """

    year: int
    notice: str | None
    title: str | None
    published: date | None
    source: str
    installed_at: datetime | None = None

    @property
    def provisional(self) -> bool:
        """True when no official arrangement covers the year."""
        return self.source == SOURCE_PROVISIONAL

    def to_dict(self) -> dict[str, Any]:
        """The notice as a JSON-able dict."""
        return {
            "year": self.year,
            "notice": self.notice,
            "title": self.title,
            "published": self.published.isoformat() if self.published else None,
            "source": self.source,
            "provisional": self.provisional,
            "installed_at": self.installed_at.isoformat() if self.installed_at else None,
        }


@dataclass(frozen=True)
class DayEntry:
    """One day off or make-up working day of a year, and where it came from."""

    day: date
    kind: str
    name: str
    source: str

    def to_dict(self) -> dict[str, Any]:
        """The entry as a JSON-able dict."""
        return {"date": self.day.isoformat(), "kind": self.kind, "name": self.name, "source": self.source}


@dataclass(frozen=True)
class Deadline:
    """A computed deadline: the last day, the instant it ends, and the notices it rests on."""

    due_date: date
    due_at: datetime
    provisional: bool
    rule_id: str | None
    article: str | None
    basis: tuple[Notice, ...]

    def to_dict(self) -> dict[str, Any]:
        """The deadline as a JSON-able dict."""
        return {
            "due_date": self.due_date.isoformat(),
            "due_at": self.due_at.isoformat(),
            "provisional": self.provisional,
            "rule": self.rule_id,
            "article": self.article,
            "basis": [notice.to_dict() for notice in self.basis],
        }
