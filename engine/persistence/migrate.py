"""Running the Alembic migrations from code, with no alembic.ini to find."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext

from engine.persistence.database import Database

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(connection) -> AlembicConfig:
    """An Alembic config that runs the migrations on `connection`."""
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def upgrade(db: Database) -> str:
    """Migrate the database to the newest revision and return that revision."""
    with db.write_engine.begin() as connection:
        command.upgrade(alembic_config(connection), "head")
    with db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
