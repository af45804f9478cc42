"""Every statement the repositories prepare for PostgreSQL stays within what psycopg caches.

psycopg converts a query's `%(name)s` placeholders to `$n` on every execution unless the query
has at most MAX_CACHED_STATEMENT_PARAMS parameters and MAX_CACHED_STATEMENT_LENGTH bytes; past
either limit each execution parses the whole text again, on the hot path. Each literal() in a
Core statement is a parameter of its own, so a statement can cross the limit unnoticed (the
audit append once had 51). Generated over every prepared statement, so a new one is held to it.
"""
from __future__ import annotations

import pytest
from psycopg import _queries
from sqlalchemy.dialects.postgresql import psycopg as postgresql_psycopg

from engine.persistence import repositories

STATEMENTS = repositories.statements_for(postgresql_psycopg.dialect())


@pytest.mark.parametrize("name", sorted(repositories._definitions("postgresql")))
def test_the_statement_is_within_psycopgs_query_cache(name):
    prepared = STATEMENTS[name]
    assert len(prepared.names) <= _queries.MAX_CACHED_STATEMENT_PARAMS, prepared.names
    assert len(prepared.sql.encode("utf-8")) <= _queries.MAX_CACHED_STATEMENT_LENGTH
