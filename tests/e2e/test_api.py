"""The JSON API over HTTP: bearer tokens, the inbox, applying, deciding, errors with codes, OpenAPI."""
from __future__ import annotations

import pytest

from engine.services import tokens
from webapp.api import PREFIX
from engine.services.users import SYSTEM

from web_helpers import WEB_FIXTURES

APPLICATION = {"unit": "达州市公安局", "catalog_item": "DZ-GA-001", "purpose": "户籍信息核验", "records": 12}


@pytest.fixture
def token(engines):
    """A fresh token of a user: `token("li.si")` is the Authorization header of li.si."""

    def make(user: str) -> dict:
        created = tokens.create(engines.at().uow(), user, actor=SYSTEM)
        return {"Authorization": f"Bearer {created.secret}", "Accept-Language": "en"}

    return make


def test_the_openapi_document_lists_the_routes_and_the_bearer_scheme(client):
    document = client.get(f"{PREFIX}/openapi.json").get_json()
    assert document["openapi"].startswith("3.")
    assert {"/api/v1/tasks", "/api/v1/tasks/{task_id}/claim", "/api/v1/tasks/{task_id}/complete",
            "/api/v1/instances", "/api/v1/instances/{instance_id}", "/api/v1/catalog",
            "/api/v1/definitions", "/api/v1/reports/overdue", "/api/v1/reports/ontime"} <= set(document["paths"])
    assert document["components"]["securitySchemes"]["bearer"] == {"type": "http", "scheme": "bearer"}


def test_no_token_or_a_wrong_one_is_a_json_401_with_a_code(client):
    missing = client.get(f"{PREFIX}/tasks")
    assert missing.status_code == 401 and missing.get_json()["code"] == "token.missing"
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    wrong = client.get(f"{PREFIX}/tasks", headers={"Authorization": "Bearer pdw_not-a-token"})
    assert wrong.status_code == 401 and wrong.get_json()["code"] == "token.invalid"
    # A signed-in browser session is no API credential.
    assert client.get(f"{PREFIX}/me").status_code == 401


def test_an_applicants_token_applies_and_the_reviewers_token_claims_and_decides_it(client, token):
    applicant, reviewer = token("zhang.san"), token("li.si")
    started = client.post(f"{PREFIX}/instances", json={"process_id": "web_share", "data": APPLICATION},
                          headers=applicant)
    assert started.status_code == 201, started.get_json()
    body = started.get_json()
    assert body["receipt_number"] == "DZ2026030200001" and body["status"] == "running"

    inbox = client.get(f"{PREFIX}/tasks?tab=available", headers=reviewer).get_json()
    assert [(r["instance_id"], r["deadline"]["due_date"]) for r in inbox["rows"]] \
        == [(body["instance_id"], "2026-03-09")]
    task_id = inbox["rows"][0]["task_id"]
    shown = client.get(f"{PREFIX}/tasks/{task_id}", headers=reviewer).get_json()
    assert shown["may_claim"] and "decision" in [f["name"] for f in shown["fields"]]

    assert client.post(f"{PREFIX}/tasks/{task_id}/claim", headers=reviewer).get_json()["assignee"] == "li.si"
    again = client.post(f"{PREFIX}/tasks/{task_id}/claim", headers=token("wang.wu"))
    assert again.status_code == 409 and again.get_json()["code"] == "task.already_claimed"
    assert again.get_json()["params"]["holder"] == "li.si"

    refused = client.post(f"{PREFIX}/tasks/{task_id}/complete", json={"data": {"decision": "maybe"}},
                          headers=reviewer)
    assert refused.status_code == 422 and refused.get_json()["code"] == "task.not_completed"
    assert refused.get_json()["problems"][0]["field"] == "decision"
    done = client.post(f"{PREFIX}/tasks/{task_id}/complete", headers=reviewer,
                       json={"data": {"decision": "refuse", "reason": "no basis", "basis": "Art. 20"}})
    assert done.status_code == 200, done.get_json()

    status = client.get(f"{PREFIX}/instances/{body['instance_id']}", headers=applicant).get_json()
    # The applicant is shown what their portal page shows: their own act and the reply, by
    # "applicant" and "official", never an official's login, the claim or the form data.
    history = status["instance"]["history"]
    assert [(h["action"], h["actor"]) for h in history] == [("instance.start", "applicant"),
                                                          ("task.complete", "official")]
    assert all(h["before"] is None and "data" not in (h["after"] or {}) for h in history)
    assert status["instance"]["audience"] == "applicant" and "data" not in status["instance"]
    assert client.get(f"{PREFIX}/applications", headers=applicant).get_json()[0]["id"] == body["instance_id"]


def test_another_applicants_application_is_as_good_as_absent(client, token):
    started = client.post(f"{PREFIX}/instances", json={"process_id": "web_share", "data": APPLICATION},
                          headers=token("zhang.san")).get_json()
    other = client.get(f"{PREFIX}/instances/{started['instance_id']}", headers=token("zhou.ba"))
    assert other.status_code == 404 and other.get_json()["code"] == "application.not_found"
    assert client.get(f"{PREFIX}/instances/{started['instance_id']}", headers=token("zhao.liu")).status_code == 200


def test_a_reviewer_may_not_start_or_deploy_and_the_errors_say_why_in_the_callers_language(client, token):
    reviewer = token("li.si")
    refused = client.post(f"{PREFIX}/instances", json={"process_id": "web_share", "data": APPLICATION},
                          headers=reviewer)
    assert refused.status_code == 403 and refused.get_json()["code"] == "process.not_startable"
    deploy = client.post(f"{PREFIX}/definitions", json={"file_name": "x.bpmn", "bpmn": "<x/>"},
                         headers={**reviewer, "Accept-Language": "zh-CN"})
    assert deploy.status_code == 403 and deploy.get_json()["code"] == "designer.forbidden"
    assert "只有流程设计人员" in deploy.get_json()["message"]


def test_a_body_of_the_wrong_shape_is_a_json_422_naming_the_field(client, token):
    bad = client.post(f"{PREFIX}/instances", json={"data": []}, headers=token("zhang.san"))
    assert bad.status_code == 422
    assert {p["field"] for p in bad.get_json()["problems"]} == {"process_id", "data"}


def test_a_revoked_or_expired_token_no_longer_works(client, engines):
    created = tokens.create(engines.at().uow(), "li.si", actor=SYSTEM, expires_days=1)
    header = {"Authorization": f"Bearer {created.secret}"}
    assert client.get(f"{PREFIX}/me", headers=header).get_json()["name"] == "li.si"
    tokens.revoke(engines.at().uow(), created.id, actor=SYSTEM)
    assert client.get(f"{PREFIX}/me", headers=header).status_code == 401
    listed = tokens.list_tokens(engines.at().uow(), "li.si")
    assert listed[0]["active"] is False and "secret" not in listed[0]


def test_a_supervisors_token_reads_the_overdue_report_and_a_reviewers_is_refused(client, token, engines):
    # Received Thursday 2026-02-12, due 2026-02-26: on the frozen Monday 2026-03-02, 3 working
    # days overdue (02-27, the make-up Saturday 02-28, 03-02).
    from engine.services import instances

    started = instances.start(engines.at("2026-02-12T10:00:00+08:00").uow(), "web_share", actor="zhang.san",
                              data=APPLICATION)
    answer = client.get(f"{PREFIX}/reports/overdue", headers=token("zhao.liu"))
    assert answer.status_code == 200, answer.get_json()
    assert [(r["instance_id"], r["receipt_number"], r["due_date"], r["working_days_overdue"], r["article"])
            for r in answer.get_json()] == [(started.instance_id, "DZ2026021200001", "2026-02-26", 3, "第二十条第二款")]
    assert answer.headers["PDW-As-Of"] == "2026-03-02" and "Warning" not in answer.headers
    earlier = client.get(f"{PREFIX}/reports/overdue?at=2026-02-26", headers=token("zhao.liu"))
    assert earlier.get_json() == [] and earlier.headers["PDW-As-Of"] == "2026-02-26"
    from engine.services import metrics

    metrics.record_sweep(engines.at("2026-02-12T10:00:00+08:00").uow(), "other-host:7")  # a scheduler at another time
    warned = client.get(f"{PREFIX}/reports/overdue", headers=token("zhao.liu"))
    assert warned.headers["Warning"].startswith('299 pdw "this process\'s clock reads 2026-03-02 09:00 but the scheduler '
                                                'other-host:7 last swept by a clock reading 2026-02-12 10:00')
    refused = client.get(f"{PREFIX}/reports/overdue", headers=token("li.si"))
    assert refused.status_code == 403 and refused.get_json()["code"] == "report.supervisors_only"
    ontime = client.get(f"{PREFIX}/reports/ontime?from=2026-02-01&to=2026-03-31", headers=token("zhao.liu"))
    # web_share declares no statutory clock, so no reply of it is counted (the counting itself is
    # tested in tests/workflows/test_supervision.py on conditional_share).
    assert ontime.status_code == 200 and ontime.get_json() == []
    bad = client.get(f"{PREFIX}/reports/ontime?from=2026-13-01&to=2026-03-31", headers=token("zhao.liu"))
    assert bad.status_code == 422


def test_a_designers_deploy_is_a_proposal_that_another_person_approves_over_the_api(client, token, engines):
    from engine.services.users import SYSTEM, add_user

    add_user(engines.at().uow(), "dora", department="sjj", roles=["designer"], actor=SYSTEM)
    add_user(engines.at().uow(), "hana", department="sjj", roles=["department_head"], actor=SYSTEM)
    bpmn = (WEB_FIXTURES / "web_share.bpmn").read_text(encoding="utf-8").replace("申请", "数据申请", 1)
    proposed = client.post(f"{PREFIX}/definitions", json={"file_name": "web_share.bpmn", "bpmn": bpmn},
                           headers=token("dora"))
    assert proposed.status_code == 201
    [version] = proposed.get_json()
    assert (version["process_id"], version["version"], version["status"]) == ("web_share", 2, "proposed")
    url = f"{PREFIX}/definitions/web_share/versions/2"
    own = client.post(f"{url}/approve", json={}, headers=token("dora"))
    assert own.status_code == 403 and own.get_json()["code"] == "change.approve_forbidden"
    assert client.get(f"{PREFIX}/definitions", headers=token("li.si")).get_json()[0]["version"] == 1
    refused = client.post(f"{url}/reject", json={}, headers=token("hana"))
    assert refused.status_code == 422
    approved = client.post(f"{url}/approve", json={"note": "已核对差异"}, headers=token("hana"))
    assert approved.status_code == 200 and approved.get_json() == {"process_id": "web_share", "version": 2,
                                                                    "status": "approved", "decided_by": "hana"}
    assert client.get(f"{PREFIX}/definitions", headers=token("li.si")).get_json()[0]["version"] == 2
    add_user(engines.at().uow(), "ada", department="dsjzx", roles=["admin"], actor=SYSTEM)
    again = client.post(f"{url}/approve", json={}, headers=token("ada"))
    assert again.status_code == 409 and again.get_json()["code"] == "change.not_proposed"


def test_a_supervisors_token_reads_the_rounds_and_a_reviewers_is_refused(client, token, engines):
    from engine.services import rounds

    rounds.set_schedule(engines.at().uow(), actor=SYSTEM, procedure="web_share", cycle="quarterly",
                        anchor="2026-03-02", department="sjj", group="reviewer@sjj",
                        deadline_rule="round_art44_risk_assessment", data=APPLICATION)
    (started,) = rounds.start_due(engines.at().uow, worker="api-test")
    answer = client.get(f"{PREFIX}/rounds", headers=token("zhao.liu"))
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert [(r["instance_id"], r["period"], r["state"], r["deadline_date"], r["steps"]) for r in body["running"]] == \
        [(started.instance_id, "2026-Q1", "running", "2026-03-30", ["共享审核"])]
    assert [(r["period"], r["due_on"]) for r in body["due"]] == [("2026-Q2", "2026-06-02")]
    assert [s["procedure"] for s in body["schedules"]] == ["web_share"]
    refused = client.get(f"{PREFIX}/rounds", headers=token("li.si"))
    assert refused.status_code == 403 and refused.get_json()["code"] == "report.supervisors_only"
