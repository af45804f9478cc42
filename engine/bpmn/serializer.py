"""Workflow serialization: the instance state is stored apart from its process spec.

A deployed definition keeps its spec once; each instance row keeps only its task tree and
data, so saving an instance never re-serializes the process model.
"""
from __future__ import annotations

from copy import copy
from uuid import UUID

from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.event_definition import TimerConditionalEventDefinitionConverter
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, TaskConverter, WorkflowConverter
from SpiffWorkflow.bpmn.serializer.helpers.registry import DefaultRegistry
from SpiffWorkflow.bpmn.serializer.workflow import VERSION as SPIFF_SERIALIZER_VERSION
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from engine.bpmn.loops import BOUNDED
from engine.bpmn.timers import CLOCKED

STATE_FORMAT = f"spiff-{SPIFF_SERIALIZER_VERSION}+pdw-1"


class InstanceStateConverter(BpmnWorkflowConverter):
    """Converts a workflow without its spec; the spec is handed back in on restore.

    The top workflow's tasks, which are nearly all of a state, are converted and restored here
    directly by the task converter, not through the registry's generic dispatch; the dicts are
    the same as SpiffWorkflow's own WorkflowConverter makes and reads.
    """

    def to_dict(self, workflow):
        tasks = self.registry.tasks
        dct = {
            "data": self.registry.convert(self.registry.clean(workflow.data)),
            "correlations": workflow.correlations,
            "last_task": str(workflow.last_task.id) if workflow.last_task is not None else None,
            "success": workflow.success,
            "completed": workflow.completed,
            "tasks": {converted["id"]: converted
                      for converted in (tasks.to_typed_dict(task) for task in workflow.tasks.values())},
            "root": str(workflow.task_tree.id),
        }
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct, specs=None):
        if specs is None:
            raise ValueError("an instance state is restored with the specs of its definition")
        spec, subprocess_specs = specs
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        # Each task id is written four times (its key, its id, its parent's children, its
        # children's parent): parsed once, and the tree then holds one UUID object per task, which
        # the workflow's dict lookups by id find by identity.
        ids = _Ids()
        restore = self.registry.tasks.restore
        workflow.tasks = {ids(key): restore(value, workflow, ids) for key, value in dct["tasks"].items()}
        workflow.task_tree = workflow.tasks.get(ids(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


class _Ids(dict):
    """UUIDs by their text, each parsed once: calling it with a text gives the one UUID."""

    def __missing__(self, text: str) -> UUID:
        parsed = self[text] = UUID(text)
        return parsed

    __call__ = dict.__getitem__


# A dict of task data whose keys include "typename" is stored under this marker: SpiffWorkflow
# rebuilds any stored dict with a "typename" key as an object, so a script leaving
# {"typename": "BpmnWorkflow", ...} in its data would otherwise brick the instance on load.
ESCAPED_DICT = "PdwEscapedDict"
_PRIMITIVES = frozenset({str, int, float, bool, type(None)})
_MUTABLE = (dict, list, set)


class _DataSafeRegistry(DefaultRegistry):
    """SpiffWorkflow's registry, storing data dicts that look like typed objects as plain data."""

    def __init__(self) -> None:
        super().__init__()
        self.convert_from_dict[ESCAPED_DICT] = self._unescape
        # The task converter, which the instance state converter calls directly.
        self.tasks: _TaskConverter | None = None

    def convert(self, obj, **kwargs):
        if obj.__class__ is dict and "typename" in obj:
            return {"typename": ESCAPED_DICT, "items": [[k, self.convert(v)] for k, v in obj.items()]}
        return super().convert(obj)

    def _unescape(self, dct, **kwargs):
        return {key: self.restore(value, **kwargs) for key, value in dct["items"]}


class _TaskConverter(TaskConverter):
    """SpiffWorkflow's task converter, with the data it stores put through the registry.

    It stores a task's data (or its changes from the parent's) as they are, yet restores them
    through the registry, which turns any dict with a "typename" key into an object; here both
    directions go through it, so data dicts are escaped on the way in.
    """

    def __init__(self, target_class, registry, typename=None) -> None:
        super().__init__(target_class, registry, typename)
        registry.tasks = self

    def to_dict(self, task):
        # SpiffWorkflow's TaskConverter.to_dict, with the data put through `_data`.
        parent = task.workflow.tasks.get(task._parent)
        if parent is None:
            data, delta = task.data, {}
            if data:
                data = self._data(data)
        else:
            data, own, inherited = {}, task.data, parent.data
            updates = {key: own[key] for key in own if key not in inherited or own[key] != inherited[key]}
            delta = {"updates": self._data(updates) if updates else updates,
                     "deletions": [key for key in inherited if key not in own]}
        internal = task.internal_data
        return {
            "id": str(task.id),
            "parent": str(task._parent) if parent is not None else None,
            "children": [str(child) for child in task._children],
            "last_state_change": task.last_state_change,
            "state": task._state,
            "task_spec": task.task_spec.name,
            "triggered": task.triggered,
            "internal_data": self.registry.convert(internal) if internal else {},
            "data": data,
            "delta": delta,
        }

    def to_typed_dict(self, task) -> dict:
        """`to_dict` with the typename the registry adds."""
        dct = self.to_dict(task)
        dct["typename"] = self.typename
        return dct

    def from_dict(self, dct, workflow):
        return self.restore(dct, workflow, UUID)

    def restore(self, dct, workflow, ids):
        """SpiffWorkflow's TaskConverter.from_dict, with task ids made by `ids` from their text."""
        task_spec = workflow.spec.task_specs.get(dct["task_spec"])
        task = self.target_class(workflow, task_spec, state=dct["state"], id=ids(dct["id"]))
        parent_id = dct["parent"]
        task._parent = ids(parent_id) if parent_id is not None else None
        task._children = [ids(child) for child in dct["children"]]
        task.last_state_change = dct["last_state_change"]
        task.triggered = dct["triggered"]
        internal = dct["internal_data"]
        task.internal_data = self.registry.restore(internal) if internal else {}
        if isinstance(task_spec, CatchingEvent) and task.has_state(TaskState.WAITING):
            task.workflow.top_workflow.event_manager.add_task(task)
        delta = dct.get("delta")
        parent = workflow.tasks.get(task._parent) if delta else None
        if parent is not None:
            # DeepMerge.merge({}, parent.data): a shallow copy of each mutable value.
            data = {key: copy(value) if isinstance(value, _MUTABLE) else value for key, value in parent.data.items()}
            data.update(self._restored(delta.get("updates", {})))
            for key in delta.get("deletions", {}):
                if key in data:
                    del data[key]
        else:
            data = self._restored(dct["data"])
        task.data = data
        return task

    def _restored(self, data):
        # The registry's restore, which returns JSON primitives as they are, called only for
        # values that are not (a dict with a "typename" key is an escaped or typed value).
        if type(data) is not dict or "typename" in data:
            return self.registry.restore(data)
        restore = self.registry.restore
        return {key: value if type(value) in _PRIMITIVES else restore(value) for key, value in data.items()}

    def _data(self, value):
        # Task data is JSON from forms and scripts: walked here directly (the registry's generic
        # conversion costs several times as much per value), handing anything else to it.
        if isinstance(value, dict):
            if "typename" in value:
                return self.registry.convert(value)
            return {key: self._data(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self._data(item) for item in value]
        if value is None or isinstance(value, (str, int, float)):
            return value
        return self.registry.convert(value)


class WorkflowStore:
    """Turns workflows and specs into JSON-able dicts and back."""

    def __init__(self) -> None:
        config = dict(SPIFF_CONFIG)
        for clocked in CLOCKED.values():
            config[clocked] = TimerConditionalEventDefinitionConverter
        for plain, bounded in BOUNDED.items():
            config[bounded] = config[plain]
        config[BpmnWorkflow] = InstanceStateConverter
        config[Task] = _TaskConverter
        self._registry = BpmnWorkflowSerializer.configure(config, _DataSafeRegistry())

    @property
    def registry(self):
        """The converter registry, which SpiffWorkflow's spec diff compares task specs with."""
        return self._registry

    def dump_specs(self, spec, subprocess_specs: dict) -> dict:
        """The JSON-able form of a process spec and the specs of its subprocesses."""
        return {
            "spec": self._registry.convert(spec),
            "subprocess_specs": {name: self._registry.convert(s) for name, s in subprocess_specs.items()},
        }

    def load_specs(self, dct: dict) -> tuple:
        """Restore (spec, subprocess_specs) from `dump_specs` output."""
        spec = self._registry.restore(dct["spec"])
        subprocess_specs = {name: self._registry.restore(s) for name, s in dct["subprocess_specs"].items()}
        return spec, subprocess_specs

    def dump_state(self, workflow: BpmnWorkflow) -> dict:
        """The JSON-able state of a running workflow, without its spec."""
        return self._registry.convert(workflow)

    def load_state(self, state: dict, specs: tuple, script_engine) -> BpmnWorkflow:
        """Rebuild a workflow from `dump_state` output and its definition's specs."""
        workflow = self._registry.restore(dict(state), specs=specs)
        workflow.script_engine = script_engine
        return workflow
