"""Validation of uploaded BPMN: every problem, located by file, line and element."""
from __future__ import annotations

from pathlib import Path

import pytest

from engine.bpmn.validation import validate_bpmn
from engine.calendar import load_rules

FIXTURES = Path(__file__).parent.parent / "fixtures"
BPMN = FIXTURES / "bpmn"
FORMS = FIXTURES / "forms"


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
