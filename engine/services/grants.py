"""Grants of access to catalog items and their end (Art. 43: ending an authorisation)."""
from __future__ import annotations

from datetime import date

from sqlalchemy import or_, select

from engine import permissions
from engine.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Problem
from engine.persistence.models import CatalogItem, Department, Grant, ProcessInstance
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import organisation
from engine.services.users import require_user


def grant_dict(grant: Grant, today: date) -> dict:
    """JSON-able form of a grant; `active` is False once revoked or expired (access has ended)."""
    return {"id": grant.id, "instance_id": grant.instance_id, "catalog_item": grant.catalog_item,
            "grantee": grant.grantee, "scope": grant.scope, "purpose": grant.purpose,
            "expires_on": grant.expires_on.isoformat() if grant.expires_on else None,
            "granted_at": grant.granted_at.isoformat(),
            "revoked_at": grant.revoked_at.isoformat() if grant.revoked_at else None,
            "revoked_by": grant.revoked_by, "revoke_reason": grant.revoke_reason,
            "active": grant.revoked_at is None and (grant.expires_on is None or grant.expires_on >= today)}


def list_grants(uow: UnitOfWork, *, grantee: str | None = None, active_only: bool = False) -> list[dict]:
    """Every grant (of `grantee` when given), by id; only those still giving access with `active_only`."""
    today = uow.engine.clock.today()
    with uow.read():
        query = select(Grant).order_by(Grant.id)
        if grantee is not None:
            query = query.where(Grant.grantee == grantee)
        rows = [grant_dict(g, today) for g in uow.session.scalars(query)]
    return [g for g in rows if g["active"]] if active_only else rows


def register(uow: UnitOfWork, actor: str, *, active_only: bool = False, catalog_item: str | None = None,
             grantee: str | None = None) -> dict:
    """The register of grants (Art. 20, 27, 43) for an official who may read it: each grant with
    its catalog item's name and the receipt number of the application that gave it, newest first;
    a department's own supervisor reads only the grants of its data and those it holds.

    Returns:
        `grants` (as `grant_dict`, with `item_name`, `receipt_number` and `grantee_name`, the
        department's name when the grantee is one) and `may_revoke`.

    Raises:
        NotFound: no such user.
        PermissionDenied: the user may not read the register (`grant.register_forbidden`).
    """
    engine = uow.engine
    with uow.read():
        user = require_user(uow.session, actor)
        # The register is the city's (the catalog is): its authority's reviewers end grants.
        competent = organisation.city_authority(uow.session, engine.config)
        if not permissions.may_read_grants(user, competent):
            raise PermissionDenied("grant.register_forbidden", user=actor)
        query = _register_rows().order_by(Grant.id.desc())
        may_revoke = permissions.may_end_authorisation(user, competent)
        if not may_revoke:
            # A department's own supervisors see the grants of its data and those it holds; the
            # city authority's supervisors see every grant, a county authority's its county's.
            scope = organisation.scope_of_user(uow.session, user)
            if scope is not None:
                query = query.where(or_(Grant.grantee.in_(scope), CatalogItem.source_unit.in_(scope)))
        if catalog_item:
            query = query.where(Grant.catalog_item == catalog_item)
        if grantee:
            query = query.where(Grant.grantee == grantee)
        grants = _rows(uow.session.execute(query).all(), engine.clock.today())
    return {"grants": [g for g in grants if g["active"]] if active_only else grants, "may_revoke": may_revoke}


def held_by(uow: UnitOfWork, actor: str) -> list[dict]:
    """The grants `actor` holds: those to their department and those to them by name, newest first.

    Raises:
        NotFound: no such user.
    """
    with uow.read():
        user = require_user(uow.session, actor)
        holders = [name for name in (user.department, user.name) if name]
        query = _register_rows().where(Grant.grantee.in_(holders)).order_by(Grant.id.desc())
        return _rows(uow.session.execute(query).all(), uow.engine.clock.today())


def _register_rows():
    """Grants with their item's name, the receipt number that gave them and the grantee's name."""
    return (select(Grant, CatalogItem.name, ProcessInstance.receipt_number, Department.name)
            .outerjoin(CatalogItem, CatalogItem.code == Grant.catalog_item)
            .outerjoin(ProcessInstance, ProcessInstance.id == Grant.instance_id)
            .outerjoin(Department, Department.code == Grant.grantee))


def _rows(rows, today: date) -> list[dict]:
    return [{**grant_dict(grant, today), "item_name": name, "receipt_number": receipt, "grantee_name": grantee}
            for grant, name, receipt, grantee in rows]


def revoke(uow: UnitOfWork, grant_id: int, *, actor: str, reason: str) -> dict:
    """End an authorisation (Art. 43): the grant row stays, marked revoked with when, by whom and why,
    and gives no more access. The competent authority's reviewers and administrators may.

    Raises:
        NotFound: no such grant or user.
        PermissionDenied: the user may not end authorisations.
        InvalidInput: no reason given (`grant.not_revoked`).
        Conflict: the grant is already revoked.
    """
    with uow:
        engine = uow.engine
        now = engine.clock.now()
        user = require_user(uow.session, actor)
        # Who may act is asked before what they sent is read.
        if not permissions.may_end_authorisation(user, organisation.city_authority(uow.session, engine.config)):
            raise PermissionDenied("grant.revoke_forbidden", user=actor)
        if not (reason or "").strip():
            raise InvalidInput("grant.not_revoked", [Problem("grant.reason_missing", field="reason")], grant=grant_id)
        grant = uow.session.get(Grant, grant_id)
        if grant is None:
            raise NotFound("grant.not_found", grant=grant_id)
        if grant.revoked_at is not None:
            raise Conflict("grant.already_revoked", grant=grant_id, at=grant.revoked_at.isoformat())
        grant.revoked_at, grant.revoked_by, grant.revoke_reason = now, actor, reason.strip()
        uow.audit.append(at=now, actor=actor, action="grant.revoke", instance_id=grant.instance_id,
                         after={"grant": grant_id, "catalog_item": grant.catalog_item, "grantee": grant.grantee,
                                "reason": grant.revoke_reason})
        uow.session.flush()
        shown = grant_dict(grant, engine.clock.today())
        uow.commit()
    return shown
