"""The supervisor's area (Art. 49): overdue, at-risk and unassignable work, on-time rates, the
assessment, downloads, drill-down to an application, 催办 and the periodic rounds."""
from flask import Blueprint

bp = Blueprint("supervise", __name__, url_prefix="/supervise")

from webapp.supervise import views  # noqa: E402,F401  (registers the routes on bp)
