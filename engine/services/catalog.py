"""The public data catalog (Art. 13, 19, 25): import from CSV with per-line errors, and list."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from sqlalchemy import select

from engine.bootstrap import Engine
from engine.errors import InvalidInput, Problem
from engine.persistence.models import CatalogItem, Department
from engine.services import audit

COLUMNS = ("code", "name", "source_unit", "share_attribute", "share_conditions", "share_basis", "open_attribute",
           "open_conditions", "update_frequency", "contact")
REQUIRED = ("code", "name", "source_unit", "share_attribute", "open_attribute", "update_frequency", "contact")
SHARE_ATTRIBUTES = ("无条件共享", "有条件共享", "不予共享")
OPEN_ATTRIBUTES = ("无条件开放", "有条件开放", "不予开放")


@dataclass(frozen=True)
class ImportReport:
    """How many catalog items a file added and updated."""

    added: int
    updated: int


def _problems_of(line: int, row: dict, departments: set[str], seen: dict[str, int]) -> list[Problem]:
    where = f"line {line}"
    problems = [Problem(f"{where}: {c}", "is required") for c in REQUIRED if not row.get(c)]
    share, opening = row.get("share_attribute"), row.get("open_attribute")
    if share and share not in SHARE_ATTRIBUTES:
        problems.append(Problem(f"{where}: share_attribute", f"'{share}' is not one of {', '.join(SHARE_ATTRIBUTES)}"))
    if opening and opening not in OPEN_ATTRIBUTES:
        problems.append(Problem(f"{where}: open_attribute", f"'{opening}' is not one of {', '.join(OPEN_ATTRIBUTES)}"))
    # Art. 19: conditional sharing states its conditions; refusal cites its legal basis.
    if share == "有条件共享" and not row.get("share_conditions"):
        problems.append(Problem(f"{where}: share_conditions", "有条件共享 needs its conditions (Art. 19)"))
    if share == "不予共享" and not row.get("share_basis"):
        problems.append(Problem(f"{where}: share_basis", "不予共享 needs its legal basis (Art. 19)"))
    if opening == "有条件开放" and not row.get("open_conditions"):
        problems.append(Problem(f"{where}: open_conditions", "有条件开放 needs its conditions"))
    unit = row.get("source_unit")
    if unit and unit not in departments:
        problems.append(Problem(f"{where}: source_unit", f"no department '{unit}'"))
    code = row.get("code")
    if code and code in seen:
        problems.append(Problem(f"{where}: code", f"'{code}' is already on line {seen[code]}"))
    return problems


def import_csv(engine: Engine, text: str, *, actor: str = "admin", file_name: str = "catalog.csv") -> ImportReport:
    """Add or update catalog items from CSV text (a header row naming the COLUMNS).

    Every line is checked first; a file with any error imports nothing.

    Raises:
        InvalidInput: every problem, each naming its line and column.
    """
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
    if missing:
        raise InvalidInput(f"{file_name} not imported", [Problem("line 1", f"missing column(s) {', '.join(missing)}")])
    rows = [(n, {k: (v or "").strip() for k, v in row.items() if k in COLUMNS}) for n, row in enumerate(reader, 2)]
    with engine.writing() as uow:
        session = uow.session
        departments = set(session.scalars(select(Department.code)))
        problems, seen = [], {}
        for line, row in rows:
            problems += _problems_of(line, row, departments, seen)
            seen.setdefault(row.get("code"), line)
        if problems:
            raise InvalidInput(f"{file_name} not imported", problems)
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
        audit.append(session, at=engine.clock.now(), actor=actor, action="catalog.import",
                     after={"file": file_name, "added": added, "updated": updated})
        session.flush()
        uow.commit()
    return ImportReport(added, updated)


def list_items(engine: Engine) -> list[dict]:
    """Every catalog item, by code."""
    with engine.reading() as uow:
        return [{c: getattr(item, c) for c in (*COLUMNS, "open_suspended")}
                for item in uow.session.scalars(select(CatalogItem).order_by(CatalogItem.code))]
