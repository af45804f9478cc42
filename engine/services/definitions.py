"""Validating and deploying BPMN process definitions."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

from engine import governance, permissions
from engine.bpmn.validation import ValidationResult, validate_bpmn
from engine.errors import InvalidInput, Problem
from engine.persistence.models import ProcessDefinition
from engine.persistence.unit_of_work import UnitOfWork
from engine.services.users import require_administrator

# The status of a version (engine.services.changes): every definition is approved, the newest
# is live; a proposal waits for a decision or was rejected.
APPROVED, PROPOSED, REJECTED = "approved", "proposed", "rejected"


@dataclass(frozen=True)
class Deployed:
    """One process of a deployed file: its version, whether that version is new, and its status
    ("approved": a definition, live when newest; "proposed": waiting for a second person's
    approval, with no definition yet)."""

    process_id: str
    version: int
    definition_id: int | None
    created: bool
    status: str = APPROVED


def validate(engine, content: bytes, file_name: str, forms: dict[str, dict] | None = None) -> ValidationResult:
    """Every problem of one BPMN file (an empty list when it can be deployed).

    `forms` are JSON Schema forms by name that stand in for the forms folder's (a designer's draft).
    """
    return validate_bpmn(content, file_name, rules=engine.rules, forms_dir=engine.config.forms_dir,
                         operations=engine.script_engine.operations, max_bytes=engine.config.max_bpmn_bytes,
                         now=engine.clock.now(), budgets=engine.budgets, forms=forms,
                         competent_department=engine.config.competent_department)


def _properties(result: ValidationResult, info) -> dict:
    spec = result.parser.get_spec(info.process_id)
    start_forms = [((t.extensions or {}).get("properties") or {}).get("formJsonSchemaFilename")
                   for t in spec.task_specs.values() if type(t).__name__ == "StartEvent"]
    start_form = next((f for f in start_forms if f), None)
    return {**info.properties, **({"startForm": start_form} if start_form else {})}


def deploy(uow: UnitOfWork, files: list[tuple[str, bytes]], *, actor: str) -> list[Deployed]:
    """Install BPMN files live together: all of them, or none when any has a problem.

    This is how the shipped procedures are installed (`pdw db upgrade`, the demo, an admin with
    the shipped files); a designer's change goes through `engine.services.changes.propose`.
    A process whose file and forms are unchanged keeps its version; a change makes a new one.

    Raises:
        InvalidInput: any file has problems; all problems of all files are listed.
        NotFound, PermissionDenied: `actor` may not administer workflows (users.require_administrator).
    """
    with uow.read():
        require_administrator(uow.session, actor, "workflows")
    results = checked(uow.engine, files)
    with uow:
        deployed = write_versions(uow, files, results, actor=actor)
        uow.commit()
    return deployed


def checked(engine, files: list[tuple[str, bytes]], forms: dict[str, dict] | None = None) -> list[ValidationResult]:
    """The validation of each file, when none has a problem.

    Raises:
        InvalidInput: any file has problems; all problems of all files are listed.
    """
    results = [validate(engine, content, name, forms) for name, content in files]
    problems = [p for r in results for p in r.problems]
    if problems:
        raise InvalidInput("bpmn.not_deployed", problems, count=len(problems))
    return results


def version_fields(engine, name: str, content: bytes, result: ValidationResult, info) -> dict:
    """What a new version of the process `info` of a checked file is stored as: its name, hash,
    file, BPMN, serialized spec, forms and properties."""
    forms = dict(sorted(info.forms.items()))
    digest = hashlib.sha256(content + json.dumps(forms, sort_keys=True).encode()).hexdigest()
    spec = result.parser.get_spec(info.process_id)
    subprocess_specs = result.parser.get_subprocess_specs(info.process_id)
    return {"process_id": info.process_id, "name": info.name, "content_hash": digest, "file_name": Path(name).name,
            "bpmn_xml": content, "spec": engine.store.dump_specs(spec, subprocess_specs), "forms": forms,
            "properties": _properties(result, info)}


def write_versions(uow: UnitOfWork, files: list[tuple[str, bytes]], results: list[ValidationResult], *,
                   actor: str) -> list[Deployed]:
    """Inside the caller's transaction: a new version of each checked process that changed, each audited."""
    engine = uow.engine
    now = engine.clock.now()
    deployed = []
    session = uow.session
    for (name, content), result in zip(files, results):
        for info in result.processes:
            forms = dict(sorted(info.forms.items()))
            digest = hashlib.sha256(content + json.dumps(forms, sort_keys=True).encode()).hexdigest()
            latest = session.scalar(select(ProcessDefinition).where(ProcessDefinition.process_id == info.process_id)
                                    .order_by(ProcessDefinition.version.desc()).limit(1))
            if latest is not None and latest.content_hash == digest:
                deployed.append(Deployed(info.process_id, latest.version, latest.id, False))
                continue
            spec = result.parser.get_spec(info.process_id)
            subprocess_specs = result.parser.get_subprocess_specs(info.process_id)
            row = ProcessDefinition(
                process_id=info.process_id, version=(latest.version + 1 if latest else 1), name=info.name,
                content_hash=digest, file_name=Path(name).name, bpmn_xml=content,
                spec=engine.store.dump_specs(spec, subprocess_specs), forms=forms,
                properties=_properties(result, info), deployed_at=now, deployed_by=actor,
            )
            session.add(row)
            session.flush()
            uow.audit.append(at=now, actor=actor, action="definition.deploy",
                             after={"process": info.process_id, "version": row.version, "file": row.file_name,
                                    "sha256": digest,
                                    "capabilities": sorted(governance.declared_capabilities(row.properties))})
            deployed.append(Deployed(info.process_id, row.version, row.id, True))
    return deployed


def procedure_names():
    """A query of every deployed procedure's id and name (one row each, as `process_id`, `name`)."""
    return (select(ProcessDefinition.process_id, func.max(ProcessDefinition.name).label("name"))
            .group_by(ProcessDefinition.process_id))


def list_definitions(uow: UnitOfWork) -> list[dict]:
    """The newest (live) version of every deployed process."""
    with uow.read():
        session = uow.session
        newest = (select(ProcessDefinition.process_id, func.max(ProcessDefinition.version).label("version"))
                  .group_by(ProcessDefinition.process_id).subquery())
        rows = session.scalars(select(ProcessDefinition).join(
            newest, (newest.c.process_id == ProcessDefinition.process_id) & (newest.c.version == ProcessDefinition.version))
            .order_by(ProcessDefinition.process_id)).all()
        return [{"process_id": r.process_id, "name": r.name, "version": r.version, "definition_id": r.id,
                 "file": r.file_name, "deployed_at": r.deployed_at.isoformat(), "deployed_by": r.deployed_by,
                 "startable_by": sorted(permissions.startable_by(r.properties))} for r in rows]


def problems_of(files: list[tuple[str, bytes]], engine) -> tuple[list[Problem], list[Problem]]:
    """All problems of several files, then all their warnings, in file order."""
    results = [validate(engine, content, name) for name, content in files]
    return [p for r in results for p in r.problems], [w for r in results for w in r.warnings]
