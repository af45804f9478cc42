"""Keeping the search index of applications: the words people read of each application.

`index_application` runs in the unit of work that starts an application, so an application
is searchable from the moment it exists; `reindex_missing` fills the index for applications
made before it (run by `pdw db upgrade`).
"""
from __future__ import annotations

from sqlalchemy import Column, Integer, MetaData, Table, Text, cast, exists, literal_column, select
from sqlalchemy.dialects.postgresql import TSQUERY
from sqlalchemy.sql import ColumnElement

from engine import search
from engine.persistence.models import (ApplicationSearch, CatalogItem, Department, ProcessDefinition, ProcessInstance,
                                       User)
from engine.persistence.search_index import FTS_TABLE, POSTGRES_LEXEMES
from engine.persistence.unit_of_work import UnitOfWork

_s = ApplicationSearch.__table__


def _text_of(value) -> list[str]:
    if isinstance(value, dict):
        return [t for v in value.values() for t in _text_of(v)]
    if isinstance(value, list):
        return [t for v in value for t in _text_of(v)]
    return [str(value)] if value is not None and not isinstance(value, bool) else []


def _labels(schema: dict | None, data: dict) -> list[str]:
    """The labels of the enum values chosen in `data`, as the form shows them."""
    labels = []
    for name, prop in ((schema or {}).get("properties") or {}).items():
        items = prop.get("items", {}) if prop.get("type") == "array" else prop
        names = items.get("enumNames") or items.get("x-enumNames") or []
        chosen = data.get(name)
        for i, value in enumerate(items.get("enum") or []):
            if i < len(names) and (value == chosen or (isinstance(chosen, list) and value in chosen)):
                labels.append(names[i])
    return labels


def words_of(session, instance: ProcessInstance) -> str:
    """The indexed words of one application."""
    definition = session.get(ProcessDefinition, instance.definition_id)
    user = session.scalar(select(User).where(User.name == instance.started_by))
    department = session.get(Department, user.department) if user is not None and user.department else None
    data = instance.summary or {}
    code = data.get("catalog_item")
    item = session.get(CatalogItem, code) if isinstance(code, str) and code else None
    start_form = ((definition.forms or {}).get((definition.properties or {}).get("startForm") or "")
                  if definition is not None else None)
    return search.tokens(instance.receipt_number, definition.name if definition else "", instance.started_by,
                         user.display_name if user is not None else "", department.name if department else "",
                         item.name if item is not None else "", *_labels(start_form, data), *_text_of(data))


def index_application(uow: UnitOfWork, instance_id: int) -> None:
    """Write (or rewrite) the words of application `instance_id`, in the caller's unit of work."""
    session = uow.session
    instance = session.get(ProcessInstance, instance_id)
    row = session.get(ApplicationSearch, instance_id)
    words = words_of(session, instance)
    if row is None:
        session.add(ApplicationSearch(instance_id=instance_id, tokens=words))
    else:
        row.tokens = words
    session.flush()


def reindex_missing(uow: UnitOfWork, *, batch: int = 500) -> int:
    """Index every application not yet in the index; returns how many were added."""
    added = 0
    while True:
        with uow:
            missing = uow.session.scalars(select(ProcessInstance).where(
                ~exists().where(ApplicationSearch.instance_id == ProcessInstance.id))
                .order_by(ProcessInstance.id).limit(batch)).all()
            for instance in missing:
                uow.session.add(ApplicationSearch(instance_id=instance.id, tokens=words_of(uow.session, instance)))
            uow.commit()
        added += len(missing)
        if len(missing) < batch:
            return added


def matching(dialect: str, query: str, instance_id: ColumnElement) -> ColumnElement | None:
    """A condition on `instance_id` that holds for applications matching `query`, or None when
    the query holds no word to search by."""
    found = search.terms(query)
    if not found:
        return None
    if dialect == "postgresql":
        # The very expression the GIN index is built on, so the planner can use it.
        lexemes = literal_column(POSTGRES_LEXEMES.replace("tokens", f"{_s.name}.tokens"))
        ids = select(_s.c.instance_id).where(lexemes.op("@@")(cast(search.tsquery(found), TSQUERY)))
    else:
        ids = select(_FTS.c.rowid).where(_FTS.c[FTS_TABLE].op("MATCH")(search.fts5_query(found)))
    return instance_id.in_(ids)


# The FTS5 table as statements name it (it is no model: engine.persistence.search_index makes it).
_FTS = Table(FTS_TABLE, MetaData(), Column("rowid", Integer), Column(FTS_TABLE, Text))
