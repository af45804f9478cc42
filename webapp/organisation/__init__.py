"""The organisation (administrators): levels, their competent authorities and departments."""
from flask import Blueprint

bp = Blueprint("organisation", __name__, url_prefix="/organisation")

from webapp.organisation import views  # noqa: E402,F401  (registers the routes on bp)
