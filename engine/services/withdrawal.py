"""An applicant withdraws an application before it is decided (撤回申请).

The workflow is cancelled where it stands: its open steps are cancelled, its timers dropped,
the instance ends as `withdrawn` with the applicant's reason in the audit log, all in one
transaction. Once a reply has been given (a step whose form answers the applicant is
complete, or the formal reply is recorded) there is nothing left to withdraw; an extension of
the period is a notice, not a reply.
"""
from __future__ import annotations

from sqlalchemy import select

from engine import disclosure, permissions
from engine.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Problem
from engine.persistence.models import HumanTask, ProcessDefinition, ProcessInstance
from engine.persistence.unit_of_work import UnitOfWork
from engine.services.progress import end_without_decision
from engine.services.users import require_user

MAX_REASON = 500


def decided(uow: UnitOfWork, instance) -> bool:
    """True when the applicant has had a reply: the formal reply recorded, or a step answering
    them completed."""
    replied_at = uow.session.scalar(select(ProcessInstance.replied_at).where(ProcessInstance.id == instance.id))
    if replied_at is not None:
        return True
    forms = uow.session.scalar(select(ProcessDefinition.forms).where(
        ProcessDefinition.id == instance.definition_id)) or {}
    done = uow.session.execute(select(HumanTask.form, HumanTask.result).where(
        HumanTask.instance_id == instance.id, HumanTask.state == "completed")).all()
    # An extension is a notice, not a reply: the applicant may still withdraw (Art. 20 para. 2).
    return any(disclosure.answers(forms.get(form), result) for form, result in done if form)


def withdraw(uow: UnitOfWork, instance_id: int, *, actor: str, reason: str) -> None:
    """Withdraw application `instance_id` for its applicant `actor`, saying why.

    Raises:
        NotFound: no such user or application, or it is someone else's (not disclosed).
        InvalidInput: no reason, or one longer than 500 characters.
        Conflict: the application has ended, errored, or has been decided.
    """
    reason = (reason or "").strip()
    if not reason or len(reason) > MAX_REASON:
        raise InvalidInput("withdrawal.refused", [Problem("withdrawal.reason_length", {"max": MAX_REASON},
                                                          field="reason")])
    with uow:
        now = uow.engine.clock.now()
        user = require_user(uow.session, actor)
        instance = uow.instances.get(instance_id)
        if instance is None or not permissions.may_withdraw(user, instance.started_by):
            raise NotFound("application.not_found", instance=instance_id)
        if instance.status != "running":
            raise Conflict("withdrawal.ended", instance=instance_id, status=instance.status)
        if decided(uow, instance):
            raise Conflict("withdrawal.decided", instance=instance_id)
        cancelled = end_without_decision(uow, instance, status="withdrawn", now=now)
        uow.audit.append(at=now, actor=actor, action="instance.withdraw", instance_id=instance.id,
                         before={"status": "running", "open_tasks": cancelled},
                         after={"status": "withdrawn", "reason": reason})
        uow.commit()


__all__ = ["withdraw", "decided", "MAX_REASON"]
