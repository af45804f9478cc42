"""Web fixtures: the app on a migrated database (SQLite, then PostgreSQL) with a frozen clock."""
from __future__ import annotations

import pytest

from engine_factory import FROZEN
from web_helpers import AuthActions, DemoEngines, Engines, make_app, prepare, seed_demo


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



@pytest.fixture
def demo_engines(database_kind, templates, tmp_path, sandbox):
    """The engine on the demo data: the city's departments, one person per role, the catalog and
    every shipped procedure."""
    factory = DemoEngines(templates.fresh(database_kind, "demo", seed_demo, tmp_path), sandbox)
    yield factory
    factory.close()

