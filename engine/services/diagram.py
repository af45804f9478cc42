"""An application's progress on its process diagram: the steps done, the steps open and their deadlines."""
from __future__ import annotations

from dataclasses import asdict

from sqlalchemy import select
from SpiffWorkflow.util.task import TaskState

from engine import permissions
from engine.errors import NotFound, PermissionDenied
from engine.persistence.models import HumanTask, ProcessDefinition, Timer
from engine.persistence.unit_of_work import UnitOfWork
from engine.services.inbox import deadline_of
from engine.services.progress import load_workflow
from engine.services.users import require_user


def progress(uow: UnitOfWork, actor: str, instance_id: int) -> dict:
    """The diagram of the version an application runs on, with its progress marked.

    Returns the BPMN text, the element ids done (in order, once each), the open steps with
    their deadlines (rule, article, working days left), and the timers waiting with their dates.

    Raises:
        NotFound: no such user or application.
        PermissionDenied: the user may not see the application.
    """
    engine = uow.engine
    with uow.read():
        session = uow.session
        user = require_user(session, actor)
        instance = uow.instances.get(instance_id)
        if instance is None:
            raise NotFound("instance.not_found", instance=instance_id)
        rows = session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id)
                               .order_by(HumanTask.id)).all()
        if not permissions.may_see_progress(user, started_by=instance.started_by, tasks=rows):
            raise PermissionDenied("instance.not_visible", user=actor, instance=instance_id)
        definition = session.execute(select(ProcessDefinition.process_id, ProcessDefinition.version,
                                            ProcessDefinition.bpmn_xml)
                                     .where(ProcessDefinition.id == instance.definition_id)).one()
        timers = session.execute(select(Timer.task_name, Timer.due_at).where(
            Timer.instance_id == instance_id, Timer.fired_at.is_(None))).all()
        done, active = _marks(uow, instance)
        open_steps = [{"element": r.task_name, "title": r.title, "assignee": r.assignee,
                       "deadline": _json(deadline_of(engine, due_date=r.due_date, due_at=r.due_at, rule=r.deadline_rule,
                                               article=r.deadline_article, provisional=r.deadline_provisional,
                                               basis=r.deadline_basis))}
                      for r in rows if r.state == "open"]
        return {"instance_id": instance_id, "receipt_number": instance.receipt_number, "status": instance.status,
                "process_id": definition.process_id, "version": definition.version,
                "xml": definition.bpmn_xml.decode("utf-8"), "done": done, "active": active, "open": open_steps,
                "timers": [{"element": name, "due_at": due.isoformat()} for name, due in timers]}


def _json(deadline) -> dict:
    """A deadline as JSON: dates and instants as ISO text, the notices it counts by left out."""
    out = {k: v for k, v in asdict(deadline).items() if k != "basis"}
    for key in ("due_date", "due_at"):
        out[key] = out[key].isoformat() if out[key] is not None else None
    return out


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
