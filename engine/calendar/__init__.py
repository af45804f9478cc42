"""The statutory working-day calendar (工作日) and the period rules of the public-data measures."""
from engine.calendar.model import CalendarError, DayEntry, Deadline, Notice, Rule
from engine.calendar.rules import load_rules
from engine.calendar.working_calendar import WorkingCalendar

__all__ = ["CalendarError", "DayEntry", "Deadline", "Notice", "Rule", "WorkingCalendar", "load_rules"]
