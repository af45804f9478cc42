"""PDW operations that BPMN service tasks may call (spiffworkflow:serviceTaskOperator id).

They are trusted code run inside the transaction of the step that reaches them. Each takes
the operation context and the evaluated parameters and returns JSON data, which lands in
the service task's result variable.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from engine.bpmn.script_engine import OperationError
from engine.persistence.models import CatalogItem, Grant
from engine.persistence.repository import InstanceRecord, insert_instance

__all__ = ["OPERATIONS", "OperationContext", "OperationError"]


@dataclass(frozen=True)
class OperationContext:
    """What an operation may touch: the step's session, its instance and the time."""

    session: Session
    instance: InstanceRecord
    now: datetime

    def instance_id(self) -> int:
        """The instance's id, writing a just-started instance first so rows can refer to it."""
        if self.instance.id is None:
            insert_instance(self.session, self.instance)
        return self.instance.id


def _item(context: OperationContext, params: dict) -> CatalogItem:
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
        "contact": item.contact, "open_suspended": item.open_suspended,
    }


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
    grant = Grant(instance_id=context.instance_id(), catalog_item=item.code, grantee=str(params["grantee"]),
                  scope=str(params["scope"]), purpose=str(params["purpose"]), expires_on=expires_on,
                  granted_at=context.now)
    context.session.add(grant)
    context.session.flush()
    return {"grant_id": grant.id, "catalog_item": item.code, "expires_on": expires}


def suspend_open(context: OperationContext, params: dict) -> dict:
    """Suspend the opening of a dataset while an objection about personal data is assessed (Art. 28)."""
    item = _item(context, params)
    item.open_suspended = True
    return {"catalog_item": item.code, "open_suspended": True}


def resume_open(context: OperationContext, params: dict) -> dict:
    """Lift a suspension made by `suspend_open`."""
    item = _item(context, params)
    item.open_suspended = False
    return {"catalog_item": item.code, "open_suspended": False}


OPERATIONS = {
    "pdw.catalog_item": catalog_item,
    "pdw.record_grant": record_grant,
    "pdw.suspend_open": suspend_open,
    "pdw.resume_open": resume_open,
}
