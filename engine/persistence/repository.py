"""The engine's hot path: instances, tasks and the audit chain read and written as plain rows.

Starting an application and deciding a task run a handful of statements each, and through
SQLAlchemy (ORM or Core) the library's own bookkeeping cost several times the statements.
These paths therefore speak SQL to the DBAPI connection of the unit of work's session, in
its transaction; the ORM classes still define the tables and serve every colder path.
Values are stored exactly as SQLAlchemy stores them, so both sides read each other's rows.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, fields
from datetime import date, datetime, timezone

from sqlalchemy.orm import Session


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


@dataclass(frozen=True)
class UserRow:
    """What the hot path needs of a user."""

    name: str
    department: str | None
    roles: list[str]


@dataclass(frozen=True)
class DefinitionRow:
    """What the hot path needs of the newest version of a process."""

    id: int
    version: int
    properties: dict


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


_INSTANCE_FIELDS = [f.name for f in fields(InstanceRecord)]
# Parameters are typed by name; a task's `state` is text, an instance's is JSON.
_INSTANCE_NAMES = ["instance_state" if n == "state" else n for n in _INSTANCE_FIELDS]
_JSON_FIELDS = {"summary", "instance_state", "waiting", "roles", "properties", "candidate_groups", "before", "after",
                "result", "deadline_basis"}
_DATETIME_FIELDS = {"started_at", "ended_at", "claimed_at", "created_at", "completed_at", "due_at", "at", "now"}
_DATE_FIELDS = {"received_on", "due_date", "day"}
_SQLITE_DATETIME = "%Y-%m-%d %H:%M:%S.%f"


def _json_text(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def _sqlite_datetime(value: datetime) -> str:
    return value.astimezone(timezone.utc).strftime(_SQLITE_DATETIME)


_POSTGRES_IN = {name: _json_text for name in _JSON_FIELDS}
_SQLITE_IN = {**_POSTGRES_IN, **{name: _sqlite_datetime for name in _DATETIME_FIELDS},
              **{name: date.isoformat for name in _DATE_FIELDS}}


class _Sql:
    """The session's DBAPI connection, with SQLite's storage conventions applied both ways."""

    def __new__(cls, session: Session) -> "_Sql":
        # One per session: the connection stays the same for the whole transaction.
        cached = session.info.get("pdw_sql")
        if cached is None:
            cached = session.info["pdw_sql"] = super().__new__(cls)
            connection = session.connection()
            cached.sqlite = connection.dialect.name == "sqlite"
            cached.cursor = connection.connection.driver_connection.cursor()
        return cached

    def _in(self, name: str, value):
        if value is None:
            return None
        convert = (_SQLITE_IN if self.sqlite else _POSTGRES_IN).get(name)
        if convert is not None:
            return convert(value)
        if self.sqlite and value.__class__ is bool:
            return int(value)
        return value

    def out(self, name: str, value):
        """A stored value of parameter or column `name` as Python reads it."""
        if value is None:
            return None
        if name in _JSON_FIELDS and isinstance(value, str):
            return json.loads(value)
        if self.sqlite:
            if name in _DATETIME_FIELDS:
                return datetime.strptime(value, _SQLITE_DATETIME).replace(tzinfo=timezone.utc)
            if name in _DATE_FIELDS:
                return date.fromisoformat(value)
        elif name in _DATETIME_FIELDS:
            return value.astimezone(timezone.utc)
        return value

    def run(self, sql: str, params: dict) -> int:
        """Execute `sql` with named parameters (:name); returns the rowcount."""
        self.cursor.execute(self._dialect(sql), {k: self._in(k, v) for k, v in params.items()})
        return self.cursor.rowcount

    def many(self, sql: str, rows: list[dict]) -> None:
        """Execute `sql` once per parameter dict."""
        self.cursor.executemany(self._dialect(sql), [{k: self._in(k, v) for k, v in r.items()} for r in rows])

    def one(self, sql: str, params: dict, names: list[str]) -> dict | None:
        """The first row of a query as a dict keyed by `names`, or None."""
        self.run(sql, params)
        row = self.cursor.fetchone()
        return None if row is None else {n: self.out(n, v) for n, v in zip(names, row)}

    def _dialect(self, sql: str) -> str:
        if self.sqlite:
            return sql
        # psycopg's named style is %(name)s; the SQL here uses :name and has no colons otherwise.
        out, i = [], 0
        while i < len(sql):
            if sql[i] == ":" and i + 1 < len(sql) and (sql[i + 1].isalpha() or sql[i + 1] == "_"):
                j = i + 1
                while j < len(sql) and (sql[j].isalnum() or sql[j] == "_"):
                    j += 1
                out.append(f"%({sql[i + 1:j]})s")
                i = j
            else:
                out.append(sql[i])
                i += 1
        return "".join(out)


_APPLICANT_AND_PROCESS = (
    "SELECT u.name, u.department, u.roles, d.id, d.version, d.properties "
    "FROM (SELECT :name AS wanted) w "
    "LEFT JOIN users u ON u.name = w.wanted AND u.active = :active "
    "LEFT JOIN (SELECT id, version, properties FROM process_definitions WHERE process_id = :process_id "
    "           ORDER BY version DESC LIMIT 1) d ON 1 = 1")


def applicant_and_process(session: Session, name: str, process_id: str
                          ) -> tuple[UserRow | None, DefinitionRow | None]:
    """The active user called `name` and the newest version of `process_id`, each None if
    absent, in one query (starting an application needs both)."""
    row = _Sql(session).one(_APPLICANT_AND_PROCESS, {"name": name, "active": True, "process_id": process_id},
                            ["name", "department", "roles", "id", "version", "properties"])
    user = UserRow(row["name"], row["department"], row["roles"]) if row["name"] is not None else None
    definition = DefinitionRow(row["id"], row["version"], row["properties"]) if row["id"] is not None else None
    return user, definition


def next_receipt_sequence(session: Session, day: date) -> int:
    """The next number of the day's receipt sequence."""
    sql = _Sql(session)
    row = sql.one("UPDATE receipt_counters SET last = last + 1 WHERE day = :day RETURNING last", {"day": day},
                  ["last"])
    if row is not None:
        return row["last"]
    sql.run("INSERT INTO receipt_counters (day, last) VALUES (:day, 1)", {"day": day})
    return 1


_SELECT_INSTANCE = f"SELECT {', '.join(_INSTANCE_FIELDS)} FROM process_instances WHERE id = :id"


def load_instance(session: Session, instance_id: int) -> InstanceRecord | None:
    """The instance with this id, or None."""
    row = _Sql(session).one(_SELECT_INSTANCE, {"id": instance_id}, _INSTANCE_NAMES)
    return InstanceRecord(*row.values()) if row else None


_INSERT_INSTANCE = (f"INSERT INTO process_instances ({', '.join(_INSTANCE_FIELDS[1:])}) "
                    f"VALUES ({', '.join(':' + n for n in _INSTANCE_NAMES[1:])}) RETURNING id")


def insert_instance(session: Session, record: InstanceRecord) -> int:
    """Write a new instance and give the record its id."""
    values = {name: getattr(record, field) for name, field in zip(_INSTANCE_NAMES[1:], _INSTANCE_FIELDS[1:])}
    record.id = _Sql(session).one(_INSERT_INSTANCE, values, ["id"])["id"]
    return record.id


def save_instance(session: Session, record: InstanceRecord) -> None:
    """Write back a changed instance.

    Raises:
        StaleInstance: another transaction changed it since it was read.
    """
    changed = _Sql(session).run(
        "UPDATE process_instances SET status = :status, ended_at = :ended_at, error = :error, "
        "state = :instance_state, waiting = :waiting, version = :new_version WHERE id = :id AND version = :version",
        {"status": record.status, "ended_at": record.ended_at, "error": record.error, "instance_state": record.state,
         "waiting": record.waiting, "new_version": record.version + 1, "id": record.id, "version": record.version})
    if changed != 1:
        raise StaleInstance(f"instance {record.id} was changed by another transaction")
    record.version += 1


_TASK_INSERT_FIELDS = ["instance_id", "spiff_task_id", "task_name", "title", "process_id", "form", "candidate_groups",
                       "state", "created_at", "due_date", "due_at", "deadline_rule", "deadline_article",
                       "deadline_provisional", "deadline_basis"]
_INSERT_TASK = (f"INSERT INTO human_tasks ({', '.join(_TASK_INSERT_FIELDS)}) "
                f"VALUES ({', '.join(':' + n for n in _TASK_INSERT_FIELDS)}) RETURNING id")


def insert_tasks(session: Session, rows: list[dict]) -> list[int]:
    """Write new human task rows and their candidate groups; returns their ids in order."""
    sql = _Sql(session)
    ids = [sql.one(_INSERT_TASK, {n: row.get(n) for n in _TASK_INSERT_FIELDS}, ["id"])["id"] for row in rows]
    candidates = [{"task_id": task_id, "group_name": g, "due_at": row.get("due_at")}
                  for task_id, row in zip(ids, rows) for g in row["candidate_groups"]]
    insert = "INSERT INTO task_candidates (task_id, group_name, due_at) VALUES (:task_id, :group_name, :due_at)"
    if len(candidates) == 1:
        sql.run(insert, candidates[0])
    elif candidates:
        sql.many(insert, candidates)
    return ids


_TASK_FIELDS = [f.name for f in fields(TaskRow)]
_USER_FIELDS = ["name", "department", "roles"]
_TASK_FOR_DECISION = (f"SELECT {', '.join('t.' + n for n in _TASK_FIELDS)}, "
                      f"{', '.join('i.' + n for n in _INSTANCE_FIELDS)}, "
                      f"{', '.join('u.' + n for n in _USER_FIELDS)} "
                      "FROM human_tasks t JOIN process_instances i ON i.id = t.instance_id "
                      "LEFT JOIN users u ON u.name = :actor AND u.active = :active WHERE t.id = :task_id")


def task_for_decision(session: Session, task_id: int, actor: str
                      ) -> tuple[TaskRow, InstanceRecord, UserRow | None] | None:
    """A task, its instance and the deciding user (None if no such active user), in one query,
    locking the task row on PostgreSQL; None if there is no such task."""
    sql = _Sql(session)
    query = _TASK_FOR_DECISION + ("" if sql.sqlite else " FOR UPDATE OF t")
    sql.run(query, {"task_id": task_id, "actor": actor, "active": True})
    row = sql.cursor.fetchone()
    if row is None:
        return None
    values = [sql.out(n, v) for n, v in zip(_TASK_FIELDS + _INSTANCE_NAMES + _USER_FIELDS, row)]
    task_end, instance_end = len(_TASK_FIELDS), len(_TASK_FIELDS) + len(_INSTANCE_NAMES)
    user = UserRow(*values[instance_end:]) if values[instance_end] is not None else None
    return TaskRow(*values[:task_end]), InstanceRecord(*values[task_end:instance_end]), user


def complete_task(session: Session, task_id: int, *, actor: str, assignee: str, claimed_at: datetime | None,
                  now: datetime, result: dict) -> None:
    """Mark a task completed by `actor` with the submitted `result`."""
    _Sql(session).run(
        "UPDATE human_tasks SET state = 'completed', assignee = :assignee, claimed_at = :claimed_at, "
        "completed_at = :completed_at, completed_by = :actor, result = :result WHERE id = :id",
        {"assignee": assignee, "claimed_at": claimed_at, "completed_at": now, "actor": actor, "result": result,
         "id": task_id})


def take_audit_head(session: Session) -> str:
    """Lock the audit chain's head row and return the hash of the newest entry."""
    return _Sql(session).one("UPDATE audit_head SET entries = entries + 1 WHERE id = 1 RETURNING last_hash", {},
                             ["last_hash"])["last_hash"]


def add_audit_entry(session: Session, entry: dict) -> None:
    """Append one sealed entry and move the head to it."""
    sql = _Sql(session)
    sql.run('INSERT INTO audit_log (at, actor, action, instance_id, task_id, "before", "after", prev_hash, hash) '
            
"VALUES (:at, :actor, :action, :instance_id, :task_id, :before_json, :after_json, :prev_hash, :hash)",
            entry)
    sql.run("UPDATE audit_head SET last_hash = :hash WHERE id = 1", {"hash": entry["hash"]})
