"""Workflow serialization: the instance state is stored apart from its process spec.

A deployed definition keeps its spec once; each instance row keeps only its task tree and
data, so saving an instance never re-serializes the process model.
"""
from __future__ import annotations

from uuid import UUID

from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.event_definition import TimerConditionalEventDefinitionConverter
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, TaskConverter, WorkflowConverter
from SpiffWorkflow.bpmn.serializer.helpers.registry import DefaultRegistry
from SpiffWorkflow.bpmn.serializer.workflow import VERSION as SPIFF_SERIALIZER_VERSION
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.task import Task

from engine.bpmn.loops import BOUNDED
from engine.bpmn.timers import CLOCKED

STATE_FORMAT = f"spiff-{SPIFF_SERIALIZER_VERSION}+pdw-1"


class InstanceStateConverter(BpmnWorkflowConverter):
    """Converts a workflow without its spec; the spec is handed back in on restore."""

    def to_dict(self, workflow):
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct, specs=None):
        if specs is None:
            raise ValueError("an instance state is restored with the specs of its definition")
        spec, subprocess_specs = specs
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


# A dict of task data whose keys include "typename" is stored under this marker: SpiffWorkflow
# rebuilds any stored dict with a "typename" key as an object, so a script leaving
# {"typename": "BpmnWorkflow", ...} in its data would otherwise brick the instance on load.
ESCAPED_DICT = "PdwEscapedDict"


class _DataSafeRegistry(DefaultRegistry):
    """SpiffWorkflow's registry, storing data dicts that look like typed objects as plain data."""

    def __init__(self) -> None:
        super().__init__()
        self.convert_from_dict[ESCAPED_DICT] = self._unescape

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

    def to_dict(self, task):
        dct = super().to_dict(task)
        if dct["data"]:
            dct["data"] = self._data(dct["data"])
        if dct["delta"] and dct["delta"]["updates"]:
            dct["delta"]["updates"] = self._data(dct["delta"]["updates"])
        return dct

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
