"""The public data catalog (Art. 13, 19, 25): import from CSV with per-line errors, and list."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from sqlalchemy import or_, select

from engine.bpmn.operations import OPEN_ATTRIBUTES, PERSONAL_INFORMATION, SHARE_ATTRIBUTES
from engine.errors import InvalidInput, Problem
from engine.persistence.models import CatalogItem, Department
from engine.persistence.unit_of_work import UnitOfWork
from engine.services.users import require_administrator

COLUMNS = ("code", "name", "source_unit", "share_attribute", "share_conditions", "share_basis", "open_attribute",
           "open_conditions", "update_frequency", "contact", "data_format", "data_type", "sensitivity_level")
REQUIRED = ("code", "name", "source_unit", "share_attribute", "open_attribute", "update_frequency", "contact")


@dataclass(frozen=True)
class ImportReport:
    """How many catalog items a file added and updated."""

    added: int
    updated: int


def _problems_of(line: int, row: dict, departments: set[str], seen: dict[str, int]) -> list[Problem]:
    def problem(message: str, column: str, **params) -> Problem:
        return Problem(message, params, field=column, line=line)

    problems = [problem("catalog.required", c) for c in REQUIRED if not row.get(c)]
    share, opening = row.get("share_attribute"), row.get("open_attribute")
    if share and share not in SHARE_ATTRIBUTES:
        problems.append(problem("catalog.attribute_unknown", "share_attribute", value=share,
                                allowed=list(SHARE_ATTRIBUTES)))
    if opening and opening not in OPEN_ATTRIBUTES:
        problems.append(problem("catalog.attribute_unknown", "open_attribute", value=opening,
                                allowed=list(OPEN_ATTRIBUTES)))
    # Art. 19: conditional sharing states its conditions; refusal cites its legal basis.
    if share == "有条件共享" and not row.get("share_conditions"):
        problems.append(problem("catalog.share_conditions_missing", "share_conditions"))
    if share == "不予共享" and not row.get("share_basis"):
        problems.append(problem("catalog.share_basis_missing", "share_basis"))
    if opening == "有条件开放" and not row.get("open_conditions"):
        problems.append(problem("catalog.open_conditions_missing", "open_conditions"))
    if opening == "无条件开放" and row.get("sensitivity_level") == PERSONAL_INFORMATION:
        problems.append(problem("catalog.personal_information_open", "open_attribute"))
    unit = row.get("source_unit")
    if unit and unit not in departments:
        problems.append(problem("catalog.source_unit_unknown", "source_unit", unit=unit))
    code = row.get("code")
    if code and code in seen:
        problems.append(problem("catalog.code_duplicate", "code", code=code, first_line=seen[code]))
    return problems


def import_csv(uow: UnitOfWork, text: str, *, actor: str, file_name: str = "catalog.csv") -> ImportReport:
    """Add or update catalog items from CSV text (a header row naming the COLUMNS).

    Every line is checked first; a file with any error imports nothing.

    Raises:
        InvalidInput: every problem, each naming its line and column.
        NotFound, PermissionDenied: `actor` may not administer the catalog (users.require_administrator).
    """
    with uow.read():
        # Who may import is decided before the file is read: a refused user learns nothing of it.
        require_administrator(uow.session, actor, "catalog")
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
    if missing:
        raise InvalidInput("catalog.not_imported", [Problem("catalog.columns_missing", {"columns": missing}, line=1)],
                           file=file_name, count=1)
    rows = [(n, {k: (v or "").strip() for k, v in row.items() if k in COLUMNS}) for n, row in enumerate(reader, 2)]
    with uow:
        session = uow.session
        departments = set(session.scalars(select(Department.code)))
        problems, seen = [], {}
        for line, row in rows:
            problems += _problems_of(line, row, departments, seen)
            seen.setdefault(row.get("code"), line)
        if problems:
            raise InvalidInput("catalog.not_imported", problems, file=file_name, count=len(problems))
        existing = {item.code: item for item in session.scalars(select(CatalogItem))}
        added = updated = 0
        for _, row in rows:
            values = {c: (row.get(c) or None) for c in COLUMNS}
            item = existing.get(row["code"])
            if item is None:
                session.add(CatalogItem(**values))
                added += 1
            else:
                for column, value in values.items():
                    setattr(item, column, value)
                updated += 1
        uow.audit.append(at=uow.engine.clock.now(), actor=actor, action="catalog.import",
                         after={"file": file_name, "added": added, "updated": updated})
        session.flush()
        uow.commit()
    return ImportReport(added, updated)


def list_items(uow: UnitOfWork, search: str | None = None) -> list[dict]:
    """Every catalog item, by code; with `search`, those whose code, name or source unit contain it."""
    query = select(CatalogItem).order_by(CatalogItem.code)
    if search and search.strip():
        needle = "%" + search.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(or_(*(column.like(needle, escape="\\") for column in
                                  (CatalogItem.code, CatalogItem.name, CatalogItem.source_unit))))
    with uow.read():
        return [{c: getattr(item, c) for c in (*COLUMNS, "open_suspended")} for item in uow.session.scalars(query)]
