"""Validation of uploaded BPMN: every problem, each with its element id and line.

BPMN arrives from a browser, so it is untrusted: size is checked before parsing, the XML
parser resolves no entities and loads nothing, and every script it carries passes the
sandbox policy before anything is deployed.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.spiff.parser.process import VALIDATOR

from engine.bpmn.parser import PdwBpmnParser
from engine.errors import Problem
from engine.forms import FormError, load_form
from engine.sandbox import check_script

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
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
USER_TASKS = ("userTask", "manualTask")


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
    def __init__(self, file_name: str, rules: dict, forms_dir: Path, operations) -> None:
        self.file_name = file_name
        self.operations = set(operations)
        self.rules = rules
        self.forms_dir = forms_dir
        self.problems: list[Problem] = []

    def report(self, el, code: str, **params) -> None:
        self.problems.append(Problem(code, params, element=el.get("id") if el is not None else None,
                                     file=self.file_name, line=el.sourceline if el is not None else None))

    def properties(self, el) -> dict[str, str]:
        props = {}
        for prop in el.xpath("./bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property",
                             namespaces=NS):
            props[prop.get("name")] = prop.get("value", "")
        return props

    def script(self, el, source: str | None, mode: str, what: str) -> None:
        if not source or not source.strip():
            return
        for violation in check_script(source, mode):
            self.report(el, "bpmn.script_refused", what=what, script_line=violation.line, detail=violation.message)

    def form(self, el, file_name: str, forms: dict[str, dict]) -> None:
        if file_name in forms:
            return
        try:
            forms[file_name] = load_form(self.forms_dir, file_name)
        except FormError as err:
            self.report(el, err.code, **err.params)

    def process(self, proc) -> ProcessInfo:
        info = ProcessInfo(proc.get("id"), proc.get("name") or proc.get("id"), self.properties(proc))
        ids = {el.get("id") for el in proc.iter() if isinstance(el.tag, str) and el.get("id")}
        lanes = {}
        for lane in proc.xpath(".//bpmn:lane", namespaces=NS):
            for ref in lane.xpath("./bpmn:flowNodeRef", namespaces=NS):
                lanes[(ref.text or "").strip()] = lane.get("name") or ""
        for el in proc.iter():
            if not isinstance(el.tag, str):
                continue
            if etree.QName(el).namespace != BPMN_NS:
                continue
            name = _local(el)
            parent = el.getparent()
            if parent is proc or (parent is not None and _local(parent) == "subProcess"):
                if name not in SUPPORTED_FLOW_ELEMENTS:
                    self.report(el, "bpmn.element_unsupported", tag=name)
            if name.endswith("EventDefinition") and name not in SUPPORTED_EVENT_DEFINITIONS:
                self.report(el, "bpmn.event_unsupported", tag=name)
            if name == "sequenceFlow":
                for attr in ("sourceRef", "targetRef"):
                    ref = el.get(attr)
                    if not ref or ref not in ids:
                        self.report(el, "bpmn.flow_dangling", attribute=attr, ref=ref)
                condition = el.find(f"{{{BPMN_NS}}}conditionExpression")
                if condition is not None:
                    self.script(el, condition.text, "eval", "condition")
            elif name == "serviceTask":
                self.service_task(el)
            elif name == "scriptTask":
                script = el.find(f"{{{BPMN_NS}}}script")
                self.script(el, script.text if script is not None else "", "exec", "script")
            elif name in ("timeDate", "timeDuration", "timeCycle"):
                self.script(el.getparent().getparent(), el.text, "eval", f"timer {name}")
            if name in ("startEvent", "userTask", "manualTask", "scriptTask", "task"):
                for kind in ("preScript", "postScript"):
                    for node in el.xpath(f"./bpmn:extensionElements/spiffworkflow:{kind}", namespaces=NS):
                        self.script(el, node.text, "exec", kind)
            if name in USER_TASKS:
                self.user_task(el, lanes.get(el.get("id"), ""), info)
            elif name == "startEvent" and parent is proc:
                form = self.properties(el).get("formJsonSchemaFilename")
                if form:
                    self.form(el, form, info.forms)
        return info

    def service_task(self, el) -> None:
        operators = el.xpath("./bpmn:extensionElements/spiffworkflow:serviceTaskOperator", namespaces=NS)
        if not operators:
            self.report(el, "bpmn.operation_missing")
            return
        operation = operators[0].get("id")
        if operation not in self.operations:
            self.report(el, "bpmn.operation_unknown", operation=operation, known=sorted(self.operations))
        for param in operators[0].xpath(".//spiffworkflow:parameter", namespaces=NS):
            self.script(el, param.get("value"), "eval", f"parameter '{param.get('id')}'")

    def user_task(self, el, lane: str, info: ProcessInfo) -> None:
        props = self.properties(el)
        form = props.get("formJsonSchemaFilename")
        if not form:
            self.report(el, "bpmn.user_task_no_form")
        else:
            self.form(el, form, info.forms)
        expression = props.get("candidateGroupsExpression")
        if not (props.get("candidateGroups", "").strip() or expression or lane.strip()):
            self.report(el, "bpmn.user_task_no_group")
        self.script(el, expression, "eval", "candidateGroupsExpression")
        rule = props.get("deadlineRule")
        if rule and rule not in self.rules:
            self.report(el, "bpmn.rule_unknown", rule=rule, known=sorted(self.rules))


def validate_bpmn(content: bytes, file_name: str, *, rules: dict, forms_dir: Path,
                  operations=(), max_bytes: int = DEFAULT_MAX_BYTES) -> ValidationResult:
    """Check one BPMN file and report every problem.

    Args:
        content: the raw file.
        file_name: the name shown in problems.
        rules: the statutory deadline rules by id.
        forms_dir: the folder JSON Schema forms are read from.
        operations: names of the PDW operations service tasks may call.
        max_bytes: files larger than this are refused before parsing.

    Returns:
        The problems found and, when there are none, the parsed processes.
    """
    if len(content) > max_bytes:
        return ValidationResult(file_name, [Problem("bpmn.too_large", {"size": f"{len(content):,}",
                                                                       "limit": f"{max_bytes:,}"}, file=file_name)], [])
    if b"<!doctype" in content[:4096].lower():
        # Entities are how XML reads files and explodes in memory; BPMN never needs them.
        return ValidationResult(file_name, [Problem("bpmn.doctype", file=file_name)], [])
    checker = _Checker(file_name, rules, forms_dir, operations)
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
    if checker.problems:
        return ValidationResult(file_name, checker.problems, [])

    parser = PdwBpmnParser(validator=VALIDATOR)
    try:
        parser.add_bpmn_xml(root, filename=file_name)
        for info in processes:
            parser.get_spec(info.process_id)
    except ValidationException as err:
        return ValidationResult(file_name, [Problem("bpmn.parse_failed", {"detail": str(err).splitlines()[0]},
                                                    element=getattr(err, "id", None) or None, file=file_name,
                                                    line=getattr(err, "line_number", None) or None)], [])
    return ValidationResult(file_name, [], processes, parser)

