"""Helpers the benchmarks share: private PostgreSQL schemas that are dropped afterwards."""
from __future__ import annotations

import argparse
import uuid
from contextlib import ExitStack, contextmanager

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


def size_arguments(doc: str) -> argparse.ArgumentParser:
    """The options of a bench that compares a small and a large table on PostgreSQL."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=10_000)
    return parser


@contextmanager
def sized_schemas(url: str, prefix: str, sizes: tuple[int, ...]):
    """Yield (size, URL of a fresh private schema) for each size in turn; every schema is
    dropped when the block ends, however it ends."""
    with ExitStack() as stack:
        yield ((size, stack.enter_context(postgres_schema(url, f"{prefix}_{size}_{uuid.uuid4().hex[:8]}")))
               for size in sizes)
