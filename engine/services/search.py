"""Keeping the search index of applications: the words people read of each application.

`index_application` runs in the unit of work that starts an application, so an application
is searchable from the moment it exists; `reindex_missing` fills the index for applications
made before it (run by `pdw db upgrade`).
"""
from __future__ import annotations

from sqlalchemy import Column, Integer, MetaData, Table, Text, cast, exists, insert, literal_column, select
from sqlalchemy.dialects.postgresql import TSQUERY
from sqlalchemy.sql import ColumnElement

from engine import search
from engine.persistence.models import ApplicationSearch, Department, ProcessDefinition, ProcessInstance, User
from engine.persistence.repositories import catalog_item
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


def words_of(session, *, receipt_number: str, process_name: str | None, applicant: str, data: dict,
             schema: dict | None, person: tuple[str | None, str | None] | None = None) -> str:
    """The indexed words of one application: its receipt number, procedure, applicant's login,
    name and organisation (`person`, read here unless given), the catalog entry it names, and
    its text and chosen labels."""
    if person is None:
        person = session.execute(select(User.display_name, Department.name)
                                 .outerjoin(Department, Department.code == User.department)
                                 .where(User.name == applicant)).first()
    code = data.get("catalog_item")
    # Starting an application has just read the entry (admission), so this reads nothing.
    entry = catalog_item(session, code) if isinstance(code, str) and code else None
    item = entry.name if entry is not None else None
    return search.tokens(receipt_number, process_name or "", applicant, *(p for p in person or () if p), item or "",
                         *_labels(schema, data), *_text_of(data))


def index_application(uow: UnitOfWork, instance_id: int, *, receipt_number: str, process_name: str | None,
                      applicant: str, person: tuple[str | None, str | None] | None, data: dict,
                      schema: dict | None) -> None:
    """Write the words of a new application, in the unit of work that starts it (which has read
    the procedure's name, and usually the applicant's name and organisation, already)."""
    words = words_of(uow.session, receipt_number=receipt_number, process_name=process_name, applicant=applicant,
                     data=data, schema=schema, person=person)
    uow.cursor.later("search_add", {"instance_id": instance_id, "tokens": words})


def reindex_missing(uow: UnitOfWork, *, batch: int = 500) -> int:
    """Index every application not yet in the index; returns how many were added."""
    added = 0
    definitions: dict[int, tuple[str | None, dict | None]] = {}
    while True:
        with uow:
            session = uow.session
            missing = session.execute(
                select(ProcessInstance.id, ProcessInstance.receipt_number, ProcessInstance.definition_id,
                       ProcessInstance.started_by, ProcessInstance.summary)
                .where(~exists().where(ApplicationSearch.instance_id == ProcessInstance.id))
                .order_by(ProcessInstance.id).limit(batch)).all()
            for row in missing:
                if row.definition_id not in definitions:
                    definition = session.get(ProcessDefinition, row.definition_id)
                    start = (definition.properties or {}).get("startForm")
                    definitions[row.definition_id] = (definition.name, (definition.forms or {}).get(start or ""))
                name, schema = definitions[row.definition_id]
                words = words_of(session, receipt_number=row.receipt_number, process_name=name,
                                 applicant=row.started_by, data=row.summary or {}, schema=schema)
                session.execute(insert(_s).values(instance_id=row.id, tokens=words))
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
