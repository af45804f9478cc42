"""The grants register page and ending a grant; each view calls one engine service."""
from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engine import permissions
from engine.errors import Conflict, InvalidInput, NotFound
from engine.services import exports, grants
from webapp import downloads
from webapp.engine import new_uow
from webapp.errors import describe, language
from webapp.grants import bp
from webapp.security import login_required

STATES = ("active", "all")


@bp.app_context_processor
def _register_link():
    # The main navigation shows the register to those who may read it.
    def may_read_grants() -> bool:
        return g.get("user") is not None and permissions.shows_grant_register(g.user)
    return {"may_read_grants": may_read_grants}


def _filters() -> tuple[str, str | None, str | None]:
    state = request.args.get("state") if request.args.get("state") in STATES else "active"
    return state, (request.args.get("item") or "").strip() or None, (request.args.get("grantee") or "").strip() or None


@bp.route("/")
@login_required
def index():
    """Every grant, or only those still giving access, by catalog item or grantee."""
    state, item, grantee = _filters()
    found = grants.register(new_uow(), g.user.name, active_only=state == "active", catalog_item=item,
                            grantee=grantee)
    return render_template("grants/index.html", found=found, state=state, item=item or "", grantee=grantee or "")


@bp.route("/register.<fmt>")
@login_required
def register_download(fmt: str):
    """The register as filtered on its page, as CSV or Excel."""
    if fmt not in downloads.FORMATS:
        abort(404)
    state, item, grantee = _filters()
    found = grants.register(new_uow(), g.user.name, active_only=state == "active", catalog_item=item, grantee=grantee)
    return downloads.download(exports.GRANT_COLUMNS, found["grants"], fmt, f"grants-{state}", "数据授权登记")


@bp.route("/<int:grant_id>/revoke", methods=("POST",))
@login_required
def revoke(grant_id: int):
    """End a grant (Art. 43): it stays in the register, marked revoked with its reason."""
    try:
        grants.revoke(new_uow(), grant_id, actor=g.user.name, reason=request.form.get("reason", ""))
    except InvalidInput as err:
        flash("；".join([describe(err), *err.field_texts(language()).values()]), "error")
    except (NotFound, Conflict) as err:
        flash(describe(err), "error")
    else:
        flash(_("已终止授权 %(grant)d。", grant=grant_id), "success")
    return redirect(url_for("grants.index", state="all"))
