"""Validation of uploaded BPMN: every problem, located by file, line and element."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from lxml import etree

from engine.bpmn.operations import OPERATIONS
from engine.bpmn.parser import PdwBpmnParser
from engine.bpmn.validation import RUNS_PRE_POST_SCRIPTS, validate_bpmn
from engine.calendar import load_rules

ROOT = Path(__file__).parent.parent.parent
FIXTURES = Path(__file__).parent.parent / "fixtures"
BPMN = FIXTURES / "bpmn"
FORMS = FIXTURES / "forms"
NOW = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)


def validate(content: bytes, name: str = "x.bpmn", **kwargs):
    return validate_bpmn(content, name, rules=load_rules(), forms_dir=FORMS, **kwargs)


def messages(result) -> list[str]:
    return [str(p) for p in result.problems]


def wrap(body: str, executable: str = "true") -> bytes:
    return f'''<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="D" targetNamespace="x">
  <bpmn:process id="p" isExecutable="{executable}">
{body}
  </bpmn:process>
</bpmn:definitions>'''.encode()


@pytest.mark.parametrize("name", ["two_reviews.bpmn", "deadline_escalation.bpmn", "scripted.bpmn"])
def test_the_fixture_processes_are_valid(name):
    result = validate((BPMN / name).read_bytes(), name)
    assert result.ok, messages(result)
    assert [p.process_id for p in result.processes] == [name.removesuffix(".bpmn")]


E2E_FIXTURES = ROOT / "tests" / "e2e" / "fixtures"
SHIPPED = ([(path, ROOT / "forms") for path in sorted((ROOT / "workflows").glob("*.bpmn"))]
           + [(path, FORMS) for path in sorted(BPMN.glob("*.bpmn"))]
           + [(path, E2E_FIXTURES / "forms") for path in sorted(E2E_FIXTURES.glob("*.bpmn"))])


@pytest.mark.parametrize("path, forms", SHIPPED, ids=[f"{p.parent.name}/{p.name}" for p, _ in SHIPPED])
def test_every_shipped_procedure_and_test_process_is_valid(path, forms):
    result = validate_bpmn(path.read_bytes(), path.name, rules=load_rules(), forms_dir=forms, operations=OPERATIONS)
    assert result.ok, messages(result)


HOSTILE = {
    "import_os.bpmn": ("evil", "import"),
    "dunder_import.bpmn": ("evil", "__import__"),
    "subclasses_escape.bpmn": ("evil", "__class__"),
    "open_file.bpmn": ("evil", "open"),
    "eval_call.bpmn": ("evil", "eval"),
    "exec_call.bpmn": ("evil", "exec"),
    "getattr_private.bpmn": ("evil", "getattr"),
    "format_escape.bpmn": ("evil", "format"),
    "class_definition.bpmn": ("evil", "class"),
    "globals_call.bpmn": ("evil", "globals"),
    "condition_import.bpmn": ("f3", "__import__"),
    "timer_open.bpmn": ("evil", "open"),
    "prescript_dunder.bpmn": ("evil", "__class__"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_scripts_are_refused_naming_the_element(name):
    element, construct = HOSTILE[name]
    result = validate((BPMN / "hostile" / name).read_bytes(), name)
    assert not result.ok
    assert any(f"element '{element}'" in m and construct in m for m in messages(result)), messages(result)


# Every place the engine evaluates, and what it would silently ignore: (element, code, what the message names).
REFUSED = {
    "prescript_gateway.bpmn": ("evil", "bpmn.script_ignored", "preScript on <bpmn:exclusiveGateway>"),
    "prescript_throw_event.bpmn": ("evil", "bpmn.script_ignored", "preScript on <bpmn:intermediateThrowEvent>"),
    "prescript_script_task.bpmn": ("evil", "bpmn.script_ignored", "postScript on <bpmn:scriptTask>"),
    "payload_on_event.bpmn": ("evil", "bpmn.script_ignored", "payloadExpression on <bpmn:intermediateThrowEvent>"),
    "service_prescript_import.bpmn": ("evil", "bpmn.script_refused", "preScript, line 1: '__import__'"),
    "service_parameter_dunder.bpmn": ("evil", "bpmn.script_refused", "parameter 'grantee', line 1: attribute '__c"),
    "cardinality_dunder.bpmn": ("evil", "bpmn.script_refused", "loopCardinality, line 1: attribute '__class__'"),
    "completion_open.bpmn": ("evil", "bpmn.script_refused", "completionCondition, line 1: 'open'"),
    "loop_condition_import.bpmn": ("evil", "bpmn.script_refused", "loopCondition, line 1: '__import__'"),
    "error_payload_eval.bpmn": ("evil_error", "bpmn.script_refused", "payloadExpression, line 1: 'eval'"),
    "escalation_payload_open.bpmn": ("evil_escalation", "bpmn.script_refused", "payloadExpression, line 1: 'open'"),
    "hidden_condition.bpmn": ("evil", "bpmn.script_refused", "condition, line 1: '__import__'"),
    "foreign_script.bpmn": ("evil", "bpmn.script_refused", "script, line 1: import"),
    "condition_after_task.bpmn": ("evil", "bpmn.condition_ignored", "out of <bpmn:task> is never evaluated"),
    "duplicate_prescript.bpmn": ("evil", "bpmn.extension_duplicate", "spiffworkflow:preScript appears 2 times"),
    "data_item_dunder.bpmn": ("evil", "bpmn.data_name_invalid", "inputDataItem '__builtins__'"),
    "cardinality_huge.bpmn": ("evil", "bpmn.cardinality_too_large", "200000 is above the multi-instance limit of 200"),
    "loop_maximum_huge.bpmn": ("evil", "bpmn.loop_maximum_too_large", "100000 is above the limit of 1000"),
    "timer_far_duration.bpmn": ("evil", "bpmn.timer_too_far", '"P99999999999Y" is more than 100 years away'),
    "timer_computed_far.bpmn": ("evil", "bpmn.timer_invalid", "cannot be read"),
    "timer_far_date.bpmn": ("evil", "bpmn.timer_too_far", '"9999-12-31T00:00:00+08:00" is more than 100 years'),
    "timer_date_is_duration.bpmn": ("evil", "bpmn.timer_invalid", 'timer timeDate "P5D" cannot be read'),
    "timer_int_duration.bpmn": ("evil", "bpmn.timer_not_text", "timer timeDuration is 5, which is not text"),
    "timer_list_duration.bpmn": ("evil", "bpmn.timer_not_text", 'timeDuration is ["PT1H"], which is not text'),
    "timer_two_values.bpmn": ("evil", "bpmn.timer_not_one", "this one has 2"),
    "cycle_zero.bpmn": ("evil", "bpmn.cycle_too_short", '"R/PT0S" repeats every 0 seconds; the shortest period'),
    "camunda_listener.bpmn": ("f1", "bpmn.camunda_code", "PDW does not run Camunda's camunda:executionListener"),
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_what_the_engine_would_evaluate_unsafely_or_ignore_is_refused_naming_the_element(name):
    element, code, fragment = REFUSED[name]
    result = validate((BPMN / "hostile" / name).read_bytes(), name, operations=["record_grant"], now=NOW)
    found = [p for p in result.problems if p.code == code]
    assert found, messages(result)
    assert found[0].element == element and found[0].line, messages(result)
    assert fragment in found[0].text(), messages(result)
    assert found[0].text("zh")


def test_a_hidden_condition_is_the_one_spiffworkflow_would_evaluate():
    parser = PdwBpmnParser()
    parser.add_bpmn_xml(etree.parse(str(BPMN / "hostile" / "hidden_condition.bpmn")).getroot(), filename="x")
    conditions = [c.args[0] for c, _ in parser.get_spec("hostile").task_specs["gate"].cond_task_specs if c]
    assert conditions == ["__import__('os').system('id') == 0"]


def one_element(tag: str, extensions: str = "", inner: str = "") -> bytes:
    """A process start -> `n` (a `tag` element) -> end."""
    start = tag != "startEvent"
    end = tag != "endEvent"
    return wrap(f'''    {'<bpmn:startEvent id="s"/>' if start else ''}
    <bpmn:{tag} id="n"><bpmn:extensionElements>{extensions}</bpmn:extensionElements>{inner}</bpmn:{tag}>
    {'<bpmn:endEvent id="e"/>' if end else ''}
    {'<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="n"/>' if start else ''}
    {'<bpmn:sequenceFlow id="f2" sourceRef="n" targetRef="e"/>' if end else ''}''')


INNER = {
    "scriptTask": "<bpmn:script>y = 1</bpmn:script>",
    "subProcess": '<bpmn:startEvent id="in"/><bpmn:endEvent id="out"/>'
                  '<bpmn:sequenceFlow id="inner" sourceRef="in" targetRef="out"/>',
    "intermediateCatchEvent": '<bpmn:timerEventDefinition><bpmn:timeDuration>"PT1H"</bpmn:timeDuration>'
                              '</bpmn:timerEventDefinition>',
}


@pytest.mark.parametrize("tag", ["task", "userTask", "manualTask", "scriptTask", "serviceTask", "subProcess",
                                 "exclusiveGateway", "parallelGateway", "inclusiveGateway", "startEvent",
                                 "intermediateCatchEvent", "intermediateThrowEvent", "endEvent"])
def test_pre_and_post_scripts_are_accepted_exactly_where_spiffworkflow_runs_them(tag):
    extensions = ("<spiffworkflow:preScript>x = 1</spiffworkflow:preScript>"
                  "<spiffworkflow:postScript>x = 2</spiffworkflow:postScript>"
                  '<spiffworkflow:serviceTaskOperator id="record_grant"/>')
    content = one_element(tag, extensions, INNER.get(tag, ""))
    parser = PdwBpmnParser()
    parser.add_bpmn_xml(etree.fromstring(content), filename="x.bpmn")
    spec = parser.get_spec("p").task_specs["n"]
    runs = (getattr(spec, "prescript", None), getattr(spec, "postscript", None)) == ("x = 1", "x = 2")
    ignored = [p for p in validate(content, operations=["record_grant"]).problems if p.code == "bpmn.script_ignored"]
    assert (tag in RUNS_PRE_POST_SCRIPTS) == runs
    expected = [] if runs else [("n", "preScript"), ("n", "postScript")]
    assert [(p.element, p.params["kind"]) for p in ignored] == expected


def test_an_empty_pre_script_where_none_would_run_is_no_problem():
    result = validate(one_element("exclusiveGateway", "<spiffworkflow:preScript/><spiffworkflow:postScript> "
                                                      "</spiffworkflow:postScript>"))
    assert result.ok, messages(result)


def timer(kind: str, expression: str) -> bytes:
    return one_element("intermediateCatchEvent", inner=f"<bpmn:timerEventDefinition id=\"t\"><bpmn:{kind}>"
                                                      f"{escape(expression)}</bpmn:{kind}></bpmn:timerEventDefinition>")


@pytest.mark.parametrize("kind, expression, code", [
    ("timeDuration", '"PT1H"', None),
    ("timeDuration", '"P1Y6M"', None),
    ("timeDuration", '"P99Y"', None),
    ("timeDuration", 'deadline_at("art20_share_reply", receipt_date)', None),
    ("timeDuration", '"P" + str(days) + "D"', None),
    ("timeDuration", '"P" + "9" * 10 ** 9 + "D"', None),
    ("timeDuration", '"P101Y"', "bpmn.timer_too_far"),
    ("timeDuration", '"PT" + "9" * 50 + "S"', "bpmn.timer_too_far"),
    ("timeDuration", '"P99999999999Y"', "bpmn.timer_too_far"),
    ("timeDuration", '"P" + "9" * 4000 + "D"', "bpmn.timer_invalid"),
    ("timeDuration", '"P1.5D"', "bpmn.timer_invalid"),
    ("timeDuration", '"PT1.5H"', "bpmn.timer_invalid"),
    ("timeDuration", '"PT1.5S"', None),
    ("timeDuration", '"P" + "9" * 5000 + "D"', "bpmn.timer_invalid"),
    ("timeDuration", '"P1D" * 1000000000', "bpmn.timer_invalid"),
    ("timeDuration", '"soon"', "bpmn.timer_invalid"),
    ("timeDuration", '"P-1D"', "bpmn.timer_invalid"),
    ("timeDuration", "5", "bpmn.timer_not_text"),
    ("timeDuration", "-2.5", "bpmn.timer_not_text"),
    ("timeDuration", "None", "bpmn.timer_not_text"),
    ("timeDuration", '["PT1H"]', "bpmn.timer_not_text"),
    ("timeDuration", '{"hours": 1}', "bpmn.timer_not_text"),
    ("timeDuration", "1 < 2", "bpmn.timer_not_text"),
    ("timeDuration", " ", "bpmn.timer_invalid"),
    ("timeDate", '"2026-03-02T09:00:00+08:00"', None),
    ("timeDate", '"2026-03-02"', None),
    ("timeDate", '"2026-W10-1"', None),
    ("timeDate", 'granted_until + "T23:59:59+08:00"', None),
    ("timeDate", '"2126-03-01T00:00:00+08:00"', None),
    ("timeDate", '"2126-03-03T00:00:00+08:00"', "bpmn.timer_too_far"),
    ("timeDate", '"9999-12-31"', "bpmn.timer_too_far"),
    ("timeDate", '"P5D"', "bpmn.timer_invalid"),
    ("timeDate", '"tomorrow"', "bpmn.timer_invalid"),
    ("timeDate", '"2026-02-30"', "bpmn.timer_invalid"),
    ("timeCycle", '"R/P90D"', None),
    ("timeCycle", '"R5/PT1M"', None),
    ("timeCycle", '"R/2026-03-02T09:00:00+08:00/P1D"', None),
    ("timeCycle", '"R3/P1D/2026-05-01T00:00:00"', "bpmn.timer_invalid"),
    ("timeCycle", '"R/P1M"', None),
    ("timeCycle", '"R/PT0S"', "bpmn.cycle_too_short"),
    ("timeCycle", '"R/PT59S"', "bpmn.cycle_too_short"),
    ("timeCycle", '"R/P"', "bpmn.timer_invalid"),
    ("timeCycle", '"R/P200Y"', "bpmn.timer_too_far"),
    ("timeCycle", '"R/9999-01-01T00:00:00+08:00/P1D"', "bpmn.timer_too_far"),
    ("timeCycle", '"R/2026-03-02"', "bpmn.timer_invalid"),
    ("timeCycle", '"R/P1D/P1D"', "bpmn.timer_invalid"),
    ("timeCycle", '"RX/P1D"', "bpmn.timer_invalid"),
    ("timeCycle", '"every day"', "bpmn.timer_invalid"),
    ("timeCycle", "90", "bpmn.timer_not_text"),
])
def test_a_literal_timer_is_read_as_the_engine_would_and_held_to_its_limits(kind, expression, code):
    result = validate(timer(kind, expression), now=NOW)
    assert [p.code for p in result.problems] == ([code] if code else []), messages(result)
    if code:
        assert (result.problems[0].element, result.problems[0].line) == ("n", 6)


@pytest.mark.parametrize("characteristics, code", [
    ("<bpmn:multiInstanceLoopCharacteristics><bpmn:loopCardinality>3</bpmn:loopCardinality>"
     "</bpmn:multiInstanceLoopCharacteristics>", None),
    ("<bpmn:multiInstanceLoopCharacteristics><bpmn:loopCardinality>200</bpmn:loopCardinality>"
     "</bpmn:multiInstanceLoopCharacteristics>", None),
    ("<bpmn:multiInstanceLoopCharacteristics><bpmn:loopCardinality>len(reviewers)</bpmn:loopCardinality>"
     "</bpmn:multiInstanceLoopCharacteristics>", None),
    ("<bpmn:multiInstanceLoopCharacteristics><bpmn:loopCardinality>2 ** 40</bpmn:loopCardinality>"
     "</bpmn:multiInstanceLoopCharacteristics>", None),
    ("<bpmn:multiInstanceLoopCharacteristics><bpmn:loopCardinality>201</bpmn:loopCardinality>"
     "</bpmn:multiInstanceLoopCharacteristics>", "bpmn.cardinality_too_large"),
    ("<bpmn:multiInstanceLoopCharacteristics><bpmn:loopCardinality>1000 * 1000</bpmn:loopCardinality>"
     "</bpmn:multiInstanceLoopCharacteristics>", "bpmn.cardinality_too_large"),
    ("<bpmn:multiInstanceLoopCharacteristics><bpmn:loopCardinality>'5'</bpmn:loopCardinality>"
     "</bpmn:multiInstanceLoopCharacteristics>", "bpmn.cardinality_invalid"),
    ("<bpmn:multiInstanceLoopCharacteristics><bpmn:loopCardinality>2.5</bpmn:loopCardinality>"
     "</bpmn:multiInstanceLoopCharacteristics>", "bpmn.cardinality_invalid"),
    ("<bpmn:multiInstanceLoopCharacteristics><bpmn:loopCardinality>True</bpmn:loopCardinality>"
     "</bpmn:multiInstanceLoopCharacteristics>", "bpmn.cardinality_invalid"),
    ("<bpmn:multiInstanceLoopCharacteristics><bpmn:loopCardinality/>"
     "</bpmn:multiInstanceLoopCharacteristics>", "bpmn.cardinality_invalid"),
    ('<bpmn:standardLoopCharacteristics loopMaximum="1000"/>', None),
    ('<bpmn:standardLoopCharacteristics loopMaximum="1001"/>', "bpmn.loop_maximum_too_large"),
    ('<bpmn:standardLoopCharacteristics loopMaximum="many"/>', "bpmn.loop_maximum_invalid"),
])
def test_a_literal_cardinality_or_loop_maximum_is_held_to_the_engine_limits(characteristics, code):
    result = validate(one_element("task", inner=characteristics))
    assert [p.code for p in result.problems] == ([code] if code else []), messages(result)
    if code:
        assert (result.problems[0].element, result.problems[0].line) == ("n", 6)
        assert result.problems[0].text("zh")


def test_a_process_using_every_evaluated_place_within_the_policy_is_valid():
    body = '''    <bpmn:startEvent id="s"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:task id="prepare">
      <bpmn:extensionElements>
        <spiffworkflow:preScript>reviewers = ["a", "b"]</spiffworkflow:preScript>
        <spiffworkflow:postScript>count = len(reviewers)</spiffworkflow:postScript>
      </bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:task>
    <bpmn:serviceTask id="record">
      <bpmn:extensionElements>
        <spiffworkflow:serviceTaskOperator id="record_grant" resultVariable="grant">
          <spiffworkflow:parameters>
            <spiffworkflow:parameter id="grantee" type="str" value="reviewers[0]"/>
          </spiffworkflow:parameters>
        </spiffworkflow:serviceTaskOperator>
        <spiffworkflow:preScript>note = "recording"</spiffworkflow:preScript>
      </bpmn:extensionElements>
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing></bpmn:serviceTask>
    <bpmn:task id="each">
      <bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing>
      <bpmn:multiInstanceLoopCharacteristics isSequential="true">
        <bpmn:loopDataInputRef>reviewers</bpmn:loopDataInputRef>
        <bpmn:inputDataItem id="reviewer" name="reviewer"/>
        <bpmn:completionCondition>reviewer == "b"</bpmn:completionCondition>
      </bpmn:multiInstanceLoopCharacteristics></bpmn:task>
    <bpmn:task id="again">
      <bpmn:incoming>f4</bpmn:incoming><bpmn:outgoing>f5</bpmn:outgoing>
      <bpmn:standardLoopCharacteristics loopMaximum="5">
        <bpmn:loopCondition>count &lt; 3</bpmn:loopCondition>
      </bpmn:standardLoopCharacteristics></bpmn:task>
    <bpmn:intermediateCatchEvent id="wait"><bpmn:incoming>f5</bpmn:incoming><bpmn:outgoing>f6</bpmn:outgoing>
      <bpmn:timerEventDefinition id="t"><bpmn:timeDuration>"PT1H"</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:exclusiveGateway id="gate" default="plain"><bpmn:incoming>f6</bpmn:incoming>
      <bpmn:outgoing>refused</bpmn:outgoing><bpmn:outgoing>plain</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="prepare"/>
    <bpmn:sequenceFlow id="f2" sourceRef="prepare" targetRef="record"/>
    <bpmn:sequenceFlow id="f3" sourceRef="record" targetRef="each"/>
    <bpmn:sequenceFlow id="f4" sourceRef="each" targetRef="again"/>
    <bpmn:sequenceFlow id="f5" sourceRef="again" targetRef="wait"/>
    <bpmn:sequenceFlow id="f6" sourceRef="wait" targetRef="gate"/>
    <bpmn:sequenceFlow id="refused" sourceRef="gate" targetRef="failed">
      <bpmn:conditionExpression>count &gt; 2</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="plain" sourceRef="gate" targetRef="e"/>
    <bpmn:endEvent id="failed"><bpmn:incoming>refused</bpmn:incoming>
      <bpmn:errorEventDefinition id="throw" errorRef="too_many"/></bpmn:endEvent>
    <bpmn:endEvent id="e"><bpmn:incoming>plain</bpmn:incoming></bpmn:endEvent>'''
    error = '''  <bpmn:error id="too_many" name="too many" errorCode="too_many">
    <bpmn:extensionElements>
      <spiffworkflow:payloadExpression>{"count": count}</spiffworkflow:payloadExpression>
      <spiffworkflow:variableName>reason</spiffworkflow:variableName>
    </bpmn:extensionElements>
  </bpmn:error>
'''
    content = wrap(body).replace(b"  <bpmn:process", error.encode() + b"  <bpmn:process")
    result = validate(content, operations=["record_grant"])
    assert result.ok, messages(result)


def test_a_condition_on_a_gateways_default_flow_is_refused():
    body = '''    <bpmn:startEvent id="s"/>
    <bpmn:exclusiveGateway id="gate" default="other"/>
    <bpmn:endEvent id="e"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="gate"/>
    <bpmn:sequenceFlow id="yes" sourceRef="gate" targetRef="e">
      <bpmn:conditionExpression>ok</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="other" sourceRef="gate" targetRef="e">
      <bpmn:conditionExpression>not ok</bpmn:conditionExpression></bpmn:sequenceFlow>'''
    assert messages(validate(wrap(body))) == [
        "x.bpmn:11 element 'other': this sequence flow is the default flow of gateway 'gate', so its condition is "
        "never evaluated"]


def test_a_candidate_groups_expression_is_checked_however_deep_it_sits():
    body = '''    <bpmn:startEvent id="s"/>
    <bpmn:userTask id="t"><bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="formJsonSchemaFilename" value="test/decision.json"/>
        <spiffworkflow:group>
          <spiffworkflow:property name="candidateGroupsExpression" value="vars()"/></spiffworkflow:group>
      </spiffworkflow:properties></bpmn:extensionElements></bpmn:userTask>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/>'''
    assert messages(validate(wrap(body))) == [
        "x.bpmn:9 element 't': candidateGroupsExpression, line 1: 'vars' is not allowed in scripts"]


@pytest.mark.parametrize("name", ["xxe_entity.bpmn", "billion_laughs.bpmn"])
def test_a_doctype_is_refused_before_any_entity_is_expanded(name):
    result = validate((BPMN / "hostile" / name).read_bytes(), name)
    assert messages(result) == [f"{name}: a DOCTYPE is not allowed in BPMN files"]


def test_a_file_over_the_size_limit_is_refused_before_parsing():
    result = validate(b"<" * 2048, max_bytes=1024)
    assert messages(result) == ["x.bpmn: file is 2,048 bytes; the limit is 1,024 bytes"]


def test_unparseable_xml_reports_its_line():
    result = validate(b"<?xml version='1.0'?>\n<a>\n<b></a>")
    assert len(result.problems) == 1
    assert result.problems[0].where == "x.bpmn:3"
    assert result.problems[0].code == "bpmn.not_xml"
    assert "not well-formed XML" in result.problems[0].text()


def test_xml_that_is_not_bpmn_is_refused():
    result = validate(b"<html><body/></html>")
    assert "this is not a BPMN 2.0 file" in messages(result)[0]


def test_a_file_without_an_executable_process_is_refused():
    result = validate(wrap('<bpmn:startEvent id="s"/>', executable="false"))
    assert any("no executable process" in m for m in messages(result))


def test_every_problem_is_reported_with_its_element_and_line():
    body = '''    <bpmn:startEvent id="s"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="no_form"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:userTask id="bad_rule">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="formJsonSchemaFilename" value="test/missing.json"/>
        <spiffworkflow:property name="candidateGroups" value="reviewer"/>
        <spiffworkflow:property name="deadlineRule" value="art99_made_up"/>
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing></bpmn:userTask>
    <bpmn:complexGateway id="complex"/>
    <bpmn:endEvent id="e"><bpmn:incoming>f3</bpmn:incoming>
      <bpmn:messageEventDefinition id="m"/></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="no_form"/>
    <bpmn:sequenceFlow id="f2" sourceRef="no_form" targetRef="bad_rule"/>
    <bpmn:sequenceFlow id="f3" sourceRef="bad_rule" targetRef="e"/>
    <bpmn:sequenceFlow id="dangling" sourceRef="s" targetRef="nowhere"/>'''
    result = validate(wrap(body))
    found = messages(result)
    assert [(p.code, p.element, p.line) for p in result.problems] == [
        ("bpmn.user_task_no_form", "no_form", 6), ("bpmn.user_task_no_group", "no_form", 6),
        ("form.missing", "bad_rule", 7), ("bpmn.rule_unknown", "bad_rule", 7),
        ("bpmn.element_unsupported", "complex", 14), ("bpmn.event_unsupported", "m", 16),
        ("bpmn.flow_dangling", "dangling", 20)]
    assert {p.file for p in result.problems} == {"x.bpmn"}
    assert result.problems[3].params == {"rule": "art99_made_up", "known": sorted(load_rules())}
    assert result.problems[3].text("zh").startswith("未知期限规则「art99_made_up」")
    expected = [
        "x.bpmn:6 element 'no_form': user task has no form (property formJsonSchemaFilename)",
        "x.bpmn:6 element 'no_form': user task has no candidate group",
        "x.bpmn:7 element 'bad_rule': form 'test/missing.json' does not exist in the forms folder",
        "x.bpmn:7 element 'bad_rule': unknown deadline rule 'art99_made_up'",
        "x.bpmn:14 element 'complex': <bpmn:complexGateway> is not supported by PDW",
        "x.bpmn:16 element 'm': <bpmn:messageEventDefinition> is not supported by PDW",
        "x.bpmn:20 element 'dangling': sequence flow targetRef 'nowhere' names no element of the process",
    ]
    for fragment in expected:
        assert any(m.startswith(fragment) for m in found), (fragment, found)
    assert len(found) == len(expected)


def test_a_form_outside_the_forms_folder_is_refused():
    body = '''    <bpmn:startEvent id="s"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="t"><bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="formJsonSchemaFilename" value="../../../etc/passwd"/>
        <spiffworkflow:property name="candidateGroups" value="reviewer"/>
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming></bpmn:userTask>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/>'''
    found = messages(validate(wrap(body)))
    assert found == ["x.bpmn:6 element 't': form '../../../etc/passwd' is outside the forms folder"]


def _clocked(governing: str, extension: str) -> bytes:
    return f'''<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="D" targetNamespace="x">
  <bpmn:process id="p" isExecutable="true">
    <bpmn:extensionElements><spiffworkflow:properties>
      <spiffworkflow:property name="statutoryRule" value="{governing}" />
    </spiffworkflow:properties></bpmn:extensionElements>
    <bpmn:startEvent id="s"/>
    <bpmn:intermediateThrowEvent id="extend">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="statutoryExtension" value="{extension}" />
      </spiffworkflow:properties></bpmn:extensionElements>
    </bpmn:intermediateThrowEvent>
    <bpmn:endEvent id="e"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="extend"/>
    <bpmn:sequenceFlow id="f2" sourceRef="extend" targetRef="e"/>
  </bpmn:process>
</bpmn:definitions>'''.encode()


def test_a_statutory_extension_must_extend_the_process_s_own_statutory_rule():
    assert validate(_clocked("art20_share_reply", "art20_share_extension")).ok
    result = validate(_clocked("art27_open_reply", "art20_share_extension"))
    assert [(p.code, p.element, p.params) for p in result.problems] == [
        ("bpmn.extension_unrelated", "extend", {"rule": "art20_share_extension", "governing": "art27_open_reply"})]


def test_an_unknown_statutory_rule_of_a_process_is_refused():
    result = validate(_clocked("art99_made_up", "art20_share_extension"))
    assert [(p.code, p.element) for p in result.problems] == [("bpmn.rule_unknown", "p"),
                                                              ("bpmn.extension_unrelated", "extend")]


def test_a_process_property_naming_a_field_the_start_form_lacks_is_refused():
    body = '''    <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="catalogItemField" value="catalog_item"/>
        <spiffworkflow:property name="relatedReceiptField" value="related_receipt"/>
        <spiffworkflow:property name="applicantKinds:kind=share" value="government"/>
      </spiffworkflow:properties></bpmn:extensionElements>
    <bpmn:startEvent id="s"><bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="formJsonSchemaFilename" value="test/application.json"/>
      </spiffworkflow:properties></bpmn:extensionElements></bpmn:startEvent>'''
    found = messages(validate(wrap(body)))
    assert len(found) == 3, found
    for prop, field in (("catalogItemField", "catalog_item"), ("relatedReceiptField", "related_receipt"),
                        ("applicantKinds:kind=share", "kind")):
        assert any(f"process property '{prop}' names the field '{field}', which the start form lacks" in m
                   for m in found), (prop, found)


def test_a_start_restriction_the_engine_does_not_know_is_refused():
    body = '''    <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="startableAt" value="authorty"/>
      </spiffworkflow:properties></bpmn:extensionElements>
    <bpmn:startEvent id="s"/>'''
    assert messages(validate(wrap(body))) == ["x.bpmn:4 element 'p': startableAt 'authorty' is not one of: authority"]


# One grammar and no ambiguity: what validation passes is what the engine runs as written.

def _task(tag: str = "userTask", props: str = "", name: str = "审核申请", task_id: str = "review",
          connected: bool = True, process_props: str = "", extra: str = "", operator: str = "") -> bytes:
    flows = (f'<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="{task_id}"/>'
             f'<bpmn:sequenceFlow id="f2" sourceRef="{task_id}" targetRef="e"/>') if connected else \
        '<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="e"/>'
    return wrap(f'''    <bpmn:extensionElements><spiffworkflow:properties>{process_props}</spiffworkflow:properties>
    </bpmn:extensionElements>
    <bpmn:startEvent id="s"/>
    <bpmn:{tag} id="{task_id}" name="{name}"><bpmn:extensionElements><spiffworkflow:properties>{props}
    </spiffworkflow:properties>{operator}</bpmn:extensionElements></bpmn:{tag}>
    <bpmn:endEvent id="e"/>{extra}
    {flows}''')


FORM = '<spiffworkflow:property name="formJsonSchemaFilename" value="test/decision.json"/>'
GROUPS = '<spiffworkflow:property name="candidateGroups" value="reviewer"/>'


def test_a_task_connected_to_nothing_is_refused_naming_the_task_by_its_name():
    result = validate(_task(props=FORM + GROUPS, connected=False))
    found = [p for p in result.problems if p.code == "bpmn.disconnected"]
    assert [(p.element, p.element_name) for p in found] == [("review", "审核申请")], messages(result)
    assert "element 'review' (审核申请)" in str(found[0]) and "connected to nothing" in found[0].text()
    assert found[0].text("zh") == "<bpmn:userTask> 没有连接任何顺序流：它永远不会运行。"


def test_a_task_no_flow_reaches_is_refused():
    body = _task(props=FORM + GROUPS, connected=False, extra='<bpmn:sequenceFlow id="f3" sourceRef="review" '
                                                              'targetRef="e"/>')
    assert [p.code for p in validate(body).problems] == ["bpmn.unreachable"]


def test_a_task_with_both_a_group_list_and_a_group_expression_is_refused_naming_the_task():
    both = GROUPS + '<spiffworkflow:property name="candidateGroupsExpression" value=\'"user:" + applicant\'/>'
    result = validate(_task(props=FORM + both))
    assert [(p.code, p.element, p.element_name) for p in result.problems] == [
        ("bpmn.groups_ambiguous", "review", "审核申请")]


def test_a_spiffarena_manual_task_needs_no_form_while_a_user_task_does():
    assert validate(_task("manualTask", props=GROUPS)).ok
    assert [p.code for p in validate(_task("userTask", props=GROUPS)).problems] == ["bpmn.user_task_no_form"]


@pytest.mark.parametrize("name", ["审核\n申请", "Subject\r\nBcc: x", "审核\u202e申请", "a\tb"])
def test_a_name_with_a_control_character_is_refused_naming_the_element(name):
    result = validate(_task(props=FORM + GROUPS, name=escape(name, {"\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})))
    found = [p for p in result.problems if p.code == "bpmn.name_control"]
    assert [p.element for p in found] == ["review"], messages(result)
    assert "\n" not in str(found[0]) and "\r" not in str(found[0])


def test_a_file_name_with_a_control_character_is_refused():
    result = validate(_task(props=FORM + GROUPS), "x\r\n.bpmn")
    assert [p.code for p in result.problems] == ["bpmn.file_name_control"]


def _deadline_step(timer: str) -> bytes:
    return _task(props=FORM + GROUPS + '<spiffworkflow:property name="deadlineRule" value="art20_share_reply"/>',
                 extra=f'''<bpmn:boundaryEvent id="late" name="逾期" attachedToRef="review" cancelActivity="false">
      <bpmn:outgoing>f4</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:timeDate>{escape(timer)}</bpmn:timeDate></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent><bpmn:endEvent id="e2"/><bpmn:sequenceFlow id="f4" sourceRef="late" targetRef="e2"/>''')


@pytest.mark.parametrize("timer, code", [
    ('deadline_at("art20_share_reply", receipt_date)', None),
    ('deadline_at("art27_open_reply", receipt_date)', "bpmn.deadline_disagrees"),
    ('"2026-03-09T00:00:00+08:00"', "bpmn.deadline_disagrees"),
])
def test_a_statutory_deadline_is_declared_once_and_its_escalation_timer_must_name_the_same_rule(timer, code):
    result = validate(_deadline_step(timer), now=NOW)
    assert [p.code for p in result.problems] == ([code] if code else []), messages(result)
    if code:
        assert result.problems[0].element == "late" and "审核申请" in result.problems[0].text("zh")


AUTHORITY = '<spiffworkflow:property name="competentUnit" value="authority"/>'


@pytest.mark.parametrize("routing, ok", [
    ('<spiffworkflow:property name="candidateGroupsExpression" value=\'"reviewer@" + competent_department\'/>', True),
    ('<spiffworkflow:property name="candidateGroupsExpression" value=\'"user:" + applicant\'/>', True),
    ('<spiffworkflow:property name="candidateGroupsExpression" '
     'value=\'"source_unit_handler@" + catalog["source_unit"]\'/>', True),
    ('<spiffworkflow:property name="candidateGroups" value="reviewer@sjj"/>', True),
    ('<spiffworkflow:property name="candidateGroups" value="supervisor"/>', True),
    ('<spiffworkflow:property name="candidateGroupsExpression" value=\'"user:sun.qi"\'/>', False),
    ('<spiffworkflow:property name="candidateGroups" value="user:sun.qi"/>', False),
    ('<spiffworkflow:property name="candidateGroups" value="reviewer"/>', False),
    ('<spiffworkflow:property name="candidateGroups" value="reviewer@gaj"/>', False),
    ('<spiffworkflow:property name="candidateGroupsExpression" value=\'"reviewer@" + unit\'/>', False),
    ('<spiffworkflow:property name="candidateGroupsExpression" value=\'"user:" + holder\'/>', False),
])
def test_a_process_of_the_authority_may_route_its_decisions_only_to_the_authority(routing, ok):
    result = validate(_task(props=FORM + routing, process_props=AUTHORITY), competent_department="sjj")
    assert [p.code for p in result.problems] == ([] if ok else ["bpmn.authority_routing"]), messages(result)


def test_an_operation_writing_grants_or_the_catalog_needs_the_capability_declared_by_the_process():
    def service(declared: str) -> bytes:
        return _task("serviceTask", task_id="grant", name="登记授权", process_props=declared,
                     operator='<spiffworkflow:serviceTaskOperator id="pdw.record_grant"><spiffworkflow:parameters/>'
                              '</spiffworkflow:serviceTaskOperator>')
    refused = validate(service(""), operations=["pdw.record_grant"])
    assert [(p.code, p.element) for p in refused.problems] == [("bpmn.capability_undeclared", "grant")]
    assert validate(service('<spiffworkflow:property name="capabilities" value="pdw.record_grant"/>'),
                    operations=["pdw.record_grant"]).ok


def test_a_refused_script_is_explained_in_the_designers_language():
    result = validate((BPMN / "hostile" / "condition_import.bpmn").read_bytes(), "condition_import.bpmn")
    refused = [p for p in result.problems if p.code == "bpmn.script_refused"]
    assert any("脚本中不允许使用「__import__」" in p.text("zh") and "'__import__' is not allowed" in p.text("en")
               for p in refused)
    assert not any("not allowed" in p.text("zh") for p in refused)
