"""Placing the acting user before an application (engine.access), and the access log.

Every use case that reads or acts on one application calls `place` inside its unit of work:
it loads what engine.access needs, answers the one `NotFound` to whoever may not see the
application (whether it exists or not), and hands back the audience the use case renders its
projection for. A read by anyone other than the applicant is then recorded with
`record_read`, with the entry point the edge declared (`engine.access.entry_point`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from sqlalchemy import select

from engine import access
from engine.access import Audience
from engine.errors import NotFound, PermissionDenied
from engine.persistence.models import AccessRecord, HumanTask, ProcessInstance, User
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import organisation
from engine.services.users import require_user

@dataclass(frozen=True)
class Placement:
    """The acting user, the application and where the one stands to the other."""

    user: User
    viewer: access.Viewer
    instance: ProcessInstance
    case: access.Case
    audience: Audience
    tasks: tuple[HumanTask, ...]


def case_of(session, instance: ProcessInstance, tasks) -> access.Case:
    """What engine.access needs of an application, from its row and its task rows."""
    steps = tuple(access.Step(tuple(t.candidate_groups or ()), t.assignee, t.completed_by) for t in tasks)
    people = {p for s in steps for p in (s.assignee, s.completed_by) if p}
    unit_of = dict(session.execute(select(User.name, User.department).where(User.name.in_(people))).all()) \
        if people else {}
    return access.Case(instance.started_by, instance.department, steps, unit_of)


def place(uow: UnitOfWork, actor: str, instance_id: int, *,
          allowed: Callable[[Audience | None], bool] = access.may_read) -> Placement:
    """Where `actor` stands to application `instance_id`, inside the caller's unit of work.

    Raises:
        NotFound: no such user; or no such application as far as the user may know (the same
            answer whether it exists or not, `application.not_found`).
    """
    session = uow.session
    user = require_user(session, actor)
    instance = session.get(ProcessInstance, instance_id)
    tasks = tuple(session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id)
                                  .order_by(HumanTask.id))) if instance is not None else ()
    who = organisation.viewer(session, user)
    case = case_of(session, instance, tasks) if instance is not None else None
    audience = access.audience_of(who, case) if case is not None else None
    if case is None or not allowed(audience):
        raise NotFound("application.not_found", instance=instance_id)
    return Placement(user, who, instance, case, audience, tasks)


def audience_for(uow: UnitOfWork, actor: str, instance_id: int) -> Audience | None:
    """Where `actor` stands to application `instance_id` (None: nowhere, or no such application)."""
    try:
        return place(uow, actor, instance_id, allowed=lambda _: True).audience
    except NotFound as err:
        if err.code == "user.not_found":
            raise
        return None


def place_task(uow: UnitOfWork, actor: str, task_id: int) -> tuple[Placement, HumanTask]:
    """The user's placement before the application of task `task_id`, when they may open that task.

    Raises:
        NotFound: no such user; no such task as far as the user may know (`task.not_found`).
        PermissionDenied: a task of an application the user may read, but not one they may open
            (`task.not_yours`).
    """
    task = uow.session.get(HumanTask, task_id)
    if task is None:
        require_user(uow.session, actor)
        raise NotFound("task.not_found", task=task_id)
    try:
        placement = place(uow, actor, task.instance_id, allowed=access.may_follow)
    except NotFound as err:
        if err.code == "user.not_found":
            raise
        raise NotFound("task.not_found", task=task_id) from None
    step = access.Step(tuple(task.candidate_groups or ()), task.assignee, task.completed_by)
    if not access.may_open_task(placement.viewer, placement.audience, step):
        if access.may_read(placement.audience):
            # The application's readers know its steps exist (it lists them): this one is not theirs.
            raise PermissionDenied("task.not_yours", task=task_id)
        raise NotFound("task.not_found", task=task_id)
    return placement, task


def record_read(uow: UnitOfWork, placement: Placement, action: str) -> None:
    """Record that `placement.user` read the application (unless they are its applicant), in a
    transaction of its own after the read: a read that is not recorded is not answered."""
    if placement.audience == Audience.APPLICANT:
        return
    record = uow.engine.uow()
    with record:
        record.session.add(AccessRecord(at=record.engine.clock.now(), actor=placement.user.name,
                                        audience=placement.audience.value, instance_id=placement.instance.id,
                                        action=action, entry_point=access.current_entry_point()))
        record.session.flush()
        record.commit()


def may_list_reads(placement: Placement) -> bool:
    """Who may list an application's readers: its overseers, and the head of the applicant's
    department (a department answers for what its people's applications disclose)."""
    if access.may_oversee(placement.audience):
        return True
    applicant_department = placement.case.unit_of.get(placement.instance.started_by)
    return False if applicant_department is None else (
        "department_head" in placement.user.roles and placement.user.department == applicant_department)


def reads(uow: UnitOfWork, actor: str, instance_id: int) -> list[dict]:
    """Who read application `instance_id`, oldest first: `at`, `actor`, `audience`, `action`,
    `entry_point`. For its overseers and the head of the applicant's department.

    Raises:
        NotFound: no such user or application as far as the user may know.
        PermissionDenied: the user may read the application but not its access log.
    """
    with uow.read():
        session = uow.session
        placement = place(uow, actor, instance_id)
        department = session.scalar(select(User.department).where(User.name == placement.instance.started_by))
        placement = Placement(placement.user, placement.viewer, placement.instance,
                              access.Case(placement.case.started_by, placement.case.department, placement.case.steps,
                                          {**placement.case.unit_of, placement.instance.started_by: department}),
                              placement.audience, placement.tasks)
        if not may_list_reads(placement):
            raise PermissionDenied("access_log.forbidden", user=actor, instance=instance_id)
        rows = session.scalars(select(AccessRecord).where(AccessRecord.instance_id == instance_id)
                               .order_by(AccessRecord.id)).all()
        return [{"at": r.at.isoformat(), "actor": r.actor, "audience": r.audience, "action": r.action,
                 "entry_point": r.entry_point} for r in rows]


def oversee(uow: UnitOfWork, actor: str, instance_id: int, forbidden: PermissionDenied) -> Placement:
    """The placement of an overseer of application `instance_id` (supervisors in scope, admins),
    inside the caller's unit of work; `forbidden` is raised to someone who may read it but not
    oversee it, and NotFound to whoever may not read it.

    Raises:
        NotFound, PermissionDenied.
    """
    placement = place(uow, actor, instance_id, allowed=access.may_follow)
    if not access.may_oversee(placement.audience):
        if not access.may_read(placement.audience):
            raise NotFound("application.not_found", instance=instance_id)
        raise forbidden
    return placement


__all__ = ["Placement", "case_of", "place", "place_task", "record_read", "reads",
           "may_list_reads", "oversee", "audience_for"]
