"""Process designers: processes and versions, the modeler, forms, diffs, migration; the diagram of an application."""
from flask import Blueprint

bp = Blueprint("designer", __name__, url_prefix="/designer")

from webapp.designer import views  # noqa: E402,F401  - registers the routes
