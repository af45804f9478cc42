"""The Measures themselves, as rules.toml records them: when they are in force (Art. 53) and the
procedures for which they set no period."""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

from engine.calendar.model import CalendarError
from engine.calendar.rules import RULES_PATH

_TEXT = ("id", "article", "title_zh", "title_en")


@dataclass(frozen=True)
class NoPeriod:
    """A procedure for which the Measures set no period, with its article."""

    id: str
    article: str
    title_zh: str
    title_en: str


@dataclass(frozen=True)
class Statute:
    """The statute's citation, the days it is in force (both included) and its period-less procedures."""

    title_zh: str
    title_en: str
    document: str
    article: str
    in_force_from: date
    in_force_until: date
    no_period: dict[str, NoPeriod]

    def in_force(self, day: date) -> bool:
        """True when the Measures govern an application received on `day`."""
        return self.in_force_from <= day <= self.in_force_until


@lru_cache(maxsize=4)
def load_statute(path: Path | None = None) -> Statute:
    """Read the [statute] table and the [[no_period]] entries of a rules file (the shipped one by default).

    Raises:
        CalendarError: the file cannot be read, or a field is missing or of the wrong type.
    """
    path = Path(path) if path is not None else RULES_PATH
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise CalendarError("calendar.file_invalid", detail=f"{path.name}: cannot read the statute ({exc})") from None
    raw = data.get("statute") or {}
    for key in ("title_zh", "title_en", "document", "article"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise CalendarError("calendar.file_invalid", detail=f"{path.name}: statute.{key} must be a non-empty string")
    for key in ("in_force_from", "in_force_until"):
        if not isinstance(raw.get(key), date):
            raise CalendarError("calendar.file_invalid", detail=f"{path.name}: statute.{key} must be a date")
    no_period = {}
    for index, entry in enumerate(data.get("no_period", []), start=1):
        if any(not isinstance(entry.get(key), str) or not entry[key].strip() for key in _TEXT):
            raise CalendarError("calendar.file_invalid",
                                detail=f"{path.name}: no_period #{index} needs {', '.join(_TEXT)} as text")
        no_period[entry["id"]] = NoPeriod(*(entry[key] for key in _TEXT))
    return Statute(raw["title_zh"], raw["title_en"], raw["document"], raw["article"], raw["in_force_from"],
                   raw["in_force_until"], no_period)
