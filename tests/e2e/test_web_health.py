"""`/healthz`, `/readyz`, and a page that names the cause when the database cannot serve."""
from __future__ import annotations

from engine.persistence.health import head_revision
from web_helpers import Engines, make_app


def test_healthz_answers_and_readyz_names_the_current_migration(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json() == {"status": "ready", "revision": head_revision()}


def test_a_database_never_upgraded_is_not_ready_and_signing_in_shows_a_page_saying_so(tmp_path, sandbox):
    engines = Engines(f"sqlite:///{tmp_path / 'never-upgraded.sqlite3'}", sandbox)
    try:
        client = make_app(engines.at(), WTF_CSRF_ENABLED=False).test_client()
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert ready.get_json()["code"] == "database.not_upgraded"
        page = client.post("/auth/login", data={"username": "li.si", "password": "whatever"})
        assert page.status_code == 503
        assert "pdw db upgrade" in page.text and "Traceback" not in page.text
    finally:
        engines.close()
