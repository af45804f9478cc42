"""`/healthz`: the process answers. `/readyz`: its database is reachable and at the current migration."""
from __future__ import annotations

from flask import jsonify

from engine.persistence import health
from webapp.engine import get_engine
from webapp.health import bp


@bp.route("/healthz")
def healthz():
    """Alive: answers without touching the database."""
    return jsonify(status="ok")


@bp.route("/readyz")
def readyz():
    """Ready to serve: the database answers and is at the migration this code needs; else 503."""
    found = health.problem(get_engine().db)
    if found is not None:
        return jsonify(status="unavailable", code=found.code, message=found.text("en")), 503
    return jsonify(status="ready", revision=health.head_revision())
