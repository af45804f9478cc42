"""`pdw report`: overdue work, tasks nobody can take and on-time rates, as text, JSON, CSV or .xlsx."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from engine.clock import SHANGHAI

from engine.cli.common import emit, fail, friendly, language, new_uow


@click.group("report")
def group() -> None:
    """Supervision reports (Article 49); the command line sees every department."""


def _day(value: str | None, option: str) -> date | None:
    from engine.services.reports import parse_day

    return None if value is None else parse_day(value, option)


def _one_output(**chosen) -> None:
    if sum(1 for value in chosen.values() if value) > 1:
        fail("choose one of " + ", ".join("--" + name.replace("_", "-") for name in chosen))


def _write(path: str, content: bytes, rows: int) -> None:
    Path(path).write_bytes(content)
    click.echo(f"{rows} row(s) written to {path}")


def _task_line(row: dict) -> str:
    # People read this: procedure, step, department and holder by their names (codes: --json).
    late = f"{row['working_days_overdue']} working day(s) overdue" if row["working_days_overdue"] else ""
    return "\t".join(str(x) for x in (row["receipt_number"], row["procedure_name"], row["title"] or row["task_name"],
                                      row["department_name"] or "-", row["holder_name"] or "-",
                                      row["due_date"] or "-", late, row["article"] or "")).rstrip()


def _counted_to(report: tuple[str, str], day: date, actor: str) -> str:
    """The first line of a report for people: which day it counts to, over what, by which clock."""
    from engine.messages import render
    from engine.services import reports

    lang, uow = language(), new_uow()
    line = render("report.counted_to", {"report": report[0] if lang == "zh" else report[1], "day": day.isoformat(),
                                         "scope": reports.scope_name(uow, actor)}, lang)
    if uow.engine.clock.frozen:
        instant = uow.engine.clock.now().astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
        frozen = render("report.frozen_clock", {"instant": instant}, lang)
        line += f"（{frozen}）" if lang == "zh" else f" ({frozen})"
    return line


def _warn_if_clocks_disagree() -> None:
    from engine.messages import render
    from engine.services import clocks

    off = clocks.disagreement(new_uow())
    if off is not None:
        click.echo("warning: " + render("clock.disagrees", off.params(), language()), err=True)


@group.command("overdue")
@click.option("--at", "at", default=None, help="Count up to this day (YYYY-MM-DD); default today.")
@click.option("--as", "actor", required=True, help="A supervisor: the report covers what they oversee.")
@click.option("--json", "as_json", is_flag=True)
@click.option("--csv", "csv_file", default=None, metavar="FILE")
@click.option("--xlsx", "xlsx_file", default=None, metavar="FILE")
@friendly
def overdue_command(at, actor, as_json, csv_file, xlsx_file) -> None:
    """Open tasks past their deadline, with the working days overdue and the article."""
    from engine.services import reports

    _one_output(json=as_json, csv=csv_file, xlsx=xlsx_file)
    day = _day(at, "--at")
    rows = [r.to_dict() for r in reports.overdue(new_uow(), actor, at=day)]
    counted = day or new_uow().engine.clock.today()
    _warn_if_clocks_disagree()
    first = None if as_json or csv_file or xlsx_file else _counted_to(("逾期任务", "Overdue tasks"), counted, actor)
    _tasks_out(rows, as_json, csv_file, xlsx_file, "逾期任务",
               reports.heading("逾期任务", None, counted, reports.scope_name(new_uow(), actor)), first)


def _tasks_out(rows: list[dict], as_json: bool, csv_file, xlsx_file, title: str, heading: str | None = None,
               first: str | None = None) -> None:
    from engine.messages import render
    from engine.services import exports

    if csv_file:
        _write(csv_file, exports.csv_bytes(exports.TASK_COLUMNS, rows, heading=heading), len(rows))
    elif xlsx_file:
        _write(xlsx_file, exports.xlsx_bytes(exports.TASK_COLUMNS, rows, title=title, heading=heading), len(rows))
    else:
        lines = lambda rs: "\n".join(map(_task_line, rs)) or render("report.nothing", {}, language())  # noqa: E731
        emit(rows, as_json, lambda rs: "\n".join(filter(None, (first, lines(rs)))))


@group.command("unassignable")
@click.option("--as", "actor", required=True, help="A supervisor: the report covers what they oversee.")
@click.option("--json", "as_json", is_flag=True)
@friendly
def unassignable_command(actor, as_json) -> None:
    """Open tasks whose groups have no active member: they reach nobody."""
    from engine.services import reports

    rows = [r.to_dict() for r in reports.unassignable(new_uow(), actor)]
    first = None if as_json else _counted_to(("无人可办任务", "Tasks nobody can take"),
                                                 new_uow().engine.clock.today(), actor)
    _tasks_out(rows, as_json, None, None, "无人可办任务", first=first)


@group.command("ontime")
@click.option("--from", "start", required=True, help="First day of replies counted (YYYY-MM-DD).")
@click.option("--to", "end", required=True, help="Last day of replies counted (YYYY-MM-DD).")
@click.option("--by", type=click.Choice(["procedure", "department", "level", "month"]), default="procedure",
              show_default=True)
@click.option("--as", "actor", required=True, help="A supervisor: the report covers what they oversee.")
@click.option("--json", "as_json", is_flag=True)
@click.option("--xlsx", "xlsx_file", default=None, metavar="FILE")
@friendly
def ontime_command(start, end, by, actor, as_json, xlsx_file) -> None:
    """On-time rate and median handling time (working days) of the replies given in a period."""
    from engine.services import exports, reports

    _one_output(json=as_json, xlsx=xlsx_file)
    first, last = _day(start, "--from"), _day(end, "--to")
    rows = [r.to_dict() for r in reports.ontime(new_uow(), actor, start=first, end=last, by=by)]
    _warn_if_clocks_disagree()
    if xlsx_file:
        _write(xlsx_file, exports.xlsx_bytes(exports.ONTIME_COLUMNS, rows, title="按期答复率", heading=reports.heading(
            "按期答复率", first, last, reports.scope_name(new_uow(), actor))), len(rows))
        return

    def line(r: dict) -> str:
        rate = "-" if r["on_time_rate"] is None else f"{r['on_time_rate']:.1%}"
        median = "-" if r["median_working_days"] is None else f"{r['median_working_days']:g}"
        return (f"{r['name'] or r['key'] or '-'}\tanswered {r['answered']}\ton time {r['on_time']}\tlate {r['late']}\t"
                f"open overdue {r['open_overdue']}\tended unanswered {r['ended_unanswered']}\t"
                f"withdrawn {r['withdrawn']}\trate {rate}\tmedian {median} working day(s)")

    emit(rows, as_json, lambda rs: "\n".join(map(line, rs)) or "(none)")
