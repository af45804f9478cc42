"""Process designers' use cases: processes and their versions, drafts, validation and deployment.

Only designers (and admins) may use them; every change is in the audit log. Drafts are kept
in the database, one per process, so a designer can leave the modeler and come back.
"""
from __future__ import annotations

import json
from pathlib import Path

from lxml import etree
from sqlalchemy import delete, func, select

from engine import permissions
from engine.bpmn.validation import BPMN_NS
from engine.calendar.statute import load_statute
from engine.errors import InvalidInput, NotFound, PermissionDenied, Problem
from engine.forms import FormError, check_form, has_control_characters, load_form
from engine.persistence.models import (Department, ProcessDefinition, ProcessDraft, ProcessInstance, User,
                                      VersionProposal)
from engine.persistence.unit_of_work import UnitOfWork
from engine.services.definitions import Deployed, validate
from engine.services.users import require_user


def require_designer(session, actor: str) -> User:
    """The active user `actor`, who must be a designer or an admin.

    Raises:
        NotFound: no such user.
        PermissionDenied: the user may not design processes.
    """
    user = require_user(session, actor)
    if not permissions.may_design(user.roles):
        raise PermissionDenied("designer.forbidden", user=actor)
    return user


def processes(uow: UnitOfWork, actor: str) -> list[dict]:
    """Every process with its versions (who deployed each, when, its instances) and its draft.

    Raises:
        PermissionDenied: the user is not a designer.
    """
    with uow.read():
        session = uow.session
        require_designer(session, actor)
        counts = {(definition_id, status): n for definition_id, status, n in session.execute(
            select(ProcessInstance.definition_id, ProcessInstance.status, func.count())
            .group_by(ProcessInstance.definition_id, ProcessInstance.status))}
        drafts = {d.process_id: d for d in session.scalars(select(ProcessDraft))}
        found: dict[str, dict] = {}
        for row in session.execute(select(
                ProcessDefinition.id, ProcessDefinition.process_id, ProcessDefinition.version, ProcessDefinition.name,
                ProcessDefinition.file_name, ProcessDefinition.deployed_at, ProcessDefinition.deployed_by)
                .order_by(ProcessDefinition.process_id, ProcessDefinition.version.desc())):
            entry = found.setdefault(row.process_id, {"process_id": row.process_id, "name": row.name,
                                                      "versions": [], "draft": None})
            entry["versions"].append({
                "version": row.version, "definition_id": row.id, "file_name": row.file_name,
                "deployed_at": row.deployed_at, "deployed_by": row.deployed_by, "status": "approved",
                "running": counts.get((row.id, "running"), 0),
                "instances": sum(n for (d, _), n in counts.items() if d == row.id)})
        # Versions proposed and not (yet) approved: waiting for a decision, or rejected.
        for row in session.scalars(select(VersionProposal).where(VersionProposal.status != "approved")):
            entry = found.setdefault(row.process_id, {"process_id": row.process_id, "name": row.name,
                                                      "versions": [], "draft": None})
            entry["versions"].append({"version": row.version, "definition_id": None, "file_name": row.file_name,
                                      "deployed_at": row.proposed_at, "deployed_by": row.proposed_by,
                                      "status": row.status, "running": 0, "instances": 0})
        for entry in found.values():
            entry["versions"].sort(key=lambda v: v["version"], reverse=True)
        for process_id, draft in drafts.items():
            entry = found.setdefault(process_id, {"process_id": process_id, "name": process_id, "versions": [],
                                                  "draft": None})
            entry["draft"] = _draft_dict(draft)
        # Listed by the name people know a procedure by (its newest version's), then by id.
        return sorted(found.values(), key=lambda p: (p["name"] or p["process_id"], p["process_id"]))


def _draft_dict(draft: ProcessDraft) -> dict:
    return {"base_version": draft.base_version, "file_name": draft.file_name, "saved_at": draft.saved_at,
            "saved_by": draft.saved_by, "forms": sorted(draft.forms)}


def open_file(uow: UnitOfWork, actor: str, process_id: str, version: int | None = None) -> dict:
    """The BPMN a designer opens: the given version, else the draft if there is one, else the newest version.

    Returns the file's name and text, the version it is (None for the draft), the version a
    draft began from, and the forms edited with a draft.

    Raises:
        PermissionDenied: the user is not a designer.
        NotFound: no such process or version.
    """
    with uow.read():
        session = uow.session
        require_designer(session, actor)
        draft = session.get(ProcessDraft, process_id) if version is None else None
        if draft is not None:
            return {"process_id": process_id, "version": None, "base_version": draft.base_version,
                    "file_name": draft.file_name, "xml": draft.bpmn_xml.decode("utf-8"), "forms": draft.forms,
                    "draft": _draft_dict(draft)}
        definition = _definition(session, process_id, version)
        return {"process_id": process_id, "version": definition.version, "base_version": definition.version,
                "file_name": definition.file_name, "xml": definition.bpmn_xml.decode("utf-8"), "forms": {},
                "draft": None}


def _definition(session, process_id: str, version: int | None) -> ProcessDefinition | VersionProposal:
    """A version of a process (the newest when None); a version not approved is its proposal."""
    query = select(ProcessDefinition).where(ProcessDefinition.process_id == process_id)
    query = query.where(ProcessDefinition.version == version) if version is not None else \
        query.order_by(ProcessDefinition.version.desc()).limit(1)
    definition = session.scalar(query)
    if definition is None and version is not None:
        definition = session.scalar(select(VersionProposal).where(VersionProposal.process_id == process_id,
                                                                  VersionProposal.version == version))
    if definition is None:
        raise NotFound("process.not_found", process=process_id if version is None else f"{process_id} v{version}")
    return definition


def version_forms(uow: UnitOfWork, actor: str, process_id: str, version: int | None = None) -> dict[str, dict]:
    """The JSON Schema forms a version was deployed with (the newest version when None), by name.

    Raises:
        PermissionDenied: the user is not a designer.
        NotFound: no such process or version.
    """
    with uow.read():
        require_designer(uow.session, actor)
        return dict(_definition(uow.session, process_id, version).forms)


def palette(uow: UnitOfWork, actor: str) -> dict:
    """What the properties panel offers: forms, candidate groups, deadline rules (and the
    procedures with no period), operations, roles and the kinds of account.

    Candidate groups are every role, and every role at every department that exists.

    Raises:
        PermissionDenied: the user is not a designer.
    """
    engine = uow.engine
    with uow.read():
        session = uow.session
        require_designer(session, actor)
        departments = [{"code": d.code, "name": d.name} for d in session.scalars(select(Department)
                                                                                 .order_by(Department.code))]
    base = engine.config.forms_dir.resolve()
    forms = sorted(p.relative_to(base).as_posix() for p in base.rglob("*.json")) if base.is_dir() else []
    rules = [{"id": r.id, "article": r.article, "period": r.period, "unit": r.unit, "title_zh": r.title_zh,
              "title_en": r.title_en, "extends": r.extends, "statutory": r.statutory,
              "counts_from": r.counts_from} for r in engine.rules.values()]
    # Procedures for which the Measures set no period: a process may name one as its clock.
    no_period = [{"id": n.id, "article": n.article, "title_zh": n.title_zh, "title_en": n.title_en}
                 for n in load_statute().no_period.values()]
    kinds = [{"code": code, "zh": names[0], "en": names[1]} for code, names in permissions.ACCOUNT_KIND_NAMES.items()]
    groups = list(permissions.ROLES) + [f"{role}@{d['code']}" for d in departments for role in permissions.ROLES]
    return {"forms": forms, "roles": list(permissions.ROLES), "departments": departments, "groups": groups,
            "rules": rules, "no_period": no_period, "kinds": kinds,
            "operations": sorted(engine.script_engine.operations)}


def check(uow: UnitOfWork, actor: str, file_name: str, content: bytes, forms: dict | None = None) -> dict:
    """Every problem and warning the engine's validator finds in a designer's file (with its draft forms).

    Raises:
        PermissionDenied: the user is not a designer.
    """
    with uow.read():
        require_designer(uow.session, actor)
    result = validate(uow.engine, content, file_name, _draft_forms(forms))
    return {"problems": result.problems, "warnings": result.warnings,
            "processes": [p.process_id for p in result.processes]}


def _draft_forms(forms: dict | None) -> dict[str, dict]:
    """Draft forms as given, each checked to be a JSON Schema of an object.

    Raises:
        InvalidInput: a form is not one (`draft.forms_invalid`, one problem per form).
    """
    problems = []
    for name, schema in (forms or {}).items():
        try:
            check_form(name, schema)
        except FormError as err:
            problems.append(Problem(err.code, err.params, field=name))
    if problems:
        raise InvalidInput("draft.forms_invalid", problems, count=len(problems))
    return dict(forms or {})


def process_id_of(file_name: str, content: bytes) -> str:
    """The id of the first executable process of a BPMN file, read without resolving anything.

    Raises:
        InvalidInput: the file is not BPMN XML with an executable process.
    """
    try:
        root = etree.fromstring(content, etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False))
    except etree.XMLSyntaxError as err:
        raise InvalidInput("draft.refused", [Problem("bpmn.not_xml", {"detail": err.msg}, file=file_name,
                                                     line=err.lineno or None)], count=1) from None
    for process in root.iter(f"{{{BPMN_NS}}}process"):
        if process.get("isExecutable") == "true" and process.get("id"):
            return process.get("id")
    raise InvalidInput("draft.refused", [Problem("bpmn.no_executable_process", file=file_name)], count=1)


def save_draft(uow: UnitOfWork, actor: str, file_name: str, content: bytes, *, forms: dict | None = None,
               base_version: int | None = None) -> dict:
    """Keep a designer's unfinished file (problems and all) as its process's draft, replacing the last one.

    The process is the file's first executable process.

    Raises:
        PermissionDenied: the user is not a designer.
        InvalidInput: the file is too large, is not BPMN XML with an executable process, or a
            form is not a JSON Schema of an object.
    """
    engine = uow.engine
    if has_control_characters(file_name):
        # The name goes back out in a Content-Disposition header when the draft is downloaded.
        raise InvalidInput("draft.refused", [Problem("bpmn.file_name_control", {"file": ascii(file_name)[1:-1]},
                                                     field="file_name")], count=1)
    limit = engine.config.max_bpmn_bytes
    now = engine.clock.now()
    with uow:
        session = uow.session
        # Who may act is asked before the untrusted file is parsed.
        require_designer(session, actor)
        if len(content) > limit:
            raise InvalidInput("draft.refused", [Problem("bpmn.too_large", {"size": f"{len(content):,}",
                                                                            "limit": f"{limit:,}"}, file=file_name)],
                               count=1)
        process_id = process_id_of(file_name, content)
        forms = _draft_forms(forms)
        draft = session.get(ProcessDraft, process_id)
        before = None if draft is None else {"saved_at": draft.saved_at.isoformat(), "saved_by": draft.saved_by}
        if draft is None:
            draft = ProcessDraft(process_id=process_id)
            session.add(draft)
        draft.base_version, draft.file_name, draft.bpmn_xml = base_version, Path(file_name).name, content
        draft.forms, draft.saved_at, draft.saved_by = forms, now, actor
        uow.audit.append(at=now, actor=actor, action="definition.draft", before=before,
                         after={"process": process_id, "file": draft.file_name, "base_version": base_version,
                                "forms": sorted(forms), "bytes": len(content)})
        uow.commit()
        return {"process_id": process_id, **_draft_dict(draft)}


def process_forms(uow: UnitOfWork, actor: str, process_id: str) -> list[str]:
    """The forms a process carries: those of its draft and of its newest version, by name.

    Raises:
        PermissionDenied: the user is not a designer.
        NotFound: the process has neither a draft nor a deployed version.
    """
    with uow.read():
        session = uow.session
        require_designer(session, actor)
        draft = session.get(ProcessDraft, process_id)
        deployed = session.scalar(select(ProcessDefinition.forms).where(ProcessDefinition.process_id == process_id)
                                  .order_by(ProcessDefinition.version.desc()).limit(1))
    if draft is None and deployed is None:
        raise NotFound("process.not_found", process=process_id)
    return sorted(set(draft.forms if draft is not None else {}) | set(deployed or {}))


def form_schema(uow: UnitOfWork, actor: str, process_id: str, name: str) -> dict:
    """The JSON Schema a designer edits: the draft's, else the newest version's, else the forms folder's.

    Raises:
        PermissionDenied: the user is not a designer.
        FormError: the form is in none of them (or the folder's file is not a form).
    """
    with uow.read():
        session = uow.session
        require_designer(session, actor)
        draft = session.get(ProcessDraft, process_id)
        if draft is not None and name in draft.forms:
            return draft.forms[name]
        deployed = session.scalar(select(ProcessDefinition.forms).where(ProcessDefinition.process_id == process_id)
                                  .order_by(ProcessDefinition.version.desc()).limit(1))
        if deployed and name in deployed:
            return deployed[name]
    return load_form(uow.engine.config.forms_dir, name)


def parse_form(name: str, text: object) -> dict:
    """The JSON Schema form a designer typed, read and checked.

    Raises:
        FormError: the text is not JSON, or not a JSON Schema of an object.
    """
    try:
        schema = json.loads(text) if isinstance(text, str) else text
    except json.JSONDecodeError as err:
        raise FormError("form.not_json", form=name, detail=str(err)) from None
    return check_form(name, schema)


def preview_form(uow: UnitOfWork, actor: str, name: str, text: object) -> dict:
    """`parse_form` for a designer, whose form editor shows the form as reviewers will see it.

    Raises:
        PermissionDenied: the user is not a designer.
        FormError: the text is not a JSON Schema form.
    """
    with uow.read():
        require_designer(uow.session, actor)
    return parse_form(name, text)


def save_form(uow: UnitOfWork, actor: str, process_id: str, name: str, text: object) -> dict:
    """Keep an edited form (JSON text or a schema) in the process's draft, begun from the newest
    version if there is none.

    Raises:
        PermissionDenied: the user is not a designer.
        NotFound: the process has neither a draft nor a version.
        FormError: the text is not a JSON Schema of an object; nothing is saved.
    """
    engine = uow.engine
    now = engine.clock.now()
    with uow:
        session = uow.session
        require_designer(session, actor)
        # Who may act is asked before what they sent is read.
        forms = {name: parse_form(name, text)}
        draft = session.get(ProcessDraft, process_id)
        if draft is None:
            newest = _definition(session, process_id, None)
            draft = ProcessDraft(process_id=process_id, base_version=newest.version, file_name=newest.file_name,
                                 bpmn_xml=newest.bpmn_xml, forms={})
            session.add(draft)
        draft.forms = {**draft.forms, **forms}
        draft.saved_at, draft.saved_by = now, actor
        uow.audit.append(at=now, actor=actor, action="definition.draft_form",
                         after={"process": process_id, "form": name})
        uow.commit()
        return {"process_id": process_id, **_draft_dict(draft)}


def discard_draft(uow: UnitOfWork, actor: str, process_id: str) -> None:
    """Throw a process's draft away.

    Raises:
        PermissionDenied: the user is not a designer.
        NotFound: the process has no draft.
    """
    engine = uow.engine
    with uow:
        session = uow.session
        require_designer(session, actor)
        if session.execute(delete(ProcessDraft).where(ProcessDraft.process_id == process_id)).rowcount != 1:
            raise NotFound("draft.not_found", process=process_id)
        uow.audit.append(at=engine.clock.now(), actor=actor, action="definition.draft_discard",
                         after={"process": process_id})
        uow.commit()


def deploy(uow: UnitOfWork, actor: str, file_name: str, content: bytes, forms: dict | None = None) -> list[Deployed]:
    """Propose a designer's file as a new version (engine.services.changes): it becomes live only
    when a second person with the approving role approves it. The draft goes.

    Raises:
        PermissionDenied: the user is not a designer.
        InvalidInput: the file or a draft form has problems (every one listed); nothing is proposed.
    """
    from engine.services import changes

    proposed = changes.propose(uow, actor, [(file_name, content)], _draft_forms(forms))
    with uow:
        uow.session.execute(delete(ProcessDraft).where(ProcessDraft.process_id.in_([d.process_id for d in proposed])))
        uow.commit()
    return proposed


__all__ = ["require_designer", "processes", "open_file", "version_forms", "palette", "process_forms", "check", "save_draft",
           "discard_draft", "deploy", "process_id_of", "form_schema", "save_form",
           "parse_form", "preview_form"]
