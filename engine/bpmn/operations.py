"""PDW operations that BPMN service tasks may call (spiffworkflow:serviceTaskOperator id).

They are trusted code run inside the transaction of the step that reaches them. Each takes
the operation context and the evaluated parameters and returns JSON data, which lands in
the service task's result variable.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select

from engine import governance
from engine.bpmn.script_engine import OperationError
from engine.clock import SHANGHAI
from engine.errors import InvalidInput, Problem
from engine.persistence.models import CatalogItem, CatalogRelease, Department, Grant, ProcessDefinition, User
from engine.persistence.repositories import InstanceRecord
from engine.persistence.repositories import catalog_item as read_catalog_item
from engine.persistence.unit_of_work import UnitOfWork

__all__ = ["OPERATIONS", "OperationContext", "OperationError", "PERSONAL_INFORMATION", "SHARE_ATTRIBUTES",
           "OPEN_ATTRIBUTES"]

# The sensitivity level (Art. 13) of personal information, never opened unconditionally.
PERSONAL_INFORMATION = "个人信息"
# The share and open attributes a catalog item may have (Art. 19, 25).
SHARE_ATTRIBUTES = ("无条件共享", "有条件共享", "不予共享")
OPEN_ATTRIBUTES = ("无条件开放", "有条件开放", "不予开放")


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

    def record(self, *, action: str, before: dict | None = None, after: dict) -> None:
        """An audit entry of its own for a change an operation made, naming instance and version."""
        if self.instance is None:
            return  # called outside a process (the catalog's own use case audits itself)
        definition = self.definition()
        self.uow.audit.append(at=self.now, actor=f"process:{definition.process_id}"[:64], action=action,
                              instance_id=self.instance_id(), before=before,
                              after={**after, "process": definition.process_id, "version": definition.version})


def _item(context: OperationContext, params: dict) -> CatalogItem:
    code = params.get("catalog_item")
    item = read_catalog_item(context.session, code) if code else None
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
    item = _item(context, params)
    missing = [k for k in ("grantee", "scope", "purpose") if not params.get(k)]
    if missing:
        raise OperationError(f"record_grant needs {', '.join(missing)}")
    expires = params.get("expires_on")
    try:
        expires_on = date.fromisoformat(expires) if expires else None
    except (TypeError, ValueError):
        raise OperationError(f"record_grant: expires_on '{expires}' is not a date (YYYY-MM-DD)") from None
    today = context.now.astimezone(SHANGHAI).date()
    if expires_on is not None and expires_on < today:
        # A grant whose term is over gives no access: it is refused, never recorded as if it did.
        raise InvalidInput("grant.not_recorded", [Problem("grant.term_ended", {"date": expires, "today": today.isoformat()},
                                                          field=str(params.get("field") or "expires_on"))])
    grant = Grant(instance_id=context.instance_id(), catalog_item=item.code, grantee=str(params["grantee"]),
                  scope=str(params["scope"]), purpose=str(params["purpose"]), expires_on=expires_on,
                  granted_at=context.now)
    context.session.add(grant)
    context.session.flush()
    context.record(action="grant.record", after={"grant_id": grant.id, "catalog_item": item.code,
                                                 "grantee": grant.grantee, "scope": grant.scope, "expires_on": expires})
    return {"grant_id": grant.id, "catalog_item": item.code, "expires_on": expires}


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
    item = _item(context, params)
    before = {"catalog_item": item.code, "open_suspended": item.open_suspended}
    item.open_suspended = True
    context.record(action="catalog.open_suspend", before=before,
                   after={"catalog_item": item.code, "open_suspended": True})
    return {"catalog_item": item.code, "open_suspended": True}


def resume_open(context: OperationContext, params: dict) -> dict:
    """Lift a suspension made by `suspend_open`."""
    item = _item(context, params)
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
    """Put `catalog_item` on the share or open responsibility list (`responsibility_list`), after a
    demand under Art. 22 or Art. 28 para. 1.

    The catalog is the list: listing sets the item's share or open `attribute` (and `conditions`).
    An item not yet in the catalog is added with `name`, `source_unit`, `update_frequency` and
    `contact`; its other attribute starts at the strictest value that needs no legal basis
    (有条件共享 pending the source unit's Art. 19 assessment; 不予开放), so listing for one
    purpose never opens or shares more than was decided.
    """
    which = params.get("responsibility_list")
    if which not in _LIST_ATTRIBUTES:
        raise OperationError(f"list_catalog_item: responsibility_list must be 'share' or 'open', not {which!r}")
    attribute_column, conditions_column, allowed = _LIST_ATTRIBUTES[which]
    attribute, conditions = params.get("attribute"), params.get("conditions") or None
    if attribute not in allowed:
        raise OperationError(f"list_catalog_item: attribute must be one of {', '.join(allowed)}, not {attribute!r}")
    if attribute.startswith("有条件") and not conditions:
        raise OperationError(f"list_catalog_item: {attribute} needs its conditions (Art. 19)")
    code = params.get("catalog_item")
    if not code:
        raise OperationError("list_catalog_item needs catalog_item")
    item = context.session.get(CatalogItem, code)
    created = item is None
    if created:
        missing = [k for k in ("name", "source_unit", "update_frequency", "contact") if not params.get(k)]
        if missing:
            raise OperationError(f"list_catalog_item: a new catalog item needs {', '.join(missing)}")
        if context.session.get(Department, params["source_unit"]) is None:
            raise OperationError(f"list_catalog_item: no department '{params['source_unit']}'")
        item = CatalogItem(code=code, name=str(params["name"]), source_unit=params["source_unit"],
                           share_attribute="有条件共享", share_conditions="待数源单位按第十九条评估确定",
                           open_attribute="不予开放", update_frequency=str(params["update_frequency"]),
                           contact=str(params["contact"]))
        context.session.add(item)
    elif which == "open":
        _check_release(context, item, attribute, params)
    before = None if created else {"catalog_item": code, attribute_column: getattr(item, attribute_column),
                                   conditions_column: getattr(item, conditions_column)}
    setattr(item, attribute_column, attribute)
    setattr(item, conditions_column, conditions)
    context.session.flush()
    context.record(action="catalog.list", before=before, after={"catalog_item": code, "created": created,
                                                          attribute_column: attribute, conditions_column: conditions})
    return {"catalog_item": item.code, "responsibility_list": which, "attribute": attribute, "created": created}


_RELEASE_FIELDS = ("desensitisation", "consent_holders", "consent_date", "consent_evidence")


def _check_release(context: OperationContext, item: CatalogItem, attribute: str, params: dict) -> None:
    """Art. 24 para. 3 and 25: personal information is never opened unconditionally, and an item
    listed 不予开放 is opened only with a record of its desensitisation and the rights holders'
    consent. A refusal undoes the decision, which stays open to be completed."""
    problems = _release_problems(item, attribute, params, attribute_field="attribute")
    if problems:
        raise InvalidInput("listing.refused", problems, count=len(problems))
    if _needs_release(item, attribute):
        _record_release(context, item, attribute, params)


def _release_problems(item: CatalogItem, attribute: str, params: dict, *, attribute_field: str) -> list[Problem]:
    """What stops `item` being opened as `attribute` (Art. 24 para. 3, 25), each naming its field."""
    if attribute == "无条件开放" and item.sensitivity_level == PERSONAL_INFORMATION:
        return [Problem("catalog.personal_information_open", field=attribute_field)]
    if not _needs_release(item, attribute):
        return []
    missing = [name for name in _RELEASE_FIELDS if not str(params.get(name) or "").strip()]
    if _date_or_none(params.get("consent_date")) is None and "consent_date" not in missing:
        missing.append("consent_date")
    return [Problem("listing.release_missing", {"item": item.code}, field=name) for name in missing]


def _needs_release(item: CatalogItem, attribute: str) -> bool:
    """True when listing `item` as `attribute` opens data listed 不予开放 (Art. 25)."""
    return item.open_attribute == "不予开放" and attribute in _LIST_ATTRIBUTES["open"][2]


def _record_release(context: OperationContext, item: CatalogItem, attribute: str, params: dict) -> None:
    context.session.add(CatalogRelease(
        catalog_item=item.code, instance_id=context.instance_id() if context.instance is not None else None,
        attribute=attribute,
        desensitisation=str(params["desensitisation"]), consent_holders=str(params["consent_holders"]),
        consent_date=_date_or_none(params["consent_date"]), consent_evidence=str(params["consent_evidence"]),
        recorded_at=context.now))


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


def _assessment_problems(item: CatalogItem, params: dict) -> list[Problem]:
    """What is wrong with a source unit's assessment of `item` (Art. 19 para. 2, 24 para. 3, 25),
    each problem naming the field of the assessment form."""
    share, opening = params.get("share_attribute"), params.get("open_attribute")
    if share not in SHARE_ATTRIBUTES or opening not in OPEN_ATTRIBUTES:
        raise OperationError(f"assessment of '{item.code}': share_attribute must be one of "
                             f"{', '.join(SHARE_ATTRIBUTES)} and open_attribute one of {', '.join(OPEN_ATTRIBUTES)}")
    needed = {"有条件共享": ("share_conditions", "share_reason"), "不予共享": ("share_basis",),
              "有条件开放": ("open_conditions",)}
    problems = [Problem("assessment.field_needed", {"attribute": attribute}, field=name)
                for attribute in (share, opening) for name in needed.get(attribute, ())
                if not str(params.get(name) or "").strip()]
    if opening != item.open_attribute:
        problems += _release_problems(item, opening, params, attribute_field="open_attribute")
    return problems


def _assessed_item(context: OperationContext, params: dict) -> CatalogItem:
    """The item `params` assess, once nothing in the assessment stops the catalog taking it."""
    item = _item(context, params)
    problems = _assessment_problems(item, params)
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
    their conditions and basis; opening data listed 不予开放 records its release (desensitisation
    and the rights holders' consent). Checked again, as the catalog may have changed meanwhile."""
    item = _assessed_item(context, params)
    before = {"share_attribute": item.share_attribute, "open_attribute": item.open_attribute}
    if _needs_release(item, params["open_attribute"]):
        _record_release(context, item, params["open_attribute"], params)
    share, opening = params["share_attribute"], params["open_attribute"]
    item.share_attribute = share
    item.share_conditions = str(params["share_conditions"]) if share == "有条件共享" else None
    item.share_basis = str(params["share_basis"]) if share == "不予共享" else None
    item.open_attribute = opening
    item.open_conditions = str(params["open_conditions"]) if opening == "有条件开放" else None
    context.session.flush()
    context.record(action="catalog.assess", before={"catalog_item": item.code, **before},
                   after={"catalog_item": item.code, "share_attribute": share, "open_attribute": opening})
    return {"catalog_item": item.code, "before": before,
            "after": {"share_attribute": share, "open_attribute": opening}}


def _date_or_none(value) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


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
}
