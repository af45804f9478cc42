"""The reliability suite runs on PostgreSQL only: what it checks (row locks, SKIP LOCKED,
several processes on one database) is what a city's deployment relies on."""
from __future__ import annotations

import pytest


@pytest.fixture
def database_kind() -> str:
    """PostgreSQL: the database several machines share."""
    return "postgres"


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/reliability/" in str(item.fspath):
            item.add_marker(pytest.mark.postgres)
            item.add_marker(pytest.mark.reliability)
