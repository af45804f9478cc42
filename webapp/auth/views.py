"""Sign-in with throttled failures, and sign-out."""
from __future__ import annotations

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _

from engine.services import accounts
from webapp.auth import bp
from webapp.engine import new_uow
from webapp.security import end_session, next_or, safe_target, sign_in_session


@bp.route("/login", methods=("GET", "POST"))
def login():
    """Show the sign-in form; on POST check the name and password."""
    if request.method == "GET" and g.user is not None:
        return redirect(url_for("index"))
    status = 200
    name = request.form.get("username", "").strip()
    if request.method == "POST":
        throttle = accounts.Throttle(current_app.config["PDW_SIGN_IN_MAX_FAILURES"],
                                     current_app.config["PDW_SIGN_IN_WINDOW"])
        try:
            user = accounts.sign_in(new_uow(), name, request.form.get("password", ""),
                                    remote_addr=request.remote_addr, throttle=throttle)
        except accounts.AccountLocked as err:
            flash(_("登录失败次数过多，账号已暂时锁定，请于 %(until)s 之后再试。",
                    until=format_datetime(err.until, "yyyy-MM-dd HH:mm")), "error")
            status = 429
        except accounts.SignInFailed:
            flash(_("用户名或密码错误。"), "error")
            status = 401
        else:
            sign_in_session(user)
            return redirect(next_or(request.form.get("next")))
    return render_template("auth/login.html", name=name, next=safe_target(request.values.get("next")) or ""), status


@bp.route("/logout", methods=("POST",))
def logout():
    """End the session and every copy of it (keeping the language choice)."""
    end_session()
    flash(_("您已退出登录。"), "info")
    return redirect(url_for("auth.login"))
