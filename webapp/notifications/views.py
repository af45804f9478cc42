"""The notification list with its unread count; marking notifications read."""
from __future__ import annotations

from flask import g, redirect, render_template, request, url_for

from engine.services import notifications
from webapp.engine import new_uow
from webapp.errors import language
from webapp.notifications import bp
from webapp.security import login_required


@bp.route("/")
@login_required
def index():
    """The newest notifications, unread ones marked."""
    listing = notifications.listing(new_uow(), g.user.name)
    items = [(n, read, n.text(language())) for n, read in listing.items]
    return render_template("notifications/index.html", unread=listing.unread, items=items)


@bp.route("/read", methods=("POST",))
@login_required
def read():
    """Mark the notifications listed as read."""
    ids = [int(value) for value in request.form.getlist("id") if value.isdigit()]
    notifications.mark_read(new_uow(), g.user.name, ids)
    return redirect(url_for("notifications.index"))
