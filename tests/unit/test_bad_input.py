"""The request pipeline's JSON reading: depth counted without recursion, NUL bytes found by path."""
from __future__ import annotations

import json

import pytest
from flask import Flask

from webapp.bad_input import MAX_JSON_DEPTH, Refused, load_json


def _load(body: bytes):
    app = Flask(__name__)
    with app.test_request_context("/", method="POST", data=body, content_type="application/json"):
        return load_json()


def _nested(levels: int) -> bytes:
    return b"[" * (levels - 1) + b'{"a": 1}' + b"]" * (levels - 1)


def test_json_exactly_as_deep_as_allowed_is_read_and_one_level_more_is_refused():
    assert _load(_nested(MAX_JSON_DEPTH)) is not None
    with pytest.raises(Refused) as refused:
        _load(_nested(MAX_JSON_DEPTH + 1))
    assert (refused.value.code, refused.value.error_code, refused.value.params) == (400, "request.too_deep",
                                                                                    {"max": MAX_JSON_DEPTH})


def test_brackets_inside_strings_do_not_count_and_a_hundred_thousand_levels_do_not_crash():
    assert _load(json.dumps({"a": "[" * 10_000}).encode()) == {"a": "[" * 10_000}
    with pytest.raises(Refused):
        _load(b"[" * 100_000 + b"]" * 100_000)


@pytest.mark.parametrize("body, field", [
    ({"a": "x\x00"}, "a"),
    ({"a": {"b": ["ok", "x\x00"]}}, "a.b[1]"),
    ({"a": {"b\x00": 1}}, "a.b\\0"),
    (["\x00"], "[0]"),
    ("\x00", "(body)"),
])
def test_a_nul_anywhere_in_json_is_refused_naming_where(body, field):
    with pytest.raises(Refused) as refused:
        _load(json.dumps(body).encode())
    assert (refused.value.error_code, refused.value.field) == ("request.nul_byte", field)


def test_an_empty_body_is_none_and_malformed_json_names_its_line_and_column():
    assert _load(b"  ") is None
    with pytest.raises(Refused) as refused:
        _load(b'{\n  "a": ,\n}')
    assert (refused.value.error_code, refused.value.params) == ("request.malformed_json", {"line": 2, "column": 8})
