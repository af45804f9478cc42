"""JSON Schema forms: loading from the forms folder and one error per field."""
from __future__ import annotations

import http.server
import socketserver
import threading
import time
from pathlib import Path

import pytest

from engine.forms import FormError, RawForm, check_form, check_submission, load_form, read_raw_form

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


# Designer-written forms are untrusted: they stay inside themselves and match in linear time.

def _form(**field) -> dict:
    return {"type": "object", "properties": {"code": {"type": "string", **field}}}


@pytest.mark.parametrize("ref", ["http://127.0.0.1:9/schema.json", "file:///etc/passwd", "other.json#/x"])
def test_a_form_referring_outside_itself_is_refused_naming_the_form_and_the_field(ref):
    with pytest.raises(FormError) as refused:
        check_form("share/application.json", _form(**{"$ref": ref}))
    assert refused.value.code == "form.ref_outside"
    assert refused.value.params["field"] == "properties/code"
    assert "share/application.json" in refused.value.text("zh") and "properties/code" in refused.value.text("en")


def test_a_reference_inside_the_form_is_resolved():
    schema = {"type": "object", "properties": {"n": {"$ref": "#/$defs/whole"}}, "$defs": {"whole": {"type": "integer"}}}
    assert [p.code for p in check_submission(check_form("f.json", schema), {"n": "x"})] == ["form.type"]


def test_a_stored_form_with_an_outside_reference_opens_no_url_and_no_file(tmp_path):
    # A form stored before forms were checked: its submission is refused, and the server neither
    # calls the listener nor reads the file.
    calls = []

    class Listener(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            calls.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b'{"type": "integer"}')

        def log_message(self, *args):
            pass

    secret = tmp_path / "secret.json"
    secret.write_text('{"type": "integer", "title": "SECRET-CONTENT"}')
    with socketserver.TCPServer(("127.0.0.1", 0), Listener) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            for ref in (f"http://127.0.0.1:{server.server_address[1]}/s.json", secret.as_uri()):
                problems = check_submission(_form(**{"$ref": ref}), {"code": "x"})
                assert [(p.code, p.field) for p in problems] == [("form.unusable", "(form)")]
                assert "SECRET" not in repr(problems)
        finally:
            server.shutdown()
    assert calls == []


def test_a_catastrophic_pattern_answers_a_thirty_character_input_in_a_fraction_of_a_second():
    schema = check_form("f.json", _form(pattern="^(a+)+$"))
    started = time.perf_counter()
    problems = check_submission(schema, {"code": "a" * 30 + "!"})
    assert time.perf_counter() - started < 0.2
    assert [p.code for p in problems] == ["form.pattern"]
    assert check_submission(schema, {"code": "a" * 30}) == []


@pytest.mark.parametrize("pattern", [r"^(a)\1$", r"^(?=a)a$", r"^(?!a)b$", r"^a{1,64}(,a{1,64}){0,19}$"])
def test_a_pattern_that_needs_backtracking_is_refused_when_the_form_is_saved(pattern):
    with pytest.raises(FormError) as refused:
        check_form("f.json", _form(pattern=pattern))
    assert refused.value.code == "form.pattern_unsupported" and refused.value.params["field"] == "properties/code"


def test_pattern_properties_are_refused_as_jsonschema_would_match_them_with_backtracking():
    with pytest.raises(FormError, match="patternProperties"):
        check_form("f.json", {"type": "object", "patternProperties": {"^(a+)+$": {}}})


@pytest.mark.parametrize("title", ["审核\n意见", "Bcc:\r\nx", "a\u202eb", "a\u2028b"])
def test_a_title_with_a_control_character_is_refused(title):
    with pytest.raises(FormError) as refused:
        check_form("f.json", _form(title=title))
    assert refused.value.code == "form.title_control"


def test_every_shipped_form_passes_the_untrusted_form_rules():
    shipped = Path(__file__).parent.parent.parent / "forms"
    for path in shipped.rglob("*.json"):
        load_form(shipped, path.relative_to(shipped).as_posix())
