"""Years of the calendar of record, and installing a year's holiday notice: upload, check the
dry run, confirm."""
from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engine.calendar import CalendarError
from engine.errors import InvalidInput, PermissionDenied
from engine.services import calendar
from webapp.calendar import bp
from webapp.engine import get_engine, new_uow
from webapp.errors import language
from webapp.security import login_required

ADMIN = "admin"
# A year's notice is a few kilobytes of TOML; anything far larger is not one.
MAX_FILE_BYTES = 256 * 1024


def _require_admin() -> None:
    if ADMIN not in g.user.roles:
        raise PermissionDenied("calendar.admin_only", user=g.user.name)


@bp.route("/")
@login_required
def index():
    """The installed notices by year, next year's standing, and the form to install a notice."""
    _require_admin()
    return _index_page()


def _index_page(problems: list[str] | None = None, form: dict | None = None, status: int = 200):
    next_year = get_engine().clock.today().year + 1
    return render_template("calendar/index.html", years=calendar.installed_years(new_uow()), next_year=next_year,
                           problems=problems or [], form=form or {}), status


@bp.route("/<int:year>")
@login_required
def year(year: int):
    """A year's days off and make-up working days, the notice they come from and its installs."""
    try:
        view = calendar.year_view(new_uow(), year)
    except CalendarError:
        abort(404)
    return render_template("calendar/year.html", view=view)


@bp.route("/install", methods=("POST",))
@login_required
def install():
    """Check an uploaded notice and show what it would change (a dry run); with `confirm`,
    install the notice shown."""
    _require_admin()
    confirm = request.form.get("action") == "install"
    replace = request.form.get("replace") == "on"
    reason = request.form.get("reason", "")
    if confirm:
        text, file_name = request.form.get("text", ""), request.form.get("file_name", "") or "arrangement.toml"
    else:
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            flash(_("请选择放假安排文件（TOML）。"), "error")
            return redirect(url_for("calendar.index"))
        raw = upload.read(MAX_FILE_BYTES + 1)
        file_name = upload.filename.rsplit("/", 1)[-1]
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        if text is None or len(raw) > MAX_FILE_BYTES:
            flash(_("文件 %(name)s 不是放假安排文件（须为不超过 256 KB 的 UTF-8 文本）。", name=file_name), "error")
            return redirect(url_for("calendar.index"))
    form = {"replace": replace, "reason": reason}
    try:
        report = calendar.install(new_uow(), text, file_name=file_name, actor=g.user.name, replace=replace,
                                  reason=reason, dry_run=not confirm)
    except InvalidInput as err:
        lang = language()
        problems = [f"{p.where}: {p.text(lang)}" if p.where else p.text(lang) for p in err.problems]
        flash(err.text(lang), "error")
        return _index_page(problems, form, 422)
    if report.unchanged:
        flash(_("%(year)d 年已安装同一份放假安排，未作改动。", year=report.year), "info")
        return redirect(url_for("calendar.year", year=report.year))
    if not confirm:
        return render_template("calendar/preview.html", report=report, text=text, file_name=file_name, form=form)
    flash(_("已安装 %(year)d 年放假安排（%(notice)s），重新计算了 %(n)d 个期限。", year=report.year,
            notice=report.notice.notice, n=len(report.changes)), "success")
    return redirect(url_for("calendar.year", year=report.year))
