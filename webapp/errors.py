"""Domain errors as messages people can read, in the session's language."""
from __future__ import annotations

import re

from flask import Flask, flash, render_template
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_wtf.csrf import CSRFError

from engine.errors import Conflict, NotFound, PdwError, PermissionDenied

# The engine words its errors in English for logs and the CLI; these are the ones a person
# meets in the web app, with the names they carry.
_KNOWN = [
    (r"already claimed by you", lazy_gettext("您已认领该任务。")),
    (r"already claimed by (?P<user>\S+)", lazy_gettext("该任务已被 %(user)s 认领，请刷新后选择其他任务。")),
    (r"is completed by (?P<user>\S+)", lazy_gettext("该任务已由 %(user)s 办结。")),
    (r"is completed", lazy_gettext("该任务已办结。")),
    (r"is cancelled", lazy_gettext("该任务已撤销。")),
    (r"is not claimed", lazy_gettext("该任务尚未被认领。")),
    (r"only the assignee may complete task \d+; it is claimed by (?P<user>\S+)",
     lazy_gettext("该任务由 %(user)s 认领办理，只有认领人可以提交。")),
    (r"is held by (?P<user>\S+?);", lazy_gettext("该任务由 %(user)s 持有，只有其本人或主管可以退回。")),
    (r"in none of the task's groups", lazy_gettext("您不在该任务的办理组中。")),
    (r"not in any of your groups", lazy_gettext("您无权查看该任务。")),
    (r"may not start", lazy_gettext("您的角色不能提交此类申请。")),
    (r"changed while task \d+ was being completed", lazy_gettext("申请在办理过程中发生了变化，请重试。")),
]


def describe(err: PdwError) -> str:
    """One line for `err` in the session's language; an unforeseen one keeps the engine's words."""
    text = str(err)
    for pattern, message in _KNOWN:
        found = re.search(pattern, text)
        if found:
            return str(message) % found.groupdict() if found.groupdict() else str(message)
    return _("操作未完成：%(detail)s", detail=text)


def init_app(app: Flask) -> None:
    """Render CSRF failures, missing objects and refusals as pages, not tracebacks."""

    @app.errorhandler(CSRFError)
    def csrf_failed(err):
        return render_template("error.html", title=_("请求已失效"),
                               message=_("页面已过期或请求来源无法验证（CSRF 校验失败）。请返回上一页刷新后重试。")), 400

    @app.errorhandler(NotFound)
    @app.errorhandler(404)
    def not_found(err):
        return render_template("error.html", title=_("未找到"), message=_("您要找的页面或记录不存在。")), 404

    @app.errorhandler(PermissionDenied)
    def denied(err):
        return render_template("error.html", title=_("无权操作"), message=describe(err)), 403

    @app.errorhandler(Conflict)
    def conflict(err):
        return render_template("error.html", title=_("操作冲突"), message=describe(err)), 409


def field_errors(err) -> dict[str, str]:
    """The per-field messages of a rejected form, in the session's language, flashed as a summary."""
    english = str(get_locale()) == "en"
    errors = {e.field: (e.message if english else e.message_zh) for e in err.field_errors}
    flash(_("提交未成功：有 %(n)d 处需要修改。", n=len(errors)), "error")
    return errors
