"""PDW operations that BPMN service tasks may call (spiffworkflow:serviceTaskOperator id).

They are trusted code run inside the transaction of the step that reaches them. Each takes
the operation context and the evaluated parameters and returns JSON data, which lands in
the service task's result variable.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select

from engine import catalog_rules, governance
from engine.catalog_rules import OPEN_ATTRIBUTES, PERSONAL_INFORMATION, SHARE_ATTRIBUTES
from engine.bpmn.script_engine import OperationError
from engine.clock import SHANGHAI
from engine.errors import InvalidInput, Problem
from engine.persistence.models import CatalogItem, Department, Grant, ProcessDefinition, User
from engine.persistence.repositories import CatalogItemRow, InstanceRecord, add_grant, catalog_item_and_grant_id
from engine.persistence.repositories import catalog_item as read_catalog_item
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import catalog, catalog_changes

__all__ = ["OPERATIONS", "OperationContext", "OperationError", "PERSONAL_INFORMATION", "SHARE_ATTRIBUTES",
           "OPEN_ATTRIBUTES"]



@dataclass(frozen=True)
class OperationContext:
    """What an operation may touch: the step's unit of work, its instance and the time."""

    uow: UnitOfWork
    instance: InstanceRecord
    now: datetime

    @property
    def session(self):
        """The step's SQLAlchemy session."""
        return self.uow.session

    def instance_id(self) -> int:
        """The instance's id, writing a just-started instance first so rows can refer to it."""
        if not self.uow.instances.is_written(self.instance):
            self.uow.instances.add(self.instance)
        return self.instance.id

    def definition(self):
        """The version of the process the instance runs on: its id, process_id, version and
        properties (engine.bootstrap.DefinitionFacts), read once per process, as versions are frozen."""
        definition_id = self.instance.definition_id
        return self.uow.engine.specs.facts(definition_id, lambda: self.session.execute(
            select(ProcessDefinition.process_id, ProcessDefinition.version, ProcessDefinition.properties)
            .where(ProcessDefinition.id == definition_id)).first())

    def authorise(self, operation: str) -> None:
        """Refuse an operation that writes the catalog, grants or opening state unless the
        instance's version was approved declaring it (engine.governance): a designer alone
        cannot make a process that grants data or rewrites the catalog.

        Raises:
            OperationError: the capability is not declared by an approved version.
        """
        if not governance.needs_capability(operation):
            return
        definition = self.definition()
        # Every definition is an approved version (a proposal becomes one only when approved).
        if definition is None or operation not in governance.declared_capabilities(definition.properties):
            raise OperationError(f"operation '{operation}' writes the catalog, grants or opening state: the "
                                 f"process's approved version must declare it in its "
                                 f"'{governance.CAPABILITIES}' property")

    def proposer(self) -> tuple[str, str, int | None, dict]:
        """Who proposes a catalog change this step makes, where it comes from, its instance and
        what its audit entries name: the process, its receipt number, its id, and the process
        and version (outside a process, the catalog's own use case)."""
        if self.instance is None:
            return "pdw:operation", "-", None, {}
        definition = self.definition()
        return (f"process:{definition.process_id}"[:64], self.instance.receipt_number, self.instance_id(),
                {"process": definition.process_id, "version": definition.version})

    def record(self, *, action: str, before: dict | None = None, after: dict) -> None:
        """An audit entry of its own for a change an operation made, naming instance and version."""
        if self.instance is None:
            return  # called outside a process (the catalog's own use case audits itself)
        definition = self.definition()
        self.uow.audit.append(at=self.now, actor=f"process:{definition.process_id}"[:64], action=action,
                              instance_id=self.instance_id(), before=before,
                              after={**after, "process": definition.process_id, "version": definition.version})


def _item(context: OperationContext, params: dict) -> CatalogItemRow:
    code = params.get("catalog_item")
    item = read_catalog_item(context.session, code) if code else None
    if item is None:
        raise OperationError(f"catalog item '{code}' does not exist")
    return item


def _item_to_change(context: OperationContext, params: dict) -> CatalogItem:
    # Loaded as an ORM object, which the session flushes with the step: readers of this unit of
    # work see its changes from then on (engine.persistence.repositories.catalog_item).
    code = params.get("catalog_item")
    item = context.session.get(CatalogItem, code) if code else None
    if item is None:
        raise OperationError(f"catalog item '{code}' does not exist")
    return item


def catalog_item(context: OperationContext, params: dict) -> dict:
    """The catalog entry `catalog_item` (share and open attributes, source unit, basis)."""
    item = _item(context, params)
    return {
        "code": item.code, "name": item.name, "source_unit": item.source_unit,
        "share_attribute": item.share_attribute, "share_conditions": item.share_conditions,
        "share_basis": item.share_basis, "open_attribute": item.open_attribute,
        "open_conditions": item.open_conditions, "update_frequency": item.update_frequency,
        "contact": item.contact, "open_suspended": item.open_suspended, "data_format": item.data_format,
        "data_type": item.data_type, "sensitivity_level": item.sensitivity_level,
    }


def catalog_items(context: OperationContext, params: dict) -> dict:
    """The catalog items whose codes `codes` lists (comma-separated), in the order given, with
    their distinct source units; a code the catalog lacks refuses the step, naming the form's
    `field`."""
    codes = list(dict.fromkeys(c.strip() for c in str(params.get("codes") or "").split(",") if c.strip()))
    field = params.get("field") or "codes"
    items = {i.code: i for i in context.session.scalars(select(CatalogItem).where(CatalogItem.code.in_(codes)))}
    unknown = [code for code in codes if code not in items]
    if unknown or not codes:
        problem = Problem("application.catalog_item_unknown", {"code": ", ".join(unknown)}, field=field) if unknown \
            else Problem("catalog.codes_none", field=field)
        raise InvalidInput("catalog.items_refused", [problem], count=1)
    return {"codes": codes, "names": {code: items[code].name for code in codes},
            "source_units": sorted({items[code].source_unit for code in codes})}


def source_units(context: OperationContext, params: dict) -> dict:
    """The departments that are the source unit of at least one catalog item, by code, with how
    many items each holds: those who compile responsibility lists (Art. 21, 26)."""
    rows = context.session.execute(select(CatalogItem.source_unit, func.count()).group_by(CatalogItem.source_unit)
                                   .order_by(CatalogItem.source_unit)).all()
    if not rows:
        raise OperationError("source_units: the catalog is empty")
    return {"units": [unit for unit, _ in rows], "items": {unit: count for unit, count in rows}}


def record_grant(context: OperationContext, params: dict) -> dict:
    """Record a grant of `catalog_item` to `grantee` for `scope` and `purpose` until `expires_on`."""
    # What refuses the parameters is found before the item is read, so that a grant id is taken
    # only for a grant that is written; it is still reported after an unknown item, as ever.
    refusal = _grant_refusal(context, params)
    code = params.get("catalog_item")
    item, grant_id = None, None
    if code and refusal is None:
        item, grant_id = catalog_item_and_grant_id(context.session, context.uow.cursor, code)
    elif code:
        item = read_catalog_item(context.session, code)
    if item is None:
        raise OperationError(f"catalog item '{code}' does not exist")
    if refusal is not None:
        raise refusal
    expires = params.get("expires_on")
    grant = {"instance_id": context.instance_id(), "catalog_item": item.code, "grantee": str(params["grantee"]),
             "scope": str(params["scope"]), "purpose": str(params["purpose"]),
             "expires_on": date.fromisoformat(expires) if expires else None, "granted_at": context.now}
    # On PostgreSQL the INSERT goes with the step's other writes: nothing waits for it.
    grant_id = add_grant(context.uow.cursor, grant_id, grant)
    context.record(action="grant.record", after={"grant_id": grant_id, "catalog_item": item.code,
                                                 "grantee": grant["grantee"], "scope": grant["scope"],
                                                 "expires_on": expires})
    return {"grant_id": grant_id, "catalog_item": item.code, "expires_on": expires}


def _grant_refusal(context: OperationContext, params: dict) -> Exception | None:
    """Why record_grant must refuse `params` whatever the item: missing fields, or a term that
    is not a date or has ended; None when nothing does."""
    missing = [k for k in ("grantee", "scope", "purpose") if not params.get(k)]
    if missing:
        return OperationError(f"record_grant needs {', '.join(missing)}")
    expires = params.get("expires_on")
    try:
        expires_on = date.fromisoformat(expires) if expires else None
    except (TypeError, ValueError):
        return OperationError(f"record_grant: expires_on '{expires}' is not a date (YYYY-MM-DD)")
    today = context.now.astimezone(SHANGHAI).date()
    if expires_on is not None and expires_on < today:
        # A grant whose term is over gives no access: it is refused, never recorded as if it did.
        return InvalidInput("grant.not_recorded", [Problem("grant.term_ended",
                                                           {"date": expires, "today": today.isoformat()},
                                                           field=str(params.get("field") or "expires_on"))])
    return None


def end_grants(context: OperationContext, params: dict) -> dict:
    """End the grants this application gave, at once (Art. 43 para. 2: a revoked authorisation
    gives no more access): each still active is marked ended now with `reason`, kept in the
    register, and audited."""
    reason = str(params.get("reason") or "").strip()
    if not reason:
        raise OperationError("end_grants needs a reason")
    today = context.now.astimezone(SHANGHAI).date()
    ended = []
    for grant in context.session.scalars(select(Grant).where(Grant.instance_id == context.instance_id(),
                                                             Grant.revoked_at.is_(None)).order_by(Grant.id)):
        if grant.expires_on is not None and grant.expires_on < today:
            continue  # ended by its term already
        grant.revoked_at, grant.revoked_by, grant.revoke_reason = context.now, \
            f"process:{context.definition().process_id}"[:64], reason[:2000]
        ended.append(grant.id)
        context.record(action="grant.revoke", after={"grant": grant.id, "catalog_item": grant.catalog_item,
                                                     "grantee": grant.grantee, "reason": grant.revoke_reason})
    context.session.flush()
    return {"ended": ended}


def suspend_open(context: OperationContext, params: dict) -> dict:
    """Suspend the opening of a dataset while an objection about personal data is assessed (Art. 28)."""
    item = _item_to_change(context, params)
    before = {"catalog_item": item.code, "open_suspended": item.open_suspended}
    item.open_suspended = True
    context.record(action="catalog.open_suspend", before=before,
                   after={"catalog_item": item.code, "open_suspended": True})
    return {"catalog_item": item.code, "open_suspended": True}


def resume_open(context: OperationContext, params: dict) -> dict:
    """Lift a suspension made by `suspend_open`."""
    item = _item_to_change(context, params)
    before = {"catalog_item": item.code, "open_suspended": item.open_suspended}
    item.open_suspended = False
    context.record(action="catalog.open_resume", before=before,
                   after={"catalog_item": item.code, "open_suspended": False})
    return {"catalog_item": item.code, "open_suspended": False}


_LIST_ATTRIBUTES = {
    "share": ("share_attribute", "share_conditions", ("无条件共享", "有条件共享")),
    "open": ("open_attribute", "open_conditions", ("无条件开放", "有条件开放")),
}


def list_catalog_item(context: OperationContext, params: dict) -> dict:
    """Propose putting `catalog_item` on the share or open responsibility list
    (`responsibility_list`), after a demand under Art. 22 or Art. 28 para. 1.

    The catalog is the list, and a change to it is a proposal the authority reviews
    (engine.services.catalog_changes): listing proposes the item's share or open `attribute`
    (and `conditions`, `share_reason`). An item not yet in the catalog is proposed with `name`,
    `source_unit`, `update_frequency`, `contact` and the Art. 13 `data_format`, `data_type` and
    `sensitivity_level`; its other attribute starts at the strictest value that needs no legal
    basis (有条件共享 pending the source unit's Art. 19 assessment; 不予开放), so listing for
    one purpose never opens or shares more than was decided. A proposal that breaks a hard rule
    (a legal bar, Art. 18; a missing Art. 13 field; opening protected data without its release
    record, Art. 24 para. 3, 25) refuses the decision, naming the form's field; nothing changes.
    """
    which = params.get("responsibility_list")
    if which not in _LIST_ATTRIBUTES:
        raise OperationError(f"list_catalog_item: responsibility_list must be 'share' or 'open', not {which!r}")
    attribute_column, conditions_column, allowed = _LIST_ATTRIBUTES[which]
    attribute, conditions = params.get("attribute"), params.get("conditions") or None
    if attribute not in allowed:
        raise OperationError(f"list_catalog_item: attribute must be one of {', '.join(allowed)}, not {attribute!r}")
    code = params.get("catalog_item")
    if not code:
        raise OperationError("list_catalog_item needs catalog_item")
    created = read_catalog_item(context.session, code) is None
    values = {attribute_column: attribute, conditions_column: conditions}
    if which == "share":
        values["share_reason"] = params.get("share_reason") or None
    # A new item takes everything Art. 13 asks; a listed one keeps what the decision leaves blank.
    for name in ("name", "source_unit", "update_frequency", "contact", "data_format", "data_type",
                 "sensitivity_level"):
        if created or str(params.get(name) or "").strip():
            values[name] = params.get(name)
    if created:
        values.setdefault("share_attribute", "有条件共享")
        if which == "open":
            values.update(share_conditions=_PENDING_ASSESSMENT, share_reason=_PENDING_ASSESSMENT)
        values.setdefault("open_attribute", "不予开放")
    actor, receipt, instance_id, note = context.proposer()
    proposal = catalog_changes.propose(
        context.session, context.uow.audit, now=context.now, actor=actor, code=code, values=values,
        source_kind="demand", source=receipt, release=catalog_changes.release_of(params) if which == "open" else None,
        instance_id=instance_id, note=note)
    if proposal is not None and proposal.status == catalog_changes.REFUSED:
        problems = [_on_listing_form(p) for p in catalog_changes.problems_of(proposal.problems)]
        raise InvalidInput("listing.refused", problems, count=len(problems))
    return {"catalog_item": code, "responsibility_list": which, "attribute": attribute, "created": created,
            "proposal": proposal.id if proposal is not None else None,
            "status": proposal.status if proposal is not None else "unchanged"}


# The share attribute a new item listed for opening holds until its source unit assesses it.
_PENDING_ASSESSMENT = "待数源单位按第十九条评估确定"
# The listing forms name some attributes differently from the catalog.
_LISTING_FIELDS = {"share_attribute": "attribute", "open_attribute": "attribute", "share_conditions": "conditions",
                   "open_conditions": "conditions", "name": "item_name", "legal_bar": "attribute"}


def _on_listing_form(problem: Problem) -> Problem:
    return Problem(problem.code, problem.params, field=_LISTING_FIELDS.get(problem.field, problem.field))


def check_departments(context: OperationContext, params: dict) -> dict:
    """Refuse the step that named `departments` (a code or a list of codes) unless each is a
    department PDW knows with an active user in `role` there, naming the form's `field`: work
    sent to `role@code` would otherwise reach nobody."""
    codes = params.get("departments")
    codes = [codes] if isinstance(codes, str) else list(codes or [])
    field = params.get("field") or "departments"
    role = params.get("role") or "source_unit_handler"
    if not codes:
        raise InvalidInput("department.refused", [Problem("department.none", field=field)], count=1)
    known = set(context.session.scalars(select(Department.code).where(Department.code.in_(codes))))
    unknown = [code for code in codes if code not in known]
    if unknown:
        raise InvalidInput("department.refused",
                           [Problem("department.unknown", {"codes": ", ".join(unknown)}, field=field)], count=1)
    staffed = {department for department, roles in context.session.execute(
        select(User.department, User.roles).where(User.department.in_(codes), User.active.is_(True)))
        if role in (roles or [])}
    unstaffed = [code for code in codes if code not in staffed]
    if unstaffed:
        raise InvalidInput("department.refused", [Problem("department.nobody", {"codes": ", ".join(unstaffed),
                                                                                 "role": role}, field=field)], count=1)
    return {"departments": codes}


def _assessment_problems(session, item: CatalogItemRow, params: dict) -> list[Problem]:
    """What is wrong with a source unit's assessment of `item` (Art. 18, 19 para. 2, 24 para. 3,
    25), each problem naming the field of the assessment form."""
    share, opening = params.get("share_attribute"), params.get("open_attribute")
    if share not in SHARE_ATTRIBUTES or opening not in OPEN_ATTRIBUTES:
        raise OperationError(f"assessment of '{item.code}': share_attribute must be one of "
                             f"{', '.join(SHARE_ATTRIBUTES)} and open_attribute one of {', '.join(OPEN_ATTRIBUTES)}")
    needed = {"有条件共享": ("share_conditions", "share_reason"), "不予共享": ("share_basis",),
              "有条件开放": ("open_conditions",)}
    problems = [Problem("assessment.field_needed", {"attribute": attribute}, field=name)
                for attribute in (share, opening) for name in needed.get(attribute, ())
                if not str(params.get(name) or "").strip()]
    live = catalog_changes.item_values(item)
    new = {**live, "share_attribute": share, "open_attribute": opening,
           **{name: params.get(name) or None for name in ("share_reason", "share_conditions", "share_basis",
                                                           "open_conditions")}}
    hard, _ = catalog_rules.check(live, new, source="assessment", release=catalog_changes.release_of(params),
                                  departments=set(session.scalars(select(Department.code))))
    named = {p.field for p in problems}
    return problems + [p for p in hard if p.field not in named]


def _assessed_item(context: OperationContext, params: dict) -> CatalogItemRow:
    """The item `params` assess, once nothing in the assessment stops the catalog taking it."""
    item = _item(context, params)
    problems = _assessment_problems(context.session, item, params)
    if problems:
        raise InvalidInput("assessment.refused", problems, count=len(problems))
    return item


def check_assessment(context: OperationContext, params: dict) -> dict:
    """Refuse, field by field, an assessment of `catalog_item` that the catalog could not take, so
    the source unit completes it before the authority reviews it; changes nothing."""
    item = _assessed_item(context, params)
    return {"catalog_item": item.code, "share_attribute": params["share_attribute"],
            "open_attribute": params["open_attribute"],
            "changed": [name for name, old in (("share_attribute", item.share_attribute),
                                               ("open_attribute", item.open_attribute))
                        if params[name] != old]}


def apply_assessment(context: OperationContext, params: dict) -> dict:
    """Write an approved assessment into the catalog (Art. 19 para. 2, 25): both attributes with
    their reasons, conditions and basis; opening data listed 不予开放 records its release
    (desensitisation and the rights holders' consent). The authority reviewed it in the
    procedure, so it is proposed and approved at once (engine.services.catalog_changes), read
    against the rules again, as the catalog may have changed meanwhile."""
    item = _assessed_item(context, params)
    before = {"share_attribute": item.share_attribute, "open_attribute": item.open_attribute}
    share, opening = params["share_attribute"], params["open_attribute"]
    values = {"share_attribute": share, "open_attribute": opening,
              "share_reason": str(params.get("share_reason") or "") or None if share != "无条件共享" else None,
              "share_conditions": str(params["share_conditions"]) if share == "有条件共享" else None,
              "share_basis": str(params["share_basis"]) if share == "不予共享" else None,
              "open_conditions": str(params["open_conditions"]) if opening == "有条件开放" else None}
    actor, receipt, instance_id, note = context.proposer()
    catalog_changes.propose_and_apply(
        context.session, context.uow.audit, now=context.now, actor=actor, decided_by=actor,
        reason="reviewed by the authority in the assessment", code=item.code, values=values,
        source_kind="assessment", source=receipt, release=catalog_changes.release_of(params),
        instance_id=instance_id, note=note)
    return {"catalog_item": item.code, "before": before,
            "after": {"share_attribute": share, "open_attribute": opening}}


def _submitting_unit(context: OperationContext) -> str:
    unit = context.session.scalar(select(User.department).where(User.name == context.instance.started_by))
    if not unit:
        raise OperationError(f"the submitter '{context.instance.started_by}' belongs to no department")
    return unit


def check_sub_catalog(context: OperationContext, params: dict) -> dict:
    """Read a department's sub-catalog (`text`, CSV) line by line against the catalog's rules
    (Art. 13 para. 3): each line names the submitting unit's own data and would be a valid
    change; a problem refuses the submission naming the form's `field` and the line. Returns
    what each line would change, old -> new per attribute, for the authority's review."""
    field = str(params.get("field") or "text")
    items = catalog.read_sub_catalog(context.session, str(params.get("text") or ""), _submitting_unit(context), field)
    return {"count": len(items), "items": [{"line": i.line, "code": i.code, "created": not any(
        old for old, _ in i.changes.values()), "changes": i.changes} for i in items]}


def apply_sub_catalog(context: OperationContext, params: dict) -> dict:
    """Write an approved sub-catalog into the catalog: the authority's review in the procedure
    approves each line as a catalog change, proposed and approved at once, audited item by item.
    Read against the rules again, as the catalog may have changed since it was submitted."""
    field = str(params.get("field") or "text")
    items = catalog.read_sub_catalog(context.session, str(params.get("text") or ""), _submitting_unit(context), field)
    actor, receipt, instance_id, note = context.proposer()
    applied = []
    for item in items:
        proposal = catalog_changes.propose_and_apply(
            context.session, context.uow.audit, now=context.now, actor=actor, decided_by=actor,
            reason="sub-catalog approved by the authority (Art. 13 para. 3)", code=item.code, values=item.values,
            source_kind="sub_catalog", source=f"{receipt}:{item.line}", release=item.release, instance_id=instance_id,
            field_of=lambda p, line=item.line: Problem(p.code, p.params, field=field, line=line), note=note)
        if proposal is not None:
            applied.append({"code": item.code, "proposal": proposal.id})
    return {"applied": applied}


OPERATIONS = {
    "pdw.catalog_item": catalog_item,
    "pdw.catalog_items": catalog_items,
    "pdw.source_units": source_units,
    "pdw.record_grant": record_grant,
    "pdw.end_grants": end_grants,
    "pdw.suspend_open": suspend_open,
    "pdw.resume_open": resume_open,
    "pdw.list_catalog_item": list_catalog_item,
    "pdw.check_assessment": check_assessment,
    "pdw.check_departments": check_departments,
    "pdw.apply_assessment": apply_assessment,
    "pdw.check_sub_catalog": check_sub_catalog,
    "pdw.apply_sub_catalog": apply_sub_catalog,
}
