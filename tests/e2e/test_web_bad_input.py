"""A NUL byte anywhere in a request is a clear 400 before anything reaches the database: generated
over every GET route of the app's URL map, on SQLite and PostgreSQL."""
from __future__ import annotations

import re
from contextlib import contextmanager

from sqlalchemy import event

from web_helpers import PASSWORD, AuthActions, csrf_token

ZH = "请求中含有空字符（NUL），无法处理。请删除该字符后重试。"
# Values for a rule's arguments; each converter accepts these.
ARGUMENTS = {"int": "1", "default": "x", "path": "x"}


def _routes(app, method: str, *, skip_api: bool = False) -> list[str]:
    """A URL for every rule of the app that answers `method`, its arguments filled in."""
    urls = []
    for rule in app.url_map.iter_rules():
        if method not in rule.methods or (skip_api and rule.rule.startswith("/api/")):
            continue
        url = rule.rule
        for converter, _, name in re.findall(r"<(?:(\w+)(\([^)]*\))?:)?(\w+)>", rule.rule):
            url = re.sub(rf"<[^>]*\b{name}>", ARGUMENTS.get(converter or "default", "x"), url, count=1)
        urls.append(url)
    return urls


def _get_routes(app) -> list[str]:
    """A URL for every rule of the app that answers GET."""
    return _routes(app, "GET")


@contextmanager
def _statements(engine):
    """The SQL statements run on `engine`'s database while the block runs."""
    seen: list[str] = []

    def record(conn, cursor, statement, *args):
        seen.append(statement)

    pools = {engine.db.engine, engine.db.write_engine}
    for pool in pools:
        event.listen(pool, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        for pool in pools:
            event.remove(pool, "before_cursor_execute", record)


def test_the_generated_routes_are_every_get_route_of_the_app(app):
    urls = _get_routes(app)
    assert len(urls) == sum("GET" in r.methods for r in app.url_map.iter_rules()) > 40
    assert "/portal/applications/1" in urls and "/supervise/x.x" in urls and "/api/v1/tasks/1" in urls


def test_a_nul_in_a_query_parameter_of_every_get_route_is_a_400_that_runs_no_query(app, client, engines):
    AuthActions(client).login("zhao.liu", PASSWORD)
    urls = _get_routes(app)
    for url in urls:
        with _statements(engines.at()) as run:
            response = client.get(f"{url}?q=a%00b&next=%2F")
        assert response.status_code == 400, url
        assert run == [], (url, run)
        if url.startswith("/api/"):
            assert response.get_json()["code"] == "request.nul_byte", url
        else:
            assert ZH in response.text, url


def test_a_nul_in_the_sign_in_forms_user_name_is_a_clear_page_in_the_sessions_language(client, engines):
    client.get("/lang/en")
    token = csrf_token(client.get("/auth/login").text)
    with _statements(engines.at()) as run:
        response = client.post("/auth/login", data={"username": "li\x00si", "password": PASSWORD,
                                                    "csrf_token": token})
    assert response.status_code == 400 and run == []
    assert "the request&#39;s form holds a NUL character" in response.text
    assert client.post("/auth/login", data={"username": "li.si", "password": PASSWORD, "csrf_token": token}) \
        .status_code == 302


def test_a_nul_in_the_path_or_in_a_query_parameters_name_is_refused_in_chinese_by_default(client, engines):
    with _statements(engines.at()) as run:
        in_path = client.get("/portal/apply/web%00share")
        in_name = client.get("/auth/login?next%00=x")
    assert (in_path.status_code, in_name.status_code) == (400, 400) and run == []
    assert ZH in in_path.text and ZH in in_name.text
    assert '<html lang="zh-CN"' in in_path.text


def test_the_sign_in_page_without_a_nul_still_reaches_the_database(client, engines):
    # The control of the tests above: the listener does see the queries of an ordinary sign-in.
    token = csrf_token(client.get("/auth/login").text)
    with _statements(engines.at()) as run:
        response = client.post("/auth/login", data={"username": "li.si", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302 and run


def _post_routes(app) -> list[str]:
    """A URL for every page rule of the app that answers POST (the API's are tested apart)."""
    return _routes(app, "POST", skip_api=True)


def test_a_nul_or_an_oversized_body_in_a_form_of_every_post_route_is_refused_and_writes_nothing(app, client,
                                                                                                engines):
    # Every form a person posts (the catalog's review, the organisation, designer, inbox, portal,
    # supervision...), signed in and past the CSRF check: refused before any query runs.
    AuthActions(client).login("zhao.liu", PASSWORD)
    token = csrf_token(client.get("/supervise/promises").text)
    urls = _post_routes(app)
    assert "/catalog/proposals/1/approve" in urls and "/organisation/departments" in urls
    limit = app.config["MAX_CONTENT_LENGTH"]
    for url in urls:
        with _statements(engines.at()) as run:
            nul = client.post(url, data={"csrf_token": token, "name": "达州\x00", "reason": "=cmd|' /C calc'!A0"})
            big = client.post(url, data={"csrf_token": token, "reason": "长" * limit})
        assert (nul.status_code, big.status_code) == (400, 413), url
        assert run == [], (url, run)
        assert ZH in nul.text, url
