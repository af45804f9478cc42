"""Schemathesis against the API's own OpenAPI document: whatever it sends, no 500 and no answer
that breaks the document's schema. Bounded: a fixed number of examples per operation."""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import response_schema_conformance
from schemathesis.checks import not_a_server_error

from engine.services import tokens
from webapp.api import PREFIX
from engine.services.users import SYSTEM


@pytest.fixture
def database_kind() -> str:
    """On SQLite only: the operations and answers are the same on PostgreSQL, and time is bounded."""
    return "sqlite"


@pytest.fixture
def api_schema(app):
    """The API's document, loaded from the running app."""
    return schemathesis.openapi.from_wsgi(f"{PREFIX}/openapi.json", app)


@pytest.fixture
def headers(engines):
    """A supervisor's token, who may read the most."""
    secret = tokens.create(engines.at().uow(), "zhao.liu", actor=SYSTEM).secret
    return {"Authorization": f"Bearer {secret}"}


def test_no_request_makes_the_api_fail_or_break_its_own_document(api_schema, headers):
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 12
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=20, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def check(case):
            response = case.call(headers=headers)
            case.validate_response(response, checks=(not_a_server_error, response_schema_conformance))

        check()
