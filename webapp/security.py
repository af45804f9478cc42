"""CSRF protection on every form, sessions that end everywhere at once, safe redirects, ids in
range, and the security headers of every response (the Content-Security-Policy is kept here)."""
from __future__ import annotations

import re
import time
from functools import wraps
from urllib.parse import unquote, urlsplit

from flask import Flask, current_app, flash, g, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFProtect
from werkzeug.routing import IntegerConverter

from engine.services import accounts
from webapp.engine import new_uow

csrf = CSRFProtect()

# The largest id a BIGINT column holds: a larger one in a URL names nothing, so it is a 404.
MAX_ID = 2**63 - 1

# The one Content-Security-Policy. No inline script or style anywhere: page data travels in
# <script type="application/json">. An area that needs more (a diagram editor's inline
# styles, say) asks for it per response with `allow(directive, *sources)`.
CONTENT_SECURITY_POLICY: dict[str, tuple[str, ...]] = {
    "default-src": ("'self'",),
    "script-src": ("'self'",),
    "style-src": ("'self'",),
    "img-src": ("'self'", "data:"),
    "font-src": ("'self'",),
    "connect-src": ("'self'",),
    "object-src": ("'none'",),
    "base-uri": ("'self'",),
    "form-action": ("'self'",),
    "frame-ancestors": ("'none'",),
}

HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}

# What a browser drops from a URL before reading it (tab, CR, LF) and other control characters.
_IGNORED_BY_BROWSERS = re.compile(r"[\x00-\x1f\x7f]")


class BoundedInt(IntegerConverter):
    """`<int:...>` that matches only ids a database column can hold."""

    def __init__(self, url_map, fixed_digits=0, min=None, max=MAX_ID, signed=False):  # noqa: A002 - werkzeug's names
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def init_app(app: Flask) -> None:
    """Bound ids in URLs, load the signed-in user, then check CSRF, and add the security headers.

    The user is loaded before the CSRF check so that a refused request still renders its page
    with the navigation of whoever is signed in.
    """
    app.url_map.converters["int"] = BoundedInt
    app.before_request(load_signed_in_user)
    csrf.init_app(app)
    app.after_request(add_security_headers)


def allow(directive: str, *sources: str) -> None:
    """Let this response's Content-Security-Policy also allow `sources` for `directive`."""
    extra = g.setdefault("csp_extra", {})
    extra[directive] = extra.get(directive, ()) + tuple(sources)


def content_security_policy() -> str:
    """The policy of this response: the common one plus what the view allowed."""
    extra = g.get("csp_extra", {})
    directives = {**CONTENT_SECURITY_POLICY}
    for directive, sources in extra.items():
        directives[directive] = directives.get(directive, ()) + tuple(s for s in sources
                                                                      if s not in directives.get(directive, ()))
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


def add_security_headers(response):
    """Forbid framing, sniffing and inline script; keep signed-in pages out of shared caches."""
    response.headers["Content-Security-Policy"] = content_security_policy()
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    if g.get("user") is not None:
        # A page behind sign-in is not kept for the back button of the next person at the desk.
        response.headers["Cache-Control"] = "no-store"
    return response


def safe_target(target: str | None) -> str | None:
    """`target` as the browser will read it, when that stays on this site; else None.

    Browsers drop tabs and newlines and read a backslash as a slash, so `/\\t/evil`, `/\\evil`
    and `/%09/evil` (decoded from a query string) all mean `//evil`, another site. The check is
    made on what the browser will see, and a path that only decodes to one (`/%2F%2Fevil`) is
    refused too.
    """
    if not target:
        return None
    seen = _IGNORED_BY_BROWSERS.sub("", target).replace("\\", "/").strip()
    for candidate in (seen, unquote(seen).replace("\\", "/")):
        parts = urlsplit(candidate)
        if parts.scheme or parts.netloc or not candidate.startswith("/") or candidate.startswith("//"):
            return None
    return seen


def next_or(target: str | None, endpoint: str = "index") -> str:
    """`target` when it is safe to redirect to, else the page of `endpoint`."""
    return safe_target(target) or url_for(endpoint)


def load_signed_in_user() -> None:
    """Put the signed-in user in `g.user`, ending sessions idle for longer than PDW_SESSION_IDLE
    and sessions whose generation was ended (signed out, password changed, user disabled)."""
    g.user, g.unread_notifications = None, 0
    name = session.get("user")
    if name is None:
        return
    idle = current_app.config["PDW_SESSION_IDLE"].total_seconds()
    now = time.time()
    if now - session.get("seen", 0) > idle:
        _keep_only_language()
        flash(_("您已超过 %(minutes)d 分钟未操作，请重新登录。", minutes=int(idle // 60)), "warning")
        return
    generation = session.get("generation")
    signed_in = accounts.current_user(new_uow(), name, generation) if isinstance(generation, int) else None
    if signed_in is None:
        _keep_only_language()
        return
    g.user, g.unread_notifications = signed_in.user, signed_in.unread_notifications
    session["seen"] = now


def _keep_only_language() -> None:
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


def sign_in_session(user) -> None:
    """Start a fresh session for `user` (a UserView), keeping only the language choice of the old one."""
    _keep_only_language()
    session.permanent = True
    session["user"] = user.name
    session["generation"] = user.session_generation
    session["seen"] = time.time()


def end_session() -> None:
    """Sign out: end every session of the signed-in user, this cookie and all its copies."""
    if g.get("user") is not None:
        accounts.end_sessions(new_uow(), g.user.name, actor=g.user.name)
    _keep_only_language()


def login_required(view):
    """Redirect to the sign-in page unless someone is signed in."""

    @wraps(view)
    def wrapped(**kwargs):
        if g.user is None:
            return redirect(url_for("auth.login", next=request.full_path if request.method == "GET" else None))
        return view(**kwargs)

    return wrapped
