"""Simplified Chinese by default, English on request; the choice is kept in the session."""
from __future__ import annotations

from flask import Blueprint, Flask, abort, redirect, request, session, url_for
from flask_babel import Babel

LOCALES = {"zh_CN": "简体中文", "en": "English"}

bp = Blueprint("i18n", __name__)


def select_locale() -> str:
    """The language chosen in this session, else Chinese."""
    return session.get("lang") if session.get("lang") in LOCALES else "zh_CN"


@bp.route("/lang/<code>")
def switch(code: str):
    """Remember the chosen language and go back to the page the link was on."""
    if code not in LOCALES:
        abort(404)
    session["lang"] = code
    target = request.args.get("next", "")
    # Only paths on this site: an absolute or protocol-relative URL would be an open redirect.
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("index")
    return redirect(target)


def init_app(app: Flask) -> None:
    """Set up Flask-Babel with the catalogs in webapp/translations."""
    Babel(app, locale_selector=select_locale)

    @app.context_processor
    def language():
        locale = select_locale()
        return {"lang": locale, "html_lang": "zh-CN" if locale == "zh_CN" else locale, "LOCALES": LOCALES}
