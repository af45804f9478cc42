"""Four eyes on every change that goes live: proposals of versions and of migrations.

A designer's deploy makes a *proposed* version; a second person with the approving role
(`engine.governance.may_approve`: an admin, or the approving role at the competent department)
reviews it, with the difference from the live version, the validation result, the capabilities
it declares and the running applications it affects, and approves it (it becomes the live
version) or rejects it. The proposer never approves their own. Moving running applications
onto a version is proposed and approved the same way. Every step is in the audit log.
"""
from __future__ import annotations

from types import SimpleNamespace

from sqlalchemy import func, select

from engine import governance, permissions
from engine.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Problem
from engine.persistence.models import MigrationProposal, ProcessDefinition, ProcessInstance, User, VersionProposal
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import organisation, versions
from engine.services.definitions import APPROVED, PROPOSED, REJECTED, Deployed, checked, validate, version_fields
from engine.services.users import require_user


def _require_approver(uow: UnitOfWork, actor: str) -> User:
    user = require_user(uow.session, actor)
    config = uow.engine.config
    # Four eyes on every process change: the city authority's approvers (the processes are the city's).
    authority = organisation.city_authority(uow.session, config)
    if not governance.may_approve(user, config.approving_role, authority):
        raise PermissionDenied("change.approve_forbidden", user=actor, role=config.approving_role,
                               department=authority)
    return user


def _require_reader(uow: UnitOfWork, actor: str) -> User:
    """A designer (who proposes) or an approver (who decides) may read proposals."""
    user = require_user(uow.session, actor)
    config = uow.engine.config
    authority = organisation.city_authority(uow.session, config)
    if not (permissions.may_design(user.roles) or governance.may_approve(user, config.approving_role, authority)):
        raise PermissionDenied("change.read_forbidden", user=actor)
    return user


def _require_designer(uow: UnitOfWork, actor: str) -> User:
    user = require_user(uow.session, actor)
    if not permissions.may_design(user.roles):
        raise PermissionDenied("designer.forbidden", user=actor)
    return user


def propose(uow: UnitOfWork, actor: str, files: list[tuple[str, bytes]],
            forms: dict[str, dict] | None = None) -> list[Deployed]:
    """A designer's deploy: a proposed version of each changed process, all or none, each audited.

    A file the same as the live version, or as a proposal still waiting, proposes nothing new.

    Raises:
        PermissionDenied: the user is not a designer.
        InvalidInput: a file or form has problems (every one listed); nothing is proposed.
    """
    with uow.read():
        _require_designer(uow, actor)
    engine = uow.engine
    results = checked(engine, files, forms)
    now = engine.clock.now()
    with uow:
        session = uow.session
        _require_designer(uow, actor)
        proposed = []
        for (name, content), result in zip(files, results):
            for info in result.processes:
                fields = version_fields(engine, name, content, result, info)
                live = _live(session, info.process_id)
                if live is not None and live.content_hash == fields["content_hash"]:
                    proposed.append(Deployed(info.process_id, live.version, live.id, False))
                    continue
                waiting = session.scalar(select(VersionProposal).where(
                    VersionProposal.process_id == info.process_id, VersionProposal.status == PROPOSED,
                    VersionProposal.content_hash == fields["content_hash"]))
                if waiting is not None:
                    proposed.append(Deployed(info.process_id, waiting.version, None, False, PROPOSED))
                    continue
                row = VersionProposal(**fields, version=_next_version(session, info.process_id), proposed_at=now,
                                      proposed_by=actor, status=PROPOSED)
                session.add(row)
                session.flush()
                uow.audit.append(at=now, actor=actor, action="definition.propose",
                                 after={"process": info.process_id, "version": row.version, "file": row.file_name,
                                        "sha256": row.content_hash,
                                        "capabilities": sorted(governance.declared_capabilities(row.properties))})
                proposed.append(Deployed(info.process_id, row.version, None, True, PROPOSED))
        uow.commit()
    return proposed


def preview(uow: UnitOfWork, actor: str, file_name: str, content: bytes,
            forms: dict[str, dict] | None = None) -> list[dict]:
    """What proposing a designer's file would change, before it is proposed: for each process,
    the difference from its live version with old and new values, the capabilities it declares
    and the running applications that stay on the live version. Changes nothing.

    Raises:
        PermissionDenied: the user is not a designer.
        InvalidInput: the file or a form has problems (every one listed).
    """
    with uow.read():
        _require_designer(uow, actor)
    engine = uow.engine
    results = checked(engine, [(file_name, content)], forms)
    shown = []
    with uow.read():
        session = uow.session
        for result in results:
            for info in result.processes:
                fields = version_fields(engine, file_name, content, result, info)
                draft = SimpleNamespace(version=None, spec=fields["spec"], properties=fields["properties"])
                live = _live(session, info.process_id)
                running = [] if live is None else list(session.scalars(
                    select(ProcessInstance.receipt_number).where(ProcessInstance.definition_id == live.id,
                                                                 ProcessInstance.status == "running")
                    .order_by(ProcessInstance.id)))
                shown.append({"process_id": info.process_id, "name": info.name,
                              "live_version": live.version if live is not None else None,
                              "unchanged": live is not None and live.content_hash == fields["content_hash"],
                              "difference": versions.difference(uow, live, draft), "running": running,
                              "capabilities": sorted(governance.declared_capabilities(fields["properties"]))})
    return shown


def submit(uow: UnitOfWork, actor: str, files: list[tuple[str, bytes]]) -> list[Deployed]:
    """Files from the command line: an admin installing the shipped procedures (each file the
    very bytes of one in PDW_WORKFLOWS_DIR, reviewed with the code) installs them live, as
    `pdw demo load` does; anything else is a designer's proposal (`propose`).

    Raises:
        PermissionDenied: the user is not a designer (or admin).
        InvalidInput: a file has problems (every one listed); nothing is written.
    """
    with uow.read():
        user = _require_designer(uow, actor)
    folder = uow.engine.config.workflows_dir
    shipped = {f.read_bytes() for f in sorted(folder.glob("*.bpmn"))} if folder.is_dir() else set()
    if "admin" in user.roles and files and all(content in shipped for _, content in files):
        from engine.services import definitions

        return definitions.deploy(uow, files, actor=actor)
    return propose(uow, actor, files)


def _next_version(session, process_id: str) -> int:
    """The number after every version and proposal of the process so far."""
    numbers = [session.scalar(select(func.max(ProcessDefinition.version)).where(
        ProcessDefinition.process_id == process_id)),
               session.scalar(select(func.max(VersionProposal.version)).where(
                   VersionProposal.process_id == process_id))]
    return max(n or 0 for n in numbers) + 1


def _proposal(session, process_id: str, version: int) -> VersionProposal:
    row = session.scalar(select(VersionProposal).where(VersionProposal.process_id == process_id,
                                                       VersionProposal.version == version))
    if row is None:
        raise NotFound("process.not_found", process=f"{process_id} v{version}")
    return row


def _live(session, process_id: str) -> ProcessDefinition | None:
    return session.scalar(select(ProcessDefinition).where(ProcessDefinition.process_id == process_id)
                          .order_by(ProcessDefinition.version.desc()).limit(1))


def pending(uow: UnitOfWork, actor: str) -> dict:
    """The proposed versions and migrations waiting for a decision, oldest first, and whether
    `actor` may decide each (an approver who did not propose it).

    Raises:
        PermissionDenied: the user neither designs nor approves.
    """
    with uow.read():
        session = uow.session
        user = _require_reader(uow, actor)
        config = uow.engine.config
        approver = governance.may_approve(user, config.approving_role, organisation.city_authority(session, config))
        proposals = [{"process_id": d.process_id, "name": d.name, "version": d.version, "proposed_by": d.proposed_by,
                      "proposed_at": d.proposed_at,
                      "capabilities": sorted(governance.declared_capabilities(d.properties)),
                      "may_decide": approver and d.proposed_by != actor}
                     for d in session.scalars(select(VersionProposal).where(VersionProposal.status == PROPOSED)
                                              .order_by(VersionProposal.proposed_at, VersionProposal.id))]
        migrations = [_migration_dict(m, approver and m.proposed_by != actor)
                      for m in session.scalars(select(MigrationProposal).where(MigrationProposal.status == PROPOSED)
                                               .order_by(MigrationProposal.id))]
        return {"versions": proposals, "migrations": migrations, "may_approve": approver}


def _migration_dict(m: MigrationProposal, may_decide: bool) -> dict:
    return {"id": m.id, "process_id": m.process_id, "old": m.old_version, "new": m.new_version,
            "instances": list(m.instance_ids), "proposed_by": m.proposed_by, "proposed_at": m.proposed_at,
            "status": m.status, "decided_by": m.decided_by, "may_decide": may_decide}


def review(uow: UnitOfWork, actor: str, process_id: str, version: int) -> dict:
    """What an approver sees before deciding a version: the proposal, the live version it would
    replace, the difference element by element with old and new values (and the process's
    properties, capabilities among them), the validation result now, and the running
    applications on the live version (they stay on it unless a migration is approved).
    A version installed without a proposal (the shipped procedures) is shown as approved.

    Raises:
        PermissionDenied: the user neither designs nor approves.
        NotFound: no such process or version.
    """
    engine = uow.engine
    with uow.read():
        session = uow.session
        user = _require_reader(uow, actor)
        row = session.scalar(select(VersionProposal).where(VersionProposal.process_id == process_id,
                                                           VersionProposal.version == version))
        if row is None:
            installed = session.scalar(select(ProcessDefinition).where(ProcessDefinition.process_id == process_id,
                                                                       ProcessDefinition.version == version))
            if installed is None:
                raise NotFound("process.not_found", process=f"{process_id} v{version}")
            status, proposed_by, proposed_at, decided_by, decided_at, note = (
                APPROVED, installed.deployed_by, installed.deployed_at, None, None, None)
            row = installed
        else:
            status, proposed_by, proposed_at, decided_by, decided_at, note = (
                row.status, row.proposed_by, row.proposed_at, row.decided_by, row.decided_at, row.decision_note)
        live = _live(session, process_id)
        base = session.scalar(select(ProcessDefinition).where(
            ProcessDefinition.process_id == process_id, ProcessDefinition.version < version)
            .order_by(ProcessDefinition.version.desc()).limit(1)) if status != PROPOSED else live
        difference = versions.difference(uow, base, row)
        running = [] if live is None else [
            {"instance_id": i.id, "receipt_number": i.receipt_number}
            for i in session.scalars(select(ProcessInstance).where(ProcessInstance.definition_id == live.id,
                                                                   ProcessInstance.status == "running")
                                     .order_by(ProcessInstance.id))]
        content, file_name, forms = row.bpmn_xml, row.file_name, dict(row.forms)
        config = engine.config
        authority = organisation.city_authority(session, config)
        may_decide = (status == PROPOSED and proposed_by != actor
                      and governance.may_approve(user, config.approving_role, authority))
        shown = {"process_id": process_id, "name": row.name, "version": version, "status": status,
                 "proposed_by": proposed_by, "proposed_at": proposed_at, "decided_by": decided_by,
                 "decided_at": decided_at, "decision_note": note,
                 "live_version": live.version if live is not None else None,
                 "capabilities": sorted(governance.declared_capabilities(row.properties)),
                 "authority": governance.is_authority_process(row.properties),
                 "difference": difference, "running": running, "may_decide": may_decide,
                 "own": proposed_by == actor}
    result = validate(engine, content, file_name, forms)
    shown["problems"], shown["warnings"] = result.problems, result.warnings
    return shown


def approve(uow: UnitOfWork, actor: str, process_id: str, version: int, note: str | None = None) -> dict:
    """Make a proposed version live: checked again with the engine's validator, it is written as
    the process's newest definition, in one audited transaction with the decision.

    Raises:
        PermissionDenied: the user may not approve, or proposed this version.
        NotFound: no such process or version.
        Conflict: the version is not a proposal waiting for a decision, or a newer version is live.
        InvalidInput: the version no longer validates (every problem listed); nothing changes.
    """
    engine = uow.engine
    now = engine.clock.now()
    with uow.read():
        row = _proposal(uow.session, process_id, version)
        content, file_name, forms = row.bpmn_xml, row.file_name, dict(row.forms)
    problems = validate(engine, content, file_name, forms).problems
    if problems:
        raise InvalidInput("change.not_approved", problems, count=len(problems))
    with uow:
        session = uow.session
        _require_approver(uow, actor)
        row = _proposal(session, process_id, version)
        _decidable(row.status, row.proposed_by, actor, f"{process_id} v{version}")
        live = _live(session, process_id)
        if live is not None and live.version > version:
            raise Conflict("change.superseded", change=f"{process_id} v{version}", live=live.version)
        definition = ProcessDefinition(
            process_id=process_id, version=version, name=row.name, content_hash=row.content_hash,
            file_name=row.file_name, bpmn_xml=row.bpmn_xml, spec=row.spec, forms=row.forms,
            properties=row.properties, deployed_at=now, deployed_by=row.proposed_by)
        session.add(definition)
        session.flush()
        row.status, row.decided_by, row.decided_at, row.decision_note = APPROVED, actor, now, note or None
        row.definition_id = definition.id
        uow.audit.append(at=now, actor=actor, action="definition.approve",
                         before={"process": process_id, "live_version": live.version if live else None},
                         after={"process": process_id, "version": version, "definition_id": definition.id,
                                "proposed_by": row.proposed_by,
                                "capabilities": sorted(governance.declared_capabilities(row.properties)),
                                "note": note or None})
        uow.commit()
    return {"process_id": process_id, "version": version, "status": APPROVED, "decided_by": actor}


def reject(uow: UnitOfWork, actor: str, process_id: str, version: int, reason: str) -> dict:
    """Turn a proposed version down with a reason; it never becomes live.

    Raises:
        PermissionDenied: the user may not approve, or proposed this version.
        NotFound: no such process or version.
        Conflict: the version is not a proposal waiting for a decision.
        InvalidInput: no reason given.
    """
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("change.not_rejected", [Problem("change.reason_missing", field="reason")], count=1)
    now = uow.engine.clock.now()
    with uow:
        session = uow.session
        _require_approver(uow, actor)
        row = _proposal(session, process_id, version)
        _decidable(row.status, row.proposed_by, actor, f"{process_id} v{version}")
        row.status, row.decided_by, row.decided_at, row.decision_note = REJECTED, actor, now, reason
        uow.audit.append(at=now, actor=actor, action="definition.reject",
                         after={"process": process_id, "version": version, "proposed_by": row.proposed_by,
                                "reason": reason})
        uow.commit()
    return {"process_id": process_id, "version": version, "status": REJECTED, "decided_by": actor}


def _decidable(status: str, proposer: str, actor: str, what: str) -> None:
    if status != PROPOSED:
        raise Conflict("change.not_proposed", change=what, status=status)
    if proposer == actor:
        raise PermissionDenied("change.own_proposal", user=actor, change=what)


def propose_migration(uow: UnitOfWork, actor: str, process_id: str, old: int, new: int,
                      instance_ids: list[int]) -> dict:
    """A designer proposes moving running applications from version `old` to the approved `new`;
    each is checked now as the move would check it. Nothing moves until a second person approves.

    Raises:
        PermissionDenied: the user is not a designer.
        NotFound: no such process or version.
        Conflict: version `new` is not approved.
        InvalidInput: an application is not on `old` or cannot move (`migration.refused`).
    """
    now = uow.engine.clock.now()
    chosen = sorted(set(instance_ids))
    with uow:
        session = uow.session
        _require_designer(uow, actor)
        target = session.scalar(select(ProcessDefinition).where(ProcessDefinition.process_id == process_id,
                                                                ProcessDefinition.version == new))
        if target is None:
            waiting = session.scalar(select(VersionProposal.status).where(VersionProposal.process_id == process_id,
                                                                          VersionProposal.version == new))
            if waiting is None:
                raise NotFound("process.not_found", process=f"{process_id} v{new}")
            raise Conflict("change.migration_target_not_approved", change=f"{process_id} v{new}", status=waiting)
        problems = versions.obstacles(uow, process_id, old, new, chosen)
        if problems or not chosen:
            problems = problems or [Problem("migration.none_chosen", field="instance")]
            raise InvalidInput("migration.refused", problems, count=len(problems))
        proposal = MigrationProposal(process_id=process_id, old_version=old, new_version=new, instance_ids=chosen,
                                     proposed_by=actor, proposed_at=now, status=PROPOSED)
        session.add(proposal)
        session.flush()
        uow.audit.append(at=now, actor=actor, action="migration.propose",
                         after={"proposal": proposal.id, "process": process_id, "version": old, "to": new,
                                "instances": chosen})
        uow.commit()
        return _migration_dict(proposal, False)


def approve_migration(uow: UnitOfWork, actor: str, proposal_id: int) -> list[dict]:
    """Move the applications of a migration proposal, in one audited transaction with the decision.

    Raises:
        PermissionDenied: the user may not approve, or proposed this migration.
        NotFound: no such proposal.
        Conflict: the proposal was decided already, or an application fails to run on (`migration.failed`).
        InvalidInput: an application can no longer move (`migration.refused`); nothing moves.
    """
    now = uow.engine.clock.now()
    with uow:
        session = uow.session
        _require_approver(uow, actor)
        proposal = session.get(MigrationProposal, proposal_id)
        if proposal is None:
            raise NotFound("change.migration_not_found", proposal=proposal_id)
        _decidable(proposal.status, proposal.proposed_by, actor, f"migration {proposal_id}")
        moved = versions.move(uow, actor, proposal.process_id, proposal.old_version, proposal.new_version,
                              list(proposal.instance_ids), now=now)
        proposal.status, proposal.decided_by, proposal.decided_at = APPROVED, actor, now
        uow.audit.append(at=now, actor=actor, action="migration.approve",
                         after={"proposal": proposal_id, "proposed_by": proposal.proposed_by,
                                "instances": [m["instance_id"] for m in moved]})
        uow.commit()
        return moved


def reject_migration(uow: UnitOfWork, actor: str, proposal_id: int, reason: str) -> dict:
    """Turn a migration proposal down with a reason; nothing moves.

    Raises:
        PermissionDenied: the user may not approve, or proposed this migration.
        NotFound: no such proposal.
        Conflict: the proposal was decided already.
        InvalidInput: no reason given.
    """
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("change.not_rejected", [Problem("change.reason_missing", field="reason")], count=1)
    now = uow.engine.clock.now()
    with uow:
        session = uow.session
        _require_approver(uow, actor)
        proposal = session.get(MigrationProposal, proposal_id)
        if proposal is None:
            raise NotFound("change.migration_not_found", proposal=proposal_id)
        _decidable(proposal.status, proposal.proposed_by, actor, f"migration {proposal_id}")
        proposal.status, proposal.decided_by, proposal.decided_at = REJECTED, actor, now
        proposal.decision_note = reason
        uow.audit.append(at=now, actor=actor, action="migration.reject",
                         after={"proposal": proposal_id, "proposed_by": proposal.proposed_by, "reason": reason})
        uow.commit()
        return _migration_dict(proposal, False)



__all__ = ["preview", "submit", "propose", "pending", "review", "approve", "reject", "propose_migration",
           "approve_migration",
           "reject_migration"]
