"""The API's routes: each parses its input, calls one engine service as the token's user, answers JSON."""
from __future__ import annotations

from flask import after_this_request, g

from engine.forms import fields_of
from engine.services import (audience, catalog, catalog_changes, changes, clocks, definitions, grants, inbox, instances,
                             portal, reports, rounds, tasks)
from engine.services import procedures as start_forms
from webapp.api import bp, schemas
from webapp.api.auth import actor
from webapp.engine import new_uow
from webapp.errors import api_language

# Ids are 64-bit in the database: a larger number in a URL is no such object (404), not a crash.
ID = "int(max=9223372036854775807)"


@bp.route("/me")
@bp.response(200, schemas.UserSchema)
def me():
    """The user the token acts as, with roles and groups."""
    return g.api_user


@bp.route("/procedures")
@bp.response(200, schemas.ProcedureSchema(many=True))
def procedures():
    """The procedures the user may apply for."""
    return portal.overview(new_uow(), actor())["procedures"]


@bp.route("/procedures/<process_id>/form")
@bp.response(200, schemas.StartFormSchema)
def procedure_form(process_id: str):
    """A procedure's start form: its JSON Schema, each field with its type and whether it is
    required, and an example `data` for POST /instances (the user must be allowed to apply)."""
    return start_forms.describe(new_uow(), process_id, actor=actor())


@bp.route("/applications")
@bp.response(200, schemas.ApplicationSummarySchema(many=True))
def applications():
    """The user's own applications, newest first."""
    return portal.overview(new_uow(), actor())["applications"]


@bp.route("/tasks")
@bp.arguments(schemas.InboxQuerySchema, location="query", as_kwargs=True)
@bp.response(200, schemas.InboxPageSchema)
def task_list(tab, procedure, due, within, q, after, limit):
    """One page of an inbox tab (available, mine, completed), by deadline; `after` pages on."""
    query = inbox.InboxQuery(tab=tab, process_id=procedure, due=due, within_days=within, search=q, after=after,
                             limit=limit)
    return inbox.page(new_uow(), actor(), query)


@bp.route(f"/tasks/<{ID}:task_id>")
@bp.response(200, schemas.TaskViewSchema)
def task(task_id: int):
    """A task with its form (JSON Schema and fields), deadline, application and what the user may do."""
    view = inbox.task_view(new_uow(), task_id, actor=actor())
    return {**view, "fields_": fields_of(view["form"])}


@bp.route(f"/tasks/<{ID}:task_id>/claim", methods=["POST"])
@bp.response(200, schemas.TaskSchema)
def claim(task_id: int):
    """Claim a task; when several claim at once exactly one wins, the others get 409 with the holder."""
    return tasks.claim(new_uow(), task_id, actor=actor())


@bp.route(f"/tasks/<{ID}:task_id>/unclaim", methods=["POST"])
@bp.response(200, schemas.TaskSchema)
def unclaim(task_id: int):
    """Give a claimed task back to its groups (its holder, or a supervisor)."""
    return tasks.unclaim(new_uow(), task_id, actor=actor())


@bp.route(f"/tasks/<{ID}:task_id>/complete", methods=["POST"])
@bp.arguments(schemas.CompleteSchema)
@bp.response(200, schemas.CompletedSchema)
def complete(body: dict, task_id: int):
    """Decide a task with its form's data; the instance moves on in the same transaction."""
    return tasks.complete(new_uow(), task_id, actor=actor(), data=body["data"])


@bp.route("/instances", methods=["POST"])
@bp.arguments(schemas.StartSchema)
@bp.response(201, schemas.StartedSchema)
def start(body: dict):
    """Apply: start the newest version of a procedure; answers the instance id and receipt number."""
    return instances.start(new_uow(), body["process_id"], actor=actor(), data=body["data"])


@bp.route(f"/instances/<{ID}:instance_id>")
@bp.response(200, schemas.StatusSchema)
def instance(instance_id: int):
    """An application's status, history and the deadlines of its open steps, as the caller's
    audience is shown it: the applicant what their portal page shows, officials the steps and
    fields their unit may read; every read by an official is recorded."""
    return portal.status(new_uow(), actor(), instance_id)


@bp.route(f"/instances/<{ID}:instance_id>/readers")
@bp.response(200, schemas.ReadSchema(many=True))
def instance_readers(instance_id: int):
    """Who read an application other than its applicant (its overseers and the head of the
    applicant's department may list them)."""
    return audience.reads(new_uow(), actor(), instance_id)


@bp.route("/catalog")
@bp.arguments(schemas.CatalogQuerySchema, location="query", as_kwargs=True)
@bp.response(200, schemas.CatalogItemSchema(many=True))
def catalog_search(q):
    """Catalog items whose code, name or source unit contain `q` (all without it)."""
    return catalog.list_items(new_uow(), q)


@bp.route("/catalog/proposals")
@bp.arguments(schemas.CatalogProposalQuerySchema, location="query", as_kwargs=True)
@bp.response(200, schemas.CatalogProposalSchema(many=True))
def catalog_proposals(status):
    """Catalog change proposals, old -> new per attribute: for the authority's reviewers and
    department heads and the catalog's administrators."""
    lang = api_language()
    return [{**p, "problems": [x.to_dict(lang) for x in p["problems"]],
             "findings": [x.to_dict(lang) for x in p["findings"]]}
            for p in catalog_changes.proposals(new_uow(), actor(), None if status == "all" else status)]


@bp.route(f"/catalog/proposals/<{ID}:catalog_proposal_id>/approve", methods=["POST"])
@bp.arguments(schemas.CatalogApprovalSchema)
@bp.response(200, schemas.CatalogDecisionSchema)
def catalog_approve(body: dict, catalog_proposal_id: int):
    """Approve a held catalog change: it goes live, audited (the authority, never its proposer)."""
    return catalog_changes.approve(new_uow(), actor(), catalog_proposal_id, body.get("reason"))


@bp.route(f"/catalog/proposals/<{ID}:catalog_proposal_id>/refuse", methods=["POST"])
@bp.arguments(schemas.CatalogRefusalSchema)
@bp.response(200, schemas.CatalogDecisionSchema)
def catalog_refuse(body: dict, catalog_proposal_id: int):
    """Refuse a held catalog change with its reason; the catalog does not change."""
    return catalog_changes.refuse(new_uow(), actor(), catalog_proposal_id, body["reason"])


@bp.route("/definitions")
@bp.response(200, schemas.DefinitionSchema(many=True))
def definition_list():
    """The newest version of every deployed procedure."""
    return definitions.list_definitions(new_uow())


@bp.route("/definitions", methods=["POST"])
@bp.arguments(schemas.DeploySchema)
@bp.response(201, schemas.DeployedSchema(many=True))
def deploy(body: dict):
    """Propose a BPMN file (designers): a changed file makes a proposed version, live only when
    another person with the approving role approves it."""
    return changes.propose(new_uow(), actor(), [(body["file_name"], body["bpmn"].encode("utf-8"))])


@bp.route("/definitions/<process_id>/versions/<int:version>/approve", methods=["POST"])
@bp.arguments(schemas.DecisionSchema)
@bp.response(200, schemas.DecidedSchema)
def approve(body: dict, process_id: str, version: int):
    """Make a proposed version live (an admin or the approving role at the competent department,
    never its proposer)."""
    return changes.approve(new_uow(), actor(), process_id, version, body.get("note"))


@bp.route("/definitions/<process_id>/versions/<int:version>/reject", methods=["POST"])
@bp.arguments(schemas.DecisionSchema)
@bp.response(200, schemas.DecidedSchema)
def reject(body: dict, process_id: str, version: int):
    """Turn a proposed version down with a reason (an approver, never its proposer)."""
    return changes.reject(new_uow(), actor(), process_id, version, body.get("reason") or "")


@bp.route("/migrations", methods=["POST"])
@bp.arguments(schemas.MigrationProposeSchema)
@bp.response(201, schemas.MigrationSchema)
def propose_migration(body: dict):
    """Propose moving running applications onto an approved version (designers); they move only
    when another person with the approving role approves."""
    return changes.propose_migration(new_uow(), actor(), body["process_id"], body["old"], body["new"],
                                     body["instances"])


@bp.route(f"/migrations/<{ID}:proposal_id>/approve", methods=["POST"])
@bp.response(200, schemas.MovedSchema(many=True))
def approve_migration(proposal_id: int):
    """Move the applications of a migration proposal (an approver, never its proposer)."""
    return changes.approve_migration(new_uow(), actor(), proposal_id)


@bp.route(f"/migrations/<{ID}:proposal_id>/reject", methods=["POST"])
@bp.arguments(schemas.DecisionSchema)
@bp.response(200, schemas.MigrationSchema)
def reject_migration(body: dict, proposal_id: int):
    """Turn a migration proposal down with a reason (an approver, never its proposer)."""
    return changes.reject_migration(new_uow(), actor(), proposal_id, body.get("reason") or "")


@bp.route("/reports/overdue")
@bp.arguments(schemas.OverdueQuerySchema, location="query", as_kwargs=True)
@bp.response(200, schemas.TaskReportRowSchema(many=True))
def report_overdue(at, procedure, department):
    """Open tasks past their deadline on `at`, most overdue first, with working days overdue and
    article (supervisors: the 主管部门's every department, others their own). The `PDW-As-Of`
    header is the day counted to; a `Warning` header says when the scheduler reads another time."""
    rows = reports.overdue(new_uow(), actor(), at=at,
                           filters=reports.Filters(process_id=procedure, department=department))
    _state_the_day_counted_to(at)
    return rows


def _state_the_day_counted_to(at) -> None:
    from engine.messages import render

    uow = new_uow()
    day, off = at or uow.engine.clock.today(), clocks.disagreement(uow)

    @after_this_request
    def headers(response):
        response.headers["PDW-As-Of"] = day.isoformat()
        if off is not None:  # RFC 7234's miscellaneous persistent warning; header values are ASCII
            response.headers["Warning"] = '299 pdw "' + render("clock.disagrees", off.params(), "en") + '"'
        return response


@bp.route("/reports/unassignable")
@bp.response(200, schemas.TaskReportRowSchema(many=True))
def report_unassignable():
    """Open tasks whose groups have no active member: they reach nobody."""
    return reports.unassignable(new_uow(), actor())


@bp.route("/reports/ontime")
@bp.arguments(schemas.PeriodQuerySchema, location="query", as_kwargs=True)
@bp.response(200, schemas.OnTimeRowSchema(many=True))
def report_ontime(from_, to, by):
    """On-time rate and median handling time (working days) of the replies given in a period."""
    return reports.ontime(new_uow(), actor(), start=from_, end=to, by=by)


@bp.route("/reports/assessment")
@bp.arguments(schemas.PeriodQuerySchema, location="query", as_kwargs=True)
@bp.response(200, schemas.AssessmentRowSchema(many=True))
def report_assessment(from_, to, by):
    """The Art. 49 assessment per department: received, answered on time and late, open, overdue."""
    return reports.assessment(new_uow(), actor(), start=from_, end=to)


@bp.route("/rounds")
@bp.response(200, schemas.RoundsSchema)
def rounds_overview():
    """The periodic rounds (Art. 19, 21, 26, 44): due next, running, late and done, and the schedules."""
    return rounds.overview(new_uow(), actor()).to_dict()


@bp.route("/grants")
@bp.arguments(schemas.GrantQuerySchema, location="query", as_kwargs=True)
@bp.response(200, schemas.GrantSchema(many=True))
def grant_register(state, item, grantee):
    """The register of grants: for the authority's reviewers, supervisors and administrators."""
    return grants.register(new_uow(), actor(), active_only=state == "active", catalog_item=item,
                           grantee=grantee)["grants"]


@bp.route(f"/grants/<{ID}:grant_id>/revoke", methods=["POST"])
@bp.arguments(schemas.RevokeSchema)
@bp.response(200, schemas.GrantSchema)
def grant_revoke(body: dict, grant_id: int):
    """End a grant with its reason (Art. 43); the authority's reviewers and administrators may."""
    return grants.revoke(new_uow(), grant_id, actor=actor(), reason=body["reason"])
