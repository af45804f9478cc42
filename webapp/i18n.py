"""Simplified Chinese by default, English on request; the choice is kept in the session."""
from __future__ import annotations

from flask import Blueprint, Flask, abort, redirect, request, session
from flask_babel import Babel

from webapp.security import next_or

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
    return redirect(next_or(request.args.get("next")))


def init_app(app: Flask) -> None:
    """Set up Flask-Babel with the catalogs in webapp/translations."""
    Babel(app, locale_selector=select_locale)

    @app.context_processor
    def language():
        locale = select_locale()
        return {"lang": locale, "html_lang": "zh-CN" if locale == "zh_CN" else locale, "LOCALES": LOCALES}
