"""The formal reply the applicant is owed (Art. 20 para. 2, 16, 27 para. 2, 28): the decision, its
reasons and basis, the dates and the article, and any notice of extension, as one printable page.

It reads the application's statutory clock and its data; the wording of a decision comes from the
forms of the procedure (their `x-enumNames`), so a new procedure needs no code here.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from lxml import etree
from sqlalchemy import select
from SpiffWorkflow.bpmn.specs.defaults import EndEvent
from SpiffWorkflow.util.task import TaskState

from engine import disclosure
from engine.bpmn.validation import NS
from engine.calendar.statute import load_statute
from engine.clock import SHANGHAI
from engine.persistence.models import Department, ProcessDefinition, ProcessInstance, User
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import audience, instances, organisation, portal
from engine.services.progress import load_workflow, properties

# Fields every reply shows in their own place rather than among the details.
_OWN_PLACE = ("decision", "reason", "basis", "reply", "extension_reason", "comment")


def formal_reply(uow: UnitOfWork, actor: str, instance_id: int) -> dict:
    """The formal reply of application `instance_id`, for its applicant or an official.

    Returns:
        `application` (receipt, procedure, dates, the applicant's name and organisation, never a
        login), `clock` (the statutory deadline, its rule and article), `authority` (the unit
        that issues the reply: the one whose official decided, else the competent unit), `reply`
        (None until given: when, late days, decision and its wording, the outcome, reasons,
        basis, the other disclosed fields as (title, words)), `extension` (None unless extended:
        the reason, the original and the new deadline), `dispute` (None, or once replied the
        procedure through which the applicant may dispute it: process id, name and the field
        that takes the receipt number) and `remedy` (the article of that remedy, once replied).

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
        replied = bool(shown["statutory"] and shown["statutory"].get("replied_at"))
        dispute = _dispute(session, user, definition.process_id, engine.config) if replied else None
        forms = definition.forms or {}
        answering = _answering(shown["tasks"], forms)
        # The unit that decided issues the reply (Art. 16 para. 2, 28 para. 2: a source unit for
        # its own data); an automatic reply or an ending is the competent unit's.
        issuer = _department_of(session, answering[-1]["completed_by"]) if answering and shown["status"] != \
            "cancelled" else None
        applicant = session.scalar(select(User).where(User.name == shown["started_by"]))
        competent = organisation.competent_authority(session, engine.config, user=applicant) if applicant \
            else organisation.city_authority(session, engine.config)
        authority = session.get(Department, issuer or shown["department"] or competent)
        applicant_unit = session.get(Department, applicant.department) if applicant and applicant.department else None
        outcome = _outcome(uow, shown["id"])
    audience.record_read(uow, placement, "reply.read")
    clock = shown["statutory"] or {}
    data = shown["data"]
    statute = load_statute()
    rule = engine.rules.get(clock.get("rule")) or statute.no_period.get(clock.get("rule"))
    return {
        "application": {"id": shown["id"], "receipt_number": shown["receipt_number"],
                        "process_name": shown["process_name"], "received_on": shown["received_on"],
                        "applicant": (applicant.display_name or applicant.name) if applicant else None,
                        "organisation": applicant_unit.name if applicant_unit else None, "status": shown["status"],
                        "purpose": shown["application"].get("purpose"),
                        "catalog_item": shown["application"].get("catalog_item")},
        "clock": {**clock, "rule_title_zh": rule.title_zh if rule else None,
                  "rule_title_en": rule.title_en if rule else None},
        "statute": {"title_zh": statute.title_zh, "title_en": statute.title_en, "document": statute.document},
        # The issuing unit signs with its full official name (全称).
        "authority": {"code": authority.code, "name": authority.full_name or authority.name,
                      "short_name": authority.name} if authority else None,
        "reply": _ending(clock, shown["history"]) if shown["status"] == "cancelled"
        else _reply(clock, data, answering, forms, outcome),
        "extension": {"reason": _extension_reason(shown["tasks"], forms), "from": clock.get("extended_from"),
                      "to": clock.get("due_date")} if clock.get("extended_from") else None,
        "dispute": dispute,
        "remedy": REMEDY_ARTICLE if replied else None,
    }


def decision_words(uow: UnitOfWork, instance: ProcessInstance) -> str | None:
    """The decision `instance`'s applicant was answered with, worded as their 答复书 words it
    (同意共享, 异议成立, 已由主管部门终止办理…); None before the reply. Inside the caller's
    unit of work, with no access check: for projections already placed (engine.services.audience)."""
    if instance.replied_at is None:
        return None
    shown = instances.stored(uow, instance.id)
    if shown["status"] == "cancelled":
        return ENDED_LABEL
    forms = uow.session.scalar(select(ProcessDefinition.forms)
                               .where(ProcessDefinition.id == instance.definition_id)) or {}
    reply = _reply(shown["statutory"] or {}, shown["data"], _answering(shown["tasks"], forms), forms,
                   _outcome(uow, instance.id))
    return reply["decision_label"] if reply else None


# Where an applicant who disputes a reply may turn (Art. 47 para. 2); every reply names it.
REMEDY_ARTICLE = "第四十七条第二款"


def _answering(tasks: list[dict], forms: dict) -> list[dict]:
    """The completed steps that answered the applicant, in order: a reply form's step that did not
    extend the period, and not a supervisor's own (督办)."""
    return [t for t in tasks if t["state"] == "completed" and t["form"]
            and disclosure.answers(forms.get(t["form"]), t["result"]) and not portal.internal_step(t["candidate_groups"])]


def _extension_reason(tasks: list[dict], forms: dict) -> str | None:
    """The reason the step that extended the period gave, as the applicant's notice."""
    for t in reversed(tasks):
        form = forms.get(t["form"]) if t["form"] else None
        if t["state"] == "completed" and disclosure.is_extension(form, t["result"]):
            return disclosure.disclosed(form, t["result"]).get("extension_reason")
    return None


def _department_of(session, name: str | None) -> str | None:
    return session.scalar(select(User.department).where(User.name == name)) if name else None


def _outcome(uow: UnitOfWork, instance_id: int) -> str | None:
    """The name of the element that recorded the reply (`statutoryReply`: 已共享, 不予共享…), the
    outcome's own words when no step's form words it."""
    instance = uow.instances.get(instance_id)
    if instance is None or not instance.state:
        return None
    try:
        workflow = load_workflow(uow, instance)
    except Exception:  # noqa: BLE001 - a state that does not load still has its stored reply
        return None
    named = [t.task_spec for t in workflow.get_tasks(state=TaskState.COMPLETED)
             if properties(t.task_spec).get("statutoryReply")]
    if not named:
        return None
    spec = named[-1]
    # A step that gives the reply (告知直接获取…) is named for the act; the end it leads to for the outcome.
    ends = [out for out in spec.outputs if isinstance(out, EndEvent) and getattr(out, "bpmn_name", None)]
    return ends[0].bpmn_name if len(ends) == 1 else getattr(spec, "bpmn_name", None) or None


def _dispute(session, user, process_id: str, config) -> dict | None:
    """Where `user` may take a dispute about a reply of `process_id` (Art. 47 para. 2): the
    procedure that cites an application by its receipt number (`relatedReceiptField`), if any."""
    for definition in portal.startable(session, user, config):
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
            "outcome": ENDED_LABEL, "basis": None, "details": []}


def _reply(clock: dict, data: dict, answering: list[dict], forms: dict, outcome: str | None) -> dict | None:
    """The reply derived from the decision: the steps that answered the applicant, their disclosed
    fields merged in order (a founded objection's measure after its finding), or, when the
    procedure answered by itself (a catalog attribute decided it), what its script wrote."""
    if not clock.get("replied_at"):
        return None
    given = datetime.fromisoformat(clock["replied_at"]).astimezone(SHANGHAI)
    shown: dict = {}
    labelled: dict = {}
    decided_form = None
    for t in answering:
        form = forms.get(t["form"])
        for name, value in disclosure.disclosed(form, t["result"]).items():
            shown[name] = value
            labelled[name] = (_title(form, name), _label(form, name, value))
            if name == "decision":
                decided_form = form
    if "decision" in shown:
        decision, reason, basis = shown["decision"], shown.get("reason") or shown.get("reply"), shown.get("basis")
    else:
        # Written by the procedure's own script for the applicant (an automatic reply).
        decision, reason, basis = data.get("decision"), data.get("reason") or data.get("reply"), data.get("basis")
    # A step's form words its decision; a reply the procedure gave by itself is worded by the
    # element that recorded it (直接获取, 不予开放).
    label = _wording(decided_form, forms, decision) if "decision" in shown else outcome or \
        (_wording(None, forms, decision) if decision is not None else None)
    details = [labelled[name] for name in shown if name not in _OWN_PLACE]
    return {"given_at": given.strftime("%Y-%m-%d %H:%M"), "late_days": clock.get("late_days"),
            "decision": decision or outcome, "decision_label": label or outcome, "outcome": outcome,
            "reason": reason, "basis": basis, "details": details}


def _label(form: dict | None, name: str, value):
    """A value as the applicant reads it: a choice by its words (x-enumNames), else as given."""
    spec = ((form or {}).get("properties") or {}).get(name) or {}
    values, names = spec.get("enum") or [], spec.get("x-enumNames") or []
    if value in values and len(names) == len(values):
        return names[values.index(value)]
    if isinstance(value, bool):
        return "是" if value else "否"
    return value


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


# The outcomes every procedure that answers its applicants has besides those its BPMN draws:
# an ending by the authority (instances.cancel, itself a reply) and a withdrawal before the reply.
ENDED_OUTCOME, WITHDRAWN_OUTCOME = "ended", "withdrawn"


@dataclass(frozen=True)
class Outcome:
    """One way an application of a procedure ends for its applicant, as the BPMN draws it.

    `key` is stable: "<gateway>.<flow>/<end event>" for a drawn outcome, else ENDED_OUTCOME or
    WITHDRAWN_OUTCOME. `branch` is the decision that gave the reply: the last gateway branch
    taken before the reply is recorded, or when the reply comes before any (a reviewer's step
    that answers), the first one taken after it."""

    process_id: str
    key: str
    branch: str | None = None
    branch_name: str | None = None
    via: str | None = None  # the element the branch leads to
    end: str | None = None
    end_name: str | None = None


@dataclass(frozen=True)
class ReplyPaths:
    """What a procedure's BPMN says about its replies: its outcomes and the end events that
    can be reached without a reply (a defect in a procedure that answers its applicants)."""

    process_id: str
    outcomes: tuple[Outcome, ...]
    unanswered_ends: tuple[str, ...]

    @property
    def answers(self) -> bool:
        """True when the procedure gives its applicants a reply (an element marks it)."""
        return bool(self.outcomes)


def reply_paths(xml: bytes) -> ReplyPaths:
    """Every outcome of the procedure in `xml` that answers the applicant, derived from the
    paths of its sequence flows from the start event to each end event that pass an element
    with `statutoryReply`, one per (decision branch, end event); then the ending by the
    authority and the withdrawal. A timer on a step (督办, a term of use running out) is no
    decision and its paths are not walked; a loop is walked once."""
    root = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False))
    process = root.find("bpmn:process", NS)
    nodes = {el.get("id"): el for el in process if el.get("id")}
    leaving: dict[str, list] = {}
    for flow in process.findall("bpmn:sequenceFlow", NS):
        leaving.setdefault(flow.get("sourceRef"), []).append(flow)
    found: dict[str, Outcome] = {}
    silent: set[str] = set()

    def kind(node_id: str) -> str:
        return etree.QName(nodes[node_id]).localname

    def marked(node_id: str) -> bool:
        return bool(nodes[node_id].xpath(".//spiffworkflow:property[@name='statutoryReply']/@value", namespaces=NS))

    def walk(node_id: str, seen: frozenset, before: tuple | None, after: tuple | None, replied: bool) -> None:
        replied = replied or marked(node_id)
        if kind(node_id) == "endEvent":
            if not replied:
                silent.add(node_id)
                return
            gateway, flow = before or after or (None, None)
            branch = f"{gateway}.{flow.get('id')}" if gateway else None
            end = nodes[node_id]
            key = f"{branch or '-'}/{node_id}"
            found.setdefault(key, Outcome(process.get("id"), key, branch,
                                          flow.get("name") if flow is not None else None,
                                          flow.get("targetRef") if flow is not None else None,
                                          node_id, end.get("name")))
            return
        flows = leaving.get(node_id, [])
        for flow in flows:
            target = flow.get("targetRef")
            if target in seen or target not in nodes:
                continue
            decides = kind(node_id) == "exclusiveGateway" and len(flows) > 1
            walk(target, seen | {target}, (node_id, flow) if decides and not replied else before,
                 (node_id, flow) if decides and replied and after is None else after, replied)

    start = process.find("bpmn:startEvent", NS)
    if start is not None:
        walk(start.get("id"), frozenset({start.get("id")}), None, None, False)
    drawn = tuple(sorted(found.values(), key=lambda o: o.key))
    if drawn:
        pid = process.get("id")
        drawn += (Outcome(pid, ENDED_OUTCOME), Outcome(pid, WITHDRAWN_OUTCOME))
    return ReplyPaths(process.get("id"), drawn, tuple(sorted(silent)) if drawn else ())
