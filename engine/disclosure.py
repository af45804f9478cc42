"""What an applicant may be told about their own application, decided by the forms themselves.

A step's form that answers the applicant says so with `"x-audience": "applicant"`; a field
of it meant for officials only (a remark, an internal finding) carries `"x-internal": true`.
Everything else officials write (a source unit's opinion, a supervisor's note) stays
internal, and so do logins, candidate groups and engine ids.
"""
from __future__ import annotations

APPLICANT = "applicant"


def is_reply(schema: dict | None) -> bool:
    """True when a step's form is a reply to the applicant."""
    return bool(schema) and schema.get("x-audience") == APPLICANT


def disclosed(schema: dict | None, result: dict | None) -> dict:
    """The part of a reply the applicant is shown: its non-internal fields, in the form's order;
    nothing at all when the form is not a reply."""
    if not is_reply(schema):
        return {}
    result = result or {}
    props = schema.get("properties") or {}
    return {name: result[name] for name, prop in props.items()
            if name in result and result[name] not in (None, "") and not prop.get("x-internal")}
