"""JSON Schema forms: loading from the forms folder and one error per field."""
from __future__ import annotations

from pathlib import Path

import pytest

from engine.forms import FormError, RawForm, check_submission, load_form, read_raw_form

FORMS = Path(__file__).parent.parent / "fixtures" / "forms"


def test_a_form_loads_from_the_forms_folder():
    assert load_form(FORMS, "test/decision.json")["required"] == ["decision"]


@pytest.mark.parametrize("name, message", [
    ("test/missing.json", "does not exist"),
    ("../../conftest.py", "outside the forms folder"),
])
def test_a_missing_or_escaping_form_is_refused(name, message):
    with pytest.raises(FormError, match=message):
        load_form(FORMS, name)


def test_a_file_that_is_not_a_schema_is_refused(tmp_path):
    (tmp_path / "bad.json").write_text('{"type": "object", "properties": {"a": {"type": "wat"}}}')
    (tmp_path / "broken.json").write_text("{")
    with pytest.raises(FormError, match="not a valid JSON Schema"):
        load_form(tmp_path, "bad.json")
    with pytest.raises(FormError, match="not valid JSON"):
        load_form(tmp_path, "broken.json")


def test_each_failing_field_gets_one_coded_problem_read_in_english_and_chinese():
    schema = load_form(FORMS, "test/application.json")
    problems = check_submission(schema, {"amount": "many", "color": "red"})
    assert [(p.field, p.code) for p in problems] == [
        ("amount", "form.type"), ("color", "form.additionalProperties"), ("subject", "form.required")]
    by_field = {p.field: p for p in problems}
    assert by_field["subject"].text("zh") == "事由：此项为必填项"
    assert by_field["subject"].text("en") == "事由: is required"
    assert by_field["amount"].params == {"label": "数量", "expected": "integer"}
    assert by_field["amount"].text("zh") == "数量：类型不正确"
    assert by_field["color"].text("zh") == "color：包含表单未定义的字段"


def test_a_posted_html_form_is_read_as_typed_data_for_its_schema():
    schema = {"type": "object", "properties": {
        "amount": {"type": "integer"}, "ratio": {"type": "number"}, "urgent": {"type": "boolean"},
        "tags": {"type": "array", "items": {"enum": [1, 2]}}, "note": {"type": "string"},
        "empty": {"type": "string"}, "shown": {"type": "string", "readOnly": True}}}
    posted = RawForm({"amount": ["12"], "ratio": ["x"], "urgent": ["on"], "tags": ["1", "2"], "note": [" hi "],
                      "empty": [""], "shown": ["ignored"], "unknown": ["ignored"]})
    assert read_raw_form(schema, posted) == {"amount": 12, "ratio": "x", "urgent": True, "tags": [1, 2],
                                             "note": "hi"}


def test_a_valid_submission_has_no_errors_and_a_non_object_is_refused():
    schema = load_form(FORMS, "test/decision.json")
    assert check_submission(schema, {"decision": "approve"}) == []
    assert [(p.field, p.code) for p in check_submission(schema, ["approve"])] == [("(form)", "form.not_object")]
