"""The organisation page and its changes: add a level, add, rename, move and retire a
department. Each view calls one engine service, which checks the administrator."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engine.errors import Conflict, InvalidInput, NotFound
from engine.permissions import DEPARTMENT_KINDS, LEVEL_KINDS
from engine.services import organisation, users
from webapp.errors import describe, language
from webapp.engine import new_uow
from webapp.organisation import bp
from webapp.security import login_required


def _text(name: str) -> str | None:
    """A form field, None when left empty (nothing to change)."""
    value = (request.form.get(name) or "").strip()
    return value or None


def _done(call, success: str):
    """Run one service call; flash its outcome and go back to the page."""
    try:
        result = call()
    except InvalidInput as err:
        flash("；".join([describe(err), *(f"{p.where}: {p.text(language())}" if p.where else p.text(language())
                                          for p in err.problems)]), "error")
    except (NotFound, Conflict) as err:
        flash(describe(err), "error")
    else:
        flash(success.format(code=result.code), "success")
    return redirect(url_for("organisation.index"))


@bp.route("/")
@login_required
def index():
    """The levels with their authorities, and every department by level, with the forms that change them."""
    users.authorize(new_uow(), g.user.name, "organisation")
    return render_template("organisation/index.html", levels=organisation.list_levels(new_uow()),
                           departments=organisation.list_departments(new_uow(), retired=True),
                           kinds=DEPARTMENT_KINDS, level_kinds=LEVEL_KINDS)


@bp.route("/levels", methods=("POST",))
@login_required
def level_add():
    """Add a county or district (or the city, in a database that has none)."""
    return _done(lambda: organisation.add_level(new_uow(), request.form.get("code", "").strip(),
                                                name=request.form.get("name", ""),
                                                kind=request.form.get("kind") or "county",
                                                parent=_text("parent"), actor=g.user.name),
                 _("已添加层级 {code}。"))


@bp.route("/departments", methods=("POST",))
@login_required
def department_add():
    """Add a department at a level; of kind authority it becomes the level's competent authority."""
    return _done(lambda: organisation.add_department(new_uow(), request.form.get("code", "").strip(),
                                                     name=request.form.get("name", ""), full_name=_text("full_name"),
                                                     kind=request.form.get("kind") or "department",
                                                     level=_text("level"), actor=g.user.name),
                 _("已添加部门 {code}。"))


@bp.route("/departments/<code>/rename", methods=("POST",))
@login_required
def department_rename(code: str):
    """Give a department a new name, full official name or kind."""
    return _done(lambda: organisation.rename_department(new_uow(), code, name=_text("name"),
                                                        full_name=_text("full_name"), kind=_text("kind"),
                                                        actor=g.user.name),
                 _("已修改部门 {code}。"))


@bp.route("/departments/<code>/move", methods=("POST",))
@login_required
def department_move(code: str):
    """Move a department to another level."""
    return _done(lambda: organisation.move_department(new_uow(), code, level=request.form.get("level", ""),
                                                      actor=g.user.name),
                 _("已将部门 {code} 调整到新的层级。"))


@bp.route("/departments/<code>/retire", methods=("POST",))
@login_required
def department_retire(code: str):
    """Retire a department (refused while it has open work)."""
    return _done(lambda: organisation.retire_department(new_uow(), code, actor=g.user.name),
                 _("已撤销部门 {code}。"))
