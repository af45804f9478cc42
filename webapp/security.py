"""CSRF protection on every form and idle-expiring sessions."""
from __future__ import annotations

import time
from functools import wraps

from flask import Flask, current_app, flash, g, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFProtect

from engine.services import notifications
from webapp.engine import new_uow

csrf = CSRFProtect()


def init_app(app: Flask) -> None:
    """Protect every POST with a CSRF token and load the signed-in user before each request."""
    csrf.init_app(app)
    app.before_request(load_signed_in_user)


def load_signed_in_user() -> None:
    """Put the signed-in user in `g.user`, ending sessions idle for longer than PDW_SESSION_IDLE."""
    g.user = None
    name = session.get("user")
    if name is None:
        return
    idle = current_app.config["PDW_SESSION_IDLE"].total_seconds()
    now = time.time()
    if now - session.get("seen", 0) > idle:
        lang = session.get("lang")
        session.clear()
        if lang:
            session["lang"] = lang
        flash(_("您已超过 %(minutes)d 分钟未操作，请重新登录。", minutes=int(idle // 60)), "warning")
        return
    session["seen"] = now
    g.user, g.unread_notifications = notifications.signed_in(new_uow(), name)
    if g.user is None:
        session.clear()


def sign_in_session(name: str) -> None:
    """Start a fresh session for `name`, keeping only the language choice of the old one."""
    lang = session.get("lang")
    session.clear()
    session.permanent = True
    session["user"] = name
    session["seen"] = time.time()
    if lang:
        session["lang"] = lang


def login_required(view):
    """Redirect to the sign-in page unless someone is signed in."""

    @wraps(view)
    def wrapped(**kwargs):
        if g.user is None:
            return redirect(url_for("auth.login", next=request.full_path if request.method == "GET" else None))
        return view(**kwargs)

    return wrapped
