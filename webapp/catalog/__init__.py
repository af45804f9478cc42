"""Catalog change proposals (Art. 13, 18, 19, 24, 25): the authority reviews each, old -> new per
attribute, and approves or refuses it."""
from flask import Blueprint

bp = Blueprint("catalog", __name__, url_prefix="/catalog")

from webapp.catalog import views  # noqa: E402,F401  (registers the routes on bp)
