"""Helpers the benchmarks share: a private PostgreSQL schema that is dropped afterwards."""
from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import create_engine, text


@contextmanager
def postgres_schema(url: str, name: str):
    """Yield a URL whose search_path is a fresh schema `name`; drop the schema on exit."""
    admin = create_engine(url)
    try:
        with admin.begin() as c:
            c.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
            c.execute(text(f'CREATE SCHEMA "{name}"'))
        yield f"{url}?options=-csearch_path%3D{name}"
    finally:
        with admin.begin() as c:
            c.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
        admin.dispose()
