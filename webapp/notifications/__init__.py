"""Everyone's notifications: the list, marking them read, and the unread count in the header."""
from flask import Blueprint, Flask, g

bp = Blueprint("notifications", __name__, url_prefix="/notifications")

from webapp.notifications import views  # noqa: E402,F401  (registers the routes on bp)


def init_app(app: Flask) -> None:
    """Put the signed-in user's unread count in every page's header."""
    from engine.services import notifications
    from webapp.engine import new_uow

    @app.context_processor
    def unread():
        user = getattr(g, "user", None)
        return {"unread_notifications": notifications.unread_count(new_uow(), user.name) if user else 0}
