"""Applying through a procedure's start form and following one's applications."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engine.errors import Conflict, InvalidInput, PermissionDenied
from engine.forms import RawForm
from engine.services import instances, portal, withdrawal
from webapp import schema_form
from webapp.engine import new_uow
from webapp.errors import describe, field_errors, language
from webapp.portal import bp
from webapp.security import login_required


@bp.route("/")
@login_required
def index():
    """Procedures one may apply for, one's applications and what waits for one."""
    return render_template("portal/index.html", overview=portal.overview(new_uow(), g.user.name))


@bp.route("/apply/<process_id>", methods=("GET", "POST"))
@login_required
def apply(process_id: str):
    """The procedure's start form; POST submits the application and shows its receipt."""
    values, errors, status = {}, {}, 200
    if request.method == "POST":
        try:
            result = instances.start(new_uow(), process_id, actor=g.user.name,
                                     data=RawForm(request.form.to_dict(flat=False)))
        except InvalidInput as err:
            values, errors, status = err.data, field_errors(err), 422
        except PermissionDenied as err:
            flash(describe(err), "error")
            return redirect(url_for("portal.index"))
        else:
            flash(_("申请已受理，受理编号：%(number)s。请妥善保存。", number=result.receipt_number), "success")
            return redirect(url_for("portal.application", instance_id=result.instance_id))
    form = portal.start_form(new_uow(), g.user.name, process_id)
    return render_template("portal/apply.html", form=form,
                           fields=schema_form.fields(form["schema"], values, errors), errors=errors), status


@bp.route("/applications/<int:instance_id>")
@login_required
def application(instance_id: int):
    """One application: receipt, status, statutory deadline, replies and history."""
    return render_template("portal/application.html",
                           app=portal.application(new_uow(), g.user.name, instance_id))


@bp.route("/applications/<int:instance_id>/withdraw", methods=("POST",))
@login_required
def withdraw(instance_id: int):
    """Withdraw one's application before it is decided, giving a reason."""
    try:
        withdrawal.withdraw(new_uow(), instance_id, actor=g.user.name, reason=request.form.get("reason", ""))
    except InvalidInput as err:
        for text in err.field_texts(language()).values():
            flash(text, "error")
    except Conflict as err:
        flash(describe(err), "error")
    else:
        flash(_("申请已撤回，办理已终止。"), "success")
    return redirect(url_for("portal.application", instance_id=instance_id))
