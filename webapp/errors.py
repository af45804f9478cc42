"""Domain errors as messages people can read, in the session's language, chosen by error code."""
from __future__ import annotations

from flask import Flask, flash, g, jsonify, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from engine import messages
from engine.errors import Conflict, InvalidInput, NotFound, PdwError, PermissionDenied
from engine.persistence import health
from webapp import bad_input
from webapp.engine import get_engine


def language() -> str:
    """The session's language as the engine's message catalog names it ("zh" or "en")."""
    return "en" if str(get_locale()).startswith("en") else "zh"


def api_language() -> str:
    """An API caller's language, from Accept-Language ("zh" unless English is preferred)."""
    return "en" if request.accept_languages.best_match(["zh", "en"], "zh") == "en" else "zh"


def describe(err: PdwError) -> str:
    """One line for `err` in the session's language, chosen by its code."""
    return err.text(language())


def _page(title: str, message: str, status: int):
    return render_template("error.html", title=title, message=message, status=status), status


# Status -> (title, message) of the app's own error pages, in the session's language.
PAGES = {
    400: (_l("请求无效"), _l("请求的格式或参数不正确。请返回上一页后重试。")),
    403: (_l("无权操作"), _l("您没有权限查看该页面或执行该操作。")),
    404: (_l("未找到"), _l("您要找的页面或记录不存在。")),
    405: (_l("不支持的操作"), _l("该页面不接受这种请求方式。")),
    409: (_l("操作冲突"), _l("该记录已被他人修改，请刷新页面后重试。")),
    413: (_l("文件过大"), _l("上传的内容超过了允许的大小。")),
    429: (_l("请求过于频繁"), _l("请求次数过多，请稍后再试。")),
    500: (_l("系统错误"), _l("系统处理请求时出错，已记录。请稍后重试；如问题持续，请联系系统管理员。")),
}


def init_app(app: Flask) -> None:
    """Render every error as the app's own page, with the navigation, in the session's language."""

    @app.errorhandler(CSRFError)
    def csrf_failed(err):
        return _page(_("请求已失效"), _("页面已过期或请求来源无法验证（CSRF 校验失败）。请返回上一页刷新后重试。"), 400)

    @app.errorhandler(HTTPException)
    def http_error(err: HTTPException):
        if err.code is None or err.code < 400:
            return err
        if request.path.startswith("/api/"):
            # No route of the API matched (or its method), so no blueprint's handler ran: the API
            # still answers JSON.
            return jsonify(bad_input.error_body(err, api_language())), err.code
        title, message = PAGES.get(err.code, (err.name, ""))
        if isinstance(err, bad_input.Refused):
            # Refused before the signed-in user was loaded: the page shows no one's navigation.
            g.setdefault("user", None)
            g.setdefault("unread_notifications", 0)
            message = messages.render(err.error_code, err.params, language())
        return _page(str(title), str(message), err.code)

    @app.errorhandler(InternalServerError)
    def server_error(err):
        return _page(str(PAGES[500][0]), str(PAGES[500][1]), 500)

    @app.errorhandler(NotFound)
    def not_found(err):
        return _page(str(PAGES[404][0]), str(PAGES[404][1]), 404)

    @app.errorhandler(PermissionDenied)
    def denied(err):
        return _page(str(PAGES[403][0]), describe(err), 403)

    @app.errorhandler(Conflict)
    def conflict(err):
        return _page(str(PAGES[409][0]), describe(err), 409)

    def database_failed(err):
        # The database itself (unreachable, never upgraded, behind this code) gets a page that
        # says so; any other failed query is a bug and stays a plain 500.
        found = health.problem(get_engine().db, err)
        if found is None:
            return InternalServerError(original_exception=err)
        return _page(_("服务暂不可用"), describe(found), 503)

    for kind in health.DATABASE_ERRORS:
        app.register_error_handler(kind, database_failed)


def field_errors(err: InvalidInput) -> dict[str, str]:
    """The per-field messages of a refused form in the session's language, flashed as a summary."""
    errors = err.field_texts(language())
    flash(_("提交未成功：有 %(n)d 处需要修改。", n=len(errors)), "error")
    return errors
