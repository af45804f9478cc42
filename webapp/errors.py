"""Domain errors as messages people can read, in the session's language, chosen by error code."""
from __future__ import annotations

from flask import Flask, flash, jsonify, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError

from werkzeug.exceptions import InternalServerError
from werkzeug.exceptions import NotFound as HttpNotFound

from engine.errors import Conflict, InvalidInput, NotFound, PdwError, PermissionDenied
from engine.persistence import health
from webapp.engine import get_engine


def language() -> str:
    """The session's language as the engine's message catalog names it ("zh" or "en")."""
    return "en" if str(get_locale()).startswith("en") else "zh"


def describe(err: PdwError) -> str:
    """One line for `err` in the session's language, chosen by its code."""
    return err.text(language())


def init_app(app: Flask) -> None:
    """Render CSRF failures, missing objects and refusals as pages, not tracebacks."""

    @app.errorhandler(CSRFError)
    def csrf_failed(err):
        return render_template("error.html", title=_("请求已失效"),
                               message=_("页面已过期或请求来源无法验证（CSRF 校验失败）。请返回上一页刷新后重试。")), 400

    @app.errorhandler(NotFound)
    @app.errorhandler(404)
    def not_found(err):
        if request.path.startswith("/api/"):
            # No route matched, so no blueprint's handler ran: the API still answers JSON.
            return jsonify({"code": "http.404", "message": HttpNotFound.description, "params": {}}), 404
        return render_template("error.html", title=_("未找到"), message=_("您要找的页面或记录不存在。")), 404

    @app.errorhandler(PermissionDenied)
    def denied(err):
        return render_template("error.html", title=_("无权操作"), message=describe(err)), 403

    @app.errorhandler(Conflict)
    def conflict(err):
        return render_template("error.html", title=_("操作冲突"), message=describe(err)), 409

    def database_failed(err):
        # The database itself (unreachable, never upgraded, behind this code) gets a page that
        # says so; any other failed query is a bug and stays a plain 500.
        found = health.problem(get_engine().db)
        if found is None:
            return InternalServerError(original_exception=err)
        return render_template("error.html", title=_("服务暂不可用"), message=describe(found)), 503

    for kind in health.DATABASE_ERRORS:
        app.register_error_handler(kind, database_failed)


def field_errors(err: InvalidInput) -> dict[str, str]:
    """The per-field messages of a refused form in the session's language, flashed as a summary."""
    errors = err.field_texts(language())
    flash(_("提交未成功：有 %(n)d 处需要修改。", n=len(errors)), "error")
    return errors
