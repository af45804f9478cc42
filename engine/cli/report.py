"""`pdw report`: overdue work, tasks nobody can take and on-time rates, as text, JSON, CSV or .xlsx."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from engine.cli.common import emit, fail, friendly, new_uow


@click.group("report")
def group() -> None:
    """Supervision reports (Art. 49); the command line sees every department."""


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
    late = f"{row['working_days_overdue']} working day(s) overdue" if row["working_days_overdue"] else ""
    return "\t".join(str(x) for x in (row["receipt_number"], row["process_id"], row["task_name"],
                                      row["department"] or "-", row["holder"], row["due_date"] or "-", late,
                                      row["article"] or "")).rstrip()


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
    _tasks_out(rows, as_json, csv_file, xlsx_file, "逾期任务",
               reports.heading("逾期任务", day, day, reports.scope_name(new_uow(), actor)))


def _tasks_out(rows: list[dict], as_json: bool, csv_file, xlsx_file, title: str, heading: str | None = None) -> None:
    from engine.services import exports

    if csv_file:
        _write(csv_file, exports.csv_bytes(exports.TASK_COLUMNS, rows, heading=heading), len(rows))
    elif xlsx_file:
        _write(xlsx_file, exports.xlsx_bytes(exports.TASK_COLUMNS, rows, title=title, heading=heading), len(rows))
    else:
        emit(rows, as_json, lambda rs: "\n".join(map(_task_line, rs)) or "(none)")


@group.command("unassignable")
@click.option("--as", "actor", required=True, help="A supervisor: the report covers what they oversee.")
@click.option("--json", "as_json", is_flag=True)
@friendly
def unassignable_command(actor, as_json) -> None:
    """Open tasks whose groups have no active member: they reach nobody."""
    from engine.services import reports

    rows = [r.to_dict() for r in reports.unassignable(new_uow(), actor)]
    _tasks_out(rows, as_json, None, None, "无人可办任务")


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
