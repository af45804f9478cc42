"""Supervision pages and their CSV / Excel downloads; each view calls one report."""
from __future__ import annotations

from datetime import date

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engine.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from engine.permissions import may_supervise
from engine.messages import render
from engine.services import audience, clocks, exports, reports, rounds, supervision
from webapp import downloads
from webapp.engine import get_engine, new_uow
from webapp.errors import describe, language
from webapp.security import login_required
from webapp.supervise import bp

TASK_LISTS = {"overdue": ("逾期任务", reports.overdue), "at_risk": ("临期任务", reports.at_risk),
              "unassignable": ("无人可办任务", reports.unassignable)}
PAGE = 100


@bp.before_request
def _supervisors_only():
    # Signed-in people who are no supervisor get the refusal page; others sign in first.
    if g.user is not None and not may_supervise(g.user.roles):
        raise PermissionDenied("report.supervisors_only", user=g.user.name)


def _filters() -> reports.Filters:
    args = request.args
    return reports.Filters(process_id=args.get("procedure") or None, department=args.get("department") or None,
                           assignee=args.get("assignee") or None)


def _day(name: str, default: date) -> date:
    value = request.args.get(name)
    return reports.parse_day(value, name) if value else default


@bp.route("/")
@login_required
def index():
    """Overdue now, due within one working day and tasks nobody can take, filtered."""
    filters = _filters()
    lists = {name: report(new_uow(), g.user.name, filters=filters, limit=PAGE) if name != "unassignable"
             else report(new_uow(), g.user.name, filters=filters) for name, (_title, report) in TASK_LISTS.items()}
    # Overdue is counted by this process's clock; say so when the scheduler reads another time.
    off = clocks.disagreement(new_uow())
    return render_template("supervise/index.html", lists=lists, filters=filters, choices=reports.choices(new_uow()),
                           today=get_engine().clock.today(), page=PAGE,
                           silent=reports.silent_departments(new_uow(), g.user.name),
                           clock_warning=render("clock.disagrees", off.params(), language()) if off else None)


@bp.route("/<name>.<fmt>")
@login_required
def download(name: str, fmt: str):
    """A task list as CSV or .xlsx with Chinese headers (every row, not one page)."""
    if name not in TASK_LISTS or fmt not in downloads.FORMATS:
        abort(404)
    title, report = TASK_LISTS[name]
    rows = [r.to_dict() for r in report(new_uow(), g.user.name, filters=_filters())]
    today = get_engine().clock.today()
    return downloads.download(exports.TASK_COLUMNS, rows, fmt, name, title,
                              reports.heading(title, None, today, reports.scope_name(new_uow(), g.user.name)))


@bp.route("/ontime")
@bp.route("/ontime.<fmt>")
@login_required
def ontime(fmt: str | None = None):
    """On-time rate and median handling time by procedure, department or month, with a chart."""
    today = get_engine().clock.today()
    by = request.args.get("by", "month")
    try:
        start, end = _day("from", date(today.year, 1, 1)), _day("to", today)
        rows = reports.ontime(new_uow(), g.user.name, start=start, end=end, by=by)
    except InvalidInput as err:
        flash("；".join(err.field_texts(language()).values()) or describe(err), "error")
        return redirect(url_for("supervise.ontime"))
    if fmt is not None:
        if fmt not in downloads.FORMATS:
            abort(404)
        return downloads.download(exports.ONTIME_COLUMNS, [r.to_dict() for r in rows], fmt, f"ontime-{by}", "按期答复率",
                                  reports.heading("按期答复率", start, end, reports.scope_name(new_uow(), g.user.name)))
    chart = _chart([r.name or _("（未注明）") for r in rows], [r.on_time for r in rows], [r.late for r in rows],
                   [r.open_overdue for r in rows], [r.ended_unanswered for r in rows], [r.on_time_rate for r in rows])
    return render_template("supervise/ontime.html", rows=rows, start=start, end=end, by=by, chart=chart)


@bp.route("/assessment")
@bp.route("/assessment.<fmt>")
@login_required
def assessment(fmt: str | None = None):
    """The Art. 49 assessment per department for a month, quarter or year; printable."""
    today = get_engine().clock.today()
    period = request.args.get("period", "quarter")
    try:
        year = int(request.args.get("year", today.year))
        number = int(request.args.get("number", (today.month - 1) // 3 + 1 if period == "quarter" else today.month))
        start, end = reports.period_bounds(period, year, number)
        rows = reports.assessment(new_uow(), g.user.name, start=start, end=end)
    except (ValueError, InvalidInput) as err:
        flash(describe(err) if isinstance(err, InvalidInput) else _("统计周期无效。"), "error")
        return redirect(url_for("supervise.assessment"))
    if fmt is not None:
        if fmt not in downloads.FORMATS:
            abort(404)
        return downloads.download(exports.ASSESSMENT_COLUMNS, [r.to_dict() for r in rows], fmt,
                                  f"assessment-{start.isoformat()}-{end.isoformat()}", "考核评价",
                                  reports.heading("公共数据共享开放考核评价（第四十九条）", start, end,
                                                  reports.scope_name(new_uow(), g.user.name)),
                                  chart=exports.ASSESSMENT_CHART)
    chart = _chart([r.department_name or _("（未注明部门）") for r in rows], [r.answered_on_time for r in rows],
                   [r.answered_late for r in rows], [r.overdue for r in rows], [r.ended_unanswered for r in rows],
                   [r.on_time_rate for r in rows])
    return render_template("supervise/assessment.html", rows=rows, period=period, year=year, number=number,
                           start=start, end=end, chart=chart)


def _chart(labels: list, on_time: list, late: list, open_overdue: list, ended: list, rates: list) -> dict:
    # The figures exactly as the table shows them (engine.services.figures), for supervise.js.
    return {"labels": labels, "on_time": on_time, "late": late, "open_overdue": open_overdue,
            "ended_unanswered": ended, "rate": [None if r is None else round(100 * r, 1) for r in rates],
            "names": {"on_time": _("按期答复"), "late": _("逾期答复"), "open_overdue": _("逾期未答复"),
                      "ended_unanswered": _("未答复即办结"), "rate": _("按期率（%）")}}


@bp.route("/applications/<int:instance_id>")
@login_required
def application(instance_id: int):
    """One application's open work, tasks, 催办 and timeline."""
    view = reports.timeline(new_uow(), g.user.name, instance_id)
    return render_template("supervise/application.html", view=view,
                           readers=audience.reads(new_uow(), g.user.name, instance_id))


@bp.route("/tasks/<int:task_id>/urge", methods=("POST",))
@login_required
def urge(task_id: int):
    """Send the holder of a task a 催办通知."""
    try:
        done = supervision.urge(new_uow(), task_id, actor=g.user.name, note=request.form.get("note", ""))
    except (Conflict, InvalidInput) as err:
        flash(describe(err), "error")
    else:
        flash(_("已向 %(holder)s 发出催办通知。", holder=done.holder_name or done.holder), "success")
    target = request.form.get("next", "")
    return redirect(target if target.startswith("/") and not target.startswith("//") else url_for("supervise.index"))


@bp.route("/promises")
@login_required
def promises():
    """The departments' published 承诺时限, and a form to publish, change or withdraw one."""
    return render_template("supervise/promises.html", promises=supervision.promises(new_uow(), g.user.name),
                           choices=reports.choices(new_uow()))


@bp.route("/promises", methods=("POST",))
@login_required
def promise_set():
    """Publish a department's 承诺时限 for a procedure (0 working days withdraws it)."""
    form = request.form
    try:
        days = int(form.get("working_days", ""))
    except ValueError:
        days = -1  # refused below, naming the field
    try:
        supervision.set_promise(new_uow(), form.get("department", ""), form.get("procedure", ""), days,
                                actor=g.user.name)
    except InvalidInput as err:
        flash("；".join([describe(err), *err.field_texts(language()).values()]), "error")
    except (NotFound, PermissionDenied) as err:
        flash(describe(err), "error")
    else:
        flash(_("已撤回承诺时限。") if days == 0 else _("已公布承诺时限：%(days)d 个工作日。", days=days), "success")
    return redirect(url_for("supervise.promises"))


@bp.route("/rounds")
@login_required
def rounds_overview():
    """The periodic rounds: due next, running (with the step and deadline), late and done, and the schedules."""
    view = rounds.overview(new_uow(), g.user.name)
    return render_template("supervise/rounds.html", view={"late": view.late, "running": view.running,
                                                          "due": view.due, "done": view.done,
                                                          "schedules": view.schedules})
