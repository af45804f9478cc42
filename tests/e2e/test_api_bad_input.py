"""Bad input on the API is a 4xx with a JSON body and a code, never a 500: generated over every
operation of the OpenAPI document, with each malformed variant of a request body."""
from __future__ import annotations

import json
import re

import pytest

from engine import messages
from engine.config import PROJECT_ROOT
from engine.services import tokens
from webapp.api import PREFIX
from webapp.bad_input import MAX_JSON_DEPTH
from web_helpers import make_app
from engine.services.users import SYSTEM

JSON = "application/json"
# name: (body, content type, status, code)
VARIANTS = {
    "malformed": (b'{"process_id": "conditional_share", "data": {...}}', JSON, 400, "request.malformed_json"),
    "truncated": (b'{"reason": "', JSON, 400, "request.malformed_json"),
    "not utf-8": (b'{"reason": "\xff\xfe"}', JSON, 400, "request.malformed_json"),
    "an array": (b'[{"process_id": "web_share"}]', JSON, 422, "request.not_an_object"),
    "a string": (b'"web_share"', JSON, 422, "request.not_an_object"),
    "null": (b"null", JSON, 422, "request.not_an_object"),
    "10,000 levels of arrays": (b"[" * 10_000 + b"]" * 10_000, JSON, 400, "request.too_deep"),
    "10,000 levels of objects": (b'{"a":' * 10_000 + b"1" + b"}" * 10_000, JSON, 400, "request.too_deep"),
    "one level too deep": (b'{"data": ' + b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH + b"}", JSON, 400,
                      "request.too_deep"),
    "a NUL in a string": (b'{"process_id": "web\\u0000share", "reason": "x\\u0000", "file_name": "a\\u0000.bpmn", '
                          b'"bpmn": "<x/>", "data": {}}', JSON, 400, "request.nul_byte"),
    "a NUL in a key": (b'{"data": {"purpose\\u0000": 1}}', JSON, 400, "request.nul_byte"),
    "a raw NUL": (b'{"reason": "a\x00b"}', JSON, 400, "request.malformed_json"),
    "plain text": (b'{"process_id": "web_share"}', "text/plain", 415, "request.not_json"),
    "a form": (b"process_id=web_share", "application/x-www-form-urlencoded", 415, "request.not_json"),
    "too large": (b'{"reason": "' + b"x" * (2 * 2**20) + b'"}', JSON, 413, "http.413"),
}


@pytest.fixture
def database_kind() -> str:
    """On SQLite: nothing here reaches the database (the NUL tests run on both)."""
    return "sqlite"


@pytest.fixture
def bearer(engines):
    secret = tokens.create(engines.at().uow(), "zhao.liu", actor=SYSTEM).secret
    return {"Authorization": f"Bearer {secret}", "Accept-Language": "en"}


def _operations(client, with_body: bool) -> list[tuple[str, str]]:
    document = client.get(f"{PREFIX}/openapi.json").get_json()
    found = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if method in ("post", "put", "patch") and ("requestBody" in operation) == with_body:
                found.append((method.upper(), re.sub(r"\{[^}]+\}", "1", path)))
    return found


def _assert_json_refusal(response, status: int | None, code: str | None) -> dict:
    assert response.mimetype == JSON, response.data[:200]
    body = response.get_json()
    assert 400 <= response.status_code < 500, body
    assert body["code"] in messages.MESSAGES and body["message"] and isinstance(body["params"], dict)
    if status is not None:
        assert (response.status_code, body["code"]) == (status, code), body
    return body


def test_the_generated_cases_cover_every_operation_that_takes_a_body(client):
    assert {path for _, path in _operations(client, with_body=True)} == {
        f"{PREFIX}/instances", f"{PREFIX}/tasks/1/complete", f"{PREFIX}/definitions", f"{PREFIX}/grants/1/revoke",
        f"{PREFIX}/definitions/1/versions/1/approve", f"{PREFIX}/definitions/1/versions/1/reject",
        f"{PREFIX}/migrations", f"{PREFIX}/migrations/1/reject", f"{PREFIX}/catalog/proposals/1/approve",
        f"{PREFIX}/catalog/proposals/1/refuse"}


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_operation_that_takes_a_body_refuses_each_bad_body_with_a_json_4xx_and_its_code(client, bearer,
                                                                                              variant):
    raw, content_type, status, code = VARIANTS[variant]
    operations = _operations(client, with_body=True)
    for method, path in operations:
        response = client.open(path, method=method, data=raw, headers={**bearer, "Content-Type": content_type})
        body = _assert_json_refusal(response, status, code)
        if code != "http.413":
            assert body["message"] == messages.render(code, body["params"], "en")


@pytest.mark.parametrize("variant", [v for v in VARIANTS if VARIANTS[v][1] == JSON])
def test_operations_without_a_body_answer_a_bad_json_body_with_a_json_4xx_too(client, bearer, variant):
    raw, content_type, _, _ = VARIANTS[variant]
    for method, path in _operations(client, with_body=False):
        headers = {**bearer, "Content-Type": content_type}
        _assert_json_refusal(client.open(path, method=method, data=raw, headers=headers), None, None)


def test_a_refusal_names_the_field_and_reads_in_chinese_by_default(client, bearer):
    chinese = {**bearer, "Accept-Language": "zh"}
    nul = client.post(f"{PREFIX}/instances", json={"process_id": "web_share", "data": {"purpose": "a\x00b"}},
                      headers=chinese)
    body = _assert_json_refusal(nul, 400, "request.nul_byte")
    assert body["message"] == "请求中含有空字符（NUL），无法处理。请删除该字符后重试。"
    assert [(p["field"], p["params"]["location"]) for p in body["problems"]] == [("data.purpose", "json")]

    wrong = client.post(f"{PREFIX}/instances", json={"process_id": 7, "data": []}, headers=chinese)
    body = _assert_json_refusal(wrong, 422, "request.invalid")
    assert body["message"] == "请求参数有误：有 2 处需要修改。"
    assert sorted(p["field"] for p in body["problems"]) == ["data", "process_id"]
    assert {p["code"] for p in body["problems"]} == {"request.field_invalid"}

    missing = client.post(f"{PREFIX}/instances", data=b"", headers=chinese)
    assert [p["field"] for p in _assert_json_refusal(missing, 422, "request.invalid")["problems"]] == ["process_id"]


def test_a_nul_in_a_query_parameter_or_the_path_of_the_api_is_a_json_400_before_the_token_is_read(client):
    query = client.get(f"{PREFIX}/catalog?q=a%00b")
    assert [p["field"] for p in _assert_json_refusal(query, 400, "request.nul_byte")["problems"]] == ["q"]
    _assert_json_refusal(client.get(f"{PREFIX}/definitions%00"), 400, "request.nul_byte")


def test_no_route_and_a_wrong_method_on_the_api_are_json_with_a_code_in_both_languages(client, bearer):
    absent = client.get(f"{PREFIX}/no-such-thing", headers={"Accept-Language": "zh"})
    assert _assert_json_refusal(absent, 404, "http.404")["message"] == "您要找的资源不存在。"
    wrong = client.delete(f"{PREFIX}/instances", headers=bearer)
    assert _assert_json_refusal(wrong, 405, "http.405")["message"] == "this address does not accept this method"


def _readme_application() -> tuple[str, dict]:
    """The user of the README's applicant token and the body its curl example posts to /instances."""
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    user = re.search(r"pdw tokens create (\S+) .*# the applicant", readme).group(1)
    [body] = re.findall(r"-d '([^']*)'[^\n]*\n?[^\n]*/api/v1/instances", readme)
    return user, json.loads(body)


def test_the_readmes_curl_example_applies_on_the_demo_data(demo_engines):
    engine = demo_engines.at()
    user, body = _readme_application()
    secret = tokens.create(engine.uow(), user, actor=SYSTEM).secret
    client = make_app(engine).test_client()
    started = client.post(f"{PREFIX}/instances", json=body, headers={"Authorization": f"Bearer {secret}"})
    assert started.status_code == 201, started.get_json()
    assert started.get_json()["receipt_number"].startswith("DZ")
