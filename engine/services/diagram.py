"""An application's progress on its process diagram: the steps done, the steps open and their deadlines."""
from __future__ import annotations

from lxml import etree
from sqlalchemy import select
from SpiffWorkflow.util.task import TaskState

from engine import access
from engine.bpmn.validation import BPMN_NS
from engine.clock import SHANGHAI
from engine.persistence.models import HumanTask, ProcessDefinition, Timer
from engine.persistence.unit_of_work import UnitOfWork
from engine.services.inbox import deadline_of
from engine.services.progress import load_workflow
from engine.services import audience


def progress(uow: UnitOfWork, actor: str, instance_id: int) -> dict:
    """The diagram of the version an application runs on, with its progress marked.

    Returns the BPMN text, the element ids done (in order, once each), the open steps with
    their deadlines (day, article, working days left or overdue; no holder and no rule code,
    since applicants see it), and the timers waiting with their instant and their day in Beijing.
    An applicant's copy of the BPMN is the drawing alone, without scripts, conditions and
    extension properties.

    Raises:
        NotFound: no such user, or no such application as far as the user may know.
    """
    engine = uow.engine
    with uow.read():
        session = uow.session
        # Whoever may read the application follows it, and designers their processes' running
        # versions; to anyone else it does not exist (one answer, engine.access).
        placement = audience.place(uow, actor, instance_id, allowed=access.may_follow)
        rows = placement.tasks
        instance = uow.instances.get(instance_id)
        definition = session.execute(select(ProcessDefinition.process_id, ProcessDefinition.version,
                                            ProcessDefinition.bpmn_xml)
                                     .where(ProcessDefinition.id == instance.definition_id)).one()
        timers = session.execute(select(Timer.task_name, Timer.due_at).where(
            Timer.instance_id == instance_id, Timer.fired_at.is_(None))).all()
        done, active = _marks(uow, instance)
        xml = definition.bpmn_xml
        hidden: set[str] = set()
        if placement.audience == access.Audience.APPLICANT:
            xml, hidden = _outline(xml)
            # 督办 and escalations are the authority's own business, never the applicant's steps.
            done, active = [e for e in done if e not in hidden], [e for e in active if e not in hidden]
            timers = [(name, due) for name, due in timers if name not in hidden]
        open_steps = [{"element": r.task_name, "title": r.title,
                       "deadline": _json(deadline_of(engine, due_date=r.due_date, due_at=r.due_at, rule=r.deadline_rule,
                                               article=r.deadline_article, provisional=r.deadline_provisional,
                                               basis=r.deadline_basis))}
                      for r in rows if r.state == "open" and r.task_name not in hidden]
        shown = {"instance_id": instance_id, "receipt_number": instance.receipt_number, "status": instance.status,
                 "process_id": definition.process_id, "version": definition.version,
                 "xml": xml.decode("utf-8"), "done": done, "active": active, "open": open_steps,
                 "timers": [{"element": name, "due_at": due.isoformat(), "due_on": due.astimezone(SHANGHAI).date().isoformat()}
                            for name, due in timers]}
    audience.record_read(uow, placement, "application.diagram")
    return shown


# What the diagram says of a deadline; applicants see it too, so no logins and no rule codes.
_SHOWN = ("working_days_left", "overdue_working_days", "article", "provisional")


# What an applicant's copy of the diagram leaves out: how the procedure works inside (scripts,
# conditions, timer expressions, candidate groups, forms), which the drawing does not need.
_INTERNAL = ("extensionElements", "script", "conditionExpression", "timeDate", "timeDuration", "timeCycle",
             "documentation")


def _outline(xml: bytes) -> tuple[bytes, set[str]]:
    """The BPMN as the viewer draws it, without the internals of `_INTERNAL` and without the
    supervisors' own branches (`_supervisors_branches`); returns it and the ids left out."""
    root = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False))
    hidden = _supervisors_branches(root)
    for el in root.xpath("//*[@id]"):
        if el.get("id") in hidden or el.get("bpmnElement") in hidden:
            el.getparent().remove(el)
    for el in root.xpath("//*[@bpmnElement]"):
        if el.get("bpmnElement") in hidden:
            el.getparent().remove(el)
    for el in root.xpath("//bpmn:incoming | //bpmn:outgoing", namespaces={"bpmn": BPMN_NS}):
        if (el.text or "").strip() in hidden:
            el.getparent().remove(el)
    for el in root.xpath(" | ".join(f"//bpmn:{name}" for name in _INTERNAL), namespaces={"bpmn": BPMN_NS}):
        el.getparent().remove(el)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8"), hidden


def _supervisors_branches(root) -> set[str]:
    """The ids of the steps only supervisors work on (督办: candidate groups all `supervisor`),
    of the timers and ends that lead only to or from them, and of their flows."""
    ns = {"bpmn": BPMN_NS}
    hidden = set()
    for task in root.xpath("//bpmn:userTask", namespaces=ns):
        groups = [g.strip() for g in task.xpath(".//*[local-name()='property'][@name='candidateGroups']/@value")
                  for g in g.split(",") if g.strip()]
        if groups and all(g == "supervisor" or g.startswith("supervisor@") for g in groups):
            hidden.add(task.get("id"))
    flows = [(f.get("id"), f.get("sourceRef"), f.get("targetRef"))
             for f in root.xpath("//bpmn:sequenceFlow", namespaces=ns)]
    changed = bool(hidden)
    while changed:
        changed = False
        for node in root.xpath("//bpmn:process/*[@id] | //bpmn:subProcess/*[@id]", namespaces=ns):
            node_id = node.get("id")
            if node_id in hidden or etree.QName(node).localname == "sequenceFlow":
                continue
            into = [s for _, s, t in flows if t == node_id]
            out = [t for _, s, t in flows if s == node_id]
            # An end reached only from a hidden step, or a timer that only opens one.
            if (into and all(s in hidden for s in into) and not out) or \
                    (node.get("attachedToRef") and out and all(t in hidden for t in out)):
                hidden.add(node_id)
                changed = True
    return hidden | {f for f, s, t in flows if s in hidden or t in hidden}


def _json(deadline) -> dict:
    """A deadline as the diagram shows it: its day, working days left or overdue, its article."""
    return {"due_date": deadline.due_date.isoformat() if deadline.due_date else None,
            **{key: getattr(deadline, key) for key in _SHOWN}}


def _marks(uow: UnitOfWork, instance) -> tuple[list[str], list[str]]:
    """The BPMN ids of the elements completed and of those in progress (open, waiting, under way)."""
    if not instance.state:
        return [], []
    workflow = load_workflow(uow, instance)
    done, active = [], []
    for task in workflow.get_tasks():
        element = getattr(task.task_spec, "bpmn_id", None)
        if element is None:
            continue
        if task.has_state(TaskState.COMPLETED) and element not in done:
            done.append(element)
        elif task.has_state(TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR) \
                and element not in active:
            active.append(element)
    return done, active


__all__ = ["progress"]
