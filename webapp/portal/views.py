"""Applying through a procedure's start form and following one's applications."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engine.errors import Conflict, InvalidInput, PermissionDenied
from engine.forms import RawForm
from engine.services import attachments, grants, instances, portal, withdrawal
from webapp import downloads, schema_form
from webapp.engine import new_uow
from webapp.errors import describe, field_errors, language
from webapp.portal import bp
from webapp.terms import term
from webapp.security import login_required


@bp.route("/")
@login_required
def index():
    """Procedures one may apply for, one's applications, what waits for one and the grants one holds."""
    return render_template("portal/index.html", overview=portal.overview(new_uow(), g.user.name),
                           held=grants.held_by(new_uow(), g.user.name))


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
            # A refusal that depends on what was applied for (applicantKinds:FIELD=VALUE) is told
            # on the form; one of the procedure itself is the same 403 as the form's page.
            if err.code != "process.not_for_kind":
                raise
            flash(describe(err), "error")
            return redirect(url_for("portal.index"))
        else:
            flash(_("申请已受理，受理编号：%(number)s。请妥善保存。", number=result.receipt_number), "success")
            return redirect(url_for("portal.application", instance_id=result.instance_id))
    form = portal.start_form(new_uow(), g.user.name, process_id)
    if request.method == "GET":
        # A link may fill in fields of the form (the formal reply's link to a dispute names the
        # application it is about); they are checked like typed ones when the form is sent.
        values = {name: value for name, value in request.args.items()
                  if name in (form["schema"].get("properties") or {})}
    catalog = [(c["code"], f"{c['name']} · {term(c['source_unit'])} · {c['code']}") for c in form["catalog"]]
    return render_template("portal/apply.html", form=form,
                           fields=schema_form.fields(form["schema"], values, errors, catalog), errors=errors), status


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
    except (InvalidInput, Conflict) as err:
        _flash_refusal(err)
    else:
        flash(_("申请已撤回，办理已终止。"), "success")
    return redirect(url_for("portal.application", instance_id=instance_id))


def _flash_refusal(err: InvalidInput | Conflict) -> None:
    texts = err.field_texts(language()).values() if isinstance(err, InvalidInput) else [describe(err)]
    for text in texts:
        flash(text, "error")


@bp.route("/applications/<int:instance_id>/attachments", methods=("POST",))
@login_required
def attach(instance_id: int):
    """Add a supporting document to one's application."""
    upload = request.files.get("attachment")
    try:
        attachments.add(new_uow(), instance_id, actor=g.user.name, name=upload.filename if upload else "",
                        content=upload.read() if upload else b"")
    except (InvalidInput, Conflict) as err:
        _flash_refusal(err)
    else:
        flash(_("附件已上传。"), "success")
    return redirect(url_for("portal.application", instance_id=instance_id))


@bp.route("/attachments/<int:attachment_id>")
@login_required
def attachment(attachment_id: int):
    """A supporting document, downloaded, for whoever may see its application."""
    document = attachments.fetch(new_uow(), attachment_id, actor=g.user.name)
    return downloads.send_bytes(document.content, document.name, document.content_type)
