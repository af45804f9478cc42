"""Inbox tabs, claiming and releasing tasks, and deciding a task through its form."""
from __future__ import annotations

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engine.errors import Conflict, InvalidInput, PermissionDenied
from engine.forms import RawForm
from engine.permissions import is_staff
from engine.services import inbox, notifications, tasks
from webapp import schema_form
from webapp.engine import new_uow
from webapp.errors import describe, field_errors, language
from webapp.inbox import bp
from webapp.security import MAX_ID, login_required, next_or


def _query() -> inbox.InboxQuery:
    args = request.args
    try:
        within = int(args.get("within", 3))
    except ValueError:
        within = 3
    return inbox.InboxQuery(tab=args.get("tab", "available"), process_id=args.get("procedure") or None,
                            due=args.get("due") or None, within_days=within, search=args.get("q") or None,
                            after=args.get("after") or None, limit=current_app.config["PDW_PAGE_SIZE"])


@bp.route("/")
@login_required
def index():
    """One page of a tab of the inbox, filtered and searched; applicants, who have no inbox, find
    the steps waiting for them on their portal."""
    if not is_staff(g.user.roles):
        return redirect(url_for("portal.index"))
    query = _query()
    try:
        page = inbox.page(new_uow(), g.user.name, query)
    except InvalidInput as err:
        flash(_("筛选条件无效：%(detail)s", detail="；".join(err.field_texts(language()).values())), "error")
        return redirect(url_for("inbox.index"))
    notices = [(n, n.text(language())) for n in page.notifications]
    return render_template("inbox/index.html", page=page, query=query, notices=notices, COUNT_CAP=inbox.COUNT_CAP)


@bp.route("/notifications/read", methods=("POST",))
@login_required
def notifications_read():
    """Mark the notifications shown at the top of the inbox as read."""
    ids = [int(value) for value in request.form.getlist("id") if value.isdigit() and int(value) <= MAX_ID]
    notifications.mark_read(new_uow(), g.user.name, ids)
    return redirect(_back())


def _back() -> str:
    return next_or(request.form.get("next"), "inbox.index")


@bp.route("/tasks/<int:task_id>/claim", methods=("POST",))
@login_required
def claim(task_id: int):
    """Claim a task; when someone was faster, say who."""
    try:
        tasks.claim(new_uow(), task_id, actor=g.user.name)
    except (Conflict, PermissionDenied) as err:
        flash(describe(err), "error")
        return redirect(_back())
    flash(_("已认领任务，请在办理期限内处理。"), "success")
    return redirect(url_for("inbox.task", task_id=task_id))


@bp.route("/tasks/<int:task_id>/unclaim", methods=("POST",))
@login_required
def unclaim(task_id: int):
    """Give a claimed task back to its groups."""
    try:
        tasks.unclaim(new_uow(), task_id, actor=g.user.name)
    except (Conflict, PermissionDenied) as err:
        flash(describe(err), "error")
    else:
        flash(_("已退回任务，组内其他人员可以认领。"), "success")
    return redirect(_back())


@bp.route("/tasks/<int:task_id>", methods=("GET", "POST"))
@login_required
def task(task_id: int):
    """The task with its application, deadline and history; POST decides it."""
    values, errors, status = None, {}, 200
    if request.method == "POST":
        try:
            outcome = tasks.complete(new_uow(), task_id, actor=g.user.name,
                                     data=RawForm(request.form.to_dict(flat=False)))
        except InvalidInput as err:
            values, errors, status = err.data, field_errors(err), 422
        except (Conflict, PermissionDenied) as err:
            values = request.form.to_dict()
            flash(describe(err), "error")
            status = 409
        else:
            flash(_("已办理完成。"), "success")
            if not is_staff(g.user.roles):
                return redirect(url_for("portal.application", instance_id=outcome["instance_id"]))
            return redirect(url_for("inbox.index"))
    # After a refused POST this is the page shown again, not a second use case.
    view = inbox.task_view(new_uow(), task_id, actor=g.user.name)
    form_fields = schema_form.fields(view["form"], values if values is not None else {}, errors)
    return render_template("inbox/task.html", view=view, fields=form_fields, errors=errors), status
