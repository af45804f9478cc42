"""Two versions of a process side by side, and moving running instances from one to the other.

Both are built on SpiffWorkflow's diff toolkit (`SpiffWorkflow.bpmn.util.diff`): `SpecDiff`
aligns the task specs of two versions, `diff_workflow` says which tasks of one instance the
new version removes or changes, and `migrate_workflow` moves the instance.
"""
from __future__ import annotations

import json

from sqlalchemy import select
from SpiffWorkflow.bpmn.util.diff import SpecDiff, diff_dependencies, diff_workflow, migrate_workflow
from SpiffWorkflow.util.task import TaskState

from engine.errors import Conflict, InvalidInput, NotFound, Problem
from engine.persistence.models import ProcessDefinition, ProcessInstance
from engine.persistence.unit_of_work import UnitOfWork
from engine.services.designer import require_designer
from engine.services.progress import StepFailed, load_workflow, run_and_sync

# Tasks of a running instance that hold a step in progress: an open user task, a waiting timer,
# a subprocess under way. Migration keeps each where it is, with its data and its timer's date.
IN_PROGRESS = TaskState.READY | TaskState.WAITING | TaskState.STARTED


def _versions(uow: UnitOfWork, actor: str, process_id: str, old: int,
              new: int) -> tuple[ProcessDefinition, ProcessDefinition]:
    """Versions `old` and `new` of a process, for a designer, in the caller's open unit of work."""
    session = uow.session
    require_designer(session, actor)
    rows = {d.version: d for d in session.scalars(select(ProcessDefinition).where(
        ProcessDefinition.process_id == process_id, ProcessDefinition.version.in_([old, new])))}
    for version in (old, new):
        if version not in rows:
            raise NotFound("process.not_found", process=f"{process_id} v{version}")
    return rows[old], rows[new]


def _specs(uow: UnitOfWork, definition) -> tuple:
    if not isinstance(definition, ProcessDefinition):
        return uow.engine.store.load_specs(definition.spec)  # a proposal: read once, not cached
    return uow.engine.specs.get(definition.id, lambda: definition.spec)


def _element(spec) -> dict:
    return {"id": spec.bpmn_id, "name": spec.bpmn_name or "", "type": type(spec).__name__}


def _is_element(spec) -> bool:
    # SpiffWorkflow adds specs of its own (a process's Start, End, joins); they have no BPMN id.
    return spec is not None and getattr(spec, "bpmn_id", None) is not None


def diff(uow: UnitOfWork, actor: str, process_id: str, old: int, new: int) -> dict:
    """The elements `new` adds, removes and changes against `old`, by id and name, with both files.

    Changed elements list the attributes that differ (as SpiffWorkflow serializes a task spec)
    in `fields`, and each differing value, old and new, in `values`; `properties` lists the
    process properties that differ (its capabilities among them).

    Raises:
        PermissionDenied: the user is not a designer.
        NotFound: no such process or version.
    """
    with uow.read():
        first, second = _versions(uow, actor, process_id, old, new)
        return {"process_id": process_id, **difference(uow, first, second),
                "old_xml": first.bpmn_xml.decode("utf-8"), "new_xml": second.bpmn_xml.decode("utf-8")}


def difference(uow: UnitOfWork, first: ProcessDefinition | None, second) -> dict:
    """What `second` (a definition or a proposal) changes against `first` (None: a new process,
    everything is added), element by element with old and new values, and property by property.
    In the caller's unit of work."""
    registry = uow.engine.store.registry
    new_spec, new_deps = _specs(uow, second)
    if first is None:
        added = [_element(s) for spec in (new_spec, *new_deps.values()) for s in spec.task_specs.values()
                 if _is_element(s)]
        return {"old": None, "new": second.version, "added": _by_id(added), "removed": [], "changed": [],
                "properties": _property_changes({}, second.properties)}
    old_spec, old_deps = _specs(uow, first)
    diffs = [SpecDiff(registry, old_spec, new_spec)]
    dependencies, added_processes = diff_dependencies(registry, old_deps, new_deps)
    diffs += [d for d in dependencies.values() if d is not None]
    added = [_element(s) for d in diffs for s in d.added if _is_element(s)]
    added += [_element(s) for name in added_processes for s in new_deps[name].task_specs.values() if _is_element(s)]
    removed = [_element(s) for d in diffs for s in d.removed if _is_element(s)]
    removed += [_element(s) for name, d in dependencies.items() if d is None
                for s in old_deps[name].task_specs.values() if _is_element(s)]
    changed = [{**_element(s), "new_id": d.alignment[s].bpmn_id, "fields": sorted(fields),
                "values": _value_changes(registry, s, d.alignment[s], fields)}
               for d in diffs for s, fields in d.changed.items() if _is_element(s)]
    return {"old": first.version, "new": second.version, "added": _by_id(added), "removed": _by_id(removed),
            "changed": _by_id(changed), "properties": _property_changes(first.properties, second.properties)}


_SHOWN = 300
# Serialized attributes that say nothing a reader can act on: the spec's wiring, shown as flows.
_WIRING = {"inputs", "outputs", "typename", "manual", "lookahead", "data_input_associations",
           "data_output_associations"}


def _shown(value) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return text if len(text) <= _SHOWN else text[:_SHOWN] + "…"


def _flat(value, prefix: str) -> dict[str, object]:
    if isinstance(value, dict) and value:
        out = {}
        for key, item in value.items():
            out.update(_flat(item, f"{prefix}.{key}" if prefix else str(key)))
        return out
    return {prefix: value}


def _value_changes(registry, old_spec, new_spec, fields) -> list[dict]:
    """Each differing value of a changed element, as `field` (a dotted path such as
    `extensions.properties.candidateGroupsExpression`), `old` and `new` texts."""
    old, new = registry.convert(old_spec), registry.convert(new_spec)
    out = []
    for name in sorted(fields):
        if name in _WIRING:
            continue
        before, after = _flat(old.get(name), name), _flat(new.get(name), name)
        for path in sorted(set(before) | set(after)):
            if before.get(path) != after.get(path):
                out.append({"field": path, "old": None if path not in before else _shown(before[path]),
                            "new": None if path not in after else _shown(after[path])})
    return out


def _property_changes(old: dict | None, new: dict | None) -> list[dict]:
    old, new = old or {}, new or {}
    return [{"name": name, "old": old.get(name), "new": new.get(name)}
            for name in sorted(set(old) | set(new)) if old.get(name) != new.get(name)]


def _by_id(elements: list[dict]) -> list[dict]:
    return sorted({e["id"]: e for e in elements}.values(), key=lambda e: e["id"])


def _obstacles(workflow, new_specs: tuple, registry) -> list[Problem]:
    """Why an instance cannot move to `new_specs`: each step in progress the new version removes."""
    top, subprocesses = diff_workflow(registry, workflow, *new_specs)
    problems = []
    for sub_id, sub_diff in [(None, top), *subprocesses.items()]:
        if sub_diff is None:
            name = workflow.subprocesses[sub_id].spec.name
            problems.append(Problem("migration.subprocess_removed", {"process": name}, element=name))
            continue
        for task in sub_diff.removed:
            if task.has_state(IN_PROGRESS) and _is_element(task.task_spec):
                problems.append(Problem("migration.step_removed", {"name": task.task_spec.bpmn_name or
                                                                   task.task_spec.bpmn_id},
                                        element=task.task_spec.bpmn_id))
    return problems


def plan(uow: UnitOfWork, actor: str, process_id: str, old: int, new: int) -> list[dict]:
    """The dry run: each instance on version `old`, whether it can move to `new` and why not.

    Changes nothing.

    Raises:
        PermissionDenied: the user is not a designer.
        NotFound: no such process or version.
    """
    with uow.read():
        first, second = _versions(uow, actor, process_id, old, new)
        new_specs = _specs(uow, second)
        rows = uow.session.scalars(select(ProcessInstance).where(ProcessInstance.definition_id == first.id)
                               .order_by(ProcessInstance.id)).all()
        out = []
        for row in rows:
            problems = _instance_obstacles(uow, row.id, new_specs)
            out.append({"instance_id": row.id, "receipt_number": row.receipt_number, "status": row.status,
                        "started_by": row.started_by, "received_on": row.received_on,
                        "can_move": not problems, "problems": problems})
        return out


def _instance_obstacles(uow: UnitOfWork, instance_id: int, new_specs: tuple) -> list[Problem]:
    instance = uow.instances.get(instance_id)
    if instance.status != "running":
        return [Problem("migration.not_running", {"status": instance.status})]
    return _obstacles(load_workflow(uow, instance), new_specs, uow.engine.store.registry)


def _pair(uow: UnitOfWork, process_id: str, old: int, new: int) -> tuple[ProcessDefinition, ProcessDefinition]:
    rows = {d.version: d for d in uow.session.scalars(select(ProcessDefinition).where(
        ProcessDefinition.process_id == process_id, ProcessDefinition.version.in_([old, new])))}
    for version in (old, new):
        if version not in rows:
            raise NotFound("process.not_found", process=f"{process_id} v{version}")
    return rows[old], rows[new]


def obstacles(uow: UnitOfWork, process_id: str, old: int, new: int, instance_ids: list[int]) -> list[Problem]:
    """Why the chosen instances cannot move from `old` to `new` now, each naming its instance in
    `field`; in the caller's unit of work, changing nothing.

    Raises:
        NotFound: no such process or version.
    """
    first, second = _pair(uow, process_id, old, new)
    new_specs = _specs(uow, second)
    registry = uow.engine.store.registry
    problems = []
    for instance_id in sorted(set(instance_ids)):
        instance = uow.instances.get(instance_id)
        if instance is None or instance.definition_id != first.id:
            problems.append(Problem("migration.not_on_version", {"version": old}, field=str(instance_id)))
            continue
        if instance.status != "running":
            problems.append(Problem("migration.not_running", {"status": instance.status}, field=str(instance_id)))
            continue
        found = _obstacles(load_workflow(uow, instance), new_specs, registry)
        problems += [Problem(p.code, p.params, field=str(instance_id), element=p.element) for p in found]
    return problems


def move(uow: UnitOfWork, actor: str, process_id: str, old: int, new: int, instance_ids: list[int], *,
         now) -> list[dict]:
    """Inside the caller's transaction (an approved migration, engine.services.changes): move the
    chosen running instances from version `old` to `new`, all or none, each audited.

    Each step in progress stays where it is: an open task keeps its row, holder and deadline, a
    waiting timer its date. The instances then run on as far as the new version takes them.

    Raises:
        NotFound: no such process or version.
        InvalidInput: an instance is not on `old` or cannot move (`migration.refused`, every reason
            listed, each naming its instance in `field`); nothing moves.
        Conflict: an instance fails to run on in the new version (`migration.failed`); nothing moves.
    """
    session = uow.session
    problems = obstacles(uow, process_id, old, new, instance_ids)
    if problems:
        raise InvalidInput("migration.refused", problems, count=len(problems))
    _, second = _pair(uow, process_id, old, new)
    new_specs = _specs(uow, second)
    registry = uow.engine.store.registry
    moved = []
    for instance_id in sorted(set(instance_ids)):
        # Locked as a decision locks it: one writer per instance row (the repository).
        instance = uow.instances.get(instance_id, lock=True)
        workflow = load_workflow(uow, instance)
        _move(workflow, new_specs, registry)
        instance.definition_id = second.id
        try:
            outcome = run_and_sync(uow, instance, workflow, now=now)
        except StepFailed as failed:
            raise Conflict("migration.failed", instance=instance.id, error=failed.reason) from None
        if outcome.error is not None:
            raise Conflict("migration.failed", instance=instance.id, error=outcome.error)
        uow.audit.append(at=now, actor=actor, action="instance.migrate", instance_id=instance.id,
                         before={"version": old}, after={"version": new, "status": outcome.status,
                                                         "opened": outcome.opened})
        moved.append({"instance_id": instance.id, "receipt_number": instance.receipt_number,
                      "status": instance.status})
    uow.audit.append(at=now, actor=actor, action="definition.migrate", before={"process": process_id, "version": old},
                     after={"process": process_id, "version": new, "instances": [m["instance_id"] for m in moved]})
    return moved


def _move(workflow, new_specs: tuple, registry) -> None:
    """Put `workflow` on `new_specs`, keeping every step in progress as it was.

    `migrate_workflow` resets ready and waiting tasks so that what follows them is predicted
    from the new version; that also clears their data and a timer's due instant, which are put
    back, so an open task keeps its data and a running deadline its date.
    """
    kept = {task.id: (task.data, task.internal_data) for task in workflow.get_tasks(state=IN_PROGRESS)}
    spec, dependencies = new_specs
    top, subprocesses = diff_workflow(registry, workflow, spec, dependencies)
    for sub_id, sub_diff in subprocesses.items():
        sub = workflow.subprocesses[sub_id]
        migrate_workflow(sub_diff, sub, dependencies[sub.spec.name])
    migrate_workflow(top, workflow, spec)
    workflow.subprocess_specs = dependencies
    for task in workflow.get_tasks(state=IN_PROGRESS):
        if task.id in kept:
            task.data, task.internal_data = kept[task.id]


__all__ = ["diff", "difference", "plan", "obstacles", "move"]
