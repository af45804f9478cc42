"""The Alembic migrations build exactly the schema the models describe."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from engine.persistence.database import connect
from engine.persistence.models import Base


def test_the_migrated_schema_matches_the_models(database_url):
    db = connect(database_url)
    try:
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection)
            differences = compare_metadata(context, Base.metadata)
            assert context.get_current_revision() is not None
    finally:
        db.dispose()
    assert differences == []
