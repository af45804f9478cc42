"""Over HTTP: redirects stay on the site, sessions end everywhere, headers, ids out of range, error pages."""
from __future__ import annotations

import re

import pytest

from engine.services import accounts, users
from web_helpers import PASSWORD, csrf_token, make_app, stray_chinese
from engine.services.users import SYSTEM

# Each of these is, to a browser, a path that leaves the site.
OFF_SITE = ["//example.invalid", "/\t/example.invalid", "/%09/example.invalid", "/\\example.invalid",
            "\\\\example.invalid", "/\\/example.invalid", "https://example.invalid/", "/%2F%2Fexample.invalid",
            " //example.invalid", "/\n/example.invalid", "javascript:alert(1)", "/%5Cexample.invalid"]


def _stays_on_site(location: str) -> bool:
    cleaned = re.sub(r"[\x00-\x1f]", "", location).replace("\\", "/")
    return cleaned.startswith("/") and not cleaned.startswith("//")


@pytest.mark.parametrize("target", OFF_SITE)
def test_the_language_switch_never_redirects_off_the_site(client, target):
    response = client.get("/lang/en", query_string={"next": target})
    assert response.status_code == 302
    assert response.location == "/"


@pytest.mark.parametrize("target", OFF_SITE)
def test_signing_in_never_redirects_off_the_site(client, target):
    token = csrf_token(client.get("/auth/login").text)
    response = client.post("/auth/login", data={"username": "li.si", "password": PASSWORD, "csrf_token": token,
                                                "next": target})
    assert response.status_code == 302
    assert _stays_on_site(response.location) and response.location == "/"


def test_a_path_on_the_site_is_still_followed_after_signing_in(client):
    token = csrf_token(client.get("/auth/login").text)
    response = client.post("/auth/login", data={"username": "li.si", "password": PASSWORD, "csrf_token": token,
                                                "next": "/inbox/?tab=mine"})
    assert response.location == "/inbox/?tab=mine"


def test_the_sign_in_page_does_not_carry_an_off_site_target_into_its_form(client):
    html = client.get("/auth/login?next=/%09/example.invalid").text
    assert re.search(r'name="next" value="([^"]*)"', html).group(1) == ""


def test_a_copied_session_cookie_is_dead_after_signing_out(app, auth):
    auth.login("li.si")
    copy = app.test_client()
    copy.set_cookie("session", auth._client.get_cookie("session").value)
    assert copy.get("/inbox/").status_code == 200
    auth.logout()
    response = copy.get("/inbox/")
    assert response.status_code == 302 and response.location.startswith("/auth/login")


def test_a_new_password_ends_every_session_of_the_user(engines, client, auth):
    auth.login("li.si")
    accounts.set_password(engines.at().uow(), "li.si", "another horse 2", actor=SYSTEM)
    assert client.get("/inbox/").status_code == 302
    assert auth.login("li.si", "another horse 2").status_code == 302
    assert client.get("/inbox/").status_code == 200


def test_disabling_a_user_ends_their_sessions_and_sign_in(engines, client, auth):
    auth.login("li.si")
    users.disable_user(engines.at().uow(), "li.si", actor=SYSTEM)
    assert client.get("/inbox/").status_code == 302
    assert auth.login("li.si").status_code == 401


def test_a_cookie_from_before_session_generations_signs_no_one_in(app, client):
    with client.session_transaction() as session:
        session["user"], session["seen"] = "li.si", 9e18
    assert client.get("/inbox/").status_code == 302


@pytest.mark.parametrize("path", ["/auth/login", "/inbox/", "/portal/", "/static/pdw.css", "/no-such-page"])
def test_every_response_forbids_framing_sniffing_and_inline_script(client, auth, path):
    auth.login("li.si")
    with client.get(path) as response:
        headers = response.headers
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    policy = dict(d.strip().split(" ", 1) for d in headers["Content-Security-Policy"].split(";"))
    assert policy["frame-ancestors"] == "'none'"
    assert policy["script-src"] == "'self'" and "unsafe-inline" not in headers["Content-Security-Policy"]
    assert policy["object-src"] == "'none'"


def test_signed_in_pages_are_not_kept_in_caches(client, auth):
    auth.login("li.si")
    assert client.get("/inbox/").headers["Cache-Control"] == "no-store"


def test_no_page_carries_inline_script_or_event_handlers(client, auth):
    auth.login("zhang.san")
    for path in ("/portal/", "/portal/apply/web_share", "/auth/login", "/no-such-page"):
        html = client.get(path).text
        assert not re.search(r"<script(?![^>]*\b(src|type=\"application/json\"))[^>]*>", html), path
        assert not re.search(r"\son[a-z]+=", html), path
        assert "style=" not in html, path


@pytest.mark.parametrize("path", ["/inbox/tasks/99999999999999999999999", "/portal/applications/99999999999999999999999",
                                  "/inbox/tasks/9223372036854775808", "/portal/applications/9223372036854775808"])
def test_ids_out_of_range_are_not_found(client, auth, path):
    auth.login("zhao.liu")
    response = client.get(path)
    assert response.status_code == 404
    assert 'class="mainnav"' in response.text


def test_posting_an_id_out_of_range_is_not_found(client, auth):
    auth.login("li.si")
    response = auth.post("/inbox/", "/inbox/tasks/99999999999999999999999/claim")
    assert response.status_code == 404


@pytest.mark.parametrize("lang, title", [("zh_CN", "未找到"), ("en", "Not found")])
def test_the_not_found_page_is_the_apps_own_in_both_languages_with_navigation(client, auth, lang, title):
    auth.login("li.si")
    client.get(f"/lang/{lang}")
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert title in response.text and 'class="mainnav"' in response.text
    if lang == "en":
        assert stray_chinese(response.text) == []


def test_a_refused_csrf_token_shows_the_page_with_its_navigation(client, auth):
    auth.login("li.si")
    response = client.post("/inbox/notifications/read", data={"csrf_token": "forged"})
    assert response.status_code == 400
    assert 'class="mainnav"' in response.text and "CSRF" in response.text


def test_a_wrong_method_is_the_apps_own_page(client, auth):
    auth.login("li.si")
    response = client.get("/auth/logout")
    assert response.status_code == 405 and 'class="mainnav"' in response.text


@pytest.mark.parametrize("lang, title", [("zh_CN", "系统错误"), ("en", "System error")])
def test_a_failure_inside_the_app_is_its_own_500_page_in_both_languages(engines, lang, title):
    app = make_app(engines.at(), TESTING=False)

    @app.route("/broken")
    def broken():
        raise RuntimeError("a bug")

    client = app.test_client()
    client.get(f"/lang/{lang}")
    response = client.get("/broken")
    assert response.status_code == 500
    assert title in response.text and "a bug" not in response.text and "Traceback" not in response.text
