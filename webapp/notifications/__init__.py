"""Everyone's notifications: the list, marking them read, and the unread count in the header."""
from flask import Blueprint, Flask, g

bp = Blueprint("notifications", __name__, url_prefix="/notifications")

from webapp.notifications import views  # noqa: E402,F401  (registers the routes on bp)


def init_app(app: Flask) -> None:
    """Put the signed-in user's unread count (read with the user, see webapp.security) in every header."""

    @app.context_processor
    def unread():
        return {"unread_notifications": getattr(g, "unread_notifications", 0)}
