"""Tables of PDW. Rows are plain records; the rules live in engine.services."""
from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    TypeDecorator,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    func,
    select,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, column_property, mapped_column

from engine.persistence import search_index, triggers


class UtcDateTime(TypeDecorator):
    """An aware datetime stored as UTC; SQLite keeps no zone, so it is put back on read."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r} given to a UTC column")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


# BigInteger ids on PostgreSQL, but SQLite only auto-increments INTEGER PRIMARY KEY.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    """Declarative base of every PDW table."""


class Level(Base):
    """An administrative level (本级): the city, or one of its counties and districts, each with
    the department that is its 公共数据主管部门 (Art. 6 para. 2, 20 para. 1)."""

    __tablename__ = "levels"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))  # city | county
    # The level above (a county's city); None for the city, to which every figure rolls up.
    parent: Mapped[str | None] = mapped_column(ForeignKey("levels.code"))
    # The code of the level's competent authority. Not a foreign key: departments name their level,
    # so the two tables would refer to each other; engine.services.organisation checks it.
    authority: Mapped[str | None] = mapped_column(String(64))


class Department(Base):
    """A government department or public-service organisation (政务部门 / 公共服务组织)."""

    __tablename__ = "departments"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32), default="department")
    # The level the department belongs to (None: the city's, as before levels were modelled).
    level: Mapped[str | None] = mapped_column(ForeignKey("levels.code"), index=True)
    # The full official name (全称) printed on replies; the short `name` in lists.
    full_name: Mapped[str | None] = mapped_column(String(200))
    # When the department was retired: it keeps its history but takes no new work or members.
    retired_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class User(Base):
    """A person who acts in PDW; roles decide what they may do."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    department: Mapped[str | None] = mapped_column(ForeignKey("departments.code"))
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # Where notifications are e-mailed when an SMTP server is set (PDW_SMTP_HOST).
    email: Mapped[str | None] = mapped_column(String(254))
    # Moved on by signing out, a new password or disabling: every older session cookie is dead.
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    # The kind of the user's department, read with the user: whether a supervisor is the
    # competent authority's (who oversees every department) or one department's (engine.access).
    department_kind = column_property(select(Department.kind).where(Department.code == department)
                                      .correlate_except(Department).scalar_subquery())
    # The level of an account without a department (a citizen: 自然人), which decides which
    # level's authority answers them (「本级」); members of a department take their department's.
    level: Mapped[str | None] = mapped_column(ForeignKey("levels.code"))
    # The level the user acts at: their department's, else their own (None: the city's).
    acting_level = column_property(func.coalesce(
        select(Department.level).where(Department.code == department).correlate_except(Department).scalar_subquery(),
        level))
    # That level's kind (city | county; None: the city's, as before levels were modelled): only the
    # city authority's supervisors oversee every level (engine.access).
    level_kind = column_property(select(Level.kind).where(Level.code == func.coalesce(
        select(Department.level).where(Department.code == department).correlate_except(Department).scalar_subquery(),
        level)).correlate_except(Level).scalar_subquery())


class ProcessDefinition(Base):
    """One deployed version of one BPMN process; instances stay on the version they began with."""

    __tablename__ = "process_definitions"
    __table_args__ = (UniqueConstraint("process_id", "version"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    process_id: Mapped[str] = mapped_column(String(128), index=True)
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200), default="")
    content_hash: Mapped[str] = mapped_column(String(64))
    file_name: Mapped[str] = mapped_column(String(255))
    bpmn_xml: Mapped[bytes] = mapped_column(LargeBinary)
    # The serialized SpiffWorkflow spec, so an instance is restored without re-parsing BPMN.
    spec: Mapped[dict] = mapped_column(JSON)
    # Every JSON Schema form the process names, frozen at deploy time with the process.
    forms: Mapped[dict] = mapped_column(JSON, default=dict)
    properties: Mapped[dict] = mapped_column(JSON, default=dict)
    deployed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    deployed_by: Mapped[str] = mapped_column(String(64))


class VersionProposal(Base):
    """A designer's new version of a process, waiting for a second person's decision
    (engine.services.changes). Approving it writes it as a ProcessDefinition, so every
    definition is an approved version and the newest is the live one."""

    __tablename__ = "version_proposals"
    __table_args__ = (UniqueConstraint("process_id", "version"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    process_id: Mapped[str] = mapped_column(String(128), index=True)
    # The version number it will have when approved (numbers of rejected proposals stay unused).
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200), default="")
    content_hash: Mapped[str] = mapped_column(String(64))
    file_name: Mapped[str] = mapped_column(String(255))
    bpmn_xml: Mapped[bytes] = mapped_column(LargeBinary)
    spec: Mapped[dict] = mapped_column(JSON)
    forms: Mapped[dict] = mapped_column(JSON, default=dict)
    properties: Mapped[dict] = mapped_column(JSON, default=dict)
    proposed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    proposed_by: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="proposed")
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    decision_note: Mapped[str | None] = mapped_column(Text)
    # The definition an approval wrote.
    definition_id: Mapped[int | None] = mapped_column(BigId)


class MigrationProposal(Base):
    """Running applications a designer proposes to move from one version to another; they move
    only when a second person with the approving role approves."""

    __tablename__ = "migration_proposals"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    process_id: Mapped[str] = mapped_column(String(128), index=True)
    old_version: Mapped[int] = mapped_column(Integer)
    new_version: Mapped[int] = mapped_column(Integer)
    instance_ids: Mapped[list] = mapped_column(JSON)
    proposed_by: Mapped[str] = mapped_column(String(64))
    proposed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(16), default="proposed")
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    decision_note: Mapped[str | None] = mapped_column(Text)


class ProcessDraft(Base):
    """A designer's unfinished edit of a process, one per process, shared by its designers."""

    __tablename__ = "process_drafts"

    process_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    # The version the edit began from (None: a process not deployed yet).
    base_version: Mapped[int | None] = mapped_column(Integer)
    file_name: Mapped[str] = mapped_column(String(255))
    bpmn_xml: Mapped[bytes] = mapped_column(LargeBinary)
    # JSON Schema forms edited with the draft, by name; they stand in for the forms folder's.
    forms: Mapped[dict] = mapped_column(JSON, default=dict)
    saved_at: Mapped[datetime] = mapped_column(UtcDateTime)
    saved_by: Mapped[str] = mapped_column(String(64))


_UNANSWERED = "replied_at IS NULL AND statutory_due_date IS NOT NULL"


class ProcessInstance(Base):
    """One application (申请) moving through a procedure."""

    __tablename__ = "process_instances"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definitions.id"), index=True)
    process_id: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16), index=True)  # running | completed | errored
    receipt_number: Mapped[str] = mapped_column(String(40), unique=True)
    received_on: Mapped[date] = mapped_column(Date)
    started_by: Mapped[str] = mapped_column(String(64), index=True)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    error: Mapped[str | None] = mapped_column(Text)
    # The application as submitted, for lists and search without unpacking the workflow.
    summary: Mapped[dict] = mapped_column(JSON, default=dict)
    state: Mapped[dict] = mapped_column(JSON)
    # Spiff ids of the open user tasks and waiting timers, so a step knows what changed
    # without querying for it.
    waiting: Mapped[dict] = mapped_column(JSON, default=dict)
    serializer_version: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    # The unit competent to handle the application (its reviewers decide it).
    department: Mapped[str | None] = mapped_column(String(64))
    # The statutory clock: the deadline that governs the application whichever step is open
    # (original, then extended), and when and how late the applicant was given the reply.
    statutory_due_date: Mapped[date | None] = mapped_column(Date)
    statutory_rule: Mapped[str | None] = mapped_column(String(64))
    statutory_article: Mapped[str | None] = mapped_column(String(200))
    statutory_provisional: Mapped[bool | None] = mapped_column(Boolean)
    statutory_extended_from: Mapped[date | None] = mapped_column(Date)
    replied_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    replied_late_days: Mapped[int | None] = mapped_column(Integer)  # 0: on time

    __table_args__ = (
        Index("ix_process_instances_unanswered_due", "statutory_due_date",
              postgresql_where=text(_UNANSWERED), sqlite_where=text(_UNANSWERED)),
        Index("ix_process_instances_replied", "replied_at"),
        # The on-time report reads a period's replies from this index alone (engine.services.reports).
        Index("ix_process_instances_replies", "replied_at", "process_id", "department", "received_on",
              "replied_late_days", postgresql_where=text("statutory_due_date IS NOT NULL"),
              sqlite_where=text("statutory_due_date IS NOT NULL")),
    )
    __mapper_args__ = {"version_id_col": version}


class HumanTask(Base):
    """A user task waiting for, or decided by, a person: a plain queryable row."""

    __tablename__ = "human_tasks"
    __table_args__ = (
        Index("ix_human_tasks_open_due", "state", "due_at", "id"),
        Index("ix_human_tasks_assignee", "assignee", "state", "due_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instances.id"), index=True)
    spiff_task_id: Mapped[str] = mapped_column(String(36))
    task_name: Mapped[str] = mapped_column(String(128))
    title: Mapped[str] = mapped_column(String(200))
    process_id: Mapped[str] = mapped_column(String(128))
    form: Mapped[str | None] = mapped_column(String(255))
    candidate_groups: Mapped[list[str]] = mapped_column(JSON, default=list)
    assignee: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))  # open | completed | cancelled
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    completed_by: Mapped[str | None] = mapped_column(String(64))
    due_date: Mapped[date | None] = mapped_column(Date)
    due_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    deadline_rule: Mapped[str | None] = mapped_column(String(64))
    deadline_article: Mapped[str | None] = mapped_column(String(200))
    deadline_provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    # Notices the deadline was computed from, and the period counted: shown beside the date.
    deadline_basis: Mapped[list | None] = mapped_column(JSON)
    result: Mapped[dict | None] = mapped_column(JSON)


class TaskCandidate(Base):
    """One candidate group of an available (open, unclaimed) task, with the task's deadline.

    Database triggers (engine.persistence.triggers, created with the table and by migration
    0003) keep the table to available tasks: a claim or the end of the task deletes its rows,
    an unclaim restores them from human_tasks.candidate_groups.
    The inbox reads a group's available work in due order from (group_name, due_at, task_id).
    """

    __tablename__ = "task_candidates"
    __table_args__ = (Index("ix_task_candidates_group", "group_name", "task_id"),
                      Index("ix_task_candidates_group_due", "group_name", "due_at", "task_id"))

    task_id: Mapped[int] = mapped_column(ForeignKey("human_tasks.id", ondelete="CASCADE"), primary_key=True)
    group_name: Mapped[str] = mapped_column(String(128), primary_key=True)
    due_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


triggers.attach(TaskCandidate.__table__)


class Timer(Base):
    """A BPMN timer waiting in an instance; the scheduler reads only the due ones."""

    __tablename__ = "timers"
    __table_args__ = (
        Index("ix_timers_pending_due", "due_at", postgresql_where=text("fired_at IS NULL"),
              sqlite_where=text("fired_at IS NULL")),
        UniqueConstraint("instance_id", "spiff_task_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instances.id"), index=True)
    spiff_task_id: Mapped[str] = mapped_column(String(36))
    task_name: Mapped[str] = mapped_column(String(128))
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    fired_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    fired_by: Mapped[str | None] = mapped_column(String(128))


class AuditEntry(Base):
    """An append-only, hash-chained record of one action (Art. 49: 可审计、可追溯)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    instance_id: Mapped[int | None] = mapped_column(BigId, index=True)
    task_id: Mapped[int | None] = mapped_column(BigId)
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    # The chain the entry links into (AuditChain): its application's id, or 0, the chain of
    # entries about no application, of the scheduler's seals and of every entry before 0012.
    chain: Mapped[int] = mapped_column(BigId, default=0, server_default="0")


class AccessRecord(Base):
    """One read of an application by someone other than its applicant: who, when, as which
    audience (engine.access) and from which entry point. Personal information law expects a
    system holding health and population data to be able to say who read a person's file."""

    __tablename__ = "access_log"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    actor: Mapped[str] = mapped_column(String(64))
    audience: Mapped[str] = mapped_column(String(32))
    instance_id: Mapped[int] = mapped_column(BigId, index=True)
    # What was read (`application.status`, `task.view`, `attachment.download`, ...).
    action: Mapped[str] = mapped_column(String(64))
    # Where from: `web GET /inbox/tasks/7`, `api GET /api/v1/instances/3`, `cli instances show`.
    entry_point: Mapped[str] = mapped_column(String(300))


class Attachment(Base):
    """A supporting document of an application (申请材料), kept in the database with the
    application it belongs to, so a backup of the one is a backup of the other."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instances.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ApplicationSearch(Base):
    """What people read of an application, as words for the full-text index (engine.search):
    receipt number, procedure, applicant and organisation, catalog entry, the application's text.

    The index itself (SQLite FTS5 / a PostgreSQL GIN tsvector) is made by
    engine.persistence.search_index with the table.
    """

    __tablename__ = "application_search"

    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instances.id"), primary_key=True)
    tokens: Mapped[str] = mapped_column(Text)


search_index.attach(ApplicationSearch.__table__)


class AuditChain(Base):
    """The head of one audit chain: an application's entries, or chain 0 (see AuditEntry.chain).

    Appending to a chain takes its row's lock, so concurrent applications do not queue on one
    row; the scheduler seals the heads that moved into chain 0 (engine.services.audit.seal).
    """

    __tablename__ = "audit_chains"

    chain: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    entries: Mapped[int] = mapped_column(BigId, default=0)
    # The newest entry's hash. On PostgreSQL the statement that appends an entry moves it
    # (engine.persistence.repositories._audit_append); on SQLite a trigger on audit_log
    # (engine.persistence.triggers.AUDIT_HEAD).
    last_hash: Mapped[str] = mapped_column(String(64))
    # The hash the newest entry links to (its prev_hash), kept by the PostgreSQL append, which
    # reads the entry's link back from the head it moved; NULL on SQLite and before migration 0025.
    prev_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # How many of its entries the newest seal covers.
    sealed_entries: Mapped[int] = mapped_column(BigId, default=0, server_default="0")


triggers.attach_audit_head(AuditEntry.__table__)


class CatalogItem(Base):
    """An entry of the public data catalog (Art. 13, 19, 25)."""

    __tablename__ = "catalog_items"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    source_unit: Mapped[str] = mapped_column(ForeignKey("departments.code"))
    share_attribute: Mapped[str] = mapped_column(String(16))  # 无条件共享 | 有条件共享 | 不予共享
    share_conditions: Mapped[str | None] = mapped_column(Text)
    share_basis: Mapped[str | None] = mapped_column(Text)
    open_attribute: Mapped[str] = mapped_column(String(16))  # 无条件开放 | 有条件开放 | 不予开放
    open_conditions: Mapped[str | None] = mapped_column(Text)
    update_frequency: Mapped[str] = mapped_column(String(32))
    contact: Mapped[str] = mapped_column(String(200))
    open_suspended: Mapped[bool] = mapped_column(Boolean, default=False)
    # Art. 13: the format (e.g. 接口, 文件), type (e.g. 结构化) and sensitivity level of the data;
    # the level 个人信息 can never be listed 无条件开放 (Art. 24 para. 3, 25).
    data_format: Mapped[str | None] = mapped_column(String(64))
    data_type: Mapped[str | None] = mapped_column(String(64))
    # One of engine.catalog_rules.LEVELS (Art. 12), never free text.
    sensitivity_level: Mapped[str | None] = mapped_column(String(32))
    # Art. 19 para. 2: why an item is shared only on conditions, or not at all.
    share_reason: Mapped[str | None] = mapped_column(Text)
    # Art. 18: the law that bars sharing and opening the data; no demand or import overrides it.
    legal_bar: Mapped[str | None] = mapped_column(Text)


class CatalogProposal(Base):
    """A proposed change to one catalog item, attribute by attribute (engine.services.catalog_changes).

    Only an approved proposal reaches `catalog_items`; one that breaks a hard rule is refused at
    once by the rules (`decided_by` = "pdw:rules"), one held waits for the authority's decision.
    """

    __tablename__ = "catalog_proposals"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    catalog_item: Mapped[str] = mapped_column(String(64), index=True)
    # {attribute: [old, new]} for every attribute the change sets; old is None for a new item.
    changes: Mapped[dict] = mapped_column(JSON)
    created: Mapped[bool] = mapped_column(Boolean, default=False)
    # The desensitisation and consent record that comes with it (Art. 24 para. 3, 25), if any.
    release: Mapped[dict | None] = mapped_column(JSON)
    # Problems found by the rules: hard ones (a refusal) and soft ones (held), each {code, params, field}.
    problems: Mapped[list] = mapped_column(JSON, default=list)
    findings: Mapped[list] = mapped_column(JSON, default=list)
    # import | demand | edit | sub_catalog | assessment | initial, and where in it (file:line, receipt number).
    source_kind: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(300))
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instances.id"))
    proposed_by: Mapped[str] = mapped_column(String(64))
    proposed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(16), index=True)  # held | approved | refused
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    decision_reason: Mapped[str | None] = mapped_column(Text)


class CatalogRelease(Base):
    """The record that lets an item listed 不予开放 be opened (Art. 24 para. 3, 25): how it was
    desensitised, and the rights holders' consent (who, when, evidence)."""

    __tablename__ = "catalog_releases"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    catalog_item: Mapped[str] = mapped_column(ForeignKey("catalog_items.code"), index=True)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instances.id"))
    attribute: Mapped[str] = mapped_column(String(16))  # the open attribute it was given
    desensitisation: Mapped[str] = mapped_column(Text)
    consent_holders: Mapped[str] = mapped_column(Text)
    consent_date: Mapped[date] = mapped_column(Date)
    consent_evidence: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Grant(Base):
    """A grant of access to a catalog item, recorded when a share or open application is approved."""

    __tablename__ = "grants"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instances.id"), index=True)
    catalog_item: Mapped[str] = mapped_column(ForeignKey("catalog_items.code"))
    grantee: Mapped[str] = mapped_column(String(200))
    scope: Mapped[str] = mapped_column(Text)
    purpose: Mapped[str] = mapped_column(Text)
    expires_on: Mapped[date | None] = mapped_column(Date)
    granted_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # Art. 43: an ended authorisation is kept, marked revoked; access ends with it.
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    revoked_by: Mapped[str | None] = mapped_column(String(64))
    revoke_reason: Mapped[str | None] = mapped_column(Text)


class ReceiptCounter(Base):
    """Per-day sequence behind receipt numbers such as DZ2026030200007."""

    __tablename__ = "receipt_counters"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


class SignInAttempt(Base):
    """One attempt to sign in; recent failures lock the name, so every web worker agrees."""

    __tablename__ = "sign_in_attempts"
    __table_args__ = (Index("ix_sign_in_attempts_user_at", "user_name", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # The name as typed, known or not: throttling unknown names too keeps them from being probed.
    user_name: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    succeeded: Mapped[bool] = mapped_column(Boolean)
    remote_addr: Mapped[str | None] = mapped_column(String(64))


class CalendarArrangement(Base):
    """One State Council holiday notice as installed: the calendar of record for its year.

    Every install adds a row; the one a year counts by is the row not yet superseded. The
    file as given is kept beside the days read from it.
    """

    __tablename__ = "calendar_arrangements"
    __table_args__ = (
        Index("ix_calendar_arrangements_current", "year", unique=True,
              postgresql_where=text("superseded_at IS NULL"), sqlite_where=text("superseded_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    notice: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(500))
    published: Mapped[date] = mapped_column(Date)
    # The days as engine.calendar.Arrangement.to_dict() gives them.
    days: Mapped[dict] = mapped_column(JSON)
    file_name: Mapped[str] = mapped_column(String(255))
    file_text: Mapped[str] = mapped_column(Text)
    fingerprint: Mapped[str] = mapped_column(String(64))
    # The calendar version this install made (calendar_head.version after it).
    calendar_version: Mapped[int] = mapped_column(BigId)
    installed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    installed_by: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(Text)
    superseded_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class CalendarHead(Base):
    """The single row whose version every process compares with the calendar it counts by.

    An install raises the version in its transaction (taking the row lock, so installs queue
    up); a process that reads a version other than its own rebuilds its calendar.
    """

    __tablename__ = "calendar_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(BigId, default=0)
    changed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Notification(Base):
    """A message for a user or a candidate group, as a code and its params (texts in engine.messages)."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_user_unread", "recipient_user", "id", postgresql_where=text("read_at IS NULL"),
              sqlite_where=text("read_at IS NULL")),
        Index("ix_notifications_group_unread", "recipient_group", "id", postgresql_where=text("read_at IS NULL"),
              sqlite_where=text("read_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    recipient_user: Mapped[str | None] = mapped_column(String(64))
    recipient_group: Mapped[str | None] = mapped_column(String(128))
    code: Mapped[str] = mapped_column(String(64))
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    instance_id: Mapped[int | None] = mapped_column(BigId)
    task_id: Mapped[int | None] = mapped_column(BigId)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    read_by: Mapped[str | None] = mapped_column(String(64))
    # The notification is its own mail's outbox row (engine.services.mail): written in the
    # transaction of the step that caused it, marked when the SMTP server accepted it.
    emailed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    mail_attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    # Not tried again before this instant (a claim's lease, then the backoff after a failure).
    mail_next_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Why the mail could not be built or was given up: set aside, shown to admins, never retried.
    mail_error: Mapped[str | None] = mapped_column(Text)


class DeadlineNotice(Base):
    """One reminder, overdue alert, reply notice or 通报, under a key unique to what it is about
    (`reminder:task:7:2026-03-06`), so every scheduler that scans a deadline sends it once."""

    __tablename__ = "deadline_notices"
    __table_args__ = (UniqueConstraint("key", name="uq_deadline_notices_key"),
                      Index("ix_deadline_notices_task", "task_id", "kind"),
                      Index("ix_deadline_notices_instance", "instance_id", "kind"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    instance_id: Mapped[int | None] = mapped_column(BigId)
    task_id: Mapped[int | None] = mapped_column(BigId)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


_URGE_PENDING = "bulletin_at IS NULL"


class Urge(Base):
    """A supervisor's 催办 of a task; `bulletin_at` is when it was escalated as a 通报 to the
    department's head, the work still overdue five working days later."""

    __tablename__ = "urges"
    __table_args__ = (
        Index("ix_urges_task", "task_id"),
        Index("ix_urges_pending", "urged_on", postgresql_where=text(_URGE_PENDING),
              sqlite_where=text(_URGE_PENDING)),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("human_tasks.id"))
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instances.id"))
    urged_by: Mapped[str] = mapped_column(String(64))
    urged_at: Mapped[datetime] = mapped_column(UtcDateTime)
    urged_on: Mapped[date] = mapped_column(Date)
    # Who held the work when urged: a user, or "group:NAME" while unclaimed.
    holder: Mapped[str] = mapped_column(String(200))
    department: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)
    bulletin_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class DepartmentPromise(Base):
    """A department's published 承诺时限 for a procedure, in working days from receipt: tracked
    beside the statutory deadline, never replacing it."""

    __tablename__ = "department_promises"

    department: Mapped[str] = mapped_column(ForeignKey("departments.code"), primary_key=True)
    process_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    working_days: Mapped[int] = mapped_column(Integer)
    published_on: Mapped[date] = mapped_column(Date)
    set_by: Mapped[str] = mapped_column(String(64))


# The inbox's "available" tab walks open, unclaimed tasks in due order and stops after one
# page; indexing only those rows keeps the walk as long as a page whatever the history holds.
Index("ix_human_tasks_available", HumanTask.due_at, HumanTask.id,
      postgresql_where=text("state = 'open' AND assignee IS NULL"),
      sqlite_where=text("state = 'open' AND assignee IS NULL"))
# "Completed by me", newest first, paged by (completed_at, id).
Index("ix_human_tasks_completed_by_id", HumanTask.completed_by, HumanTask.completed_at, HumanTask.id)


class ApiToken(Base):
    """A bearer token another system acts with as one user; only its SHA-256 is kept.

    `prefix` (the token's first characters) lets people tell their tokens apart in a listing.
    """

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_name: Mapped[str] = mapped_column(ForeignKey("users.name"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class SchedulerSweep(Base):
    """When each scheduler process last finished a sweep without error: read by the metrics
    (engine.services.metrics) to show a scheduler that stopped, and by engine.services.clocks to
    tell another process whether it reads the scheduler's time."""

    __tablename__ = "scheduler_sweeps"

    worker: Mapped[str] = mapped_column(String(128), primary_key=True)
    finished_at: Mapped[datetime] = mapped_column(UtcDateTime)  # by the scheduler's clock (maybe frozen)
    wall_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # real time of the same moment


class RoundSchedule(Base):
    """A periodic duty of the Measures (「定期」 in Art. 19, 21, 26 and 44) as data: which
    procedure the scheduler starts, on which cycle from which anchor day, for which department,
    the group answering for it, the internal limit (a rule of rules.toml) each round has, and
    the start data (engine.services.rounds)."""

    __tablename__ = "round_schedules"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    process_id: Mapped[str] = mapped_column(String(128))
    cycle: Mapped[str] = mapped_column(String(16))
    anchor: Mapped[date] = mapped_column(Date)
    department: Mapped[str] = mapped_column(String(64))
    responsible_group: Mapped[str] = mapped_column(String(200))
    deadline_rule: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict] = mapped_column(JSON)
    enabled: Mapped[bool] = mapped_column(Boolean)
    # Rounds due before the schedule existed are not owed.
    created_on: Mapped[date] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_by: Mapped[str] = mapped_column(String(64))


class Round(Base):
    """One period's round of a schedule. (schedule_id, period) is unique and the row is written
    in the transaction that starts the instance, so however many schedulers sweep, a period's
    round starts once."""

    __tablename__ = "rounds"
    __table_args__ = (UniqueConstraint("schedule_id", "period", name="uq_rounds_schedule_period"),
                      Index("ix_rounds_instance", "instance_id"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("round_schedules.id"))
    period: Mapped[str] = mapped_column(String(16))
    due_on: Mapped[date] = mapped_column(Date)
    instance_id: Mapped[int | None] = mapped_column(BigId)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    started_by: Mapped[str] = mapped_column(String(64))
    # True when the round started after the day it was due (the scheduler was not running).
    started_late: Mapped[bool] = mapped_column(Boolean)
    state: Mapped[str] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(Text)
    deadline_date: Mapped[date | None] = mapped_column(Date)
    deadline_rule: Mapped[str] = mapped_column(String(64))
    deadline_article: Mapped[str] = mapped_column(String(200))
    deadline_provisional: Mapped[bool] = mapped_column(Boolean)
