"""Validation of uploaded BPMN: every problem, each with its element id and line.

BPMN arrives from a browser, so it is untrusted: size is checked before parsing, the XML
parser resolves no entities and loads nothing, and every script and expression the engine
will evaluate passes the sandbox policy before anything is deployed, wherever in the file it
sits. What SpiffWorkflow would silently ignore (a pre-script on a gateway, a condition on a
flow out of a task) is refused as well, and literal timers, multi-instance cardinalities and
loop maxima are held to the engine's limits; computed ones are checked when they are evaluated.
"""
from __future__ import annotations

import ast
import enum
import keyword
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.spiff.parser.process import VALIDATOR

from engine import governance
from engine.bpmn.budgets import BudgetExceeded, Budgets
from engine.permissions import APPLICANT_KINDS, AUTHORITY_KIND, ROLES, STARTABLE_AT
from engine.bpmn.parser import PdwBpmnParser
from engine.bpmn.timers import first_due
from engine.calendar.statute import load_statute
from engine.errors import Problem
from engine.forms import FormError, check_form, has_control_characters, load_form
from engine.sandbox import check_script
from engine.sandbox.policy import MAX_SOURCE_BYTES

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
ZEEBE_NS = "http://camunda.org/schema/zeebe/1.0"
NS = {"bpmn": BPMN_NS, "spiffworkflow": SPIFF_NS}
DEFAULT_MAX_BYTES = 5 * 1024 * 1024

# What the engine can execute. Anything else is refused rather than half-supported.
SUPPORTED_FLOW_ELEMENTS = {
    "startEvent", "endEvent", "userTask", "manualTask", "scriptTask", "serviceTask", "task",
    "exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway",
    "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent", "subProcess",
    "sequenceFlow", "laneSet", "textAnnotation", "association", "dataObject",
    "dataObjectReference", "dataStoreReference", "documentation", "extensionElements",
    "ioSpecification", "property",
}
SUPPORTED_EVENT_DEFINITIONS = {
    "timerEventDefinition", "errorEventDefinition", "escalationEventDefinition",
    "terminateEventDefinition",
}
# What an embedded subprocess may hold beside its flow elements: its own sequence flow references,
# which every modeler writes and SpiffWorkflow reads as the process's do.
SUBPROCESS_PARTS = {"incoming", "outgoing"}
USER_TASKS = ("userTask", "manualTask")
# The elements a sequence flow may start or end at: each must be on a path from a start event.
FLOW_NODES = {"startEvent", "endEvent", "userTask", "manualTask", "scriptTask", "serviceTask", "task",
              "exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway",
              "intermediateCatchEvent", "intermediateThrowEvent", "subProcess"}
# Process properties whose value is a field of the start form (engine.services.admission).
FIELD_PROPERTIES = ("catalogItemField", "relatedReceiptField")
# The script languages the engine runs; a script task naming another would be run as Python.
SCRIPT_FORMATS = {"", "python", "python3", "text/x-python"}

# Camunda Modeler's attributes and extension elements, which PDW does not read, each with what
# to write instead (None: nothing; PDW has no use for it). They are warnings: the file still runs.
_PROPERTY = 'spiffworkflow:property "{}"'
CAMUNDA_INSTEAD = {
    "candidateGroups": _PROPERTY.format("candidateGroups"),
    "candidateUsers": _PROPERTY.format("candidateGroups") + " = user:NAME",
    "assignee": _PROPERTY.format("candidateGroups") + " = user:NAME",
    "formKey": _PROPERTY.format("formJsonSchemaFilename"),
    "formRef": _PROPERTY.format("formJsonSchemaFilename"),
    "formData": _PROPERTY.format("formJsonSchemaFilename"),
    "formDefinition": _PROPERTY.format("formJsonSchemaFilename"),
    "assignmentDefinition": _PROPERTY.format("candidateGroups"),
    "dueDate": _PROPERTY.format("deadlineRule"),
    "followUpDate": _PROPERTY.format("deadlineRule"),
    "candidateStarterGroups": _PROPERTY.format("startableBy"),
    "candidateStarterUsers": _PROPERTY.format("startableBy"),
    "class": "spiffworkflow:serviceTaskOperator",
    "delegateExpression": "spiffworkflow:serviceTaskOperator",
    "expression": "spiffworkflow:serviceTaskOperator",
    "type": "spiffworkflow:serviceTaskOperator",
    "topic": "spiffworkflow:serviceTaskOperator",
    "taskDefinition": "spiffworkflow:serviceTaskOperator",
    "connector": "spiffworkflow:serviceTaskOperator",
    "field": "spiffworkflow:parameter",
    "inputOutput": "spiffworkflow:preScript / spiffworkflow:postScript",
    "ioMapping": "spiffworkflow:preScript / spiffworkflow:postScript",
    "resultVariable": "spiffworkflow:serviceTaskOperator resultVariable",
    "properties": "spiffworkflow:properties",
    "properties/property": "spiffworkflow:properties",
}
# Camunda elements that carry code: a listener or a script PDW would not run is an error.
CAMUNDA_CODE = {"executionListener", "taskListener", "script", "executionListeners", "taskListeners"}

# BPMN elements whose text the engine evaluates, wherever they sit: (mode, what problems call it).
EXPRESSIONS = {
    "conditionExpression": ("eval", "condition"),
    "script": ("exec", "script"),
    "timeDate": ("eval", "timer timeDate"),
    "timeDuration": ("eval", "timer timeDuration"),
    "timeCycle": ("eval", "timer timeCycle"),
    "loopCondition": ("eval", "loopCondition"),
    "loopCardinality": ("eval", "loopCardinality"),
    "completionCondition": ("eval", "completionCondition"),
}
# The elements whose SpiffWorkflow task spec runs spiffworkflow:preScript and postScript: the
# SpiffBpmnTask specs whose parser hands the scripts on. Its script task parser drops them, and
# events and gateways are plain BPMN specs, so on those they would be silently ignored.
RUNS_PRE_POST_SCRIPTS = ("task", "userTask", "manualTask", "serviceTask", "subProcess", "callActivity",
                         "transaction", "sendTask", "receiveTask", "businessRuleTask")
# The root elements whose spiffworkflow:payloadExpression a throw event evaluates.
CARRY_PAYLOADS = ("error", "escalation", "signal")
# The gateways that evaluate the conditions of their outgoing flows (all but the default flow's).
EVALUATE_CONDITIONS = ("exclusiveGateway", "inclusiveGateway")
TIMER_EXAMPLES = {"timeDate": "2026-03-02T09:00:00+08:00", "timeDuration": "P30D", "timeCycle": "R/P90D"}

_MAX_FOLDED_BITS = 4096
_SHOWN_CHARS = 40

_CONTAINER_TAGS = {f"{{{BPMN_NS}}}{name}" for name in ("definitions", "process", "subProcess")}
_PART_TAGS = {f"{{{BPMN_NS}}}{name}" for name in ("extensionElements", "ioSpecification")}


@dataclass
class ProcessInfo:
    """What deploy needs from one executable process of a valid file."""

    process_id: str
    name: str
    properties: dict[str, str]
    forms: dict[str, dict] = field(default_factory=dict)


@dataclass
class ValidationResult:
    """The outcome of validating one BPMN file."""

    file_name: str
    problems: list[Problem]
    processes: list[ProcessInfo]
    parser: PdwBpmnParser | None = None
    # What the file says that PDW will not read (Camunda attributes): reported, not refused.
    warnings: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the file can be deployed."""
        return not self.problems


def _safe_xml_parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                           huge_tree=False, remove_comments=False)


def _local(el) -> str:
    return etree.QName(el).localname


class _Checker:
    def __init__(self, file_name: str, rules: dict, forms_dir: Path, operations, now: datetime,
                 budgets: Budgets, draft_forms: dict[str, dict] | None = None,
                 competent_department: str | None = None) -> None:
        self.file_name = file_name
        self.competent_department = competent_department
        self.draft_forms = draft_forms or {}
        self.operations = set(operations)
        self.rules = rules
        self.forms_dir = forms_dir
        # What a literal in the BPMN may ask of the engine: the run time's own budgets.
        self.budgets = budgets
        self.now = now
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []

    def report(self, el, code: str, *, at=None, **params) -> None:
        """Record a problem of element `el`, on the line of `at` (the part of it at fault) when given."""
        place = at if at is not None else el
        self.problems.append(Problem(code, params, element=el.get("id") if el is not None else None,
                                     file=self.file_name, line=place.sourceline if place is not None else None,
                                     element_name=_name_of(el)))

    def properties(self, el) -> dict[str, str]:
        # As SpiffWorkflow reads them: every property below spiffworkflow:properties, however deep.
        props = {}
        for prop in el.xpath("./bpmn:extensionElements/spiffworkflow:properties//spiffworkflow:property",
                             namespaces=NS):
            props[prop.get("name")] = prop.get("value", "")
        return props

    def script(self, el, source: str | None, mode: str, what: str, *, at=None) -> None:
        if not source or not source.strip():
            return
        for violation in check_script(source, mode):
            self.report(el, "bpmn.script_refused", at=at, what=what, script_line=violation.line,
                        detail={"zh": violation.message_zh, "en": violation.message})

    def data_name(self, el, name: str, what: str, *, at=None) -> None:
        # The engine stores a value under this name in the task data, where scripts read it.
        if not name.isidentifier() or keyword.iskeyword(name) or check_script(name, "eval"):
            self.report(el, "bpmn.data_name_invalid", at=at, what=what, name=name)

    def form(self, el, file_name: str, forms: dict[str, dict]) -> None:
        if file_name in forms:
            return
        try:
            if file_name in self.draft_forms:
                forms[file_name] = check_form(file_name, self.draft_forms[file_name])
            else:
                forms[file_name] = load_form(self.forms_dir, file_name)
        except FormError as err:
            self.report(el, err.code, **err.params)

    def process(self, proc) -> ProcessInfo:
        info = ProcessInfo(proc.get("id"), proc.get("name") or proc.get("id"), self.properties(proc))
        by_id = {el.get("id"): el for el in proc.iter() if isinstance(el.tag, str) and el.get("id")}
        lanes = {}
        for lane in proc.xpath(".//bpmn:lane", namespaces=NS):
            for ref in lane.xpath("./bpmn:flowNodeRef", namespaces=NS):
                lanes[(ref.text or "").strip()] = lane.get("name") or ""
        where = info.properties.get(STARTABLE_AT)
        if where is not None and where != AUTHORITY_KIND:
            self.report(proc, "bpmn.startable_at_unknown", value=where, known=AUTHORITY_KIND)
        governing = info.properties.get("statutoryRule")
        if governing and governing not in self.rules and governing not in load_statute().no_period:
            self.report(proc, "bpmn.rule_unknown", rule=governing, known=sorted(self.rules))
        authority = governance.is_authority_process(info.properties)
        for el in self.bpmn_elements(proc):
            self.element(el, proc, by_id)
            self.statutory_extension(el, governing)
            self.name(el)
            name = _local(el)
            if name in USER_TASKS:
                self.user_task(el, lanes.get(el.get("id"), ""), info)
                self.deadline_once(el, proc)
                if authority:
                    self.within_authority(el)
            elif name == "serviceTask":
                self.capability(el, info)
            elif name == "startEvent" and el.getparent() is proc:
                form = self.properties(el).get("formJsonSchemaFilename")
                if form:
                    self.form(el, form, info.forms)
                    self.start_form_fields(proc, info.forms.get(form))
        self.connected(proc)
        return info

    def name(self, el) -> None:
        # Names reach mail subjects, headers and file names, where a line break forges a header.
        if has_control_characters(el.get("name") or ""):
            self.report(el, "bpmn.name_control", tag=_local(el))

    def connected(self, proc) -> None:
        """Refuse a flow node no sequence flow reaches: it would never run, yet reads as a step."""
        flows = proc.xpath(".//bpmn:sequenceFlow", namespaces=NS)
        sources = {f.get("sourceRef") for f in flows}
        targets = {f.get("targetRef") for f in flows}
        nodes = [el for el in proc.iter() if isinstance(el.tag, str) and etree.QName(el).namespace == BPMN_NS
                 and _local(el) in FLOW_NODES and (el.getparent() is proc or _local(el.getparent()) == "subProcess")]
        alone = {parent for parent, n in Counter(el.getparent() for el in nodes).items() if n == 1}
        for el in nodes:
            if el.getparent() in alone:
                continue  # a process (or subprocess) of one element: nothing to connect it to
            node = el.get("id")
            if node not in sources and node not in targets:
                self.report(el, "bpmn.disconnected", tag=_local(el))
            elif node not in targets and _local(el) != "startEvent" and el.get("triggeredByEvent") != "true":
                self.report(el, "bpmn.unreachable", tag=_local(el))

    def deadline_once(self, el, proc) -> None:
        """A statutory deadline is declared once, as the step's deadlineRule; a timer on the step
        must name the same rule (`deadline_at(RULE, receipt_date)`), so the two cannot disagree."""
        rule_id = self.properties(el).get("deadlineRule")
        rule = self.rules.get(rule_id) if rule_id else None
        if rule is None or not rule.statutory:
            return
        for event in proc.xpath(".//bpmn:boundaryEvent[@attachedToRef=$id]", namespaces=NS, id=el.get("id")):
            for spec in event.xpath(".//bpmn:timeDate | .//bpmn:timeDuration | .//bpmn:timeCycle", namespaces=NS):
                named = _deadline_rule_of((spec.text or "").strip())
                if named != rule_id:
                    self.report(event, "bpmn.deadline_disagrees", at=spec, rule=rule_id, task=el.get("name") or
                                el.get("id"), timer=_shown((spec.text or "").strip()))

    def within_authority(self, el) -> None:
        """In a process of the authority, a step may go only where the authority's decision stays."""
        props = self.properties(el)
        competent = self.competent_department or ""
        groups = [g.strip() for g in props.get("candidateGroups", "").split(",") if g.strip()]
        outside = governance.groups_outside_authority(groups, competent, None)
        expression = (props.get("candidateGroupsExpression") or "").strip()
        if expression and not governance.expression_within_authority(expression, competent):
            outside.append(expression)
        if outside:
            self.report(el, "bpmn.authority_routing", groups=outside, competent=competent)

    def capability(self, el, info: ProcessInfo) -> None:
        """An operation that writes the catalog, grants or opening state needs its capability
        declared by the process, where the approver of the version sees it."""
        operators = el.xpath("./bpmn:extensionElements/spiffworkflow:serviceTaskOperator", namespaces=NS)
        operation = operators[-1].get("id") if operators else None
        if operation and governance.needs_capability(operation) \
                and operation not in governance.declared_capabilities(info.properties):
            self.report(el, "bpmn.capability_undeclared", operation=operation,
                        property=governance.CAPABILITIES)

    def start_form_fields(self, proc, schema: dict | None) -> None:
        # The door checks and narrowed applicant kinds read these fields of the application; one
        # the start form lacks would make its check silently never apply.
        if schema is None:
            return
        fields = set((schema.get("properties") or {}))
        for prop in proc.xpath("./bpmn:extensionElements/spiffworkflow:properties//spiffworkflow:property",
                               namespaces=NS):
            named = _field_named(prop.get("name") or "", prop.get("value", ""))
            if named is not None and named not in fields:
                self.report(proc, "bpmn.property_field_unknown", at=prop, property=prop.get("name"), field=named,
                            known=", ".join(sorted(fields)) or "-")

    def statutory_extension(self, el, governing: str | None) -> None:
        # An extension moves the process's own statutory clock (engine.services.statutory).
        rule = self.properties(el).get("statutoryExtension")
        if not rule:
            return
        if rule not in self.rules:
            self.report(el, "bpmn.rule_unknown", rule=rule, known=sorted(self.rules))
        elif not governing or self.rules[rule].extends != governing:
            self.report(el, "bpmn.extension_unrelated", rule=rule, governing=governing or "-")

    def bpmn_elements(self, root):
        """The BPMN elements under `root` (itself included), checking spiffworkflow extensions on the way."""
        for el in root.iter():
            if not isinstance(el.tag, str):
                continue
            namespace = etree.QName(el).namespace
            if namespace == SPIFF_NS:
                self.extension(el)
            elif namespace in (CAMUNDA_NS, ZEEBE_NS):
                self.camunda(el)
            elif namespace == BPMN_NS:
                self.camunda_attributes(el)
                yield el

    def outside_processes(self, root) -> None:
        """Check what sits beside the processes: the payloads of errors, escalations and signals."""
        for child in root:
            if not isinstance(child.tag, str) or child.tag == f"{{{BPMN_NS}}}process":
                continue
            for el in self.bpmn_elements(child):
                self.duplicates(el)

    def element(self, el, proc, by_id: dict) -> None:
        name = _local(el)
        parent = el.getparent()
        in_subprocess = parent is not None and _local(parent) == "subProcess"
        if parent is proc or in_subprocess:
            if name not in SUPPORTED_FLOW_ELEMENTS and not (in_subprocess and name in SUBPROCESS_PARTS):
                self.report(el, "bpmn.element_unsupported", tag=name)
        if name.endswith("EventDefinition") and name not in SUPPORTED_EVENT_DEFINITIONS:
            self.report(el, "bpmn.event_unsupported", tag=name)
        if name in EXPRESSIONS:
            mode, what = EXPRESSIONS[name]
            self.script(_owner(el), el.text, mode, what, at=el)
        self.duplicates(el)
        if name == "sequenceFlow":
            self.sequence_flow(el, by_id)
        elif name == "serviceTask":
            self.service_task(el)
        elif name == "scriptTask":
            language = (el.get("scriptFormat") or "").strip()
            if language.lower() not in SCRIPT_FORMATS:
                self.report(el, "bpmn.script_language", language=language)
            # SpiffWorkflow runs the last child whose tag ends in "script", in any namespace.
            for child in el:
                if isinstance(child.tag, str) and child.tag.endswith("script") and child.tag != f"{{{BPMN_NS}}}script":
                    self.script(el, child.text, "exec", "script", at=child)
        elif name == "timerEventDefinition":
            self.timer(el)
        elif name == "standardLoopCharacteristics":
            self.standard_loop(el)
        elif name == "multiInstanceLoopCharacteristics":
            self.multi_instance(el)
        elif name in ("dataObject", "dataInput", "dataOutput", "inputDataItem", "outputDataItem"):
            if el.get("id") is not None:
                self.data_name(_owner(el), el.get("id"), name, at=el)
        elif name in ("loopDataInputRef", "loopDataOutputRef"):
            self.data_name(_owner(el), el.text or "", name, at=el)

    def extension(self, el) -> None:
        name = _local(el)
        parent = el.getparent()
        host = parent.getparent() if parent is not None and parent.tag == f"{{{BPMN_NS}}}extensionElements" else None
        owner = _owner(el)
        blank = not (el.text or "").strip()
        if name in ("preScript", "postScript"):
            if host is not None and _local(host) in RUNS_PRE_POST_SCRIPTS:
                self.script(host, el.text, "exec", name, at=el)
            elif not blank:
                self.report(owner, "bpmn.script_ignored", at=el, kind=name, tag=_local(owner),
                            runs_on=[tag for tag in RUNS_PRE_POST_SCRIPTS if tag in SUPPORTED_FLOW_ELEMENTS])
        elif name == "payloadExpression":
            if host is not None and _local(host) in CARRY_PAYLOADS:
                self.script(host, el.text, "eval", name, at=el)
            elif not blank:
                self.report(owner, "bpmn.script_ignored", at=el, kind=name, tag=_local(owner),
                            runs_on=list(CARRY_PAYLOADS))
        elif name == "property" and el.get("name") == "candidateGroupsExpression":
            self.script(owner, el.get("value"), "eval", "candidateGroupsExpression", at=el)
        elif name == "parameter":
            self.script(owner, el.get("value"), "eval", f"parameter '{el.get('id')}'", at=el)
        elif name == "variableName":
            self.data_name(owner, el.text or "", name, at=el)
        elif name == "serviceTaskOperator" and el.get("resultVariable"):
            self.data_name(owner, el.get("resultVariable"), "resultVariable", at=el)

    def camunda(self, el) -> None:
        """A Camunda Modeler extension element: code in it is refused, anything else named in a warning."""
        name = _local(el)
        owner = _owner(el)
        parent = el.getparent()
        if parent is not None and etree.QName(parent).namespace in (CAMUNDA_NS, ZEEBE_NS) \
                and _local(parent) in CAMUNDA_CODE:
            return  # reported with the listener or script it belongs to
        if name in CAMUNDA_CODE:
            self.report(owner, "bpmn.camunda_code", at=el, tag=name)
            return
        if parent is not None and parent.tag == f"{{{BPMN_NS}}}extensionElements":
            self.camunda_ignored(owner, el, name)

    def camunda_attributes(self, el) -> None:
        """Camunda attributes on a BPMN element, which PDW does not read."""
        for attribute in el.attrib:
            if etree.QName(attribute).namespace in (CAMUNDA_NS, ZEEBE_NS):
                self.camunda_ignored(el, el, etree.QName(attribute).localname)

    def camunda_ignored(self, owner, el, name: str) -> None:
        instead = CAMUNDA_INSTEAD.get(name)
        if instead:
            self.warn(owner, "bpmn.camunda_ignored", at=el, name=f"camunda:{name}", instead=instead)
        else:
            self.warn(owner, "bpmn.camunda_unread", at=el, name=f"camunda:{name}")

    def warn(self, owner, code: str, *, at, **params) -> None:
        """Record a warning about `at`, part of `owner`: the file still runs, but not as its author meant."""
        self.warnings.append(Problem(code, params, element=owner.get("id"), file=self.file_name, line=at.sourceline))

    def duplicates(self, el) -> None:
        # SpiffWorkflow keeps one extension of each name, the last: the others would be ignored.
        found = el.xpath("./bpmn:extensionElements/spiffworkflow:*", namespaces=NS)
        for tag, count in Counter(_local(ext) for ext in found).items():
            if count > 1:
                self.report(el, "bpmn.extension_duplicate", tag=tag, count=count)

    def sequence_flow(self, flow, by_id: dict) -> None:
        for attr in ("sourceRef", "targetRef"):
            ref = flow.get(attr)
            if not ref or ref not in by_id:
                self.report(flow, "bpmn.flow_dangling", attribute=attr, ref=ref)
        conditions = flow.iter(f"{{{BPMN_NS}}}conditionExpression")
        source = by_id.get(flow.get("sourceRef"))
        if source is None or not any((c.text or "").strip() for c in conditions):
            return
        if _local(source) not in EVALUATE_CONDITIONS:
            self.report(flow, "bpmn.condition_ignored", tag=_local(source), gateways=list(EVALUATE_CONDITIONS))
        elif source.get("default") == flow.get("id"):
            self.report(flow, "bpmn.default_condition_ignored", gateway=source.get("id"))

    def timer(self, definition) -> None:
        event = _owner(definition)
        # SpiffWorkflow takes the first timeDate, else timeDuration, else timeCycle in the event.
        found = event.xpath(".//bpmn:timeDate | .//bpmn:timeDuration | .//bpmn:timeCycle", namespaces=NS)
        if len(found) != 1:
            self.report(event, "bpmn.timer_not_one", at=definition, count=len(found))
            return
        spec = found[0]
        kind, source = _local(spec), (spec.text or "").strip()
        value = _literal(source) if source else _Fold.EMPTY
        if value is _Fold.COMPUTED:
            return
        shown = _shown(value if isinstance(value, str) else source)
        if value in (_Fold.EMPTY, _Fold.TOO_LONG):
            self.report(event, "bpmn.timer_invalid", at=spec, kind=kind, value=shown, example=TIMER_EXAMPLES[kind])
            return
        if not isinstance(value, str):
            self.report(event, "bpmn.timer_not_text", at=spec, kind=kind, value=shown, example=TIMER_EXAMPLES[kind])
            return
        # The engine's own reading of the value, as it will be read when the timer starts waiting.
        try:
            first_due(kind, value, self.now, self.budgets, event.get("id") or "")
        except BudgetExceeded as refused:
            if refused.code == "timer.too_far":
                self.report(event, "bpmn.timer_too_far", at=spec, kind=kind, value=shown, limit=refused.params["limit"])
            elif refused.code == "timer.cycle_too_short":
                self.report(event, "bpmn.cycle_too_short", at=spec, value=shown, seconds=refused.params["seconds"],
                            limit=refused.params["limit"])
            else:
                self.report(event, "bpmn.timer_invalid", at=spec, kind=kind, value=shown, example=TIMER_EXAMPLES[kind])

    def standard_loop(self, loop) -> None:
        activity = _owner(loop)
        maximum = loop.get("loopMaximum")
        if maximum is None:
            return
        try:
            iterations = int(maximum)  # as SpiffWorkflow reads it
        except ValueError:
            self.report(activity, "bpmn.loop_maximum_invalid", at=loop, value=_shown(maximum))
            return
        if iterations > self.budgets.loop_iterations:
            self.report(activity, "bpmn.loop_maximum_too_large", at=loop, value=_shown(maximum.strip()),
                        limit=self.budgets.loop_iterations)

    def multi_instance(self, loop) -> None:
        activity = _owner(loop)
        cardinality = loop.find(f"{{{BPMN_NS}}}loopCardinality")
        if cardinality is None:
            return
        source = (cardinality.text or "").strip()
        value = _literal(source) if source else _Fold.EMPTY
        if value is _Fold.COMPUTED:
            return
        if value is _Fold.TOO_LONG or (_is_int(value) and value > self.budgets.multi_instance):
            self.report(activity, "bpmn.cardinality_too_large", at=cardinality, value=_shown(source),
                        limit=self.budgets.multi_instance)
        elif not _is_int(value):
            self.report(activity, "bpmn.cardinality_invalid", at=cardinality, value=_shown(source))

    def service_task(self, el) -> None:
        operators = el.xpath("./bpmn:extensionElements/spiffworkflow:serviceTaskOperator", namespaces=NS)
        if not operators:
            self.report(el, "bpmn.operation_missing")
            return
        operation = operators[-1].get("id")
        if operation not in self.operations:
            self.report(el, "bpmn.operation_unknown", operation=operation, known=sorted(self.operations))

    def user_task(self, el, lane: str, info: ProcessInfo) -> None:
        props = self.properties(el)
        form = props.get("formJsonSchemaFilename")
        if form:
            self.form(el, form, info.forms)
        elif _local(el) != "manualTask":
            # A manual task (SpiffArena's) is done, not filled in: its form is optional.
            self.report(el, "bpmn.user_task_no_form")
        expression = props.get("candidateGroupsExpression")
        if expression and props.get("candidateGroups", "").strip():
            # The engine would combine them, widening who may decide beyond either.
            self.report(el, "bpmn.groups_ambiguous")
        for group in (g.strip() for g in props.get("candidateGroups", "").split(",")):
            # A group is a role, a role at a department (role@dept) or one person (user:NAME).
            if group and not group.startswith("user:") and group.split("@")[0] not in ROLES:
                self.warn(el, "bpmn.group_unknown", at=el, group=group, roles=list(ROLES))
        if not (props.get("candidateGroups", "").strip() or expression or lane.strip()):
            self.report(el, "bpmn.user_task_no_group")
        rule = props.get("deadlineRule")
        if rule and rule not in self.rules:
            self.report(el, "bpmn.rule_unknown", rule=rule, known=sorted(self.rules))


def _name_of(el) -> str | None:
    """An element's name for messages, control characters shown as escapes."""
    name = el.get("name") if el is not None else None
    return _name_of_text(name) if name else None


def _deadline_rule_of(expression: str) -> str | None:
    """The rule a timer expression `deadline_at("RULE", receipt_date)` names, else None."""
    try:
        node = ast.parse(expression, mode="eval").body
    except SyntaxError:
        return None
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "deadline_at" \
            and len(node.args) == 2 and not node.keywords and isinstance(node.args[0], ast.Constant) \
            and isinstance(node.args[1], ast.Name) and node.args[1].id == "receipt_date":
        return node.args[0].value if isinstance(node.args[0].value, str) else None
    return None


def _owner(el):
    """The flow element (or process, or root element such as an error) that `el` is part of."""
    node = el
    while (parent := node.getparent()) is not None:
        if parent.tag in _CONTAINER_TAGS and node.tag not in _PART_TAGS:
            return node
        node = parent
    return node


def _shown(text: str) -> str:
    return text if len(text) <= _SHOWN_CHARS else text[:_SHOWN_CHARS] + "…"


class _Fold(enum.Enum):
    """What an expression is when it is not a literal value."""

    COMPUTED = "it reads a variable or calls a function: only run time can tell"
    TOO_LONG = "its value would be too large to hold"
    NOT_SCALAR = "a list, tuple, set, dict or truth value"
    EMPTY = "there is no expression"


def _literal(source: str):
    """The value of an expression made only of literals, `+` and `*`; else a `_Fold`."""
    if check_script(source, "eval"):
        return _Fold.COMPUTED  # refused, and reported as such
    try:
        return _fold(ast.parse(source, mode="eval").body)
    except RecursionError:
        return _Fold.COMPUTED


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _fold(node):
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, (ast.List, ast.Tuple, ast.Set, ast.Dict, ast.ListComp, ast.SetComp, ast.DictComp,
                         ast.Compare)) or (isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not)):
        return _Fold.NOT_SCALAR
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        operand = _fold(node.operand)
        return -operand if _is_int(operand) or isinstance(operand, float) else _Fold.COMPUTED
    if not (isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mult))):
        return _Fold.COMPUTED
    left, right = _fold(node.left), _fold(node.right)
    if _Fold.TOO_LONG in (left, right):
        return _Fold.TOO_LONG
    if isinstance(node.op, ast.Add) and isinstance(left, str) and isinstance(right, str):
        return left + right if len(left) + len(right) <= MAX_SOURCE_BYTES else _Fold.TOO_LONG
    if isinstance(node.op, ast.Mult) and isinstance(left, str) != isinstance(right, str):
        text, times = (left, right) if isinstance(left, str) else (right, left)
        if not _is_int(times):
            return _Fold.COMPUTED
        return text * times if len(text) * times <= MAX_SOURCE_BYTES else _Fold.TOO_LONG
    if _is_int(left) and _is_int(right):
        if left.bit_length() + right.bit_length() > _MAX_FOLDED_BITS:
            return _Fold.TOO_LONG
        return left + right if isinstance(node.op, ast.Add) else left * right
    return _Fold.COMPUTED


def validate_bpmn(content: bytes, file_name: str, *, rules: dict, forms_dir: Path,
                  operations=(), max_bytes: int = DEFAULT_MAX_BYTES,
                  now: datetime | None = None, budgets: Budgets | None = None,
                  forms: dict[str, dict] | None = None, competent_department: str | None = None) -> ValidationResult:
    """Check one BPMN file and report every problem.

    Args:
        content: the raw file.
        file_name: the name shown in problems.
        rules: the statutory deadline rules by id.
        forms_dir: the folder JSON Schema forms are read from.
        operations: names of the PDW operations service tasks may call.
        max_bytes: files larger than this are refused before parsing.
        now: the instant literal timer dates are measured from; the system clock when None.
        budgets: the run-time budgets literal values must keep within (the defaults when None).
        forms: JSON Schema forms by name that stand in for the files of `forms_dir` (a draft's).
        competent_department: the department code of the 公共数据主管部门, to which a process
            marked `competentUnit = authority` must keep its decisions.

    Returns:
        The problems found and, when there are none, the parsed processes.
    """
    if len(content) > max_bytes:
        return ValidationResult(file_name, [Problem("bpmn.too_large", {"size": f"{len(content):,}",
                                                                       "limit": f"{max_bytes:,}"}, file=file_name)], [])
    if b"<!doctype" in content[:4096].lower():
        # Entities are how XML reads files and explodes in memory; BPMN never needs them.
        return ValidationResult(file_name, [Problem("bpmn.doctype", file=file_name)], [])
    if has_control_characters(file_name):
        return ValidationResult(file_name, [Problem("bpmn.file_name_control", {"file": _name_of_text(file_name)})], [])
    checker = _Checker(file_name, rules, forms_dir, operations, now or datetime.now(timezone.utc),
                       budgets or Budgets(), forms, competent_department)
    try:
        root = etree.fromstring(content, _safe_xml_parser())
    except etree.XMLSyntaxError as err:
        return ValidationResult(file_name, [Problem("bpmn.not_xml", {"detail": err.msg}, file=file_name,
                                                    line=err.lineno or None)], [])
    if root.getroottree().docinfo.internalDTD is not None:
        return ValidationResult(file_name, [Problem("bpmn.doctype", file=file_name)], [])
    if root.tag != f"{{{BPMN_NS}}}definitions":
        return ValidationResult(file_name, [Problem("bpmn.not_bpmn", {"tag": root.tag}, file=file_name,
                                                    line=root.sourceline)], [])
    executable = [p for p in root.findall(f"{{{BPMN_NS}}}process") if p.get("isExecutable") == "true"]
    if not executable:
        checker.report(root, "bpmn.no_executable_process")
    processes = [checker.process(proc) for proc in executable]
    checker.outside_processes(root)
    if checker.problems:
        return ValidationResult(file_name, checker.problems, [], warnings=checker.warnings)

    parser = PdwBpmnParser(validator=VALIDATOR)
    try:
        parser.add_bpmn_xml(root, filename=file_name)
        for info in processes:
            parser.get_spec(info.process_id)
    except ValidationException as err:
        return ValidationResult(file_name, [Problem("bpmn.parse_failed", {"detail": str(err).splitlines()[0]},
                                                    element=getattr(err, "id", None) or None, file=file_name,
                                                    line=getattr(err, "line_number", None) or None)], [],
                                warnings=checker.warnings)
    return ValidationResult(file_name, [], processes, parser, warnings=checker.warnings)


def _name_of_text(text: str) -> str:
    return "".join(c.encode("unicode_escape").decode("ascii") if has_control_characters(c) else c for c in text)


def _field_named(prop: str, value: str) -> str | None:
    """The start-form field a process property names, if it names one: the value of a
    FIELD_PROPERTIES entry, or FIELD of `applicantKinds:FIELD=VALUE`."""
    if prop in FIELD_PROPERTIES:
        return value
    if prop.startswith(APPLICANT_KINDS + ":"):
        return prop.removeprefix(APPLICANT_KINDS + ":").partition("=")[0]
    return None
