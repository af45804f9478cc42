"""What an applicant may be told about their own application, decided by the forms themselves.

A step's form that answers the applicant says so with `"x-audience": "applicant"`; a field
of it meant for officials only (a remark, an internal finding) carries `"x-internal": true`, or
names its readers with `"x-readers"` (engine.access, which decides every audience's fields).
Everything else officials write (a source unit's opinion, a supervisor's note) stays
internal, and so do logins, candidate groups and engine ids.
"""
from __future__ import annotations

from engine.access import Audience, readable

APPLICANT = Audience.APPLICANT.value
# The decision of a reply form that extends the period instead of answering (Art. 20 para. 2):
# a notice to the applicant, not their reply.
EXTEND = "extend"


def is_reply(schema: dict | None) -> bool:
    """True when a step's form is a reply to the applicant."""
    return bool(schema) and schema.get("x-audience") == APPLICANT


def answers(schema: dict | None, result: dict | None) -> bool:
    """True when a completed step with form `schema` and `result` answered the applicant: a reply
    form whose decision is not an extension (that is a notice, and the application stays open)."""
    return is_reply(schema) and (result or {}).get("decision") != EXTEND


def is_extension(schema: dict | None, result: dict | None) -> bool:
    """True when a completed reply step extended the period rather than answering."""
    return is_reply(schema) and (result or {}).get("decision") == EXTEND


def disclosed(schema: dict | None, result: dict | None) -> dict:
    """The part of a reply the applicant is shown: its non-internal fields, in the form's order;
    nothing at all when the form is not a reply."""
    if not is_reply(schema):
        return {}
    # Who reads which field is engine.access's one rule; the applicant's copy leaves out blanks
    # and what the form does not declare.
    declared = schema.get("properties") or {}
    return {name: value for name, value in readable(schema, result, Audience.APPLICANT).items()
            if name in declared and value not in (None, "")}
