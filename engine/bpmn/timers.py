"""BPMN timers that read PDW's clock instead of the system clock.

SpiffWorkflow's timer event definitions call datetime.now(); these subclasses ask the
workflow's script engine for its clock, so PDW_CLOCK freezes timers like everything else.
Their values come from designers' expressions, so they are parsed here, strictly and within
the timer budget, before any date arithmetic: 'P99999999999Y' is refused, not computed.
"""
from __future__ import annotations

import re
from calendar import monthrange
from datetime import datetime, timedelta, timezone

from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)

from engine.bpmn.budgets import Budgets, BudgetExceeded
from engine.clock import SHANGHAI


def _now(my_task) -> datetime:
    return my_task.workflow.script_engine.clock.now()


def _budgets(my_task) -> Budgets:
    return getattr(my_task.workflow.script_engine, "budgets", None) or Budgets()


def _element(my_task) -> str:
    return my_task.task_spec.bpmn_id or my_task.task_spec.name


# ISO 8601 durations as PDW accepts them: whole numbers, seconds with a fraction; the text is at
# most _MAX_TEXT characters, so no number is large enough to be costly before the budget refuses it.
_DURATION = re.compile(r"P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?"
                       r"(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:[.,]\d{1,6})?)S)?)?")
_MAX_TEXT = 64
_YEAR = timedelta(days=365.2425)
# What each kind of timer is called in its messages.
KINDS = {"timeDate": "date and time", "timeDuration": "duration", "timeCycle": "repeating interval"}


def _text(value, element: str, kind: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > _MAX_TEXT:
        raise BudgetExceeded("timer.invalid", element=element, value=repr(value)[:80], kind=kind)
    return value.strip().upper()


def duration_after(value, start: datetime, budgets: Budgets, element: str) -> datetime:
    """`start` plus the ISO 8601 duration `value`, refused before any arithmetic when it is not a
    duration or lands more than the timer budget's years away.

    Raises:
        BudgetExceeded: `timer.invalid` or `timer.too_far`, naming the element.
    """
    text = _text(value, element, "duration")
    found = _DURATION.fullmatch(text)
    if found is None or text in ("P", "PT"):
        raise BudgetExceeded("timer.invalid", element=element, value=repr(value)[:80], kind="duration")
    years, months, weeks, days, hours, minutes = (int(g or 0) for g in found.groups()[:6])
    seconds = float((found.group(7) or "0").replace(",", "."))
    limit = budgets.timer_years
    approximate_days = years * 366 + months * 31 + weeks * 7 + days + (hours * 3600 + minutes * 60 + seconds) / 86400
    if approximate_days > limit * 366:
        raise BudgetExceeded("timer.too_far", element=element, limit=limit)
    total_months = start.month - 1 + years * 12 + months
    year, month = start.year + total_months // 12, total_months % 12 + 1
    day = min(start.day, monthrange(year, month)[1])
    moved = start.replace(year=year, month=month, day=day)
    return moved + timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes, seconds=seconds)


def instant_of(value, now: datetime, budgets: Budgets, element: str) -> datetime:
    """The ISO 8601 date and time `value` (Beijing time when it names no zone), in UTC, refused
    when it is not one or lies more than the timer budget's years from `now`.

    Raises:
        BudgetExceeded: `timer.invalid` or `timer.too_far`, naming the element.
    """
    text = _text(value, element, "date and time")
    try:
        instant = datetime.fromisoformat(text)
    except ValueError:
        raise BudgetExceeded("timer.invalid", element=element, value=repr(value)[:80],
                             kind="date and time") from None
    limit = budgets.timer_years
    if abs(instant.year - now.year) > limit + 1:
        raise BudgetExceeded("timer.too_far", element=element, limit=limit)
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=SHANGHAI)
    instant = instant.astimezone(timezone.utc)
    if abs(instant - now) > limit * _YEAR:
        raise BudgetExceeded("timer.too_far", element=element, limit=limit)
    return instant


_CYCLE = re.compile(r"R(\d{0,9})/(.+)")


def cycle_of(value, now: datetime, budgets: Budgets, element: str) -> tuple[int, datetime, timedelta]:
    """Parse R[n]/duration or R[n]/start/duration (a bare interval starts one period from `now`):
    the number of cycles (-1: unbounded), the first instant and the period, which must be at
    least the budget's minimum.

    Raises:
        BudgetExceeded: `timer.invalid`, `timer.too_far` or `timer.cycle_too_short`.
    """
    text = _text(value, element, "repeating interval")
    found = _CYCLE.fullmatch(text)
    parts = found.group(2).split("/") if found else []
    if not found or len(parts) not in (1, 2) or not parts[-1].startswith("P"):
        raise BudgetExceeded("timer.invalid", element=element, value=repr(value)[:80], kind="repeating interval")
    cycles = int(found.group(1)) if found.group(1) else -1
    start = instant_of(parts[0], now, budgets, element) if len(parts) == 2 else None
    anchor = start or now
    duration = duration_after(parts[-1], anchor, budgets, element) - anchor
    minimum = budgets.cycle_seconds
    if duration.total_seconds() < minimum:
        raise BudgetExceeded("timer.cycle_too_short", element=element, limit=minimum,
                             seconds=f"{duration.total_seconds():g}")
    return cycles, (start or now + duration), duration


def first_due(kind: str, value, now: datetime, budgets: Budgets, element: str) -> datetime:
    """When a timer of `kind` (timeDate, timeDuration or timeCycle) whose expression gave `value`
    fires first, read as the engine reads it when the timer starts waiting at `now`. Validation
    calls this for literal timers, so what deploys is what runs.

    Raises:
        BudgetExceeded: `timer.invalid`, `timer.too_far` or `timer.cycle_too_short`, naming the element.
    """
    if kind == "timeDate":
        return instant_of(value, now, budgets, element)
    if kind == "timeDuration":
        return duration_after(value, now, budgets, element)
    return cycle_of(value, now, budgets, element)[1]


class ClockedTimeDateEventDefinition(TimeDateEventDefinition):
    """A timer at a date and time, e.g. a statutory deadline."""

    def has_fired(self, my_task):
        event_value = my_task._get_internal_data("event_value")
        if event_value is None:
            value = my_task.workflow.script_engine.evaluate(my_task, self.expression)
            event_value = first_due("timeDate", value, _now(my_task), _budgets(my_task), _element(my_task)).isoformat()
            my_task._set_internal_data(event_value=event_value)
        if TimerEventDefinition.get_datetime(event_value) <= _now(my_task):
            my_task._set_internal_data(event_fired=True)
        return my_task._get_internal_data("event_fired", False)


class ClockedDurationTimerEventDefinition(DurationTimerEventDefinition):
    """A timer a duration after the moment it starts waiting."""

    def has_fired(self, my_task):
        event_value = my_task._get_internal_data("event_value")
        if event_value is None:
            value = my_task.workflow.script_engine.evaluate(my_task, self.expression)
            event_value = first_due("timeDuration", value, _now(my_task), _budgets(my_task),
                                    _element(my_task)).isoformat()
            my_task._set_internal_data(event_value=event_value)
        if TimerEventDefinition.get_datetime(event_value) <= _now(my_task):
            my_task._set_internal_data(event_fired=True)
        return my_task._get_internal_data("event_fired", False)


class ClockedCycleTimerEventDefinition(CycleTimerEventDefinition):
    """A repeating timer, e.g. asking a grantee for usage feedback every quarter."""

    def cycle_complete(self, my_task):
        event_value = my_task._get_internal_data("event_value")
        now = _now(my_task)
        if event_value is None:
            value = my_task.workflow.script_engine.evaluate(my_task, self.expression)
            cycles, start, duration = cycle_of(value, now, _budgets(my_task), _element(my_task))
            event_value = {"cycles": cycles, "next": start.isoformat(), "duration": duration.total_seconds()}
        ready = False
        if event_value["cycles"] != 0:
            next_event = datetime.fromisoformat(event_value["next"])
            if next_event <= now:
                event_value["next"] = (next_event + timedelta(seconds=event_value["duration"])).isoformat()
                event_value["cycles"] -= 1
                ready = True
        else:
            my_task.internal_data.pop("event_value", None)
            my_task.internal_data["event_fired"] = True
        my_task._set_internal_data(event_value=event_value)
        return ready


CLOCKED = {
    TimeDateEventDefinition: ClockedTimeDateEventDefinition,
    DurationTimerEventDefinition: ClockedDurationTimerEventDefinition,
    CycleTimerEventDefinition: ClockedCycleTimerEventDefinition,
}


def next_due(event_value) -> datetime | None:
    """The instant a waiting timer's stored event value says it fires next."""
    if event_value is None:
        return None
    if isinstance(event_value, dict):
        return datetime.fromisoformat(event_value["next"]) if event_value.get("cycles") else None
    return TimerEventDefinition.get_datetime(event_value)
