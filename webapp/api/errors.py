"""The API's errors as JSON: `code`, `message` in the caller's language, `params`, and `problems`."""
from __future__ import annotations

from flask import jsonify
from werkzeug.exceptions import HTTPException

from engine import messages
from engine.errors import Conflict, InvalidInput, NotFound, PdwError, PermissionDenied
from engine.persistence import health
from engine.services.tokens import Unauthenticated
from webapp import bad_input
from webapp.api import bp
from webapp.engine import get_engine
from webapp.errors import api_language as language

STATUS = ((Unauthenticated, 401), (PermissionDenied, 403), (NotFound, 404), (Conflict, 409),
          (InvalidInput, 422), (health.DatabaseUnavailable, 503))


@bp.errorhandler(PdwError)
def domain_error(err: PdwError):
    """An engine error with its code, its text in the caller's language and its parameters."""
    status = next((code for kind, code in STATUS if isinstance(err, kind)), 400)
    response = jsonify(err.to_dict(language()))
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="pdw"'
    return response, status


@bp.errorhandler(HTTPException)
def http_error(err: HTTPException):
    """An HTTP-level refusal (bad JSON, a parameter of the wrong type, a wrong method), as JSON
    with a code and its text in the caller's language (webapp.bad_input.error_body)."""
    return jsonify(bad_input.error_body(err, language())), err.code


def database_failed(err):
    """The database cannot serve: 503 with the cause; any other failed query is a bug (500)."""
    found = health.problem(get_engine().db, err)
    if found is None:
        return jsonify({"code": "http.500", "message": messages.render("http.500", {}, language()), "params": {}}), 500
    return domain_error(found)


for _kind in health.DATABASE_ERRORS:
    bp.register_error_handler(_kind, database_failed)
