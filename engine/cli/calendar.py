"""`pdw calendar`: working days and statutory deadlines by the calendar of record, and installing
a year's holiday notice."""
from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import click

from engine.calendar import CalendarError, WorkingCalendar, load_rules
from engine.cli.common import emit, fail, friendly, get_engine, language, new_uow, read_text_file
from engine.clock import SHANGHAI
from engine.config import Config, ConfigError
from engine.errors import PdwError
from engine.messages import render


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
    """The calendar of record: the notices installed in PDW_DATABASE_URL."""
    from engine.services import calendar as calendar_service

    try:
        config = Config.from_env()
    except ConfigError as exc:
        raise InputError(str(exc)) from None
    not_ready = PdwError("calendar.not_ready").text(language())
    if config.database_url.startswith("sqlite:///") and \
            not Path(config.database_url.removeprefix("sqlite:///")).is_file():
        raise InputError(not_ready)
    try:
        return calendar_service.counted(new_uow())
    except Exception as err:
        # Unreachable, never upgraded or behind: the one line naming which (as every command
        # gives it); reachable and current with no calendar rows: the calendar's own line.
        from engine.persistence import health

        if not health.is_database_error(err):
            raise
        found = health.problem(get_engine().db, err)
        if found is not None:
            fail(found.text(language()))
        raise InputError(not_ready) from None


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
    """List the year's days off and make-up working days, the notice they come from and when
    it was installed."""
    from engine.services import calendar as calendar_service

    _load_calendar()
    try:
        view = calendar_service.year_view(new_uow(), year)
    except CalendarError as exc:
        raise InputError(f"YYYY: {exc}") from None
    if as_json:
        click.echo(json.dumps(view, ensure_ascii=False, indent=2))
        return
    notice = view["notice"]
    if notice["provisional"]:
        click.echo(f"{year}: provisional (暂定) - no State Council arrangement; weekends and statutory festival days only")
    else:
        cited = " ".join(part for part in (notice["title"], notice["notice"]) if part) or "State Council arrangement"
        click.echo(f"{year}: official (正式) - {cited} [{notice['source']}]")
    current = [install for install in view["installs"] if install["current"]]
    if current:
        click.echo(f"installed {_local_time(current[0]['installed_at'])} by {current[0]['installed_by']} "
                   f"from {current[0]['file']}" + (f" ({current[0]['reason']})" if current[0]["reason"] else ""))
    for replaced in (install for install in view["installs"] if not install["current"]):
        click.echo(f"replaced: {replaced['notice']}, installed {_local_time(replaced['installed_at'])} "
                   f"by {replaced['installed_by']} from {replaced['file']}")
    for entry in view["entries"]:
        label = "day off" if entry["kind"] == "day_off" else "make-up working day"
        click.echo(f"{entry['date']}  {label:<20} {entry['name']}  [{entry['source']}]")


@group.command("install")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--as", "actor", required=True, help="An administrator.")
@click.option("--replace", is_flag=True, help="Replace the notice already installed for the year.")
@click.option("--reason", default=None, help="Why the installed notice is replaced (with --replace).")
@click.option("--dry-run", is_flag=True, help="List the deadlines that would move; change nothing.")
@click.option("--yes", is_flag=True, help="Install even though open deadlines move (they are listed first).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object.")
@friendly
def install(file: str, actor: str, replace: bool, reason: str | None, dry_run: bool, yes: bool,
            as_json: bool) -> None:
    """Install FILE.toml, a year's State Council holiday notice, for every PDW process, and
    re-count the open deadlines it moves. A file with any problem is refused whole; one that
    moves open deadlines lists them and is installed only with --yes."""
    from engine.services import calendar as calendar_service

    path, text = read_text_file(file)
    if not dry_run and not yes:
        # As the web page does: show what would move before anything does. Deadlines that start
        # moving between this look and the install are still listed by the install's own report.
        preview = calendar_service.install(new_uow(), text, file_name=path.name, actor=actor, replace=replace,
                                           reason=reason, dry_run=True)
        if preview.changes and not preview.unchanged:
            emit(preview.to_dict(), as_json, lambda _: _describe_install(preview))
            fail(render("calendar.moves_deadlines", {"count": len(preview.changes)}, language()))
    report = calendar_service.install(new_uow(), text, file_name=path.name, actor=actor, replace=replace,
                                      reason=reason, dry_run=dry_run)
    emit(report.to_dict(), as_json, lambda _: _describe_install(report))


def _describe_install(report) -> str:
    notice = report.notice
    lines = [f"{notice.year}: {notice.title}（{notice.notice}）, published {notice.published.isoformat()}"]
    if report.unchanged:
        lines.append(f"already installed {_local_time(notice.installed_at)}; nothing changed")
        return "\n".join(lines)
    if report.replaced is not None:
        lines.append(f"replaces {report.replaced.notice}, installed {_local_time(report.replaced.installed_at)}")
    lines += _describe_changes(report)
    lines.append("dry run: nothing installed" if report.dry_run else f"installed as calendar version {report.version}")
    return "\n".join(lines)


def _describe_changes(report) -> list[str]:
    verb = "would change" if report.dry_run else "changed"
    lines = [f"{verb} {len(report.changes)} deadline(s):" if report.changes else f"{verb} no deadline"]
    for change in report.changes:
        if change.kind == "task":
            old = change.old_due_date.isoformat() + (" (provisional)" if change.old_provisional else "")
            new = change.new_due_date.isoformat() + (" (provisional)" if change.new_provisional else "")
            what = f"task {change.task_id} {change.title}"
        else:
            old, new = _local_time(change.old_due_at), _local_time(change.new_due_at)
            what = f"timer {change.title}"
        passed = "  [already passed]" if change.passed and change.kind == "task" else ""
        lines.append(f"  {change.receipt_number} {what}: {old} -> {new}{passed}")
    for skipped in report.skipped:
        lines.append(f"  {skipped.receipt_number} timer {skipped.title}: not re-counted ({skipped.reason})")
    return lines


@group.command("recount")
@click.option("--as", "actor", required=True, help="An administrator.")
@click.option("--since", default=None, metavar="YYYY-MM-DD", help="Only deadlines due on or after this day.")
@click.option("--dry-run", is_flag=True, help="List the deadlines that would change; change nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object.")
@friendly
def recount(actor: str, since: str | None, dry_run: bool, as_json: bool) -> None:
    """Re-count open deadlines by the calendar of record (the scheduler does so a minute after a
    new notice, for what other processes counted by the old calendar meanwhile)."""
    from engine.services import calendar as calendar_service

    since_day = _parse_date(since, "--since") if since else None
    report = calendar_service.recount_open(new_uow(), actor=actor, since=since_day, dry_run=dry_run)
    emit(report.to_dict(), as_json, lambda _: "\n".join(_describe_changes(report)))


def _local_time(stamp: str | datetime) -> str:
    moment = datetime.fromisoformat(stamp) if isinstance(stamp, str) else stamp
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


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
