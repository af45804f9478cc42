"""The formal reply the applicant is owed (Art. 20 para. 2, 16, 27 para. 2, 28): the decision, its
reasons and basis, the dates and the article, and any notice of extension, as one printable page.

It reads the application's statutory clock and its data; the wording of a decision comes from the
forms of the procedure (their `x-enumNames`), so a new procedure needs no code here.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from engine.calendar.statute import load_statute
from engine.clock import SHANGHAI
from engine.persistence.models import Department, ProcessDefinition, ProcessInstance
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import audience, instances, portal

# Fields every reply shows in their own place rather than among the details.
_OWN_PLACE = ("decision", "reason", "basis", "extension_reason", "comment")


def formal_reply(uow: UnitOfWork, actor: str, instance_id: int) -> dict:
    """The formal reply of application `instance_id`, for its applicant or an official.

    Returns:
        `application` (receipt, procedure, dates), `clock` (the statutory deadline, its rule and
        article), `authority` (the unit that decides), `reply` (None until given: when, late days,
        decision and its wording, reasons, basis, details), `extension` (None unless extended:
        the reason, the original and the new deadline) and `dispute` (None, or once replied the
        procedure through which the applicant may dispute it: process id, name and the field
        that takes the receipt number).

    Raises:
        NotFound: no such application, or one the user may not read (engine.access).
    """
    engine = uow.engine
    with uow.read():
        session = uow.session
        placement = audience.place(uow, actor, instance_id)
        user = placement.user
        # The reply is worded from the whole record; what it prints is the reply the applicant is owed.
        shown = instances.stored(uow, instance_id)
        definition = session.get(ProcessDefinition, session.scalar(
            select(ProcessInstance.definition_id).where(ProcessInstance.id == instance_id)))
        authority = session.get(Department, shown["department"]) if shown["department"] else None
        replied = bool(shown["statutory"] and shown["statutory"].get("replied_at"))
        dispute = _dispute(session, user, definition.process_id, engine.config.competent_department) \
            if replied else None
    audience.record_read(uow, placement, "reply.read")
    forms = definition.forms or {}
    clock = shown["statutory"] or {}
    data = shown["data"]
    statute = load_statute()
    rule = engine.rules.get(clock.get("rule")) or statute.no_period.get(clock.get("rule"))
    return {
        "application": {"id": shown["id"], "receipt_number": shown["receipt_number"],
                        "process_name": shown["process_name"], "received_on": shown["received_on"],
                        "applicant": shown["started_by"], "status": shown["status"],
                        "purpose": shown["application"].get("purpose"),
                        "catalog_item": shown["application"].get("catalog_item")},
        "clock": {**clock, "rule_title_zh": rule.title_zh if rule else None,
                  "rule_title_en": rule.title_en if rule else None},
        "statute": {"title_zh": statute.title_zh, "title_en": statute.title_en, "document": statute.document},
        "authority": {"code": authority.code, "name": authority.name} if authority else None,
        "reply": _ending(clock, shown["history"]) if shown["status"] == "cancelled"
        else _reply(clock, data, shown["tasks"], forms),
        "extension": {"reason": data.get("extension_reason"), "from": clock.get("extended_from"),
                      "to": clock.get("due_date")} if clock.get("extended_from") else None,
        "dispute": dispute,
    }


def _dispute(session, user, process_id: str, competent_department: str) -> dict | None:
    """Where `user` may take a dispute about a reply of `process_id` (Art. 47 para. 2): the
    procedure that cites an application by its receipt number (`relatedReceiptField`), if any."""
    for definition in portal.startable(session, user, competent_department):
        field = definition.properties.get("relatedReceiptField")
        if field and definition.process_id != process_id:
            return {"process_id": definition.process_id, "name": definition.name or definition.process_id,
                    "field": field}
    return None


# How the reply words an application the authority ended (engine.services.instances.cancel).
ENDED = "ended"
ENDED_LABEL = "已由主管部门终止办理"


def _ending(clock: dict, history: list[dict]) -> dict | None:
    """The reply that ending an application by the authority gives: the ending and its reason."""
    ended = next((h for h in reversed(history) if h["action"] == "instance.cancel"), None)
    if ended is None or not clock.get("replied_at"):
        return None
    given = datetime.fromisoformat(clock["replied_at"]).astimezone(SHANGHAI)
    return {"given_at": given.strftime("%Y-%m-%d %H:%M"), "late_days": clock.get("late_days"),
            "decision": ENDED, "decision_label": ENDED_LABEL, "reason": (ended["after"] or {}).get("reason"),
            "basis": None, "by": None, "details": []}


def _reply(clock: dict, data: dict, tasks: list[dict], forms: dict) -> dict | None:
    if not clock.get("replied_at"):
        return None
    decided = next((t for t in reversed(tasks) if t["state"] == "completed" and "decision" in (t["result"] or {})
                    and t["result"]["decision"] != "extend"), None)
    decision = data.get("decision")
    form = forms.get(decided["form"]) if decided and decided["form"] else None
    details = [(_title(form, name), value) for name, value in (decided["result"] if decided else {}).items()
               if name not in _OWN_PLACE and value not in (None, "")]
    given = datetime.fromisoformat(clock["replied_at"]).astimezone(SHANGHAI)
    return {"given_at": given.strftime("%Y-%m-%d %H:%M"), "late_days": clock.get("late_days"),
            "decision": decision, "decision_label": _wording(form, forms, decision),
            "reason": data.get("reason") or data.get("reply"), "basis": data.get("basis"),
            "by": decided["completed_by"] if decided else None, "details": details}


def _title(form: dict | None, name: str) -> str:
    spec = ((form or {}).get("properties") or {}).get(name) or {}
    return spec.get("title") or name


def _wording(decided_form: dict | None, forms: dict, decision) -> str | None:
    """The words the form of the step that decided gives the value `decision` (its x-enumNames),
    else those of the procedure's other forms: two steps may both offer `refuse`, meaning
    different refusals."""
    for form in (decided_form, *forms.values()):
        spec = ((form or {}).get("properties") or {}).get("decision") or {}
        values, names = spec.get("enum") or [], spec.get("x-enumNames") or []
        if decision in values and len(names) == len(values):
            return names[values.index(decision)]
    return None
