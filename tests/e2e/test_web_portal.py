"""The applicant portal over HTTP: apply, get a receipt, follow the deadline, read the reply, sign."""
from __future__ import annotations

import re
import time

from engine.services import definitions, instances
from web_helpers import WEB_FIXTURES, AuthActions, field_errors, flashes, make_app
from engine.services.users import SYSTEM

FORM = {"unit": "达州市公安局", "catalog_item": "DZ-GA-001", "purpose": "户籍信息核验", "records": "12",
        "needed_by": "2026-03-20", "urgent": "on"}


def apply(auth, data=FORM, **kwargs):
    return auth.post("/portal/apply/web_share", "/portal/apply/web_share", data, **kwargs)


def decide(engines, data: dict) -> None:
    reviewer = make_app(engines.at()).test_client()
    auth = AuthActions(reviewer)
    auth.login("li.si")
    task_id = re.search(r'/inbox/tasks/(\d+)/claim', reviewer.get("/inbox/").text).group(1)
    auth.post("/inbox/", f"/inbox/tasks/{task_id}/claim")
    response = auth.post(f"/inbox/tasks/{task_id}", f"/inbox/tasks/{task_id}", data)
    assert response.status_code == 302, field_errors(response.text)


def test_the_portal_lists_what_the_applicant_may_apply_for(client, auth):
    auth.login("zhang.san")
    page = client.get("/portal/").text
    assert '<a class="button" href="/portal/apply/web_share">有条件共享申请（测试）</a>' in page


def test_an_application_gets_a_receipt_number_and_its_statutory_deadline(client, auth):
    auth.login("zhang.san")
    response = apply(auth)
    assert response.status_code == 302
    page = client.get(response.location).text
    assert "申请已受理，受理编号：DZ2026030200001。请妥善保存。" in flashes(page)
    assert "共享审核" in page and "剩余 5 个工作日" in page and "2026-03-09" in page
    assert "第二十条第二款" in page and 'data-status="received">已受理' in page
    assert "户籍人口基本信息" in page and "12" in page
    listing = client.get("/portal/").text
    assert "DZ2026030200001" in listing and 'data-status="received">已受理' in listing


def test_an_application_failing_its_form_is_refused_field_by_field_in_chinese(client, auth):
    auth.login("zhang.san")
    response = apply(auth, {"unit": "公", "catalog_item": "DZ-XX", "records": "many"})
    assert response.status_code == 422
    assert field_errors(response.text) == ["申请单位：内容过短（至少 2 个字符）", "数据目录项：取值不在允许范围内（可选：DZ-GA-001、DZ-SC-002）",
                                           "用途：此项为必填项", "预计调用次数：类型不正确"]
    assert 'value="公"' in response.text


def test_a_refusal_reaches_the_applicant_with_its_reasons_and_basis(client, auth, engines):
    auth.login("zhang.san")
    location = apply(auth).location
    decide(engines, {"decision": "refuse", "reason": "该目录项未列入共享责任清单", "basis": "第二十条第二款"})
    page = client.get(location).text
    assert 'data-status="answered">已答复' in page
    assert "不予共享" in page and "该目录项未列入共享责任清单" in page and "第二十条第二款" in page


def test_an_approval_asks_the_applicant_to_sign_the_commitment_as_a_to_do(client, auth, engines):
    auth.login("zhang.san")
    location = apply(auth).location
    decide(engines, {"decision": "approve"})
    page = client.get("/portal/").text
    assert "待办" in page and "签订数据利用承诺书" in page
    task_id = re.search(r'/inbox/tasks/(\d+)">签订数据利用承诺书', page).group(1)

    unsigned = auth.post(f"/inbox/tasks/{task_id}", f"/inbox/tasks/{task_id}", {})
    assert unsigned.status_code == 422
    assert field_errors(unsigned.text) == ["本单位承诺在规定范围内使用数据并采取安全保障措施：取值不正确"]

    signed = auth.post(f"/inbox/tasks/{task_id}", f"/inbox/tasks/{task_id}", {"agree": "on"})
    assert signed.location == location
    page = client.get(location).text
    assert 'data-status="answered">已答复' in page and "同意共享" in page


def test_an_applicant_cannot_read_someone_elses_application(client, auth, engines):
    auth.login("zhang.san")
    location = apply(auth).location
    other = make_app(engines.at()).test_client()
    AuthActions(other).login("zhou.ba")
    assert other.get(location).status_code == 404


def test_an_application_to_a_process_stuck_in_a_loop_is_answered_within_its_budget(client, auth, engines):
    path = WEB_FIXTURES / "web_loop.bpmn"
    definitions.deploy(engines.at().uow(), [(path.name, path.read_bytes())], actor=SYSTEM)
    auth.login("zhang.san")
    started = time.monotonic()
    response = auth.post("/portal/apply/web_loop", "/portal/apply/web_loop", FORM, follow_redirects=True)
    assert time.monotonic() - started < 10
    assert response.status_code == 200
    assert "受理编号" in response.text
    shown = instances.read_stored(engines.at().uow(), 1)
    assert shown["status"] == "errored" and "engine steps in one command" in shown["error"]
    assert client.get("/portal/").status_code == 200  # the next request finds the database free
