"""Catalog changes as reviewed proposals (Art. 13, 18, 19, 24, 25).

The catalog decides applications by itself (无条件共享 is granted at once, 不予共享 refused at
once), so a change to it is a decision about everyone's data. Every path that changes the live
catalog proposes its change item by item, old -> new per attribute, read against
`engine.catalog_rules`: a proposal that breaks a hard rule is refused at once (by "pdw:rules",
naming the article and the field); the others are held until the competent authority approves
or refuses each one (`governance.may_decide_catalog`; never its own proposer). Only an approved
proposal reaches `catalog_items`, in the same transaction as its audit entry.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from engine import catalog_rules, governance, permissions
from engine.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Problem
from engine.persistence.models import CatalogItem, CatalogProposal, CatalogRelease, Department, User
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import organisation
from engine.services.users import require_administrator, require_user

HELD, APPROVED, REFUSED = "held", "approved", "refused"
STATUSES = (HELD, APPROVED, REFUSED)
# How each outcome reads, for the command line and the pages (an import line may be unchanged).
STATUS_WORDS = {HELD: {"zh": "待审核", "en": "held for review"}, APPROVED: {"zh": "已批准", "en": "approved"},
                REFUSED: {"zh": "不予批准", "en": "refused"}, "unchanged": {"zh": "无变化", "en": "unchanged"}}
# Who refuses a proposal that breaks a hard rule: the rules themselves, at once.
RULES = "pdw:rules"


def item_values(item: CatalogItem | None) -> dict | None:
    """The attributes of a live item a proposal may change, with its code; None for no item."""
    if item is None:
        return None
    return {"code": item.code, **{a: getattr(item, a) for a in catalog_rules.ATTRIBUTES}}


def _problem_rows(problems: list[Problem]) -> list[dict]:
    return [{"code": p.code, "params": dict(p.params), "field": p.field} for p in problems]


def problems_of(rows: list[dict] | None) -> list[Problem]:
    """The stored problems of a proposal as Problems."""
    return [Problem(r["code"], r.get("params") or {}, field=r.get("field")) for r in rows or []]


def release_of(values: dict) -> dict | None:
    """The desensitisation and consent record among `values`, or None when none of it is given;
    a consent date that is not a date counts as missing."""
    release = {k: str(values.get(k) or "").strip() for k in catalog_rules.RELEASE_FIELDS}
    if not any(release.values()):
        return None
    try:
        date.fromisoformat(release["consent_date"])
    except ValueError:
        release["consent_date"] = ""
    return release


def propose(session, audit, *, now: datetime, actor: str, code: str, values: dict, source_kind: str,
            source: str, release: dict | None = None, instance_id: int | None = None,
            departments: set[str] | None = None, also: list[Problem] | None = None,
            note: dict | None = None) -> CatalogProposal | None:
    """Inside a unit of work: propose that item `code` take `values` (only the attributes given);
    `also` adds hard problems found outside the item (a code repeated in an import file);
    `note` goes into the audit entry (a process's name and version).

    The proposal is refused at once when it breaks a hard rule, else held for the authority;
    either way it is audited. Nothing reaches the live catalog.

    Returns:
        The proposal, or None when `values` change nothing.
    """
    assert source_kind in catalog_rules.SOURCES, source_kind
    live = item_values(session.get(CatalogItem, code)) if code else None
    given = {a: _clean(values[a]) for a in catalog_rules.ATTRIBUTES if a in values}
    new = {**(live or {}), **given, "code": code}
    changes = catalog_rules.changes_of(live, new)
    if live is not None and not changes:
        return None
    if departments is None:
        departments = set(session.scalars(select(Department.code)))
    hard, soft = catalog_rules.check(live, new, source=source_kind, departments=departments, release=release)
    hard += also or []
    if not code:
        hard.insert(0, Problem("catalog.art13_missing", {"label": {"zh": "编码", "en": "code"},
                                                         "article": catalog_rules.ART13}, field="code"))
    proposal = CatalogProposal(
        catalog_item=code or "", changes=changes, created=live is None, release=release,
        problems=_problem_rows(hard), findings=_problem_rows(soft), source_kind=source_kind, source=source[:300],
        instance_id=instance_id, proposed_by=actor[:64], proposed_at=now, status=REFUSED if hard else HELD)
    if hard:
        proposal.decided_by, proposal.decided_at = RULES, now
        proposal.decision_reason = "; ".join(str(p) for p in hard)[:4000]
    session.add(proposal)
    session.flush()
    audit.append(at=now, actor=actor[:64], action="catalog.propose", instance_id=instance_id,
                 after={"proposal": proposal.id, "catalog_item": code, "source": f"{source_kind} {source}",
                        "changes": changes, "status": proposal.status,
                        "problems": [p.code for p in hard], "findings": [p.code for p in soft], **(note or {})})
    return proposal


def _clean(value):
    if value is None:
        return None
    value = str(value).strip()
    return value or None


def apply(session, audit, proposal: CatalogProposal, *, now: datetime, actor: str,
          reason: str | None = None, note: dict | None = None) -> None:
    """Inside a unit of work: make an approved `proposal` live, with its release record and an
    audit entry holding old -> new per attribute.

    Raises:
        Conflict: the live item changed since the proposal was made (it stays held).
        InvalidInput: the proposal breaks a hard rule against the catalog as it is now.
    """
    item = session.get(CatalogItem, proposal.catalog_item)
    live = item_values(item)
    if (live is None) != proposal.created or any(
            (live or {}).get(a) != old for a, (old, _) in proposal.changes.items()):
        raise Conflict("catalog.proposal_stale", proposal=proposal.id, item=proposal.catalog_item)
    new = {**(live or {}), **{a: value for a, (_, value) in proposal.changes.items()}, "code": proposal.catalog_item}
    hard, _ = catalog_rules.check(live, new, source=proposal.source_kind,
                                  departments=set(session.scalars(select(Department.code))),
                                  release=proposal.release)
    if hard:
        raise InvalidInput("catalog.not_approved", hard, count=len(hard))
    if catalog_rules.needs_release(live, new):
        release = proposal.release
        session.add(CatalogRelease(catalog_item=proposal.catalog_item, instance_id=proposal.instance_id,
                                   attribute=new["open_attribute"], desensitisation=release["desensitisation"],
                                   consent_holders=release["consent_holders"],
                                   consent_date=date.fromisoformat(release["consent_date"]),
                                   consent_evidence=release["consent_evidence"], recorded_at=now))
    if item is None:
        item = CatalogItem(code=proposal.catalog_item, open_suspended=False)
        session.add(item)
    for attribute, (_, value) in proposal.changes.items():
        setattr(item, attribute, value)
    proposal.status, proposal.decided_by, proposal.decided_at = APPROVED, actor[:64], now
    proposal.decision_reason = reason or None
    session.flush()
    audit.append(at=now, actor=actor[:64], action="catalog.change", instance_id=proposal.instance_id,
                 before={"catalog_item": proposal.catalog_item,
                         **{a: old for a, (old, _) in proposal.changes.items()}} if live else None,
                 after={"catalog_item": proposal.catalog_item, "proposal": proposal.id,
                        "source": f"{proposal.source_kind} {proposal.source}", "proposed_by": proposal.proposed_by,
                        "reason": reason or None, **{a: new for a, (_, new) in proposal.changes.items()},
                        **(note or {})})


def propose_and_apply(session, audit, *, now: datetime, actor: str, decided_by: str, reason: str, code: str,
                      values: dict, source_kind: str, source: str, release: dict | None = None,
                      instance_id: int | None = None, field_of=None, note: dict | None = None
                      ) -> CatalogProposal | None:
    """Inside a unit of work: a change the authority has already decided in a procedure (a
    sub-catalog's review, an attribute assessment's review): proposed and approved at once.

    Raises:
        InvalidInput: it breaks a hard rule; each problem names its field (`field_of` may
            rename them to the form's); nothing is written.
    """
    proposal = propose(session, audit, now=now, actor=actor, code=code, values=values, source_kind=source_kind,
                       source=source, release=release, instance_id=instance_id, note=note)
    if proposal is None:
        return None
    if proposal.status == REFUSED:
        problems = problems_of(proposal.problems)
        if field_of is not None:
            problems = [field_of(p) for p in problems]
        raise InvalidInput("catalog.not_approved", problems, count=len(problems))
    apply(session, audit, proposal, now=now, actor=decided_by, reason=reason, note=note)
    return proposal


def _require_decider(session, config, actor: str) -> User:
    user = require_user(session, actor)
    # The catalog is the city's (Art. 13): its authority decides changes, whatever the counties'.
    authority = organisation.city_authority(session, config)
    if not governance.may_decide_catalog(user, authority):
        raise PermissionDenied("catalog.decide_forbidden", user=actor, department=authority)
    return user


def _to_decide(session, config, actor: str, proposal_id: int) -> CatalogProposal:
    """The held proposal `actor` may decide: the authority's decider, never its proposer."""
    _require_decider(session, config, actor)
    proposal = _held(session, proposal_id)
    if proposal.proposed_by == actor:
        raise PermissionDenied("catalog.own_proposal", user=actor, proposal=proposal_id)
    return proposal


def require_reader(uow: UnitOfWork, actor: str) -> None:
    """Inside a use case: refuse anyone but the authority's deciders and the catalog's administrators.

    Raises:
        NotFound: `actor` is no active user.
        PermissionDenied: the user may neither decide nor administer the catalog.
    """
    user = require_user(uow.session, actor)
    if not (governance.may_decide_catalog(user, organisation.city_authority(uow.session, uow.engine.config))
            or permissions.may_administer(user.roles, "catalog")):
        raise PermissionDenied("catalog.proposals_forbidden", user=actor)


def _row(p: CatalogProposal, names: dict[str, str] | None = None) -> dict:
    return {"id": p.id, "catalog_item": p.catalog_item, "name": (p.changes.get("name") or [None, None])[1]
            or (names or {}).get(p.catalog_item), "created": p.created,
            "changes": [{"attribute": a, "old": old, "new": new} for a, (old, new) in p.changes.items()],
            "release": p.release, "problems": problems_of(p.problems), "findings": problems_of(p.findings),
            "source_kind": p.source_kind, "source": p.source, "instance_id": p.instance_id,
            "proposed_by": p.proposed_by, "proposed_at": p.proposed_at, "status": p.status,
            "decided_by": p.decided_by, "decided_at": p.decided_at, "decision_reason": p.decision_reason}


def proposals(uow: UnitOfWork, actor: str, status: str | None = HELD) -> list[dict]:
    """The proposals with `status` (every one with None), oldest first, each with its changes
    attribute by attribute, its findings and where it came from.

    Raises:
        PermissionDenied: `actor` may neither decide nor administer the catalog.
    """
    if status is not None and status not in STATUSES:
        raise InvalidInput("catalog.proposals_refused", [Problem("catalog.status_unknown",
                                                                 {"value": status, "allowed": list(STATUSES)},
                                                                 field="status")], count=1)
    with uow.read():
        require_reader(uow, actor)
        query = select(CatalogProposal).order_by(CatalogProposal.id)
        if status is not None:
            query = query.where(CatalogProposal.status == status)
        names = dict(uow.session.execute(select(CatalogItem.code, CatalogItem.name)).all())
        return [_row(p, names) for p in uow.session.scalars(query)]


def _held(session, proposal_id: int) -> CatalogProposal:
    proposal = session.get(CatalogProposal, proposal_id)
    if proposal is None:
        raise NotFound("catalog.proposal_not_found", proposal=proposal_id)
    if proposal.status != HELD:
        raise Conflict("catalog.proposal_decided", proposal=proposal_id, status=proposal.status,
                       by=proposal.decided_by)
    return proposal


def approve(uow: UnitOfWork, actor: str, proposal_id: int, reason: str | None = None) -> dict:
    """Approve a held proposal: its changes go live with their audit entry.

    Raises:
        PermissionDenied: `actor` is not the authority's reviewer, department head or an admin,
            or proposed it.
        NotFound: no such proposal. Conflict: it is decided already, or the item changed since.
        InvalidInput: it now breaks a hard rule; nothing changes.
    """
    now = uow.engine.clock.now()
    with uow:
        session = uow.session
        proposal = _to_decide(session, uow.engine.config, actor, proposal_id)
        apply(session, uow.audit, proposal, now=now, actor=actor, reason=(reason or "").strip() or None)
        uow.commit()
    return {"id": proposal_id, "catalog_item": proposal.catalog_item, "status": APPROVED, "decided_by": actor}


def refuse(uow: UnitOfWork, actor: str, proposal_id: int, reason: str) -> dict:
    """Refuse a held proposal with a reason; the catalog does not change.

    Raises:
        InvalidInput: no reason. PermissionDenied, NotFound, Conflict: as for `approve`.
    """
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("catalog.not_refused", [Problem("catalog.reason_missing", field="reason")], count=1)
    now = uow.engine.clock.now()
    with uow:
        proposal = _to_decide(uow.session, uow.engine.config, actor, proposal_id)
        proposal.status, proposal.decided_by, proposal.decided_at = REFUSED, actor, now
        proposal.decision_reason = reason
        uow.audit.append(at=now, actor=actor, action="catalog.refuse", instance_id=proposal.instance_id,
                         after={"proposal": proposal_id, "catalog_item": proposal.catalog_item, "reason": reason})
        uow.commit()
    return {"id": proposal_id, "catalog_item": proposal.catalog_item, "status": REFUSED, "decided_by": actor}


def edit(uow: UnitOfWork, actor: str, code: str, values: dict, release: dict | None = None) -> dict:
    """An administrator's edit of item `code` (or a new item), proposed for the authority's review.

    Returns:
        {"id", "status", "problems"}: the proposal (None when nothing changes).

    Raises:
        PermissionDenied: `actor` may not administer the catalog.
        InvalidInput: an attribute named is not one a catalog item has.
    """
    unknown = [a for a in values if a not in catalog_rules.ATTRIBUTES]
    if unknown:
        raise InvalidInput("catalog.not_proposed", [Problem("catalog.attribute_name_unknown",
                                                            {"name": a, "allowed": list(catalog_rules.ATTRIBUTES)},
                                                            field=a) for a in unknown], count=len(unknown))
    now = uow.engine.clock.now()
    with uow:
        require_administrator(uow.session, actor, "catalog")
        proposal = propose(uow.session, uow.audit, now=now, actor=actor, code=(code or "").strip(), values=values,
                           source_kind="edit", source=f"edit {code}", release=release)
        uow.commit()
    if proposal is None:
        return {"id": None, "status": None, "problems": []}
    return {"id": proposal.id, "status": proposal.status, "problems": problems_of(proposal.problems),
            "findings": problems_of(proposal.findings)}
