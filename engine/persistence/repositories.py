"""One repository per aggregate (instances, tasks, timers, audit), hung off the unit of work.

Every statement is SQLAlchemy Core against the models' own tables, prepared once per dialect
(`engine.persistence.statements`): the hot path pays for SQLite's work, not SQLAlchemy's.
Colder reads (inbox pages, reports) use Core or the ORM on `uow.session` directly.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, fields, make_dataclass
from datetime import date, datetime, timezone
from itertools import combinations
from typing import Any

from sqlalchemy import (JSON, BigInteger, Text, and_, bindparam, cast, delete, event, func, insert, literal, literal_column,
                        select, update)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import object_session
from sqlalchemy.orm.util import identity_key

from engine.bpmn.budgets import BudgetExceeded
from engine.persistence.models import (ApiToken, ApplicationSearch, AuditChain, AuditEntry, CalendarArrangement,
                                       CalendarHead, CatalogItem, DeadlineNotice, Department, Grant, HumanTask, Level,
                                       Notification,
                                       ProcessDefinition, ProcessInstance, ReceiptCounter, TaskCandidate, Timer, User)
from engine.permissions import CITY
from engine.persistence.statements import Cursor, Statements


class StaleInstance(Exception):
    """The instance was changed by another transaction since it was read."""


@dataclass
class InstanceRecord:
    """A process instance as the engine works on it; `version` guards concurrent writers."""

    id: int | None
    definition_id: int
    process_id: str
    status: str
    receipt_number: str
    received_on: date
    started_by: str
    started_at: datetime
    ended_at: datetime | None
    error: str | None
    summary: dict
    state: dict
    waiting: dict
    serializer_version: str
    version: int = 1
    # The statutory clock (engine.services.statutory): the competent unit, the deadline that
    # governs the application whichever step is open, and when the formal reply was given.
    department: str | None = None
    statutory_due_date: date | None = None
    statutory_rule: str | None = None
    statutory_article: str | None = None
    statutory_provisional: bool | None = None
    statutory_extended_from: date | None = None
    replied_at: datetime | None = None
    replied_late_days: int | None = None


@dataclass(frozen=True)
class UserRow:
    """What the hot path needs of a user."""

    name: str
    department: str | None
    roles: list[str]
    department_kind: str | None = None
    # How people read who applied (the search index holds them): name and organisation.
    display_name: str | None = None
    department_name: str | None = None
    # The level the user acts at (their department's, else their own; None: the city's) and its
    # kind: the competent authority is that level's (engine.services.organisation).
    level: str | None = None
    level_kind: str | None = None
    # The recorded competent authority of that level (None: none recorded; the configured default).
    authority: str | None = None


@dataclass(frozen=True)
class DefinitionRow:
    """What the hot path needs of the newest version of a process."""

    id: int
    version: int
    properties: dict
    name: str | None = None


@dataclass(frozen=True)
class TaskRow:
    """What deciding a task needs of its row."""

    id: int
    instance_id: int
    spiff_task_id: str
    task_name: str
    form: str | None
    candidate_groups: list[str]
    assignee: str | None
    claimed_at: datetime | None
    state: str
    completed_by: str | None


_i = ProcessInstance.__table__
_t = HumanTask.__table__
_c = TaskCandidate.__table__
_timer = Timer.__table__
_u = User.__table__
_d = ProcessDefinition.__table__
_a = AuditEntry.__table__
_head = AuditChain.__table__
_r = ReceiptCounter.__table__
_ch = CalendarHead.__table__
_ca = CalendarArrangement.__table__
_n = Notification.__table__
_once = DeadlineNotice.__table__
_dep = Department.__table__
_lvl = Level.__table__
_search = ApplicationSearch.__table__
_tok = ApiToken.__table__
_cat = CatalogItem.__table__
_g = Grant.__table__

_INSTANCE_FIELDS = [f.name for f in fields(InstanceRecord)]
_CLOCK_FIELDS = _INSTANCE_FIELDS[_INSTANCE_FIELDS.index("department"):]
_ARRANGEMENT_FIELDS = ["id", "year", "notice", "title", "published", "days", "file_name", "file_text", "fingerprint",
                       "calendar_version", "installed_at", "installed_by", "reason"]
_NOTIFICATION_FIELDS = ["recipient_user", "recipient_group", "code", "params", "instance_id", "task_id", "created_at"]
_TASK_FIELDS = [f.name for f in fields(TaskRow)]
_TASK_INSERT_FIELDS = ["instance_id", "spiff_task_id", "task_name", "title", "process_id", "form", "candidate_groups",
                       "state", "created_at", "due_date", "due_at", "deadline_rule", "deadline_article",
                       "deadline_provisional", "deadline_basis"]
# A whole human_tasks row, as claiming returns it (engine.services.instances.task_dict reads it).
TaskRecord = make_dataclass("TaskRecord", [c.key for c in _t.columns])

_SAVED_FIELDS = ["definition_id", "status", "ended_at", "error", "waiting", "version", *_CLOCK_FIELDS]


def indexed_columns(table) -> set[str]:
    """The columns some index of `table` keys on or filters by (a partial index's WHERE)."""
    names = set()
    for index in table.indexes:
        names.update(c.key for c in index.columns)
        for options in index.dialect_options.values():
            where = options.get("where")
            if where is not None:
                text = str(where)
                names.update(c.key for c in table.columns if re.search(rf"\b{c.key}\b", text))
    return names


# What a save writes besides the state, split by whether an index reads it. SQLite rewrites every
# index whose columns an UPDATE sets, changed or not (a page of the WAL each, two to four a step),
# so a save sets only the indexed columns whose values it changes (InstanceRepository.save), by one
# UPDATE per set of them. Most steps change none; the last changes the status.
_SAVED_INDEXED = [n for n in _SAVED_FIELDS if n in indexed_columns(_i)]
_SAVED_PLAIN = [n for n in _SAVED_FIELDS if n not in _SAVED_INDEXED]


def _save_name(changed) -> str:
    """The name of the instance UPDATE that sets the indexed columns `changed` (in _SAVED_INDEXED's order)."""
    return "instance_save:" + ",".join(changed)


def _acting_user_of(row: dict) -> UserRow | None:
    # The acting user read with a task (_acting_user), or None if no such active user.
    if row["u_name"] is None:
        return None
    return UserRow(row["u_name"], row["u_department"], row["u_roles"], row["u_department_kind"],
                   level_kind=row["u_level_kind"])


_AUDIT_FIELDS = ["at", "actor", "action", "instance_id", "task_id", "before", "after", "prev_hash", "hash", "chain"]


def _bind(table, names):
    return {n: bindparam(n, type_=table.c[n].type) for n in names}


def _json_text(table, name: str, dialect_name: str):
    # JSON the repository serialized itself goes in as that very text: an audit entry's
    # before/after are stored as the canonical text that was hashed, an instance's state as the
    # text whose size was checked. PostgreSQL's json type keeps the text as given.
    text = bindparam(name, type_=Text)
    return cast(text, table.c[name].type) if dialect_name == "postgresql" else text


def _definitions(dialect_name: str) -> dict:
    newest = (select(_d.c.id, _d.c.version, _d.c.name, _d.c.properties).where(_d.c.process_id == bindparam("process_id"))
              .order_by(_d.c.version.desc()).limit(1).subquery())
    wanted = select(literal(1).label("one")).subquery()
    user = _u.alias("u")
    parent = _lvl.alias("parent_level")
    acting_level = func.coalesce(_dep.c.level, user.c.level)
    return {
        # Starting an application needs the applicant (with their department's kind) and the
        # newest version: one round trip.
        "applicant_and_process": (
            select(user.c.name, user.c.department, user.c.roles, _dep.c.kind.label("department_kind"),
                   user.c.display_name, _dep.c.name.label("department_name"),
                   acting_level.label("level"),
                   select(_lvl.c.kind).where(_lvl.c.code == acting_level).scalar_subquery().label("level_kind"),
                   # The competent authority of that level (「本级」), read in the same round trip as
                   # engine.services.organisation.authority_of_level reads it: the level's own, else
                   # its parent's, else the city's (None: the configured default stands in).
                   func.coalesce(select(_lvl.c.authority).where(_lvl.c.code == acting_level).scalar_subquery(),
                                 select(parent.c.authority)
                                 .select_from(_lvl.join(parent, parent.c.code == _lvl.c.parent))
                                 .where(_lvl.c.code == acting_level).scalar_subquery(),
                                 select(_lvl.c.authority).where(_lvl.c.kind == CITY).scalar_subquery())
                   .label("authority"),
                   newest.c.id, newest.c.version, newest.c.name.label("process_name"), newest.c.properties)
            .select_from(wanted.outerjoin(user, and_(user.c.name == bindparam("name", type_=_u.c.name.type),
                                                     user.c.active.is_(True)))
                         .outerjoin(_dep, _dep.c.code == user.c.department)
                         .outerjoin(newest, literal(True)))),
        # Every API request: its bearer token with the user it acts as (engine.services.tokens).
        "token_user": select(_tok.c.id, _tok.c.expires_at, _tok.c.revoked_at, _tok.c.last_used_at,
                             user.c.name, user.c.display_name, user.c.department, user.c.roles, user.c.active,
                             user.c.session_generation, _dep.c.kind.label("department_kind"))
        .select_from(_tok.join(user, user.c.name == _tok.c.user_name).outerjoin(_dep, _dep.c.code == user.c.department))
        .where(_tok.c.token_hash == bindparam("token_hash", type_=_tok.c.token_hash.type)),
        **(_postgres_definitions() if dialect_name == "postgresql" else {}),
        "receipt_next": update(_r).where(_r.c.day == bindparam("day", type_=_r.c.day.type))
        .values(last=_r.c.last + 1).returning(_r.c.last),
        "receipt_first": insert(_r).values(day=bindparam("day", type_=_r.c.day.type), last=1),
        "instance_get": select(*(_i.c[n] for n in _INSTANCE_FIELDS)).where(_i.c.id == bindparam("id")),
        "instance_get_locked": select(*(_i.c[n] for n in _INSTANCE_FIELDS)).where(_i.c.id == bindparam("id"))
        .with_for_update(),
        "instance_clock": update(_i).where(_i.c.id == bindparam("id_"))
        .values(**_bind(_i, ["statutory_due_date", "statutory_provisional", "statutory_extended_from"]),
                version=_i.c.version + 1),
        "instance_add": insert(_i).values(**_bind(_i, [n for n in _INSTANCE_FIELDS[1:] if n != "state"]),
                                          state=_json_text(_i, "state", dialect_name)).returning(_i.c.id),
        **{_save_name(changed): update(_i).where(_i.c.id == bindparam("id_"), _i.c.version == bindparam("version_"))
           .values(**_bind(_i, [*_SAVED_PLAIN, *changed]), state=_json_text(_i, "state", dialect_name))
           for count in range(len(_SAVED_INDEXED) + 1) for changed in combinations(_SAVED_INDEXED, count)},
        "task_add": insert(_t).values(**_bind(_t, _TASK_INSERT_FIELDS)).returning(_t.c.id),
        "candidate_add": insert(_c).values(**_bind(_c, ["task_id", "group_name", "due_at"])),
        "search_add": insert(_search).values(**_bind(_search, ["instance_id", "tokens"])),
        "task_for_decision": _task_for_decision(),
        # The instance row is locked with the task's: no other step can change it before this one
        # commits, so its write needs no version check read back (it may be queued, see Cursor).
        "task_for_decision_locked": _task_for_decision().with_for_update(of=(_t, _i)),
        "task_for_claim": _task_for_claim(),
        "task_for_claim_locked": _task_for_claim().with_for_update(of=_t),
        "task_complete": update(_t).where(_t.c.id == bindparam("id_"))
        .values(state="completed", **_bind(_t, ["assignee", "claimed_at", "completed_at", "completed_by", "result"])),
        "task_assign": update(_t).where(_t.c.id == bindparam("id_"), _t.c.state == "open")
        .values(**_bind(_t, ["assignee", "claimed_at"])),
        "task_cancel": update(_t).where(_t.c.instance_id == bindparam("instance_id"),
                                        _t.c.spiff_task_id == bindparam("spiff_task_id"), _t.c.state == "open")
        .values(state="cancelled", completed_at=bindparam("now", type_=_t.c.completed_at.type)),
        "timer_add": insert(_timer).values(**_bind(_timer, ["instance_id", "spiff_task_id", "task_name", "due_at"])),
        "timer_fired": update(_timer).where(_timer.c.instance_id == bindparam("instance_id"),
                                            _timer.c.spiff_task_id == bindparam("spiff_task_id"))
        .values(**_bind(_timer, ["fired_at", "fired_by"])),
        "timer_drop": delete(_timer).where(_timer.c.instance_id == bindparam("instance_id"),
                                           _timer.c.spiff_task_id == bindparam("spiff_task_id"),
                                           _timer.c.fired_at.is_(None)),
        "timer_move": update(_timer).where(_timer.c.instance_id == bindparam("instance_id"),
                                           _timer.c.spiff_task_id == bindparam("spiff_task_id"))
        .values(due_at=bindparam("due_at", type_=_timer.c.due_at.type), fired_at=None, fired_by=None),
        "timer_spend": update(_timer).where(_timer.c.id == bindparam("id"))
        .values(**_bind(_timer, ["fired_at", "fired_by"])),
        "timer_next_due": _next_due(),
        "timer_next_due_locked": _next_due().with_for_update(skip_locked=True),
        "timers_retry": delete(_timer).where(_timer.c.instance_id == bindparam("instance_id"),
                                             _timer.c.fired_at.is_(None) | _timer.c.fired_by.like("failed:%")),
        # Takes the chain's row (and its lock) or starts the chain; its hash before the new entry.
        "audit_head": _chain_taken(dialect_name).returning(_head.c.last_hash),
        "audit_add": insert(_a).values(**_bind(_a, [n for n in _AUDIT_FIELDS if n not in ("before", "after")]),
                                       before=_json_text(_a, "before", dialect_name),
                                       after=_json_text(_a, "after", dialect_name)),
        "calendar_version": select(_ch.c.version).where(_ch.c.id == 1),
        "calendar_bump": update(_ch).where(_ch.c.id == 1)
        .values(version=_ch.c.version + 1, changed_at=bindparam("now", type_=_ch.c.changed_at.type))
        .returning(_ch.c.version),
        "calendar_current": select(*(_ca.c[n] for n in _ARRANGEMENT_FIELDS)).where(_ca.c.superseded_at.is_(None))
        .order_by(_ca.c.year),
        "calendar_supersede": update(_ca).where(_ca.c.id == bindparam("id_"))
        .values(superseded_at=bindparam("now", type_=_ca.c.superseded_at.type)),
        "calendar_add": insert(_ca).values(**_bind(_ca, _ARRANGEMENT_FIELDS[1:])).returning(_ca.c.id),
        "task_move": update(_t).where(_t.c.id == bindparam("id_"), _t.c.state == "open")
        .values(**_bind(_t, ["due_date", "due_at", "deadline_provisional", "deadline_basis"])),
        "candidate_move": update(_c).where(_c.c.task_id == bindparam("task_id"))
        .values(due_at=bindparam("due_at", type_=_c.c.due_at.type)),
        "notification_add": insert(_n).values(**_bind(_n, _NOTIFICATION_FIELDS)),
        # The catalog and its grants (catalog_item, take_grant_id, add_grant).
        "catalog_item": select(*(_cat.c[n] for n in _CATALOG_FIELDS))
        .where(_cat.c.code == bindparam("code", type_=_cat.c.code.type)),
        "grant_add": insert(_g).values(**_bind(_g, _GRANT_FIELDS)).returning(_g.c.id),
        **(_postgres_grant_definitions() if dialect_name == "postgresql" else {}),
        # An API token's last use, written at most once a minute (engine.services.tokens): the
        # first request of the minute writes it, a concurrent one changes nothing.
        "token_used": update(_tok).where(_tok.c.id == bindparam("token_id", type_=_tok.c.id.type),
                                         _tok.c.last_used_at.is_(None)
                                         | (_tok.c.last_used_at <= bindparam("used_before",
                                                                             type_=_tok.c.last_used_at.type)))
        .values(last_used_at=bindparam("used_at", type_=_tok.c.last_used_at.type)),
    }


def _postgres_grant_definitions() -> dict:
    # A grant's id is part of what recording it returns (into the workflow's data and the audit
    # entry, both written by the same step), so on PostgreSQL it is taken from the sequence with
    # the catalog item the grant needs anyway, and the INSERT then waits for nothing.
    grant_id = func.nextval(func.pg_get_serial_sequence(literal("grants", Text), literal("id", Text)))
    return {
        "catalog_item_and_grant_id": select(*(_cat.c[n] for n in _CATALOG_FIELDS), grant_id.label("grant_id"))
        .where(_cat.c.code == bindparam("code", type_=_cat.c.code.type)),
        "grant_id_next": select(grant_id.label("id")),
        "grant_add_with_id": insert(_g).values(**_bind(_g, ["id", *_GRANT_FIELDS])),
    }


def _postgres_definitions() -> dict:
    # On PostgreSQL, where each statement and round trip counts: an accepted application's receipt
    # number and id are taken in one statement (InstanceRepository.reserve); a new task row and its
    # candidate rows are one statement; and an audit entry is sealed to its chain's head by the
    # database in one statement, so that no step waits for the head's hash (AuditRepository.append).
    task = insert(_t).values(**_bind(_t, _TASK_INSERT_FIELDS)).returning(_t.c.id, _t.c.candidate_groups,
                                                                        _t.c.due_at).cte("task")
    group = func.json_array_elements_text(task.c.candidate_groups).table_valued("value").render_derived("grp")
    candidates = insert(_c).from_select(["task_id", "group_name", "due_at"],
                                        select(task.c.id, group.c.value, task.c.due_at)
                                        .select_from(task.join(group, literal(True)))).cte("candidates")
    return {
        # A sequence per day (migration 0012): taking a number waits for no other application.
        "receipt_take": select(func.pdw_receipt_next(bindparam("day", type_=_r.c.day.type)).label("last")),
        "receipt_and_id": select(func.pdw_receipt_next(bindparam("day", type_=_r.c.day.type)).label("last"),
                                 func.nextval(func.pg_get_serial_sequence(literal("process_instances", Text),
                                                                          literal("id", Text))).label("id")),
        "receipt_day": select(func.pdw_receipt_day(bindparam("day", type_=_r.c.day.type)).label("name")),
        "instance_add_with_id": insert(_i).values(**_bind(_i, _INSTANCE_FIELDS[:1]),
                                                  **_bind(_i, [n for n in _INSTANCE_FIELDS[1:] if n != "state"]),
                                                  state=_json_text(_i, "state", "postgresql")),
        # The candidate rows come from the task row's own candidate_groups, as the trigger that
        # restores them on an unclaim makes them (engine.persistence.triggers).
        "task_add_with_candidates": select(task.c.id).add_cte(candidates),
        # A notice recorded once under its key and its notification written with it, in one
        # statement that waits for nothing (NotificationRepository.add_once).
        "notification_add_once": insert(_n).from_select(
            _NOTIFICATION_FIELDS,
            select(*(cast(bindparam(n, type_=_n.c[n].type), _n.c[n].type) for n in _NOTIFICATION_FIELDS))
            .select_from(postgresql.insert(_once).values(
                key=bindparam("key", type_=_once.c.key.type), kind=bindparam("kind", type_=_once.c.kind.type),
                instance_id=bindparam("instance_id", type_=_once.c.instance_id.type),
                created_at=bindparam("created_at", type_=_once.c.created_at.type))
                .on_conflict_do_nothing(index_elements=["key"]).returning(_once.c.id).cte("recorded"))),
        "audit_append": _audit_append(),
    }


def _constant(sql: str):
    # A constant written into the statement's text rather than bound: psycopg caches the
    # conversion of a query with at most 50 parameters only, and every literal() is one.
    return literal_column(sql, Text)


_NEWLINE = _constant("E'\\n'")


def _sealed_to(previous):
    """The SHA-256 of an entry linked to `previous` (a hash), as engine.persistence.repositories
    .entry_hash computes it, in SQL: the header's JSON with `previous` as its first field, then the
    canonical before and after texts."""
    body = (_constant("'[\"'") + previous + _constant("'\",'") + bindparam("rest", type_=Text)
            + _NEWLINE + func.coalesce(bindparam("before", type_=Text), _constant("'null'"))
            + _NEWLINE + func.coalesce(bindparam("after", type_=Text), _constant("'null'")))
    return func.encode(func.sha256(func.convert_to(body, _constant("'UTF8'"))), _constant("'hex'"))


def _audit_append():
    # INSERT ... ON CONFLICT DO UPDATE takes the chain's head row (and its lock, so concurrent
    # writers to one application queue and each links to the entry committed before its own) or
    # starts the chain, and moves it to the new entry: in DO UPDATE, `audit_chains.last_hash` is the
    # head as it was, kept as prev_hash. The entry is written from what the head returns.
    genesis = _constant(f"'{GENESIS}'")
    head = (postgresql.insert(_head)
            .values(chain=bindparam("chain", type_=BigInteger), entries=literal_column("1"),
                    sealed_entries=literal_column("0"), prev_hash=genesis, last_hash=_sealed_to(genesis))
            .on_conflict_do_update(index_elements=[_head.c.chain],
                                   set_={"entries": _head.c.entries + literal_column("1"),
                                         "prev_hash": _head.c.last_hash, "last_hash": _sealed_to(_head.c.last_hash)})
            .returning(_head.c.chain, _head.c.prev_hash, _head.c.last_hash).cte("head"))
    return insert(_a).from_select(
        _AUDIT_FIELDS,
        select(*(bindparam(n, type_=_a.c[n].type) for n in ["at", "actor", "action", "instance_id", "task_id"]),
               cast(cast(bindparam("before", type_=Text), Text), JSON),
               cast(cast(bindparam("after", type_=Text), Text), JSON),
               head.c.prev_hash, head.c.last_hash, head.c.chain))


def _chain_taken(dialect_name: str):
    # INSERT ... ON CONFLICT DO UPDATE: the first entry of an application starts its chain, later
    # ones count on; either way the chain's row is locked until commit.
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    return (dialect.insert(_head).values(chain=bindparam("chain", type_=BigInteger), entries=1, last_hash=GENESIS,
                                         sealed_entries=0)
            .on_conflict_do_update(index_elements=[_head.c.chain], set_={"entries": _head.c.entries + 1}))


def _next_due():
    return (select(_timer.c.id, _timer.c.instance_id, _timer.c.spiff_task_id, _timer.c.task_name, _timer.c.due_at)
            .where(_timer.c.fired_at.is_(None), _timer.c.due_at <= bindparam("now", type_=_timer.c.due_at.type))
            .order_by(_timer.c.due_at, _timer.c.id).limit(1))


def _acting_user(user):
    # What permissions ask of the acting user (UserRow), read with the task it acts on.
    return (user.c.name.label("u_name"), user.c.department.label("u_department"), user.c.roles.label("u_roles"),
            select(_dep.c.kind).where(_dep.c.code == user.c.department).scalar_subquery().label("u_department_kind"),
            # Correlated by hand: the department's level is read two subqueries down.
            select(_lvl.c.kind).where(_lvl.c.code == func.coalesce(
                select(_dep.c.level).where(_dep.c.code == user.c.department).correlate(user).scalar_subquery(),
                user.c.level)).correlate(user).scalar_subquery().label("u_level_kind"))


def _is_actor(user):
    return and_(user.c.name == bindparam("actor", type_=_u.c.name.type), user.c.active.is_(True))


def _task_for_decision():
    user = _u.alias("u")
    return (select(*(_t.c[n].label(f"t_{n}") for n in _TASK_FIELDS),
                   *(_i.c[n].label(f"i_{n}") for n in _INSTANCE_FIELDS), *_acting_user(user))
            .select_from(_t.join(_i, _i.c.id == _t.c.instance_id).outerjoin(user, _is_actor(user)))
            .where(_t.c.id == bindparam("task_id")))


def _task_for_claim():
    # The whole task row (the claim returns it) with the acting user; the task's row alone is
    # locked: a claim does not change its instance.
    user = _u.alias("u")
    return (select(*(c.label(f"t_{c.key}") for c in _t.columns), *_acting_user(user))
            .select_from(_t.outerjoin(user, _is_actor(user)))
            .where(_t.c.id == bindparam("task_id")))


_STATEMENTS: dict[str, Statements] = {}


def statements_for(dialect: Dialect) -> Statements:
    """The prepared statements of `dialect` (one set per dialect per process)."""
    found = _STATEMENTS.get(dialect.name)
    if found is None:
        found = _STATEMENTS[dialect.name] = Statements(dialect, _definitions(dialect.name))
    return found


class InstanceRepository:
    """Process instances (applications), their receipt numbers and what starting one needs."""

    def __init__(self, uow) -> None:
        self._uow = uow
        # Instances whose rows this transaction has locked (PostgreSQL) or written itself.
        self._held: set[int] = set()
        # Ids reserved for new instances not yet written (PostgreSQL).
        self._reserved: set[int] = set()
        # The indexed columns (_SAVED_INDEXED) of each instance as its row has them now.
        self._indexed: dict[int, tuple] = {}

    def hold(self, record: InstanceRecord) -> None:
        """Note that this transaction holds the row lock of `record`, read by a locking read."""
        self._held.add(record.id)
        self._remember(record)

    def _remember(self, record: InstanceRecord) -> None:
        self._indexed[record.id] = tuple(getattr(record, n) for n in _SAVED_INDEXED)

    def applicant_and_process(self, name: str, process_id: str) -> tuple[UserRow | None, DefinitionRow | None]:
        """The active user `name` and the newest version of `process_id`, each None if absent."""
        row = self._uow.cursor.one("applicant_and_process", {"name": name, "process_id": process_id})
        user = UserRow(row["name"], row["department"], row["roles"], row["department_kind"], row["display_name"],
                       row["department_name"], row["level"], row["level_kind"], row["authority"]) \
            if row["name"] is not None else None
        definition = DefinitionRow(row["id"], row["version"], row["properties"], row["process_name"]) \
            if row["id"] is not None else None
        return user, definition

    def reserve(self, day: date) -> tuple[int, int | None]:
        """For an accepted application: the next number of `day`'s receipt sequence and, on
        PostgreSQL, the id its instance will have (None: given when it is written), in one round
        trip. The number goes back if the unit of work rolls back; an id taken from PostgreSQL's
        sequence does not, which is why nothing is reserved before the application is accepted."""
        cursor = self._uow.cursor
        if cursor.dialect_name != "postgresql":
            return self.next_receipt_sequence(day), None
        taken = cursor.one("receipt_and_id", {"day": day})
        self._reserved.add(taken["id"])
        return taken["last"], taken["id"]

    def reuse(self, instance_id: int) -> None:
        """Write the next new instance under `instance_id`: an id `reserve` gave to a unit of work
        that was rolled back before it wrote its instance."""
        self._reserved.add(instance_id)

    def next_receipt_sequence(self, day: date) -> int:
        """The next number of the day's receipt sequence."""
        cursor = self._uow.cursor
        if cursor.dialect_name == "postgresql":
            # One statement, which also settles two first applications of a day arriving at once.
            return cursor.one("receipt_take", {"day": day})["last"]
        row = cursor.one("receipt_next", {"day": day})
        if row is not None:
            return row["last"]
        cursor.run("receipt_first", {"day": day})
        return 1

    def prepare_receipt_days(self, days: list[date]) -> None:
        """Make the receipt-number sequences of `days` ahead (PostgreSQL; SQLite counts in rows), so
        that the day's first applications do not wait for each other to make it."""
        cursor = self._uow.cursor
        if cursor.dialect_name == "postgresql":
            cursor.each([("receipt_day", {"day": day}) for day in days])

    def get(self, instance_id: int, *, lock: bool = False) -> InstanceRecord | None:
        """The instance with this id, or None.

        Every writer of an instance takes it with `lock=True` (a decision takes it with its task,
        TaskRepository.for_decision): its row stays locked until the unit of work ends (on
        SQLite the writer's BEGIN IMMEDIATE already excludes every other writer), so its save
        needs no version check and no step is refused for a concurrent one: it waits.
        """
        cursor = self._uow.cursor
        locking = lock and self._uow.writing
        row = cursor.one("instance_get_locked" if locking and cursor.dialect_name == "postgresql" else "instance_get",
                         {"id": instance_id})
        if row is None:
            return None
        record = InstanceRecord(**row)
        if locking:
            self._held.add(instance_id)
        self._remember(record)
        return record

    def set_clock(self, instance_id: int, *, statutory_due_date: date, statutory_provisional: bool,
                  statutory_extended_from: date | None) -> None:
        """Give an instance a re-counted statutory clock (its row taken with a locking read)."""
        self._uow.cursor.later("instance_clock", {"id_": instance_id, "statutory_due_date": statutory_due_date,
                                                  "statutory_provisional": statutory_provisional,
                                                  "statutory_extended_from": statutory_extended_from})

    def add(self, record: InstanceRecord, *, max_bytes: int | None = None) -> int:
        """Write a new instance and give the record its id.

        Raises:
            BudgetExceeded: its state is larger than `max_bytes` (nothing written).
        """
        values = {n: getattr(record, n) for n in _INSTANCE_FIELDS[1:]}
        values["state"] = _state_text(record.state, max_bytes)
        if record.id in self._reserved:
            self._reserved.discard(record.id)
            self._uow.cursor.later("instance_add_with_id", {"id": record.id, **values})
        else:
            record.id = self._uow.cursor.one("instance_add", values)["id"]
        # Nobody else sees the row before this transaction commits.
        self._held.add(record.id)
        self._remember(record)
        return record.id

    def is_written(self, record: InstanceRecord) -> bool:
        """True once `record` has a row (in this transaction or before)."""
        return record.id is not None and record.id not in self._reserved

    def save(self, record: InstanceRecord, *, max_bytes: int | None = None) -> None:
        """Write back a changed instance (a new one is added).

        Raises:
            StaleInstance: another transaction changed it since it was read.
            BudgetExceeded: its state is larger than `max_bytes` (nothing written).
        """
        if not self.is_written(record):
            self.add(record, max_bytes=max_bytes)
            return
        values = {"definition_id": record.definition_id, "status": record.status, "ended_at": record.ended_at,
                  "error": record.error,
                  "state": _state_text(record.state, max_bytes), "waiting": record.waiting,
                  "version": record.version + 1, "id_": record.id, "version_": record.version,
                  **{n: getattr(record, n) for n in _CLOCK_FIELDS}}
        indexed = tuple(values[n] for n in _SAVED_INDEXED)
        before = self._indexed.get(record.id)
        # An indexed column the row already has at this value is not set again (see _SAVED_INDEXED);
        # a record not read in this unit of work sets them all.
        changed = _SAVED_INDEXED if before is None else \
            [name for name, now, then in zip(_SAVED_INDEXED, indexed, before) if now != then]
        statement = _save_name(changed)
        if record.id in self._held:
            # Locked since it was read: nobody else can have changed it, so nothing is read back.
            self._uow.cursor.later(statement, values)
        elif self._uow.cursor.run(statement, values) != 1:
            raise StaleInstance(f"instance {record.id} was changed by another transaction")
        record.version += 1
        self._indexed[record.id] = indexed


def _state_text(state: dict, max_bytes: int | None) -> str:
    text = _STATE.encode(state)
    # A character is at most 4 bytes in UTF-8: encode only when the text might be too large.
    if max_bytes is not None and len(text) * 4 > max_bytes:
        size = len(text.encode("utf-8"))
        if size > max_bytes:
            raise BudgetExceeded("budget.data", size=size, limit=max_bytes)
    return text


class TaskRepository:
    """Human task rows and the candidate rows that put available tasks in group inboxes."""

    def __init__(self, uow) -> None:
        self._uow = uow

    def add(self, rows: list[dict]) -> list[int]:
        """Write new open task rows and their candidate groups; returns their ids in order (on
        PostgreSQL the list is filled in by the time the unit of work commits)."""
        cursor = self._uow.cursor
        ids: list[int] = []
        if cursor.dialect_name == "postgresql":
            for row in rows:
                cursor.later_returning("task_add_with_candidates", {n: row.get(n) for n in _TASK_INSERT_FIELDS},
                                       lambda found: ids.append(found[0]["id"]))
            return ids
        ids = [cursor.one("task_add", {n: row.get(n) for n in _TASK_INSERT_FIELDS})["id"] for row in rows]
        candidates = [{"task_id": task_id, "group_name": g, "due_at": row.get("due_at")}
                      for task_id, row in zip(ids, rows) for g in row["candidate_groups"]]
        if len(candidates) == 1:
            cursor.later("candidate_add", candidates[0])
        elif candidates:
            cursor.later_many("candidate_add", candidates)
        return ids

    def for_decision(self, task_id: int, actor: str) -> tuple[TaskRow, InstanceRecord, UserRow | None] | None:
        """A task, its instance and the acting user (None if no such active user), in one query,
        locking the task row on PostgreSQL; None if there is no such task."""
        cursor = self._uow.cursor
        name = "task_for_decision" if cursor.dialect_name == "sqlite" else "task_for_decision_locked"
        row = cursor.one(name, {"task_id": task_id, "actor": actor})
        if row is None:
            return None
        task = TaskRow(**{n: row[f"t_{n}"] for n in _TASK_FIELDS})
        instance = InstanceRecord(**{n: row[f"i_{n}"] for n in _INSTANCE_FIELDS})
        # Locked as InstanceRepository.get(lock=True) locks it (SQLite: BEGIN IMMEDIATE).
        self._uow.instances.hold(instance)
        return task, instance, _acting_user_of(row)

    def for_claim(self, task_id: int, actor: str) -> tuple[TaskRecord | None, UserRow | None]:
        """The whole task row (None if there is no such task) and the acting user (None if no such
        active user), in one query, locking the task row until commit (SQLite: BEGIN IMMEDIATE
        already excludes every other writer)."""
        cursor = self._uow.cursor
        if cursor.dialect_name == "sqlite":
            row = cursor.one("task_for_claim", {"task_id": task_id, "actor": actor})
        else:
            row = cursor.one("task_for_claim_locked", {"task_id": task_id, "actor": actor})
        if row is None:
            # No such task: the user is asked for alone, so that an unknown user is told first.
            return None, None
        return TaskRecord(**{c.key: row[f"t_{c.key}"] for c in _t.columns}), _acting_user_of(row)

    def take(self, task_id: int, actor: str, now: datetime) -> None:
        """Make `actor` the assignee of an open, unclaimed task whose row this transaction has
        locked (so nobody can have been faster): the write is queued (Cursor.later)."""
        self._uow.cursor.later("task_assign", {"assignee": actor, "claimed_at": now, "id_": task_id})

    def assign(self, task_id: int, assignee: str | None, now: datetime) -> None:
        """Hand an open task to `assignee`, or back to its groups when None."""
        self._uow.cursor.run("task_assign", {"assignee": assignee, "claimed_at": now if assignee else None,
                                             "id_": task_id})

    def complete(self, task_id: int, *, actor: str, assignee: str, claimed_at: datetime | None, now: datetime,
                 result: dict) -> None:
        """Mark a task completed by `actor` with the submitted `result`."""
        self._uow.cursor.later("task_complete", {"assignee": assignee, "claimed_at": claimed_at, "completed_at": now,
                                               "completed_by": actor, "result": result, "id_": task_id})

    def cancel(self, instance_id: int, spiff_ids: list[str], now: datetime) -> None:
        """Cancel the open tasks of an instance whose workflow tasks went away."""
        rows = [{"instance_id": instance_id, "spiff_task_id": spiff_id, "now": now} for spiff_id in spiff_ids]
        if len(rows) == 1:
            self._uow.cursor.later("task_cancel", rows[0])
        else:
            self._uow.cursor.later_many("task_cancel", rows)


@dataclass(frozen=True)
class TimerRow:
    """A waiting timer as the scheduler takes it."""

    id: int
    instance_id: int
    spiff_task_id: str
    task_name: str
    due_at: datetime


class TimerRepository:
    """Timer rows: one per waiting BPMN timer, read by the scheduler when due."""

    def __init__(self, uow) -> None:
        self._uow = uow

    def next_due(self, now: datetime) -> TimerRow | None:
        """Take the oldest unfired timer due at `now`, locked with SKIP LOCKED on PostgreSQL so
        that concurrent sweeps each take a different one; None when none is left."""
        cursor = self._uow.cursor
        row = cursor.one("timer_next_due" if cursor.dialect_name == "sqlite" else "timer_next_due_locked",
                         {"now": now})
        return TimerRow(**row) if row else None

    def spend(self, timer_id: int, now: datetime, by: str) -> None:
        """Mark a timer fired without firing it (its instance is not running, or firing failed)."""
        self._uow.cursor.run("timer_spend", {"id": timer_id, "fired_at": now, "fired_by": by})

    def reset_for_retry(self, instance_id: int) -> None:
        """Forget an instance's unfired timers and those whose firing failed, so a retry writes
        them again from the workflow's state."""
        self._uow.cursor.run("timers_retry", {"instance_id": instance_id})

    def add(self, instance_id: int, spiff_task_id: str, task_name: str, due_at: datetime) -> None:
        """Record a new waiting timer."""
        self._uow.cursor.later("timer_add", {"instance_id": instance_id, "spiff_task_id": spiff_task_id,
                                           "task_name": task_name, "due_at": due_at})

    def fired(self, instance_id: int, spiff_task_id: str, now: datetime, worker: str | None) -> None:
        """Mark a timer fired by `worker`."""
        self._uow.cursor.later("timer_fired", {"instance_id": instance_id, "spiff_task_id": spiff_task_id,
                                             "fired_at": now, "fired_by": worker})

    def drop(self, instance_id: int, spiff_task_id: str) -> None:
        """Forget an unfired timer whose task went away."""
        self._uow.cursor.later("timer_drop", {"instance_id": instance_id, "spiff_task_id": spiff_task_id})

    def move(self, instance_id: int, spiff_task_id: str, due_at: datetime) -> None:
        """Move a cycle timer on to its next occurrence."""
        self._uow.cursor.later("timer_move", {"instance_id": instance_id, "spiff_task_id": spiff_task_id,
                                            "due_at": due_at})


@dataclass(frozen=True)
class ArrangementRow:
    """An installed holiday notice as its row keeps it (`days` as Arrangement.to_dict() gives them)."""

    id: int
    year: int
    notice: str
    title: str
    published: date
    days: dict
    file_name: str
    file_text: str
    fingerprint: str
    calendar_version: int
    installed_at: datetime
    installed_by: str
    reason: str | None


class CalendarRepository:
    """The installed holiday notices and the calendar version every process compares with its own."""

    def __init__(self, uow) -> None:
        self._uow = uow

    def version(self) -> int:
        """The version of the calendar of record (one read of one row by primary key)."""
        return self._uow.cursor.one("calendar_version", {})["version"]

    def bump(self, now: datetime) -> int:
        """Raise the version, taking the head row's lock until commit (installs queue up); the new version."""
        return self._uow.cursor.one("calendar_bump", {"now": now})["version"]

    def current(self) -> list[ArrangementRow]:
        """The notice each year counts by, by year."""
        return [ArrangementRow(**row) for row in self._uow.cursor.all("calendar_current", {})]

    def add(self, row: dict) -> int:
        """Record an installed notice (every field of ArrangementRow but id); its id."""
        return self._uow.cursor.one("calendar_add", {n: row[n] for n in _ARRANGEMENT_FIELDS[1:]})["id"]

    def supersede(self, arrangement_id: int, now: datetime) -> None:
        """Mark an installed notice as replaced by a newer one of its year."""
        self._uow.cursor.run("calendar_supersede", {"id_": arrangement_id, "now": now})

    def move_task(self, task_id: int, *, due_date: date, due_at: datetime, provisional: bool, basis: list) -> None:
        """Give an open task a re-counted deadline, in its row and in its inbox (candidate) rows."""
        cursor = self._uow.cursor
        cursor.run("task_move", {"due_date": due_date, "due_at": due_at, "deadline_provisional": provisional,
                                 "deadline_basis": basis, "id_": task_id})
        cursor.run("candidate_move", {"task_id": task_id, "due_at": due_at})


class NotificationRepository:
    """Messages to users and groups, each a code and its params."""

    def __init__(self, uow) -> None:
        self._uow = uow

    def add(self, rows: list[dict]) -> None:
        """Write notifications (each with every field of _NOTIFICATION_FIELDS)."""
        if rows:
            self._uow.cursor.many("notification_add", [{n: row.get(n) for n in _NOTIFICATION_FIELDS} for row in rows])

    def add_once(self, key: str, kind: str, row: dict) -> None:
        """Write notification `row` unless notice `key` was recorded before (by this or a
        concurrent transaction, which this one then waits for), recording it. On PostgreSQL one
        statement queued with the rest of the transaction: a step that gives a reply pays no
        round trip for its notice."""
        cursor = self._uow.cursor
        values = {n: row.get(n) for n in _NOTIFICATION_FIELDS}
        if cursor.dialect_name == "postgresql":
            cursor.later("notification_add_once", {**values, "key": key, "kind": kind})
            return
        recorded = self._uow.session.execute(
            sqlite.insert(_once).values(key=key, kind=kind, instance_id=row.get("instance_id"),
                                        task_id=row.get("task_id"), created_at=row["created_at"])
            .on_conflict_do_nothing(index_elements=["key"]).returning(_once.c.id)).scalar()
        if recorded is not None:
            self.add([row])


GENESIS = "0" * 64


# json.dumps with options builds an encoder per call; these are built once (json.dumps calls the
# same encode, so the text is the same).
_CANONICAL = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
_STATE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def canonical(value: Any) -> str:
    """The JSON text an audit entry's before/after is hashed and stored as."""
    return _CANONICAL.encode(value)


def entry_hash(prev_hash: str, at: datetime, actor: str, action: str, instance_id, task_id,
               before_json: str | None, after_json: str | None) -> str:
    """The SHA-256 that seals one entry to the one before it (before/after as canonical JSON)."""
    header = entry_header([prev_hash, at, actor, action, instance_id, task_id])
    body = "\n".join([header, before_json or "null", after_json or "null"])
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def entry_header(fields: list) -> str:
    """The first line of what an entry's hash covers: its fields as canonical JSON, `at` (the
    one datetime) written in UTC to the microsecond."""
    return canonical([f.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f") if isinstance(f, datetime) else f
                      for f in fields])


class AuditRepository:
    """The append-only, hash-chained audit log."""

    def __init__(self, uow) -> None:
        self._uow = uow

    def append(self, *, at: datetime, actor: str, action: str, instance_id: int | None = None,
               task_id: int | None = None, before: dict | None = None, after: dict | None = None) -> None:
        """Add one entry to its chain (its application's, or chain 0) in this unit of work.

        Taking the chain's head row locks it first, so concurrent writers to one application queue
        up and each links to the entry committed just before its own; writers to different
        applications do not wait for each other.
        """
        cursor = self._uow.cursor
        chain = instance_id or 0
        # Stored as the very text that is hashed, so verifying needs no guess about formatting.
        before_json = canonical(before) if before is not None else None
        after_json = canonical(after) if after is not None else None
        if cursor.dialect_name == "postgresql":
            # One statement takes the head (and its lock), seals the entry to it (entry_hash, in
            # SQL) and moves the head: it goes with the step's other writes, and no round trip
            # waits for the previous hash.
            cursor.later("audit_append", {"chain": chain, "at": at, "actor": actor, "action": action,
                                          "instance_id": instance_id, "task_id": task_id,
                                          "before": before_json, "after": after_json,
                                          "rest": entry_header([at, actor, action, instance_id, task_id])[1:]})
            return
        prev_hash = cursor.one("audit_head", {"chain": chain})["last_hash"]
        digest = entry_hash(prev_hash, at, actor, action, instance_id, task_id, before_json, after_json)
        cursor.later("audit_add", {"at": at, "actor": actor, "action": action, "instance_id": instance_id,
                                 "task_id": task_id, "before": before_json, "after": after_json,
                                 "prev_hash": prev_hash, "hash": digest, "chain": chain})



@dataclass(frozen=True)
class CatalogItemRow:
    """A catalog item as the readers of a unit of work see it (every column of CatalogItem)."""

    code: str
    name: str
    source_unit: str
    share_attribute: str
    share_conditions: str | None
    share_basis: str | None
    open_attribute: str
    open_conditions: str | None
    update_frequency: str
    contact: str
    open_suspended: bool
    data_format: str | None
    data_type: str | None
    sensitivity_level: str | None
    share_reason: str | None
    legal_bar: str | None


_CATALOG_FIELDS = [f.name for f in fields(CatalogItemRow)]
_GRANT_FIELDS = ["instance_id", "catalog_item", "grantee", "scope", "purpose", "expires_on", "granted_at"]
# The catalog items a unit of work has read, by code, kept in its session's info (one session
# per unit of work).
_READ = "pdw_catalog_items"


def catalog_item(session, code: str) -> CatalogItemRow | None:
    """The catalog item `code`, or None; read from the database at most once per unit of work.

    Applying reads its item to admit it, to run the procedure's operations and to index it for
    search; each asks here, and only the first pays for a prepared read. What this unit of work
    changes is never served stale: an item the session holds as an ORM object (loaded to be
    changed, perhaps not yet flushed) is taken from that object, and an item written by a flush
    is forgotten (_forget). An item not found is not kept: an operation of the same unit may yet
    add it.
    """
    held = _held(session, code)
    if held is not None:
        return held
    read = session.info.get(_READ)
    if read is None:
        read = session.info[_READ] = {}
    item = read.get(code)
    if item is None:
        item = _row(_cursor(session).one("catalog_item", {"code": code}))
        if item is not None:
            read[code] = item
    return item


def catalog_item_and_grant_id(session, cursor: Cursor, code: str) -> tuple[CatalogItemRow | None, int | None]:
    """The catalog item `code` (as catalog_item gives it) and, when it exists, on PostgreSQL the
    id of a new grant of it, taken from the grants' sequence in the same round trip as the item
    (when the item must be read); on SQLite the id is None (add_grant takes it)."""
    if cursor.dialect_name != "postgresql":
        return catalog_item(session, code), None
    item = _held(session, code) or (session.info.get(_READ) or {}).get(code)
    if item is not None:
        return item, cursor.one("grant_id_next", {})["id"]
    found = cursor.one("catalog_item_and_grant_id", {"code": code})
    if found is None:
        return None, None
    item = _row(found)
    session.info.setdefault(_READ, {})[code] = item
    return item, found["grant_id"]


def add_grant(cursor: Cursor, grant_id: int | None, values: dict) -> int:
    """Record a grant (every field of _GRANT_FIELDS); its id. On PostgreSQL `grant_id` comes from
    catalog_item_and_grant_id and the INSERT is queued with the step's other writes (Cursor.later)."""
    row = {n: values[n] for n in _GRANT_FIELDS}
    if grant_id is not None:
        cursor.later("grant_add_with_id", {"id": grant_id, **row})
        return grant_id
    return cursor.one("grant_add", row)["id"]


def _held(session, code: str) -> CatalogItemRow | None:
    # The session's identity map holds the items loaded as ORM objects by this unit of work; a
    # changed one is held until flushed, and its attributes are this transaction's truth.
    if not session.identity_map:
        return None
    item = session.identity_map.get(identity_key(CatalogItem, code))
    return None if item is None else CatalogItemRow(**{n: getattr(item, n) for n in _CATALOG_FIELDS})


def _row(found: dict | None) -> CatalogItemRow | None:
    return None if found is None else CatalogItemRow(**{n: found[n] for n in _CATALOG_FIELDS})


def _cursor(session) -> Cursor:
    # The session's connection of its current transaction: the unit of work's own cursor is not
    # at hand here (admission and search are given the session), and a cursor costs little.
    connection = session.connection()
    return Cursor(connection, statements_for(connection.dialect))


def _forget(_mapper, _connection, item: CatalogItem) -> None:
    # An item inserted, updated or deleted by a flush of this unit of work is read afresh. Every
    # write of catalog items goes through the ORM (engine.services.catalog_changes, the
    # operations that suspend and resume opening); a Core UPDATE of catalog_items would bypass
    # this and must forget the item itself.
    session = object_session(item)
    if session is not None:
        (session.info.get(_READ) or {}).pop(item.code, None)


for _change in ("after_insert", "after_update", "after_delete"):
    event.listen(CatalogItem, _change, _forget)
