"""The register of grants (Art. 20, 27, 43): who may use which data, until when, and ending a
grant with its reason."""
from flask import Blueprint

bp = Blueprint("grants", __name__, url_prefix="/grants")

from webapp.grants import views  # noqa: E402,F401  (registers the routes on bp)
