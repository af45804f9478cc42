"""The PDW functions a script may call: dates on the statutory working-day calendar.

Dates go in and out as ISO strings ("2026-03-02") because scripts only see JSON data.
"now" is the engine's clock, handed in with each request, never the worker's system clock.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Callable

from engine.calendar import Rule, WorkingCalendar
from engine.clock import SHANGHAI


class ScriptFunctions:
    """The script functions over one calendar and its rules, bound per request to an instant."""

    def __init__(self, calendar: WorkingCalendar, rules: dict[str, Rule]) -> None:
        self.calendar = calendar
        self.rules = rules

    def bind(self, now: datetime) -> dict[str, Callable]:
        """The functions, by the name scripts call them, with `now` as the current instant."""
        if now.tzinfo is None:
            raise ValueError("now must be a timezone-aware datetime")
        local_now = now.astimezone(SHANGHAI)

        def working_days_after(date_iso: str, n: int) -> str:
            """The Nth working day after the given date (the date itself is not counted)."""
            return self.calendar.add_working_days(_day(date_iso), _count(n)).isoformat()

        def days_after(date_iso: str, n: int) -> str:
            """The date N days later, moved forward to a working day when it is a day off."""
            return self.calendar.add_days(_day(date_iso), _count(n)).isoformat()

        def deadline_date(rule_id: str, received_iso: str) -> str:
            """The last day of the statutory period `rule_id` for something received that day."""
            return self._deadline(rule_id, received_iso).due_date.isoformat()

        def deadline_at(rule_id: str, received_iso: str) -> str:
            """The instant the period ends (24:00 Beijing time of the last day), for timers."""
            return self._deadline(rule_id, received_iso).due_at.astimezone(SHANGHAI).isoformat()

        def now_() -> str:
            """The engine's current instant, Beijing time."""
            return local_now.isoformat()

        def today() -> str:
            """The engine's current date in Beijing."""
            return local_now.date().isoformat()

        return {
            "working_days_after": working_days_after,
            "days_after": days_after,
            "deadline_date": deadline_date,
            "deadline_at": deadline_at,
            "now": now_,
            "today": today,
        }

    def _deadline(self, rule_id: str, received_iso: str):
        if not isinstance(rule_id, str) or rule_id not in self.rules:
            raise ValueError(f"unknown deadline rule {rule_id!r}; known rules: {', '.join(sorted(self.rules))}")
        return self.calendar.deadline(_day(received_iso), rule=self.rules[rule_id], rules=self.rules)


def _day(value: str) -> date:
    if isinstance(value, str):
        try:
            if len(value) <= 10:
                return date.fromisoformat(value)
            moment = datetime.fromisoformat(value)
            return (moment.astimezone(SHANGHAI) if moment.tzinfo else moment).date()
        except ValueError:
            pass
    raise ValueError(f"expected an ISO date such as '2026-03-02', not {value!r}")


def _count(n: int) -> int:
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"expected a whole number of days, not {n!r}")
    return n
