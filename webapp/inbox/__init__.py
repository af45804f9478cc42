"""The reviewer's inbox and task pages."""
from flask import Blueprint

bp = Blueprint("inbox", __name__, url_prefix="/inbox")

from webapp.inbox import views  # noqa: E402,F401  (registers the routes on bp)
