"""Web fixtures: the app on a migrated database (SQLite, then PostgreSQL) with a frozen clock."""
from __future__ import annotations

import pytest

from engine import demo
from engine.config import PROJECT_ROOT
from engine_factory import FROZEN, EngineFactory
from web_helpers import AuthActions, Engines, make_app, prepare


def _seed(url: str) -> None:
    factory = Engines(url)
    prepare(factory.at())
    factory.close()


@pytest.fixture
def engines(database_kind, templates, tmp_path, sandbox):
    """The engine on a database holding the test procedure and five people with passwords."""
    factory = Engines(templates.fresh(database_kind, "web", _seed, tmp_path), sandbox)
    yield factory
    factory.close()


@pytest.fixture
def app(engines):
    """The web app, its clock frozen on Monday 2026-03-02 09:00."""
    return make_app(engines.at(FROZEN))


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def auth(client):
    return AuthActions(client)


class DemoEngines(EngineFactory):
    """The engine with the shipped forms and procedures, on a database holding the demo data."""

    def __init__(self, url: str, sandbox=None) -> None:
        super().__init__(url, PROJECT_ROOT / "forms", sandbox)


def _seed_demo(url: str) -> None:
    factory = DemoEngines(url)
    demo.load(factory.at())
    factory.close()


@pytest.fixture
def demo_engines(database_kind, templates, tmp_path, sandbox):
    """The engine on the demo data: the city's departments, one person per role, the catalog and
    every shipped procedure."""
    factory = DemoEngines(templates.fresh(database_kind, "demo", _seed_demo, tmp_path), sandbox)
    yield factory
    factory.close()

