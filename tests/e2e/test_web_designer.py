"""The designer pages over HTTP: versions, validate, deploy, upload and download, forms, compare,
migrate; the application diagram's JSON. Only designers change anything."""
from __future__ import annotations

import json
import re
from io import BytesIO

import pytest
from sqlalchemy import func, select

from engine.persistence.models import AuditEntry

from engine.demo import DEMO_USERS
from engine.services import accounts, changes, instances, users
from web_helpers import PASSWORD, WEB_FIXTURES, csrf_token, flashes, stray_chinese
from engine.services.users import SYSTEM

SHARE = (WEB_FIXTURES / "web_share.bpmn").read_text()
APPLICATION = {"unit": "达州市公安局", "catalog_item": "DZ-GA-001", "purpose": "户籍信息核验", "records": 12,
               "needed_by": "2026-03-20"}
RENAMED = SHARE.replace("共享审核", "共享申请审核")
NO_FORM = SHARE.replace('<spiffworkflow:property name="formJsonSchemaFilename" value="web/decision.json"/>', "")


@pytest.fixture
def designer_client(app, client, auth, engines):
    users.add_user(engines.at().uow(), "sun.qi", department="sjj", roles=["designer"], actor=SYSTEM)
    accounts.set_password(engines.at().uow(), "sun.qi", PASSWORD, actor=SYSTEM)
    auth.login("sun.qi")
    return client


def post_json(client, url: str, body: dict, page: str = "/designer/"):
    token = csrf_token(client.get(page).text)
    return client.post(url, data=json.dumps(body), content_type="application/json", headers={"X-CSRFToken": token})


def test_a_designer_lands_on_the_processes_with_their_versions(designer_client):
    response = designer_client.get("/", follow_redirects=True)
    assert response.request.path == "/designer/"
    page = response.text
    assert "有条件共享申请（测试）" in page and "web_share" in page and "v1" in page


def test_others_may_not_see_the_designer_pages_save_deploy_or_migrate(client, auth, engines):
    auth.login("zhao.liu")
    assert client.get("/designer/").status_code == 403
    assert client.get("/designer/processes/web_share/edit").status_code == 403
    token = csrf_token(client.get("/inbox/").text)
    for url in ("/designer/deploy", "/designer/draft", "/designer/validate"):
        response = client.post(url, data=json.dumps({"file_name": "web_share.bpmn", "xml": RENAMED}),
                               content_type="application/json", headers={"X-CSRFToken": token})
        assert response.status_code == 403, url
    migrate = client.post("/designer/processes/web_share/migrate?old=1&new=1", data={"csrf_token": token})
    assert migrate.status_code == 403
    with engines.at().uow().read() as uow:
        assert uow.session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action.like("definition.%"))) == 1  # the fixture's own deploy


def test_validation_lists_every_problem_with_its_element(designer_client):
    response = post_json(designer_client, "/designer/validate", {"file_name": "web_share.bpmn", "xml": NO_FORM})
    assert response.status_code == 200
    assert [(p["code"], p["element"]) for p in response.json["problems"]] == [("bpmn.user_task_no_form", "review")]
    assert response.json["problems"][0]["message"] == "用户任务没有表单（属性 formJsonSchemaFilename）。"


def approver(engines, name: str = "qian.ba") -> None:
    users.add_user(engines.at().uow(), name, department="sjj", roles=["department_head"], actor=SYSTEM)
    accounts.set_password(engines.at().uow(), name, PASSWORD, actor=SYSTEM)


def test_deploying_proposes_a_new_version_that_goes_live_when_another_person_approves(designer_client, auth,
                                                                                       engines):
    refused = post_json(designer_client, "/designer/deploy", {"file_name": "web_share.bpmn", "xml": NO_FORM})
    assert refused.status_code == 422 and refused.json["problems"][0]["element"] == "review"
    response = post_json(designer_client, "/designer/deploy", {"file_name": "web_share.bpmn", "xml": RENAMED})
    assert response.status_code == 200
    assert response.json["deployed"] == [{"process_id": "web_share", "version": 2, "created": True,
                                          "status": "proposed"}]
    review = designer_client.get(response.json["next"]).text
    assert "已提交 web_share 版本 2，待审批人批准后生效。" in flashes(review)
    # The element's old and new names, side by side.
    assert re.search(r'<td class="old">共享审核</td>\s*<td class="new">共享申请审核</td>', review)
    page = designer_client.get("/designer/processes/web_share").text
    assert re.search(r'<tr data-version="2">\s*<td>v2</td>\s*<td class="status-proposed">', page)
    own = designer_client.post("/designer/processes/web_share/versions/2/approve",
                               data={"csrf_token": csrf_token(review)})
    assert own.status_code == 303
    assert "用户 sun.qi 无权批准流程变更：需要管理员，或主管部门 sjj 的 department_head 角色。" in \
        flashes(designer_client.get(own.location).text)
    first = instances.start(engines.at().uow(), "web_share", actor="zhang.san", data=APPLICATION).instance_id
    assert instances.read_stored(engines.at().uow(), first)["version"] == 1
    auth.logout()
    approver(engines)
    auth.login("qian.ba")
    review = designer_client.get("/designer/processes/web_share/versions/2/review").text
    assert "共享申请审核" in review and 'id="btn-approve"' in review
    decided = designer_client.post("/designer/processes/web_share/versions/2/approve",
                                   data={"csrf_token": csrf_token(review)})
    assert "已批准 web_share 版本 2，现已生效。" in flashes(designer_client.get(decided.location).text)
    second = instances.start(engines.at().uow(), "web_share", actor="zhang.san", data=APPLICATION).instance_id
    assert instances.read_stored(engines.at().uow(), second)["version"] == 2


def test_an_uploaded_file_becomes_the_draft_the_modeler_opens_and_downloads(designer_client):
    token = csrf_token(designer_client.get("/designer/").text)
    response = designer_client.post("/designer/upload", data={
        "csrf_token": token, "file": (BytesIO(RENAMED.encode()), "web_share.bpmn")}, content_type="multipart/form-data")
    assert response.status_code == 302 and response.location.endswith("/designer/processes/web_share/edit")
    page = designer_client.get(response.location).text
    opened = re.search(r'<script type="application/json" id="designer-xml">(.*?)</script>', page, re.S).group(1)
    assert json.loads(opened) == RENAMED
    assert "vendor/bpmn-js/bpmn-modeler.production.min.js" in page
    assert designer_client.get("/designer/processes/web_share/draft.bpmn").data.decode() == RENAMED
    assert designer_client.get("/designer/processes/web_share/versions/1.bpmn").data.decode() == SHARE


def test_the_form_editor_previews_the_form_as_reviewers_see_it_and_saves_it_in_the_draft(designer_client):
    page = designer_client.get("/designer/processes/web_share/forms?name=web/decision.json").text
    assert 'id="schema-text"' in page and "decision" in page
    schema = {"type": "object", "title": "审核", "required": ["opinion"],
              "properties": {"opinion": {"type": "string", "title": "审核意见"}}}
    preview = post_json(designer_client, "/designer/forms/preview", {"name": "web/decision.json",
                                                                     "text": json.dumps(schema)})
    assert preview.json["problems"] == []
    assert '<label for="f-opinion">审核意见<span class="req"' in preview.json["html"]
    broken = post_json(designer_client, "/designer/forms/preview", {"name": "web/decision.json", "text": "{"})
    assert broken.json["problems"] and "html" not in broken.json
    saved = post_json(designer_client, "/designer/processes/web_share/forms",
                      {"name": "web/decision.json", "text": json.dumps(schema)})
    assert saved.json == {"problems": [], "saved": True}
    assert "web/decision.json" in designer_client.get("/designer/processes/web_share").text


def test_versions_compare_and_a_migration_moves_the_running_instance_once_another_person_approves(
        designer_client, auth, engines):
    started = instances.start(engines.at().uow(), "web_share", actor="zhang.san", data=APPLICATION)
    post_json(designer_client, "/designer/deploy", {"file_name": "web_share.bpmn", "xml": RENAMED})
    approver(engines)
    changes.approve(engines.at().uow(), "qian.ba", "web_share", 2)
    compare = designer_client.get("/designer/processes/web_share/compare?old=1&new=2").text
    assert '<li data-element="review">共享审核 <code>review</code>' in compare
    dry_run = designer_client.get("/designer/processes/web_share/migrate?old=1&new=2").text
    assert f'data-instance="{started.instance_id}"' in dry_run and "可以迁移" in dry_run
    token = csrf_token(dry_run)
    proposed = designer_client.post("/designer/processes/web_share/migrate?old=1&new=2",
                                    data={"csrf_token": token, "instance": str(started.instance_id)})
    assert proposed.status_code == 302
    assert "已提交迁移 1 件申请到版本 2 的申请，待审批人批准后迁移。" in flashes(designer_client.get(proposed.location).text)
    assert instances.read_stored(engines.at().uow(), started.instance_id)["version"] == 1
    auth.logout()
    auth.login("qian.ba")
    pending = designer_client.get("/designer/changes").text
    proposal = re.search(r'<tr data-proposal="(\d+)">', pending).group(1)
    moved = designer_client.post(f"/designer/migrations/{proposal}/approve", data={"csrf_token": csrf_token(pending)})
    assert "已批准迁移，1 件申请已迁移。" in flashes(designer_client.get(moved.location).text)
    assert instances.read_stored(engines.at().uow(), started.instance_id)["version"] == 2


def test_the_application_diagram_is_on_the_applicants_page_and_its_json_for_those_who_may_see_it(client, auth, engines):
    started = instances.start(engines.at().uow(), "web_share", actor="zhang.san",
                              data={"unit": "达州市公安局", "catalog_item": "DZ-GA-001", "purpose": "户籍信息核验",
                                    "records": 12, "needed_by": "2026-03-20"})
    auth.login("zhang.san")
    page = client.get(f"/portal/applications/{started.instance_id}").text
    assert f'data-diagram-url="/designer/applications/{started.instance_id}/diagram.json"' in page
    shown = client.get(f"/designer/applications/{started.instance_id}/diagram.json").json
    assert shown["done"] == ["start"] and shown["active"] == ["review"]
    assert shown["open"][0]["deadline"]["due_date"] == "2026-03-09"
    auth.logout()
    auth.login("zhou.ba")
    assert client.get(f"/designer/applications/{started.instance_id}/diagram.json").status_code == 404


def test_the_forms_page_without_a_form_named_lists_the_process_forms(designer_client):
    page = designer_client.get("/designer/processes/web_share/forms")
    assert page.status_code == 200
    assert 'href="/designer/processes/web_share/forms?name=web/decision.json"' in page.text
    assert "problem" not in page.text
    assert designer_client.get("/designer/processes/no_such_process/forms").status_code == 404


def test_the_designer_pages_read_in_english(designer_client):
    designer_client.get("/lang/en?next=/designer/")
    page = designer_client.get("/designer/processes/web_share").text
    assert "Process design" in page and "Deployed by" in page and "Open this version" in page
    modeler = designer_client.get("/designer/processes/web_share/edit").text
    labels = json.loads(re.search(r'id="designer-labels">(.*?)</script>', modeler, re.S).group(1))
    assert labels["rule"] == "Statutory deadline rule" and labels["noForm"] == "(no form)"


def test_the_designer_pages_in_english_show_no_chinese_but_peoples_names(demo_engines):
    from test_web_english import english

    designer_client = english(demo_engines, "sun.qi")
    written = tuple(u.display_name for u in DEMO_USERS)
    for path in ("/designer/", "/designer/processes/conditional_share", "/designer/processes/conditional_share/forms",
                 "/designer/processes/conditional_share/forms?name=conditional_share/review.json"):
        response = designer_client.get(path)
        assert response.status_code == 200, path
        # The schema is edited as it is written; the preview shows it as English reviewers read it.
        page = re.sub(r'<textarea id="schema-text".*?</textarea>', "", response.text, flags=re.S)
        assert stray_chinese(page, written) == [], path
