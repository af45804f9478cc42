"""Issue 20's reproductions on the demo data, over HTTP and the command line: what an applicant,
a consulted source unit and another department's supervisor are shown of a conditional-share
application, one answer for what one may not see, and the access log of who read it."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from engine.cli import main as pdw_main
from engine.errors import NotFound
from engine.services import accounts, attachments, instances, portal, tasks, timers, tokens, users
from engine_factory import FROZEN
from web_helpers import PASSWORD, AuthActions, make_app

PREFIX = "/api/v1"
APPLICATION = {"catalog_item": "GA-001", "request_reason": "办理户籍业务需核验人口信息",
               "request_basis": "《户口登记条例》", "purpose": "户籍登记", "requested_scope": "姓名、户籍地址",
               "requested_until": "2026-12-31"}
REMARK = "内部备注：申请人曾有违规记录"  # the reviewer's 备注, for the deciding unit alone
OPINION_REASONS = "涉及个人敏感信息，建议限定字段"  # the source unit's opinion, officials only
PDF = b"%PDF-1.4\n%access\n"


@pytest.fixture
def case(demo_engines):
    """zhang.san's application for GA-001: reviewed by li.si (extended with a remark), the source
    unit's opinion given by wang.wu of gaj, approved by li.si; plus a supervisor of wjw."""
    engine = demo_engines.at(FROZEN)
    users.add_user(engine.uow(), "sup.wjw", department="wjw", roles=["supervisor"], actor="admin")
    for name in ("zhang.san", "li.si", "wang.wu", "zhao.liu", "sup.wjw"):
        accounts.set_password(engine.uow(), name, PASSWORD, actor="admin")
    started = instances.start(engine.uow(), "conditional_share", actor="zhang.san", data=APPLICATION)
    attachments.add(engine.uow(), started.instance_id, actor="zhang.san", name="证明.pdf", content=PDF)
    review = started.opened_task_ids[0]
    tasks.complete(engine.uow(), review, actor="li.si",
                   data={"decision": "extend", "extension_reason": "需征求市公安局意见", "comment": REMARK})
    [opinion] = tasks.of_instance(engine.uow(), started.instance_id)
    tasks.complete(engine.uow(), opinion["id"], actor="wang.wu",
                   data={"opinion": "agree", "opinion_reasons": OPINION_REASONS})
    [final] = tasks.of_instance(engine.uow(), started.instance_id)
    return engine, started.instance_id, review, opinion["id"], final["id"]


def _token(engine, name: str) -> dict:
    return {"Authorization": f"Bearer {tokens.create(engine.uow(), name, actor='admin').secret}"}


def test_the_applicants_api_view_is_what_their_portal_page_shows(case):
    engine, instance_id, *_ = case
    client = make_app(engine).test_client()
    shown = client.get(f"{PREFIX}/instances/{instance_id}", headers=_token(engine, "zhang.san")).get_json()
    text = json.dumps(shown, ensure_ascii=False)
    for secret in (REMARK, OPINION_REASONS, "li.si", "wang.wu", "source_unit_handler@gaj", "reviewer@sjj"):
        assert secret not in text, secret
    page = portal.application(engine.uow(), "zhang.san", instance_id)
    assert shown["instance"]["audience"] == "applicant"
    assert [(t["title"], t["result"]) for t in shown["instance"]["tasks"] if t["state"] == "completed"] == \
        [(r["title"], r["result"]) for r in page["replies"]]
    assert {t["id"] for t in shown["instance"]["tasks"] if t["state"] == "open"} == \
        {s["task_id"] for s in page["steps"] + page["todo"]}
    assert [(h["action"], h["actor"]) for h in shown["instance"]["history"]] == \
        [(h["action"], h["by"]) for h in page["history"]]
    assert all(h["before"] is None for h in shown["instance"]["history"])


def test_the_consulted_source_unit_reads_the_officials_steps_but_not_the_deciding_units_remark(case):
    engine, instance_id, review, opinion, final = case
    client = make_app(engine).test_client()
    # Each opens a step of theirs (the supervisor any step): the task page shows the application's steps.
    for name, task_id, sees_remark in (("wang.wu", opinion, False), ("li.si", final, True), ("zhao.liu", opinion, True)):
        view = client.get(f"{PREFIX}/tasks/{task_id}", headers=_token(engine, name)).get_json()
        text = json.dumps(view, ensure_ascii=False)
        assert view["instance"]["audience"] == {"wang.wu": "consulted_unit", "li.si": "deciding_unit",
                                                "zhao.liu": "supervisor"}[name]
        assert "需征求市公安局意见" in text and OPINION_REASONS in text  # the officials' steps
        assert (REMARK in text) is sees_remark, name
    auth = AuthActions(make_app(engine).test_client())
    auth.login("wang.wu")
    page = auth._client.get(f"/inbox/tasks/{opinion}").text
    assert "需征求市公安局意见" in page and REMARK not in page


def test_another_departments_supervisor_can_neither_read_nor_act_by_any_route(case):
    engine, instance_id, review, opinion, final = case
    app = make_app(engine)
    client = app.test_client()
    headers = _token(engine, "sup.wjw")
    absent = 987654
    [document] = portal.application(engine.uow(), "zhang.san", instance_id)["attachments"]
    for url in (f"{PREFIX}/instances/{{}}", f"{PREFIX}/tasks/{{}}", f"{PREFIX}/instances/{{}}/readers"):
        subject = final if "tasks" in url else instance_id
        seen, missing = (client.get(url.format(i), headers=headers) for i in (subject, absent))
        assert seen.status_code == missing.status_code == 404
        assert seen.get_json()["code"] == missing.get_json()["code"]
    tasks.claim(engine.uow(), final, actor="li.si")
    refused = client.post(f"{PREFIX}/tasks/{final}/unclaim", headers=headers)
    assert refused.status_code == 404 and tasks.of_instance(engine.uow(), instance_id)[0]["assignee"] == "li.si"
    auth = AuthActions(client)
    auth.login("sup.wjw")
    for url in (f"/inbox/tasks/{final}", f"/portal/attachments/{document.id}", f"/supervise/applications/{instance_id}",
                f"/designer/applications/{instance_id}/diagram.json", f"/portal/applications/{instance_id}/reply"):
        assert client.get(url).status_code == 404, url
    cancelled = CliRunner().invoke(pdw_main, ["instances", "cancel", str(instance_id), "--reason", "清理积压",
                                              "--as", "sup.wjw"], env=_cli_env(engine))
    assert cancelled.exit_code == 1 and f"no application {instance_id}" in cancelled.output
    assert instances.read_stored(engine.uow(), instance_id)["status"] == "running"


def _cli_env(engine) -> dict:
    return {"PDW_DATABASE_URL": engine.config.database_url, "PDW_CLOCK": FROZEN, "PDW_LANG": "en"}


def test_every_read_by_an_official_is_in_the_access_log_with_its_entry_point(case):
    engine, instance_id, review, opinion, final = case
    client = make_app(engine).test_client()
    client.get(f"{PREFIX}/instances/{instance_id}", headers=_token(engine, "zhang.san"))  # the applicant's own
    client.get(f"{PREFIX}/instances/{instance_id}", headers=_token(engine, "wang.wu"))
    auth = AuthActions(client)
    auth.login("li.si")
    client.get(f"/inbox/tasks/{final}")
    CliRunner().invoke(pdw_main, ["instances", "show", str(instance_id), "--as", "zhao.liu"], env=_cli_env(engine))
    readers = client.get(f"{PREFIX}/instances/{instance_id}/readers", headers=_token(engine, "zhao.liu")).get_json()
    assert [(r["actor"], r["audience"], r["action"], r["entry_point"]) for r in readers] == [
        ("wang.wu", "consulted_unit", "application.status", f"api GET {PREFIX}/instances/{instance_id}"),
        ("li.si", "deciding_unit", "task.view", f"web GET /inbox/tasks/{final}"),
        ("zhao.liu", "supervisor", "application.show", "cli pdw instances show"),
    ]
    assert client.get(f"{PREFIX}/instances/{instance_id}/readers", headers=_token(engine, "li.si")).status_code == 403
    auth.logout()
    auth.login("zhao.liu")
    page = client.get(f"/supervise/applications/{instance_id}").text
    assert "查阅记录" in page and f"web GET /inbox/tasks/{final}" in page


def test_deciding_an_unclaimed_task_records_its_claim_then_the_decision(case):
    engine, instance_id, review, opinion, final = case
    tasks.complete(engine.uow(), final, actor="li.si",
                   data={"decision": "approve", "granted_scope": "姓名", "granted_until": "2026-09-30"})
    trail = [(h["actor"], h["action"], h["task_id"]) for h in instances.read_stored(engine.uow(), instance_id)["history"]
             if h["actor"] == "li.si" and h["task_id"] == final]  # (the grant it records has an entry of its own)
    assert trail == [("li.si", "task.claim", final), ("li.si", "task.complete", final)]


def test_the_authoritys_escalation_steps_never_reach_a_departments_supervisor(demo_engines):
    engine = demo_engines.at(FROZEN)
    users.add_user(engine.uow(), "sup.wjw", department="wjw", roles=["supervisor"], actor="admin")
    started = instances.start(engine.uow(), "conditional_share", actor="zhang.san", data=APPLICATION)
    # Received Monday 03-02 and never reviewed: past its five working days the escalation opens.
    late = demo_engines.at("2026-03-12T09:00:00+08:00")
    assert timers.sweep(late.uow, worker="test")
    [escalation] = [t for t in tasks.of_instance(late.uow(), started.instance_id) if t["candidate_groups"] == ["supervisor"]]
    assert escalation["id"] in [t["id"] for t in tasks.list_tasks(late.uow(), actor="zhao.liu")]
    assert escalation["id"] not in [t["id"] for t in tasks.list_tasks(late.uow(), actor="sup.wjw")]
    with pytest.raises(NotFound):
        tasks.claim(late.uow(), escalation["id"], actor="sup.wjw")
    assert tasks.claim(late.uow(), escalation["id"], actor="zhao.liu")["assignee"] == "zhao.liu"


def test_a_departments_supervisor_oversees_what_concerns_the_department_by_every_route(demo_engines):
    engine = demo_engines.at(FROZEN)
    users.add_user(engine.uow(), "sup.gaj", department="gaj", roles=["supervisor"], actor="admin")
    started = instances.start(engine.uow(), "conditional_share", actor="zhang.san", data=APPLICATION)
    tasks.complete(engine.uow(), started.opened_task_ids[0], actor="li.si",
                   data={"decision": "extend", "extension_reason": "需征求市公安局意见"})
    [opinion] = tasks.of_instance(engine.uow(), started.instance_id)  # asked of gaj, the source unit
    tasks.claim(engine.uow(), opinion["id"], actor="wang.wu")
    client = make_app(engine).test_client()
    headers = _token(engine, "sup.gaj")
    shown = client.get(f"{PREFIX}/instances/{started.instance_id}", headers=headers)
    assert shown.status_code == 200 and shown.get_json()["instance"]["audience"] == "supervisor"
    assert client.get(f"{PREFIX}/instances/{started.instance_id}/readers", headers=headers).status_code == 200
    released = client.post(f"{PREFIX}/tasks/{opinion['id']}/unclaim", headers=headers)
    assert released.status_code == 200 and released.get_json()["assignee"] is None
