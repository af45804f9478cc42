"""Bad input refused in the request pipeline, before any view, session or query sees it.

One check runs first on every request of the app (web pages and the API alike):

- a NUL byte in the path, a query parameter, a form field, an uploaded file's name or a JSON
  string is refused (PostgreSQL cannot store one in text and fails the query with a 500);
- a JSON body is parsed once, here, by `load_json`: malformed JSON, JSON nested deeper than
  MAX_JSON_DEPTH and JSON that is not UTF-8 are refused. The API's argument parser reads the
  value parsed here (webapp.api.PdwArgumentParser), so no route parses a body on its own.

Why the depth is checked here: `json.loads` recurses once per level of nesting, so ten thousand
`[` raise RecursionError (a 500 unless caught), and a value a few hundred levels deep that does
parse may still exhaust the stack later (jsonschema, the serializer, the audit's JSON). The
parsed value is then walked without recursion and refused beyond MAX_JSON_DEPTH levels.

Refusals are `Refused` errors: an HTTP status with a stable code and parameters whose texts in
Chinese and English are in engine.messages. The API answers them as JSON, the web app as its
error page in the session's language.
"""
from __future__ import annotations

import json
from typing import Any

from flask import Flask, current_app, g, request
from werkzeug.exceptions import HTTPException

from engine import messages

# Deeper than any form or BPMN posted as JSON needs, shallow enough for every later recursion.
MAX_JSON_DEPTH = 64
NUL = "\x00"

# The codes error_body gives refusals that carry none of their own: an HTTP status (a wrong
# method, no such route) or webargs' failed validation (request.invalid).
HTTP_CODES = ("request.invalid", "http.400", "http.401", "http.403", "http.404", "http.405", "http.409", "http.413",
              "http.415", "http.422", "http.429", "http.500", "http.503")
_UNSET = object()


class Refused(HTTPException):
    """A request refused for its form, with `status`, a stable `error_code`, `params` and the
    `field` (query parameter, form field, JSON path) it concerns, if any."""

    def __init__(self, status: int, error_code: str, *, field: str | None = None, **params: Any) -> None:
        super().__init__(description=messages.render(error_code, params, "en"))
        self.code = status
        self.error_code = error_code
        self.params = params
        self.field = field


def init_app(app: Flask) -> None:
    """Run `check_request` before anything else the app does for a request."""
    app.before_request_funcs.setdefault(None, []).insert(0, check_request)


def check_request() -> None:
    """Refuse a request that holds a NUL byte anywhere or a JSON body that cannot be read safely.

    Raises:
        Refused: 400 with `request.nul_byte`, `request.malformed_json` or `request.too_deep`.
    """
    if NUL in request.path:
        raise Refused(400, "request.nul_byte", field="path", location="path")
    _no_nul(request.args, "query")
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        _no_nul(request.form, "form")
        for name, upload in request.files.items(multi=True):
            if NUL in name or NUL in (upload.filename or ""):
                raise Refused(400, "request.nul_byte", field=name, location="file name")
    if request.is_json:
        load_json()


def _no_nul(values, location: str) -> None:
    for name, value in values.items(multi=True):
        if NUL in name or NUL in value:
            raise Refused(400, "request.nul_byte", field=name.replace(NUL, "\\0"), location=location)


def load_json() -> Any:
    """The request's JSON body, parsed and checked once per request (None when there is none).

    Raises:
        Refused: 400 for a body that is not UTF-8 JSON (`request.malformed_json`), nests deeper
            than MAX_JSON_DEPTH (`request.too_deep`) or holds a NUL (`request.nul_byte`).
    """
    cached = g.get("_pdw_json", _UNSET)
    if cached is not _UNSET:
        return cached
    raw = request.get_data(cache=True)
    if not raw.strip():
        g._pdw_json = None
        return None
    try:
        value = json.loads(raw.decode("utf-8"))
    except RecursionError:
        raise Refused(400, "request.too_deep", max=MAX_JSON_DEPTH) from None
    except (UnicodeDecodeError, ValueError) as err:
        where = {"line": err.lineno, "column": err.colno} if isinstance(err, json.JSONDecodeError) else \
            {"line": 1, "column": 1}
        raise Refused(400, "request.malformed_json", **where) from None
    _check_json(value)
    g._pdw_json = value
    return value


def _check_json(value: Any) -> None:
    # Walked with a stack, not recursion, for the reason above.
    # Depth counts containers: `{}` is one level, `{"a": []}` two.
    stack: list[tuple[str, int, Any]] = [("", 1, value)]
    while stack:
        path, depth, item = stack.pop()
        if depth > MAX_JSON_DEPTH and isinstance(item, (dict, list)):
            raise Refused(400, "request.too_deep", max=MAX_JSON_DEPTH)
        if isinstance(item, str):
            if NUL in item:
                raise Refused(400, "request.nul_byte", field=path or "(body)", location="json")
        elif isinstance(item, dict):
            for key, child in item.items():
                if NUL in key:
                    raise Refused(400, "request.nul_byte", field=(path + "." if path else "") + key.replace(NUL, "\\0"),
                                  location="json")
                stack.append(((path + "." if path else "") + key, depth + 1, child))
        elif isinstance(item, list):
            stack.extend((f"{path}[{i}]", depth + 1, child) for i, child in enumerate(item))


def error_body(err: HTTPException, lang: str) -> dict:
    """The API's JSON for an HTTP refusal: `code`, `message` in `lang`, `params` and, where a
    field is at fault, `problems` naming it (webargs' messages by location and field included)."""
    status = err.code or 500
    code = getattr(err, "error_code", None) or f"http.{status}"
    params = dict(getattr(err, "params", {}) or {})
    if status == 413 and code == "http.413":
        params["max_mb"] = round((current_app.config.get("MAX_CONTENT_LENGTH") or 0) / 2**20, 1)
    problems = []
    if getattr(err, "field", None):
        problems.append({"code": code, "field": err.field, "params": params,
                         "message": messages.render(code, params, lang)})
    found = (getattr(err, "data", None) or {}).get("messages")
    if isinstance(found, dict):
        # webargs' messages by location and field: {"json": {"data": ["Not a valid mapping type."]}}
        for location, texts in found.items():
            for field, detail in _flatten(texts):
                named = field or location
                details = {"field": named, "detail": detail, "location": location}
                problems.append({"code": "request.field_invalid", "field": named, "params": details,
                                 "message": messages.render("request.field_invalid", details, lang)})
        code, params = "request.invalid", {"count": len(problems)}
    body = {"code": code, "params": params,
            "message": messages.render(code, params, lang) if code in messages.MESSAGES
            else err.description or err.name}
    if problems:
        body["problems"] = problems
    return body


def _flatten(found: Any, prefix: str = "") -> list[tuple[str, str]]:
    # marshmallow nests messages as its schemas nest: {"data": {"records": ["Not a valid integer."]}}
    if isinstance(found, dict):
        return [pair for key, inner in found.items()
                for pair in _flatten(inner, prefix if key == "_schema" else f"{prefix}.{key}" if prefix else str(key))]
    if isinstance(found, (list, tuple)) and all(isinstance(t, str) for t in found):
        return [(prefix, " ".join(found))]
    if isinstance(found, (list, tuple)):
        return [pair for inner in found for pair in _flatten(inner, prefix)]
    return [(prefix, str(found))]
