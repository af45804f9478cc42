"""`pdw calendar`: working days and statutory deadlines from the command line."""
from __future__ import annotations

import json
from datetime import date
from typing import Any

import click

from engine.calendar import CalendarError, WorkingCalendar, load_rules
from engine.config import Config, ConfigError
from engine.errors import InvalidInput


class InputError(click.UsageError):
    """A user's bad input, shown as one `error: ...` line with exit code 2."""

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)


class _Command(click.Command):
    def make_context(self, info_name: str | None, args: list[str], parent: click.Context | None = None, **extra: Any) -> click.Context:
        # click's own parse errors print usage over several lines; keep every input error to one.
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except InputError:
            raise
        except click.UsageError as exc:
            raise InputError(exc.format_message()) from None


class _Group(click.Group):
    command_class = _Command


group = _Group("calendar", help="The statutory working-day calendar (工作日) and deadlines.")


def _parse_date(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InputError(f"{option}: {value} is not a valid date (YYYY-MM-DD)") from None


def _load_calendar() -> WorkingCalendar:
    try:
        config = Config.from_env()
    except ConfigError as exc:
        raise InputError(str(exc)) from None
    try:
        return WorkingCalendar.load(config.arrangements_dir)
    except (CalendarError, InvalidInput) as exc:
        raise InputError(f"PDW_ARRANGEMENTS_DIR: {exc}") from None


def _warn_provisional(years: list[int], what_zh: str, what_en: str) -> None:
    listed = "、".join(str(year) for year in years)
    listed_en = ", ".join(str(year) for year in years)
    click.echo(
        f"警告：{listed} 年尚无国务院放假安排，{what_zh}为暂定 / "
        f"warning: {listed_en} has no official arrangement; the {what_en} is provisional",
        err=True,
    )


@group.command("due")
@click.option("--received", required=True, metavar="YYYY-MM-DD", help="Day of receipt (not counted).")
@click.option("--working-days", type=int, metavar="N", help="A period of N working days (N 个工作日).")
@click.option("--days", type=int, metavar="N", help="A period of N calendar days (N 日).")
@click.option("--rule", "rule_id", metavar="RULE_ID", help="A statutory rule id; see `pdw calendar rules`.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object.")
def due(received: str, working_days: int | None, days: int | None, rule_id: str | None, as_json: bool) -> None:
    """Print the deadline of a period received on --received."""
    received_day = _parse_date(received, "--received")
    given = [name for name, value in (("--working-days", working_days), ("--days", days), ("--rule", rule_id)) if value is not None]
    if len(given) != 1:
        raise InputError(f"give exactly one of --working-days, --days or --rule (got {', '.join(given) or 'none'})")
    for option, value in (("--working-days", working_days), ("--days", days)):
        if value is not None and value < 1:
            raise InputError(f"{option}: {value} must be at least 1")
    calendar = _load_calendar()
    try:
        rules = load_rules() if rule_id is not None else None
        if rules is not None and rule_id not in rules:
            raise InputError(f"--rule: unknown rule {rule_id!r}; known rules: {', '.join(rules)}")
        deadline = calendar.deadline(
            received_day,
            working_days=working_days,
            days=days,
            rule=rules[rule_id] if rules is not None else None,
            rules=rules,
        )
    except CalendarError as exc:
        raise InputError(f"--received: {exc}") from None
    if deadline.provisional:
        years = [notice.year for notice in deadline.basis if notice.provisional]
        _warn_provisional(years, "期限", "deadline")
    if as_json:
        click.echo(json.dumps(deadline.to_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(deadline.due_date.isoformat())


@group.command("is-workday")
@click.argument("day", metavar="YYYY-MM-DD")
def is_workday(day: str) -> None:
    """Print true when the day is a working day, false otherwise."""
    parsed = _parse_date(day, "DAY")
    calendar = _load_calendar()
    try:
        result = calendar.is_workday(parsed)
    except CalendarError as exc:
        raise InputError(f"DAY: {exc}") from None
    if calendar.is_provisional(parsed.year):
        _warn_provisional([parsed.year], "结果", "result")
    click.echo("true" if result else "false")


@group.command("year")
@click.argument("year", type=int, metavar="YYYY")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object.")
def year(year: int, as_json: bool) -> None:
    """List the year's days off and make-up working days, and where they come from."""
    calendar = _load_calendar()
    try:
        notice = calendar.notice(year)
        entries = calendar.year_entries(year)
    except CalendarError as exc:
        raise InputError(f"YYYY: {exc}") from None
    if as_json:
        payload = {"year": year, "status": _status(notice.provisional), "notice": notice.to_dict(),
                   "entries": [entry.to_dict() for entry in entries]}
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    if notice.provisional:
        click.echo(f"{year}: provisional (暂定) - no State Council arrangement; weekends and statutory festival days only")
    else:
        cited = " ".join(part for part in (notice.title, notice.notice) if part) or "State Council arrangement"
        click.echo(f"{year}: official (正式) - {cited} [{notice.source}]")
    for entry in entries:
        label = "day off" if entry.kind == "day_off" else "make-up working day"
        click.echo(f"{entry.day.isoformat()}  {label:<20} {entry.name}  [{entry.source}]")


@group.command("rules")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
def rules(as_json: bool) -> None:
    """List the statutory period rules with their articles."""
    loaded = load_rules()
    if as_json:
        payload = [
            {"id": rule.id, "period": rule.period, "unit": rule.unit, "article": rule.article, "title_zh": rule.title_zh,
             "title_en": rule.title_en, "extends": rule.extends, "statutory": rule.statutory}
            for rule in loaded.values()
        ]
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    for rule in loaded.values():
        unit = "个工作日" if rule.unit == "working_days" else "日"
        extends = f" (extends {rule.extends})" if rule.extends else ""
        internal = "" if rule.statutory else " [internal, not statutory]"
        click.echo(f"{rule.id}: {rule.period} {unit}  {rule.article}  {rule.title_zh} / {rule.title_en}{extends}{internal}")


def _status(provisional: bool) -> str:
    return "provisional" if provisional else "official"
