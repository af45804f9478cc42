"""The calendar of record: each year's holiday notice, and installing a new one (administrators)."""
from flask import Blueprint

bp = Blueprint("calendar", __name__, url_prefix="/calendar")

from webapp.calendar import views  # noqa: E402,F401  (registers the routes on bp)
