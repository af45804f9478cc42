"""The shapes of the API's requests and answers; the OpenAPI document is generated from them."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from engine.services.inbox import DUE_FILTERS, MAX_PAGE, TABS
from engine.services.portal import APPLICANT_STATUSES

Text = fields.String
Id = fields.Integer


def _maybe(field_class, **kwargs):
    return field_class(allow_none=True, **kwargs)


class ProblemSchema(Schema):
    """One problem of a refused input, located by field, BPMN element, file and line."""

    code = Text(required=True)
    message = Text(required=True)
    params = fields.Dict()
    field = Text()
    element = Text()
    file = Text()
    line = Id()


class ErrorSchema(Schema):
    """Every error: a stable `code` (the engine's, or `http.<status>`), its `message` in the
    caller's language (Accept-Language: zh or en) and its `params`."""

    code = Text(required=True)
    message = Text(required=True)
    params = fields.Dict()
    problems = fields.List(fields.Nested(ProblemSchema))


class UserSchema(Schema):
    name = Text(required=True)
    display_name = Text()
    department = _maybe(Text)
    roles = fields.List(Text())
    groups = fields.List(Text())


class DeadlineSchema(Schema):
    """A deadline with its legal basis: the rule, the article and whether the year is provisional."""

    due_date = _maybe(fields.Date)
    due_at = _maybe(fields.DateTime)
    working_days_left = _maybe(Id)
    overdue_working_days = _maybe(Id)
    rule = _maybe(Text)
    rule_title_zh = _maybe(Text)
    rule_title_en = _maybe(Text)
    article = _maybe(Text)
    provisional = fields.Boolean()
    basis = fields.List(fields.Dict())


class InboxQuerySchema(Schema):
    tab = Text(load_default="available", validate=validate.OneOf(TABS))
    procedure = Text(load_default=None)
    due = Text(load_default=None, validate=validate.OneOf(DUE_FILTERS))
    within = Id(load_default=3, validate=validate.Range(0, 60))
    q = Text(load_default=None)
    after = Text(load_default=None)
    limit = Id(load_default=25, validate=validate.Range(1, MAX_PAGE))


class InboxRowSchema(Schema):
    task_id = Id(required=True)
    instance_id = Id(required=True)
    title = Text()
    process_id = Text()
    process_name = Text()
    applicant = Text()
    receipt_number = Text()
    assignee = _maybe(Text)
    state = Text()
    completed_at = _maybe(fields.DateTime)
    deadline = fields.Nested(DeadlineSchema)


class InboxPageSchema(Schema):
    rows = fields.List(fields.Nested(InboxRowSchema))
    next_cursor = _maybe(Text, metadata={"description": "pass as `after` for the next page"})


class TaskSchema(Schema):
    id = Id(required=True)
    instance_id = Id()
    task_name = Text()
    title = Text()
    process_id = Text()
    form = _maybe(Text)
    candidate_groups = fields.List(Text())
    assignee = _maybe(Text)
    state = Text()
    created_at = Text()
    claimed_at = _maybe(Text)
    completed_at = _maybe(Text)
    completed_by = _maybe(Text)
    due_date = _maybe(Text)
    due_at = _maybe(Text)
    deadline_rule = _maybe(Text)
    deadline_article = _maybe(Text)
    deadline_provisional = _maybe(fields.Boolean)
    deadline_basis = _maybe(fields.Raw)
    result = _maybe(fields.Raw)


class FormFieldSchema(Schema):
    name = Text()
    title = Text()
    type = Text()
    required = fields.Boolean()
    choices = fields.List(fields.Raw())
    format = _maybe(Text)
    required_when = fields.List(Text())


class StartFormSchema(Schema):
    process_id = Text()
    name = Text()
    form = fields.Dict()
    fields_ = fields.List(fields.Nested(FormFieldSchema), data_key="fields", attribute="fields")
    example = fields.Dict()


class HistorySchema(Schema):
    id = Id()
    at = Text()
    actor = Text()
    action = Text()
    task_id = _maybe(Id)
    before = _maybe(fields.Raw)
    after = _maybe(fields.Raw)


class ExtensionNoticeSchema(Schema):
    reason = _maybe(Text, metadata={"description": "the reason the extension notice gave the applicant"})
    from_ = _maybe(Text, data_key="from", attribute="from", metadata={"description": "the original statutory date"})
    to = _maybe(Text, metadata={"description": "the new statutory date"})


class ApplicantStatusSchema(Schema):
    status = Text(required=True, validate=validate.OneOf(APPLICANT_STATUSES), metadata={
        "description": "where the application stands, in the portal's words: received 已受理, in_progress 办理中, "
                       "extended 已延期答复, answered 已答复, withdrawn 已撤回, ended 已由主管部门终止办理"})
    due_date = _maybe(Text, metadata={"description": "the statutory date of the reply (the new one once extended)"})
    article = _maybe(Text, metadata={"description": "the article that sets the reply period"})
    extension = fields.Nested(ExtensionNoticeSchema, allow_none=True, metadata={"description": "the extension notice"})
    outcome = _maybe(Text, metadata={"description": "answered or ended: the decision as the reply words it"})
    reason = _maybe(Text, metadata={"description": "ended: why the authority ended the application"})
    replied_at = _maybe(Text)
    ended_at = _maybe(Text)


class InstanceSchema(Schema):
    id = Id(required=True)
    process_id = Text()
    process_name = _maybe(Text)
    version = Id()
    status = Text()
    receipt_number = Text()
    received_on = Text()
    started_by = Text()
    started_at = Text()
    ended_at = _maybe(Text)
    error = _maybe(Text)
    application = _maybe(fields.Raw)
    statutory = _maybe(fields.Raw, metadata={"description": "the statutory clock: due date, rule, article, reply"})
    department = _maybe(Text, metadata={"description": "the deciding unit (officials only)"})
    handled_by = _maybe(Text, metadata={"description": "the deciding unit's name (the applicant's view)"})
    audience = Text(metadata={"description": "where the caller stands to the application (engine.access): "
                                             "applicant, deciding_unit, consulted_unit, supervisor or admin; "
                                             "each is shown its own projection"})
    applicant_status = fields.Nested(ApplicantStatusSchema, metadata={
        "description": "the applicant's view only: the status their portal page shows"})
    tasks = fields.List(fields.Nested(TaskSchema))
    history = fields.List(fields.Nested(HistorySchema))


class TaskViewSchema(Schema):
    task = fields.Nested(TaskSchema)
    deadline = fields.Nested(DeadlineSchema)
    form = _maybe(fields.Raw, metadata={"description": "the JSON Schema of the task's form"})
    fields_ = fields.List(fields.Nested(FormFieldSchema), data_key="fields")
    may_claim = fields.Boolean()
    may_unclaim = fields.Boolean()
    may_complete = fields.Boolean()
    held_by = _maybe(Text)
    instance = fields.Nested(InstanceSchema)


class CompleteSchema(Schema):
    data = fields.Dict(required=True, metadata={"description": "the form's fields, as `fields` of the task lists"})


class CompletedSchema(Schema):
    id = Id()
    instance_id = Id()
    task_name = Text()
    state = Text()
    assignee = Text()
    completed_by = Text()
    result = fields.Dict()
    instance_status = Text()
    opened = fields.List(Text())
    opened_task_ids = fields.List(Id())
    error = _maybe(Text)


class StartSchema(Schema):
    process_id = Text(required=True)
    data = fields.Dict(load_default=dict, metadata={"description": "the application, as the start form asks"})


class StartedSchema(Schema):
    instance_id = Id(required=True)
    receipt_number = Text(required=True)
    status = Text()
    opened = fields.List(Text())
    opened_task_ids = fields.List(Id())
    error = _maybe(Text)


class StepSchema(Schema):
    task_id = Id()
    title = Text()
    assignee = _maybe(Text)
    candidate_groups = fields.List(Text())
    deadline = fields.Nested(DeadlineSchema)


class StatusSchema(Schema):
    instance = fields.Nested(InstanceSchema)
    open_steps = fields.List(fields.Nested(StepSchema))


class ReadSchema(Schema):
    at = Text()
    actor = Text()
    audience = Text()
    action = Text()
    entry_point = Text()


class ProcedureSchema(Schema):
    process_id = Text()
    name = Text()


class ApplicationSummarySchema(Schema):
    id = Id()
    receipt_number = Text()
    process_id = Text()
    process_name = Text()
    status = Text()
    received_on = fields.Date()


class CatalogQuerySchema(Schema):
    q = Text(load_default=None)


class CatalogItemSchema(Schema):
    code = Text()
    name = Text()
    source_unit = Text()
    share_attribute = Text()
    share_conditions = _maybe(Text)
    share_basis = _maybe(Text)
    open_attribute = Text()
    open_conditions = _maybe(Text)
    update_frequency = Text()
    contact = Text()
    open_suspended = fields.Boolean()
    data_format = _maybe(Text)
    data_type = _maybe(Text)
    sensitivity_level = _maybe(Text)
    share_reason = _maybe(Text)
    legal_bar = _maybe(Text)


class CatalogProposalQuerySchema(Schema):
    """Which catalog change proposals: held for review (the default), approved, refused or all."""

    status = Text(load_default="held", validate=validate.OneOf(("held", "approved", "refused", "all")))


class CatalogChangeSchema(Schema):
    attribute = Text()
    old = _maybe(Text)
    new = _maybe(Text)


class CatalogProposalSchema(Schema):
    """A proposed change to one catalog item, old -> new per attribute, with what the rules found."""

    id = Id()
    catalog_item = Text()
    name = _maybe(Text)
    created = fields.Boolean()
    changes = fields.List(fields.Nested(CatalogChangeSchema))
    problems = fields.List(fields.Nested(ProblemSchema), metadata={"description": "hard rules broken (refused)"})
    findings = fields.List(fields.Nested(ProblemSchema), metadata={"description": "what the reviewer should weigh"})
    source_kind = Text()
    source = Text()
    instance_id = _maybe(Id)
    proposed_by = Text()
    proposed_at = fields.DateTime()
    status = Text()
    decided_by = _maybe(Text)
    decided_at = _maybe(fields.DateTime)
    decision_reason = _maybe(Text)


class CatalogApprovalSchema(Schema):
    reason = Text(load_default=None, metadata={"description": "the approver's note, kept with the decision"})


class CatalogRefusalSchema(Schema):
    reason = Text(required=True, metadata={"description": "why the change is refused, kept with it"})


class CatalogDecisionSchema(Schema):
    id = Id()
    catalog_item = Text()
    status = Text()
    decided_by = Text()


class DefinitionSchema(Schema):
    process_id = Text()
    name = _maybe(Text)
    version = Id()
    definition_id = Id()
    file = Text()
    deployed_at = Text()
    deployed_by = Text()
    startable_by = fields.List(Text())


class DeploySchema(Schema):
    file_name = Text(required=True, validate=validate.Length(1, 200))
    bpmn = Text(required=True, metadata={"description": "the BPMN 2.0 XML"})


class DeployedSchema(Schema):
    """A proposed version (`status` proposed): it goes live when another person approves it."""

    process_id = Text()
    version = Id()
    definition_id = Id()
    created = fields.Boolean()
    status = Text(metadata={"description": "proposed, approved (live when newest) or rejected"})


class DecisionSchema(Schema):
    """An approver's decision: a note when approving, the reason when rejecting."""

    note = Text(load_default=None, validate=validate.Length(max=2000))
    reason = Text(load_default=None, validate=validate.Length(max=2000))


class MigrationProposeSchema(Schema):
    """Running applications to move from version `old` to the approved version `new`."""

    process_id = Text(required=True)
    old = Id(required=True)
    new = Id(required=True)
    instances = fields.List(Id(), required=True, validate=validate.Length(1, 500))


class MigrationSchema(Schema):
    id = Id()
    process_id = Text()
    old = Id()
    new = Id()
    instances = fields.List(Id())
    proposed_by = Text()
    status = Text()


class MovedSchema(Schema):
    instance_id = Id()
    receipt_number = Text()
    status = Text()


class DecidedSchema(Schema):
    process_id = Text()
    version = Id()
    status = Text()
    decided_by = Text()


class OverdueQuerySchema(Schema):
    """Which overdue work: counted on day `at` (default today), of one procedure or department."""

    at = fields.Date(load_default=None)
    procedure = Text(load_default=None)
    department = Text(load_default=None)


class PeriodQuerySchema(Schema):
    """A period of replies (both days included) and how to group it."""

    from_ = fields.Date(required=True, data_key="from")
    to = fields.Date(required=True)
    by = Text(load_default="procedure", validate=validate.OneOf(("procedure", "department", "level", "month")))


class TaskReportRowSchema(Schema):
    """One open task in a supervision list: where it stands against its deadline and who holds it."""

    task_id = Id(required=True)
    instance_id = Id(required=True)
    receipt_number = Text(required=True)
    process_id = Text(required=True)
    task_name = Text(required=True)
    title = Text()
    department = _maybe(Text)
    assignee = _maybe(Text)
    holder = Text()
    groups = fields.List(Text())
    due_date = _maybe(fields.Date)
    working_days_overdue = Id()
    working_days_left = _maybe(Id)
    article = _maybe(Text)
    rule = _maybe(Text)
    light = _maybe(Text)
    statutory_due_date = _maybe(fields.Date)
    statutory_article = _maybe(Text)
    promised_due_date = _maybe(fields.Date)
    urged = Id()


class OnTimeRowSchema(Schema):
    """Replies of a period for one procedure, department or month (Art. 49)."""

    key = Text(required=True)
    name = Text()
    process_id = _maybe(Text)
    department = _maybe(Text)
    month = _maybe(Text)
    answered = Id()
    on_time = Id()
    late = Id()
    open_overdue = Id()
    ended_unanswered = Id()
    ended_by_authority = Id()
    withdrawn = Id()
    counted = Id()
    on_time_rate = _maybe(fields.Float)
    promised = Id()
    kept_promise = Id()
    median_working_days = _maybe(fields.Float)


class AssessmentRowSchema(Schema):
    """The Art. 49 assessment of one department over a period."""

    department = Text(required=True)
    department_name = Text()
    received = Id()
    answered_on_time = Id()
    answered_late = Id()
    open = Id()
    overdue = Id()
    ended_unanswered = Id()
    ended_by_authority = Id()
    withdrawn = Id()
    on_time_rate = _maybe(fields.Float)


class RoundSchema(Schema):
    """One periodic round, or one due and not yet started (engine.services.rounds)."""

    schedule_id = Id(required=True)
    procedure_name = Text(required=True)
    department_name = Text(required=True)
    group_name = Text(required=True)
    period = Text(required=True)
    period_name = Text(required=True)
    due_on = Text(required=True, metadata={"format": "date"})
    state = Text(required=True, metadata={"description": "due, running, late, done, ended, errored or failed"})
    state_name = Text(required=True)
    instance_id = _maybe(Id)
    receipt_number = _maybe(Text)
    started_at = _maybe(Text, metadata={"format": "date-time"})
    started_late = fields.Boolean(required=True)
    steps = fields.List(Text(), metadata={"description": "the open steps' names"})
    deadline_date = _maybe(Text, metadata={"format": "date"})
    deadline_rule = _maybe(Text)
    deadline_title = _maybe(Text)
    deadline_article = _maybe(Text)
    deadline_provisional = fields.Boolean()
    error = _maybe(Text)


class RoundScheduleSchema(Schema):
    """A round schedule: the procedure started on a cycle for a department, and its next round."""

    id = Id(required=True)
    procedure = Text(required=True)
    procedure_name = Text(required=True)
    cycle = Text(required=True)
    cycle_name = Text(required=True)
    anchor = Text(required=True, metadata={"format": "date"})
    department = Text(required=True)
    department_name = Text(required=True)
    group = Text(required=True)
    group_name = Text(required=True)
    deadline_rule = Text(required=True)
    deadline_title = Text(required=True)
    deadline_article = Text(required=True)
    deadline_statutory = fields.Boolean()
    data = fields.Dict()
    enabled = fields.Boolean(required=True)
    next_period = Text(required=True)
    next_period_name = Text(required=True)
    next_due_on = Text(required=True, metadata={"format": "date"})


class RoundsSchema(Schema):
    """The rounds a supervisor oversees: due next, running, late and done, and the schedules."""

    due = fields.List(fields.Nested(RoundSchema))
    running = fields.List(fields.Nested(RoundSchema))
    late = fields.List(fields.Nested(RoundSchema))
    done = fields.List(fields.Nested(RoundSchema))
    schedules = fields.List(fields.Nested(RoundScheduleSchema))


class GrantQuerySchema(Schema):
    """Which grants of the register: all or only those still giving access, by item or grantee."""

    state = Text(load_default="active", validate=validate.OneOf(("active", "all")))
    item = Text(load_default=None)
    grantee = Text(load_default=None)


class GrantSchema(Schema):
    """A grant of access to a catalog item (Art. 20, 27, 30), and its end (Art. 43)."""

    id = Id()
    instance_id = _maybe(Id)
    receipt_number = _maybe(Text)
    catalog_item = Text()
    item_name = _maybe(Text)
    grantee = Text()
    grantee_name = _maybe(Text)
    scope = Text()
    purpose = Text()
    # As the engine gives them: ISO 8601 text.
    expires_on = _maybe(Text, metadata={"format": "date"})
    granted_at = Text(metadata={"format": "date-time"})
    revoked_at = _maybe(Text, metadata={"format": "date-time"})
    revoked_by = _maybe(Text)
    revoke_reason = _maybe(Text)
    active = fields.Boolean()


class RevokeSchema(Schema):
    reason = Text(required=True, metadata={"description": "why the grant ends (Art. 43), kept with it"})
