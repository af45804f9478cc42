"""The public data catalog (Art. 13, 19, 25): import from CSV as proposals, line by line, and list."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from sqlalchemy import or_, select

from engine import catalog_rules
from engine.catalog_rules import OPEN_ATTRIBUTES, SHARE_ATTRIBUTES
from engine.errors import InvalidInput, PermissionDenied, Problem
from engine.persistence.models import CatalogItem, Department
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import catalog_changes
from engine.services.users import SYSTEM, require_administrator

__all__ = ["COLUMNS", "ImportReport", "LineOutcome", "OPEN_ATTRIBUTES", "SHARE_ATTRIBUTES", "import_csv",
           "install_initial", "list_items"]

COLUMNS = ("code", "name", "source_unit", "share_attribute", "share_conditions", "share_basis", "open_attribute",
           "open_conditions", "update_frequency", "contact", "data_format", "data_type", "sensitivity_level",
           "share_reason", "legal_bar")
# Optional columns carrying the record that lets protected data move towards opening (Art. 24 para. 3, 25).
RELEASE_COLUMNS = catalog_rules.RELEASE_FIELDS
REQUIRED = ("code", "name", "source_unit", "share_attribute", "open_attribute", "update_frequency", "contact")


@dataclass(frozen=True)
class LineOutcome:
    """What became of one line of an import: held for review, refused at once, or unchanged."""

    line: int
    code: str
    status: str  # held | refused | unchanged
    proposal: int | None = None
    problems: list[Problem] = field(default_factory=list)
    findings: list[Problem] = field(default_factory=list)


@dataclass(frozen=True)
class ImportReport:
    """What an import proposed, line by line."""

    lines: list[LineOutcome]

    def count(self, status: str) -> int:
        """How many lines came to `status`."""
        return sum(1 for line in self.lines if line.status == status)


def _rows(text: str, file_name: str) -> tuple[list[str], list[tuple[int, dict]]]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = list(reader.fieldnames or [])
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise InvalidInput("catalog.not_imported", [Problem("catalog.columns_missing", {"columns": missing}, line=1)],
                           file=file_name, count=1)
    known = set(COLUMNS) | set(RELEASE_COLUMNS)
    return header, [(n, {k: (v or "").strip() for k, v in row.items() if k in known})
                    for n, row in enumerate(reader, 2)]


def _values(row: dict, header: list[str]) -> dict:
    # A column the file does not have keeps the live value; a column it has sets it (empty: none).
    return {c: row.get(c) or None for c in COLUMNS if c != "code" and c in header}


def import_csv(uow: UnitOfWork, text: str, *, actor: str, file_name: str = "catalog.csv") -> ImportReport:
    """Propose the catalog items of CSV text (a header row naming the COLUMNS), line by line.

    Each line that changes an item becomes a proposal (old -> new per attribute): refused at once
    when it breaks a hard rule (engine.catalog_rules), else held for the authority's review
    (engine.services.catalog_changes). Nothing reaches the live catalog here.

    Raises:
        InvalidInput: the header lacks a required column; nothing is proposed.
        NotFound, PermissionDenied: `actor` may not administer the catalog (users.require_administrator).
    """
    with uow.read():
        # Who may import is decided before the file is read: a refused user learns nothing of it.
        require_administrator(uow.session, actor, "catalog")
    header, rows = _rows(text, file_name)
    now = uow.engine.clock.now()
    outcomes, seen = [], {}
    with uow:
        session = uow.session
        departments = set(session.scalars(select(Department.code)))
        for line, row in rows:
            code = row.get("code") or ""
            also = [Problem("catalog.code_duplicate", {"code": code, "first_line": seen[code]}, field="code")] \
                if code and code in seen else []
            seen.setdefault(code, line)
            proposal = catalog_changes.propose(
                session, uow.audit, now=now, actor=actor, code=code, values=_values(row, header),
                source_kind="import", source=f"{file_name}:{line}", release=catalog_changes.release_of(row),
                departments=departments, also=also)
            if proposal is None:
                outcomes.append(LineOutcome(line, code, "unchanged"))
            else:
                outcomes.append(LineOutcome(line, code, proposal.status, proposal.id,
                                            catalog_changes.problems_of(proposal.problems),
                                            catalog_changes.problems_of(proposal.findings)))
        uow.audit.append(at=now, actor=actor, action="catalog.import",
                         after={"file": file_name, "held": sum(o.status == "held" for o in outcomes),
                                "refused": sum(o.status == "refused" for o in outcomes),
                                "unchanged": sum(o.status == "unchanged" for o in outcomes)})
        uow.commit()
    return ImportReport(outcomes)


def install_initial(uow: UnitOfWork, text: str, *, actor: str, file_name: str = "catalog.csv") -> ImportReport:
    """The operator's initial catalog (`pdw demo load`, test fixtures): each line proposed and
    approved at once by SYSTEM, audited as such, all or nothing. Only SYSTEM may do this; the
    rules apply as to any change.

    Raises:
        PermissionDenied: `actor` is not SYSTEM.
        InvalidInput: a line breaks a rule (each problem naming its line and column); nothing is installed.
    """
    if actor != SYSTEM:
        raise PermissionDenied("command.forbidden", user=actor, area="catalog", needed=[SYSTEM])
    header, rows = _rows(text, file_name)
    now = uow.engine.clock.now()
    outcomes, problems = [], []
    with uow:
        session = uow.session
        for line, row in rows:
            code = row.get("code") or ""
            proposal = catalog_changes.propose(session, uow.audit, now=now, actor=actor, code=code,
                                               values=_values(row, header), source_kind="initial",
                                               source=f"{file_name}:{line}", release=catalog_changes.release_of(row))
            if proposal is None:
                outcomes.append(LineOutcome(line, code, "unchanged"))
                continue
            found = catalog_changes.problems_of(proposal.problems)
            problems += [Problem(p.code, p.params, field=p.field, line=line) for p in found]
            if not found:
                catalog_changes.apply(session, uow.audit, proposal, now=now, actor=actor,
                                      reason="initial catalog installed by the operator")
            outcomes.append(LineOutcome(line, code, "added" if proposal.created else "changed", proposal.id))
        if problems:
            raise InvalidInput("catalog.not_imported", problems, file=file_name, count=len(problems))
        uow.commit()
    return ImportReport(outcomes)


@dataclass(frozen=True)
class SubCatalogItem:
    """One line of a department's sub-catalog (Art. 13 para. 3) with what it would change."""

    line: int
    code: str
    values: dict
    release: dict | None
    changes: dict


def read_sub_catalog(session, text: str, unit: str, field_name: str) -> list[SubCatalogItem]:
    """Inside a unit of work: the lines of `unit`'s sub-catalog (CSV text), each read against the
    rules as a change of the live catalog would be; changes nothing.

    Raises:
        InvalidInput: a line breaks a rule, names another unit's data, or nothing would change;
            each problem names `field_name` and its line.
    """
    try:
        header, rows = _rows(text, field_name)
    except InvalidInput as err:
        raise InvalidInput("catalog.sub_catalog_refused", [
            Problem(p.code, p.params, field=field_name, line=p.line) for p in err.problems], count=1) from None
    departments = set(session.scalars(select(Department.code)))
    items, problems, seen = [], [], {}
    for line, row in rows:
        code = row.get("code") or ""
        values = _values(row, header)
        release = catalog_changes.release_of(row)
        live = catalog_changes.item_values(session.get(CatalogItem, code)) if code else None
        new = {**(live or {}), **values, "code": code}
        hard, _ = catalog_rules.check(live, new, source="sub_catalog", departments=departments, release=release)
        if not code:
            hard.insert(0, Problem("catalog.art13_missing", {"label": {"zh": "编码", "en": "code"},
                                                             "article": catalog_rules.ART13}, field="code"))
        if code in seen:
            hard.append(Problem("catalog.code_duplicate", {"code": code, "first_line": seen[code]}, field="code"))
        seen.setdefault(code, line)
        # Art. 13 para. 3: a unit's sub-catalog lists its own data (本单位), of which it is the source unit.
        if new.get("source_unit") != unit or (live and live.get("source_unit") != unit):
            hard.append(Problem("catalog.sub_catalog_foreign", {"code": code, "unit": unit}, field="source_unit"))
        problems += [Problem(p.code, p.params, field=f"{field_name} ({p.field})" if p.field else field_name,
                             line=line) for p in hard]
        changes = catalog_rules.changes_of(live, new)
        if changes:
            items.append(SubCatalogItem(line, code, values, release, changes))
    if not problems and not items:
        problems.append(Problem("catalog.sub_catalog_empty", field=field_name))
    if problems:
        raise InvalidInput("catalog.sub_catalog_refused", problems, count=len(problems))
    return items


def list_items(uow: UnitOfWork, search: str | None = None) -> list[dict]:
    """Every catalog item, by code; with `search`, those whose code, name or source unit contain it."""
    query = select(CatalogItem).order_by(CatalogItem.code)
    if search and search.strip():
        needle = "%" + search.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(or_(*(column.like(needle, escape="\\") for column in
                                  (CatalogItem.code, CatalogItem.name, CatalogItem.source_unit))))
    with uow.read():
        return [{c: getattr(item, c) for c in (*COLUMNS, "open_suspended")} for item in uow.session.scalars(query)]
