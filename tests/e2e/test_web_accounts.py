"""Signing in over HTTP: passwords, CSRF, throttling shared by workers, idle expiry, language."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from engine.cli import main
from engine.services.users import SYSTEM, add_user
from web_helpers import PASSWORD, AuthActions, flashes, make_app


@pytest.mark.parametrize("name, home", [("zhang.san", "/portal/"), ("li.si", "/inbox/")])
def test_signing_in_leads_each_person_to_their_work(client, auth, name, home):
    response = auth.login(name)
    assert response.status_code == 302
    assert client.get(response.location).location == home
    assert client.get(home).status_code == 200


@pytest.mark.parametrize("name, password", [("li.si", "wrong password"), ("nobody", PASSWORD)])
def test_a_wrong_name_or_password_gets_the_same_message(client, auth, name, password):
    response = auth.login(name, password)
    assert response.status_code == 401
    assert flashes(response.text) == ["用户名或密码错误。"]
    assert client.get("/inbox/").status_code == 302


def test_a_form_posted_without_its_csrf_token_is_rejected_and_changes_nothing(client, auth):
    response = client.post("/auth/login", data={"username": "li.si", "password": PASSWORD})
    assert response.status_code == 400
    assert "CSRF" in response.text
    assert client.get("/inbox/").status_code == 302  # still signed out

    auth.login("li.si")
    response = client.post("/auth/logout", data={"csrf_token": "forged"})
    assert response.status_code == 400
    assert client.get("/inbox/").status_code == 200  # still signed in


def test_five_failures_lock_the_name_for_every_worker_until_the_window_passes(engines, client, auth):
    for _ in range(5):
        assert auth.login("li.si", "guess").status_code == 401
    locked = auth.login("li.si", PASSWORD)
    assert locked.status_code == 429
    assert flashes(locked.text) == ["登录失败次数过多，账号已暂时锁定，请于 2026-03-02 09:15 之后再试。"]

    # A second web worker reads the same table and refuses too.
    other = make_app(engines.at()).test_client()
    assert AuthActions(other).login("li.si").status_code == 429
    # Other names are not affected.
    assert AuthActions(other).login("wang.wu").status_code == 302

    later = make_app(engines.at("2026-03-02T09:15:01+08:00")).test_client()
    assert AuthActions(later).login("li.si").status_code == 302


def test_a_session_idle_for_longer_than_the_limit_ends(client, auth):
    auth.login("li.si")
    assert client.get("/inbox/").status_code == 200
    with client.session_transaction() as session:
        session["seen"] -= 31 * 60
    response = client.get("/inbox/")
    assert response.status_code == 302 and response.location.startswith("/auth/login")
    assert "您已超过 30 分钟未操作，请重新登录。" in flashes(client.get(response.location).text)


def test_an_active_session_stays_signed_in(client, auth):
    auth.login("li.si")
    with client.session_transaction() as session:
        session["seen"] -= 29 * 60
    assert client.get("/inbox/").status_code == 200


def test_the_interface_is_chinese_by_default_and_english_on_request(client):
    page = client.get("/auth/login").text
    assert '<html lang="zh-CN">' in page and "登录" in page
    response = client.get("/lang/en?next=/auth/login")
    assert response.location == "/auth/login"
    page = client.get("/auth/login").text
    assert '<html lang="en">' in page and "Sign in" in page and "User name" in page
    assert client.get("/lang/en?next=//evil.example").location == "/"


def test_set_password_from_the_command_line_lets_the_user_sign_in(engines, client, auth, monkeypatch):
    monkeypatch.setenv("PDW_DATABASE_URL", engines.config.database_url)
    add_user(engines.at().uow(), "admin", department="dsjzx", roles=["admin"], actor=SYSTEM)
    runner = CliRunner()
    set_password = ["users", "set-password", "li.si", "--password-stdin", "--as", "admin"]
    result = runner.invoke(main, set_password, input="a new secret\n")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "password set for li.si"
    assert auth.login("li.si", PASSWORD).status_code == 401
    assert auth.login("li.si", "a new secret").status_code == 302

    short = runner.invoke(main, set_password, input="short\n")
    assert short.exit_code == 1
    assert "at least 8 characters" in short.stderr
    common = runner.invoke(main, set_password, input="12345678\n")
    assert common.exit_code == 1 and "commonly used password" in common.stderr
