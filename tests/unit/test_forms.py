"""JSON Schema forms: loading from the forms folder and one error per field."""
from __future__ import annotations

from pathlib import Path

import pytest

from engine.forms import FormError, check_submission, load_form

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


def test_each_failing_field_gets_one_error_in_english_and_chinese():
    schema = load_form(FORMS, "test/application.json")
    errors = check_submission(schema, {"amount": "many", "color": "red"})
    assert [e.field for e in errors] == ["amount", "color", "subject"]
    by_field = {e.field: e for e in errors}
    assert by_field["subject"].message_zh == "事由：此项为必填项"
    assert by_field["amount"].message_zh == "数量：类型不正确"
    assert by_field["color"].message_zh == "包含表单未定义的字段"


def test_a_valid_submission_has_no_errors_and_a_non_object_is_refused():
    schema = load_form(FORMS, "test/decision.json")
    assert check_submission(schema, {"decision": "approve"}) == []
    assert [e.field for e in check_submission(schema, ["approve"])] == ["(form)"]
