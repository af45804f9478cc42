"""Every web and API route for every role: who may read and do what, including another
department's tasks and another applicant's applications. A route added without a line here
fails `test_every_route_is_in_the_matrix`."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent.parent / "e2e"))

from engine.persistence.models import CatalogItem, Grant, ProcessDefinition  # noqa: E402
from engine.services import accounts, changes, definitions, instances, tasks, tokens  # noqa: E402
from engine.services.users import add_user  # noqa: E402
from web_helpers import PASSWORD, WEB_FIXTURES, AuthActions, Engines, make_app, prepare  # noqa: E402

APPLICATION = {"unit": "达州市公安局", "catalog_item": "DZ-GA-001", "purpose": "户籍信息核验"}
# Who is who: the applicant, another applicant, the reviewer the task is for, a reviewer of
# another department, a supervisor, a designer and an administrator.
ROLES = ("anonymous", "zhang.san", "zhou.ba", "li.si", "qian.jiu", "zhao.liu", "sun.qi", "admin")
EXTRA = (("qian.jiu", "fgw", ["reviewer"]), ("sun.qi", "sjj", ["designer"]), ("admin", "dsjzx", ["admin"]))
# Who may read zhang.san's application: the applicant, the reviewer it waits for, overseers.
READERS = {"zhang.san", "li.si", "zhao.liu", "admin"}
# Who may open its review step: not the applicant, who reads the replies on their own page.
TASK_READERS = READERS - {"zhang.san"}
SUPERVISORS = {"zhao.liu": 200, "admin": 200}
DESIGNERS = {"sun.qi": 200, "admin": 200}

# (method, path, endpoint): {role: status}; ALL means every signed-in role (or token).
ALL = "*"
WEB = [
    ("GET", "/healthz", "health.healthz", {"anonymous": 200, ALL: 200}),
    ("GET", "/readyz", "health.readyz", {"anonymous": 200, ALL: 200}),
    ("GET", "/", "index", {"anonymous": 302, ALL: 302}),
    ("GET", "/auth/login", "auth.login", {"anonymous": 200, ALL: 302}),
    ("GET", "/lang/en", "i18n.switch", {"anonymous": 302, ALL: 302}),
    ("GET", "/calendar/", "calendar.index", {"anonymous": 302, "admin": 200, ALL: 403}),
    ("GET", "/calendar/2026", "calendar.year", {"anonymous": 302, ALL: 200}),
    ("GET", "/inbox/", "inbox.index", {"anonymous": 302, ALL: 200}),
    ("GET", "/inbox/tasks/{task}", "inbox.task",
     {"anonymous": 302, **{r: 200 for r in TASK_READERS}, ALL: 403}),
    ("GET", "/portal/", "portal.index", {"anonymous": 302, ALL: 200}),
    ("GET", "/portal/apply/web_share", "portal.apply",
     {"anonymous": 302, "zhang.san": 200, "zhou.ba": 200, "admin": 200, ALL: 403}),
    ("GET", "/portal/applications/{instance}", "portal.application",
     {"anonymous": 302, "zhang.san": 200, ALL: 404}),
    # The formal reply: whoever may read the application; to others it does not exist.
    ("GET", "/portal/applications/{instance}/reply", "portal.reply",
     {"anonymous": 302, **{r: 200 for r in READERS}, ALL: 404}),
    ("GET", "/notifications/", "notifications.index", {"anonymous": 302, ALL: 200}),
    ("GET", "/supervise/", "supervise.index", {"anonymous": 302, **SUPERVISORS, ALL: 403}),
    ("GET", "/supervise/applications/{instance}", "supervise.application",
     {"anonymous": 302, **SUPERVISORS, ALL: 403}),
    ("GET", "/supervise/assessment", "supervise.assessment", {"anonymous": 302, **SUPERVISORS, ALL: 403}),
    ("GET", "/supervise/assessment.csv", "supervise.assessment", {"anonymous": 302, **SUPERVISORS, ALL: 403}),
    ("GET", "/supervise/overdue.xlsx", "supervise.download", {"anonymous": 302, **SUPERVISORS, ALL: 403}),
    ("GET", "/supervise/ontime", "supervise.ontime", {"anonymous": 302, **SUPERVISORS, ALL: 403}),
    ("GET", "/supervise/promises", "supervise.promises", {"anonymous": 302, **SUPERVISORS, ALL: 403}),
    ("GET", "/supervise/ontime.csv", "supervise.ontime", {"anonymous": 302, **SUPERVISORS, ALL: 403}),
    # The register of grants: the authority's reviewers (li.si of sjj) and overseers.
    ("GET", "/grants/", "grants.index", {"anonymous": 302, "li.si": 200, **SUPERVISORS, ALL: 403}),
    ("GET", "/grants/register.xlsx", "grants.register_download",
     {"anonymous": 302, "li.si": 200, **SUPERVISORS, ALL: 403}),
    ("GET", "/designer/", "designer.index", {"anonymous": 302, **DESIGNERS, ALL: 403}),
    ("GET", "/designer/processes/web_share", "designer.process", {"anonymous": 302, **DESIGNERS, ALL: 403}),
    ("GET", "/designer/processes/web_share/edit", "designer.modeler", {"anonymous": 302, **DESIGNERS, ALL: 403}),
    ("GET", "/designer/processes/web_share/forms", "designer.form_editor",
     {"anonymous": 302, **DESIGNERS, ALL: 403}),
    ("GET", "/designer/processes/web_share/versions/1.bpmn", "designer.download",
     {"anonymous": 302, **DESIGNERS, ALL: 403}),
    # Proposed changes: designers (who propose) and approvers (admins here) read them.
    ("GET", "/designer/changes", "designer.pending", {"anonymous": 302, **DESIGNERS, ALL: 403}),
    ("GET", "/designer/processes/web_share/versions/1/review", "designer.review",
     {"anonymous": 302, **DESIGNERS, ALL: 403}),
    # Without two versions named, compare and migrate go back to the process page, which checks.
    ("GET", "/designer/processes/web_share/compare", "designer.compare", {"anonymous": 302, ALL: 302}),
    ("GET", "/designer/processes/web_share/migrate", "designer.migrate", {"anonymous": 302, ALL: 302}),
    # The diagram shows no data: whoever may read the application, and designers.
    ("GET", "/designer/applications/{instance}/diagram.json", "designer.instance_diagram",
     {"anonymous": 302, **{r: 200 for r in READERS}, **DESIGNERS, ALL: 403}),
]
API = [
    ("GET", "/api/v1/openapi.json", "api-docs.openapi_json", {"anonymous": 200, ALL: 200}),
    ("GET", "/api/v1/me", "api.me", {"anonymous": 401, ALL: 200}),
    ("GET", "/api/v1/procedures", "api.procedures", {"anonymous": 401, ALL: 200}),
    ("GET", "/api/v1/applications", "api.applications", {"anonymous": 401, ALL: 200}),
    ("GET", "/api/v1/tasks?tab=available", "api.task_list", {"anonymous": 401, ALL: 200}),
    ("GET", "/api/v1/tasks/{task}", "api.task",
     {"anonymous": 401, **{r: 200 for r in TASK_READERS}, ALL: 403}),
    ("GET", "/api/v1/instances/{instance}", "api.instance",
     {"anonymous": 401, **{r: 200 for r in READERS}, ALL: 404}),
    ("GET", "/api/v1/catalog", "api.catalog_search", {"anonymous": 401, ALL: 200}),
    ("GET", "/api/v1/definitions", "api.definition_list", {"anonymous": 401, ALL: 200}),
    ("POST", "/api/v1/tasks/{fresh}/claim", "api.claim", {"anonymous": 401, "li.si": 200, ALL: 403}),
    ("POST", "/api/v1/tasks/{claimed}/unclaim", "api.unclaim",
     {"anonymous": 401, "li.si": 200, "zhao.liu": 200, "admin": 200, ALL: 403}),
    ("POST", "/api/v1/tasks/{fresh}/complete", "api.complete", {"anonymous": 401, "li.si": 200, ALL: 403}),
    ("POST", "/api/v1/instances", "api.start",
     {"anonymous": 401, "zhang.san": 201, "zhou.ba": 201, "admin": 201, ALL: 403}),
    ("POST", "/api/v1/definitions", "api.deploy", {"anonymous": 401, "sun.qi": 201, "admin": 201, ALL: 403}),
    # A version sun.qi proposed: an approver who did not propose it decides (here the admin).
    ("POST", "/api/v1/definitions/web_share/versions/{proposal}/approve", "api.approve",
     {"anonymous": 401, "admin": 200, ALL: 403}),
    ("POST", "/api/v1/definitions/web_share/versions/{proposal}/reject", "api.reject",
     {"anonymous": 401, "admin": 200, ALL: 403}),
    # Moving running applications: designers propose, an approver who did not propose decides.
    ("POST", "/api/v1/migrations", "api.propose_migration", {"anonymous": 401, "sun.qi": 201, "admin": 201, ALL: 403}),
    ("POST", "/api/v1/migrations/{migration}/approve", "api.approve_migration",
     {"anonymous": 401, "admin": 200, ALL: 403}),
    ("POST", "/api/v1/migrations/{migration}/reject", "api.reject_migration",
     {"anonymous": 401, "admin": 200, ALL: 403}),
    ("GET", "/api/v1/grants?state=all", "api.grant_register",
     {"anonymous": 401, "li.si": 200, **SUPERVISORS, ALL: 403}),
    ("POST", "/api/v1/grants/{grant}/revoke", "api.grant_revoke",
     {"anonymous": 401, "li.si": 200, "admin": 200, ALL: 403}),
    ("GET", "/api/v1/reports/overdue", "api.report_overdue", {"anonymous": 401, **SUPERVISORS, ALL: 403}),
    ("GET", "/api/v1/reports/unassignable", "api.report_unassignable", {"anonymous": 401, **SUPERVISORS, ALL: 403}),
    ("GET", "/api/v1/reports/ontime?from=2026-01-01&to=2026-03-31", "api.report_ontime",
     {"anonymous": 401, **SUPERVISORS, ALL: 403}),
    ("GET", "/api/v1/reports/assessment?from=2026-01-01&to=2026-03-31", "api.report_assessment",
     {"anonymous": 401, **SUPERVISORS, ALL: 403}),
]
BODIES = {
    "api.complete": {"data": {"decision": "approve"}},
    "api.start": {"process_id": "web_share", "data": APPLICATION},
    "api.grant_revoke": {"reason": "超出授权范围使用"},
    "api.deploy": {"file_name": "web_share.bpmn", "bpmn": (WEB_FIXTURES / "web_share.bpmn").read_text("utf-8")},
    "api.approve": {},
    "api.reject_migration": {"reason": "待办结后再迁移"},
    "api.reject": {"reason": "路由不符合规定"},
}
# Web forms that change things, by POST only: claiming is checked by its effect below; the
# others by their own tests in tests/e2e.
WEB_POSTS = ("auth.logout", "calendar.install", "inbox.notifications_read", "inbox.claim", "inbox.unclaim",
             "notifications.read", "portal.attach", "portal.withdraw", "supervise.urge", "supervise.promise_set",
             "grants.revoke",
             "designer.deploy", "designer.preview", "designer.approve", "designer.reject", "designer.approve_migration",
             "designer.reject_migration",
             "designer.discard", "designer.form_preview", "designer.form_save", "designer.save_draft",
             "designer.upload", "designer.validate")
# Served only to whoever may read the application; checked by tests/e2e/test_web_attachments.py.
WEB_DOWNLOADS = ("portal.attachment",)


def _expected(table: dict, role: str) -> int:
    return table.get(role, table.get(ALL))


def _grant(engine, instance_id: int) -> int:
    """A grant of a catalog item to scjgj, recorded for `instance_id`; its id."""
    with engine.uow() as uow:
        if uow.session.get(CatalogItem, "MX-001") is None:
            uow.session.add(CatalogItem(code="MX-001", name="矩阵测试数据", source_unit="sjj", share_attribute="有条件共享",
                                        share_conditions="按需申请", open_attribute="不予开放", update_frequency="每日",
                                        contact="市数据局"))
        grant = Grant(instance_id=instance_id, catalog_item="MX-001", grantee="scjgj", scope="全部字段", purpose="测试",
                      granted_at=engine.clock.now())
        uow.session.add(grant)
        uow.session.flush()
        grant_id = grant.id
        uow.commit()
    return grant_id


def _proposal(engine) -> int:
    """A new version of web_share that sun.qi proposes; its number."""
    with engine.uow().read() as uow:
        count = uow.session.query(ProcessDefinition).count()
    renamed = (WEB_FIXTURES / "web_share.bpmn").read_bytes().replace("（测试）".encode(), f"（测试{count}）".encode())
    [proposed] = changes.propose(engine.uow(), "sun.qi", [("web_share.bpmn", renamed)])
    return proposed.version


def _migration_body(engine, fresh) -> dict:
    """Moving a fresh application of the live version onto a newer approved version."""
    old = instances.show(engine.uow(), tasks.show(engine.uow(), fresh())["instance_id"])
    version = _proposal(engine)
    changes.approve(engine.uow(), "admin", "web_share", version)
    return {"process_id": "web_share", "old": old["version"], "new": version, "instances": [old["id"]]}


def _migration(engine, fresh) -> int:
    """A migration sun.qi proposed; its id."""
    body = _migration_body(engine, fresh)
    return changes.propose_migration(engine.uow(), "sun.qi", body["process_id"], body["old"], body["new"],
                                     body["instances"])["id"]


def _seed(url: str) -> None:
    factory = Engines(url)
    engine = factory.at()
    prepare(engine)
    for name, department, roles in EXTRA:
        add_user(engine.uow(), name, department=department, roles=roles)
        accounts.set_password(engine.uow(), name, PASSWORD)
    factory.close()


@pytest.fixture
def world(database_kind, templates, tmp_path, sandbox):
    """The web app on a database with everyone in ROLES, and zhang.san's application waiting for
    a reviewer of sjj; `fresh()` starts another and returns its open task."""
    factory = Engines(templates.fresh(database_kind, "matrix", _seed, tmp_path), sandbox)
    engine = factory.at()

    def fresh() -> int:
        return instances.start(engine.uow(), "web_share", actor="zhang.san", data=APPLICATION).opened_task_ids[0]

    started = instances.start(engine.uow(), "web_share", actor="zhang.san", data=APPLICATION)
    yield make_app(engine), engine, fresh, started
    factory.close()


def test_every_route_is_in_the_matrix(world):
    app = world[0]
    listed = {endpoint for _, _, endpoint, _ in WEB + API} | set(WEB_POSTS) | set(WEB_DOWNLOADS) | {"static"}
    assert {rule.endpoint for rule in app.url_map.iter_rules()} <= listed


@pytest.mark.parametrize("role", ROLES)
def test_each_role_reads_only_the_pages_it_may(world, role):
    app, engine, fresh, started = world
    client = app.test_client()
    if role != "anonymous":
        AuthActions(client).login(role)
    ids = {"task": started.opened_task_ids[0], "instance": started.instance_id}
    for method, path, endpoint, table in WEB:
        response = client.open(path.format(**ids), method=method)
        assert response.status_code == _expected(table, role), (role, path)


@pytest.mark.parametrize("role", ROLES)
def test_each_roles_token_may_do_exactly_what_the_role_may(world, role):
    app, engine, fresh, started = world
    client = app.test_client()
    headers = {} if role == "anonymous" else \
        {"Authorization": f"Bearer {tokens.create(engine.uow(), role, actor='admin').secret}"}
    for method, path, endpoint, table in API:
        ids = {"task": started.opened_task_ids[0], "instance": started.instance_id}
        if "{fresh}" in path:
            ids["fresh"] = fresh()
        if "{grant}" in path:
            ids["grant"] = _grant(engine, started.instance_id)
        if "{proposal}" in path:
            ids["proposal"] = _proposal(engine)
        if "{migration}" in path:
            ids["migration"] = _migration(engine, fresh)
        body = BODIES.get(endpoint)
        if endpoint == "api.propose_migration":
            body = _migration_body(engine, fresh)
        if "{claimed}" in path:
            ids["claimed"] = fresh()
            tasks.claim(engine.uow(), ids["claimed"], actor="li.si")
        response = client.open(path.format(**ids), method=method, json=body, headers=headers)
        assert response.status_code == _expected(table, role), (role, path, response.get_json())


@pytest.mark.parametrize("role", [r for r in ROLES if r != "anonymous"])
def test_a_web_claim_takes_effect_only_for_a_candidate_of_the_tasks_department(world, role):
    app, engine, fresh, started = world
    client = app.test_client()
    auth = AuthActions(client)
    auth.login(role)
    task_id = fresh()
    auth.post("/portal/", f"/inbox/tasks/{task_id}/claim")
    shown = instances.show(engine.uow(), tasks.show(engine.uow(), task_id)["instance_id"])
    holder = next(t["assignee"] for t in shown["tasks"] if t["id"] == task_id)
    assert holder == (role if role == "li.si" else None)
