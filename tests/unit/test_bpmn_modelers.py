"""Files written by real modelers (bpmn-js, SpiffArena, Camunda Modeler) as the validator reads them."""
from __future__ import annotations

from pathlib import Path

from engine.bpmn.validation import validate_bpmn
from engine.calendar import load_rules

FIXTURES = Path(__file__).parent.parent / "fixtures"
MODELERS = FIXTURES / "bpmn" / "modelers"


def validate(name: str):
    return validate_bpmn((MODELERS / name).read_bytes(), name, rules=load_rules(), forms_dir=FIXTURES / "forms")


def test_an_embedded_subprocess_with_incoming_and_outgoing_in_lanes_validates():
    result = validate("embedded_subprocess.bpmn")
    assert result.ok, [str(p) for p in result.problems]
    assert result.warnings == []
    assert [p.process_id for p in result.processes] == ["embedded_review"]


def test_a_camunda_listener_script_is_refused_naming_its_task():
    result = validate("camunda_modeler.bpmn")
    found = [p for p in result.problems if p.code == "bpmn.camunda_code"]
    assert [(p.element, p.params["tag"]) for p in found] == [("review", "taskListener")]
    assert found[0].line == 14
    assert "use spiffworkflow:preScript" in found[0].text()


def test_a_script_in_another_language_is_refused_not_run_as_python():
    result = validate("camunda_modeler.bpmn")
    found = [p for p in result.problems if p.code == "bpmn.script_language"]
    assert [(p.element, p.params["language"]) for p in found] == [("compute", "javascript")]
    assert "Python" in found[0].text() and "Python" in found[0].text("zh")


def test_camunda_attributes_pdw_does_not_read_are_warnings_saying_what_to_use_instead():
    result = validate("camunda_modeler.bpmn")
    warned = {(w.element, w.params["name"]): w for w in result.warnings}
    assert set(warned) == {("camunda_review", "camunda:historyTimeToLive"), ("start", "camunda:formKey"),
                           ("review", "camunda:candidateGroups"), ("review", "camunda:formKey")}
    assert warned[("review", "camunda:candidateGroups")].text() == (
        'PDW does not read camunda:candidateGroups; use spiffworkflow:property "candidateGroups" instead')
    assert warned[("start", "camunda:formKey")].params["instead"] == 'spiffworkflow:property "formJsonSchemaFilename"'
    assert warned[("camunda_review", "camunda:historyTimeToLive")].code == "bpmn.camunda_unread"
    assert all(w.line for w in result.warnings)


def test_a_camunda_file_with_only_attributes_pdw_ignores_still_deploys_with_its_warnings():
    text = (MODELERS / "embedded_subprocess.bpmn").read_text()
    text = text.replace('xmlns:bioc=', 'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" xmlns:bioc=')
    text = text.replace('<bpmn:userTask id="decide" name="审核决定">',
                        '<bpmn:userTask id="decide" name="审核决定" camunda:assignee="li.si" camunda:asyncBefore="true">')
    result = validate_bpmn(text.encode(), "x.bpmn", rules=load_rules(), forms_dir=FIXTURES / "forms")
    assert result.ok, [str(p) for p in result.problems]
    assert sorted((w.element, w.code, w.params["name"]) for w in result.warnings) == [
        ("decide", "bpmn.camunda_ignored", "camunda:assignee"), ("decide", "bpmn.camunda_unread", "camunda:asyncBefore")]


def test_an_unknown_element_inside_a_subprocess_is_still_refused():
    text = (MODELERS / "embedded_subprocess.bpmn").read_text().replace(
        '<bpmn:outgoing>f2</bpmn:outgoing>\n      <bpmn:startEvent', '<bpmn:outgoing>f2</bpmn:outgoing>\n      '
        '<bpmn:complexGateway id="odd" />\n      <bpmn:startEvent')
    result = validate_bpmn(text.encode(), "x.bpmn", rules=load_rules(), forms_dir=FIXTURES / "forms")
    assert [(p.code, p.element) for p in result.problems] == [("bpmn.element_unsupported", "odd")]
