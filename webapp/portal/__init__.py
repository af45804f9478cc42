"""The applicant portal: apply, follow, read replies, sign commitments."""
from flask import Blueprint

bp = Blueprint("portal", __name__, url_prefix="/portal")

from webapp.portal import reply, views  # noqa: E402,F401  (registers the routes on bp)
