"""What an applicant is shown and may do: replies without internal material, withdrawal before a decision."""
from __future__ import annotations

import re

from engine.services import instances
from test_web_portal import apply, decide
from web_helpers import AuthActions, flashes, make_app


def test_a_refusal_shows_reasons_and_basis_but_no_internal_note_login_step_id_or_rule_code(client, auth, engines):
    auth.login("zhang.san")
    location = apply(auth).location
    decide(engines, {"decision": "refuse", "reason": "未列入共享责任清单", "basis": "第二十条第二款",
                     "internal_note": "仅供内部参考的意见"})
    page = client.get(location).text
    assert "不予共享" in page and "未列入共享责任清单" in page and "第二十条第二款" in page
    assert "仅供内部参考的意见" not in page and "内部意见" not in page
    assert "li.si" not in page and "scheduler" not in page
    assert "art20_share_reply" not in page and ">review<" not in page and "reviewer@sjj" not in page
    assert "承办单位" in page and "提交申请" in page


def test_an_applicant_cannot_open_the_officials_step_of_their_own_application(client, auth, engines):
    auth.login("zhang.san")
    apply(auth)
    task_id = instances.read_stored(engines.at().uow(), 1)["tasks"][0]["id"]
    assert client.get(f"/inbox/tasks/{task_id}").status_code == 403


def test_an_applicant_signing_their_own_step_sees_no_officials_history(client, auth, engines):
    auth.login("zhang.san")
    apply(auth)
    decide(engines, {"decision": "approve", "internal_note": "内部留痕"})
    task_id = re.search(r'/inbox/tasks/(\d+)">签订数据利用承诺书', client.get("/portal/").text).group(1)
    page = client.get(f"/inbox/tasks/{task_id}").text
    assert "签订数据利用承诺书" in page
    assert "li.si" not in page and "内部留痕" not in page and "认领任务" not in page


def test_an_application_withdrawn_before_its_decision_ends_with_its_steps_cancelled(client, auth, engines):
    auth.login("zhang.san")
    location = apply(auth).location
    assert "撤回申请" in client.get(location).text
    response = auth.post(location, f"{location}/withdraw", {"reason": "已通过其他渠道获取"})
    assert response.location == location
    page = client.get(location).text
    assert "申请已撤回，办理已终止。" in flashes(page)
    assert "已撤回" in page and 'name="reason"' not in page
    shown = instances.read_stored(engines.at().uow(), 1)
    assert shown["status"] == "withdrawn" and shown["ended_at"] is not None
    assert [t["state"] for t in shown["tasks"]] == ["cancelled"]
    entry = shown["history"][-1]
    assert entry["action"] == "instance.withdraw" and entry["actor"] == "zhang.san"
    assert entry["after"] == {"status": "withdrawn", "reason": "已通过其他渠道获取"}
    reviewer = make_app(engines.at()).test_client()
    AuthActions(reviewer).login("li.si")
    assert "DZ2026030200001" not in reviewer.get("/inbox/").text


def test_a_withdrawal_without_a_reason_changes_nothing(client, auth, engines):
    auth.login("zhang.san")
    location = apply(auth).location
    page = auth.post(location, f"{location}/withdraw", {"reason": "  "}, follow_redirects=True).text
    assert "请填写撤回理由（不超过 500 个字）。" in flashes(page)
    assert instances.read_stored(engines.at().uow(), 1)["status"] == "running"


def test_a_decided_application_can_no_longer_be_withdrawn(client, auth, engines):
    auth.login("zhang.san")
    location = apply(auth).location
    decide(engines, {"decision": "approve"})
    assert 'name="reason"' not in client.get(location).text
    page = auth.post("/portal/", f"{location}/withdraw", {"reason": "改变主意"}, follow_redirects=True).text
    assert "申请 1 已作出答复，不能撤回。" in flashes(page)
    assert instances.read_stored(engines.at().uow(), 1)["status"] == "running"


def test_no_one_but_the_applicant_may_withdraw_an_application(client, auth, engines):
    auth.login("zhang.san")
    location = apply(auth).location
    other = make_app(engines.at()).test_client()
    AuthActions(other).login("zhou.ba")
    response = AuthActions(other).post("/portal/", f"{location}/withdraw", {"reason": "恶意撤回"})
    assert response.status_code == 404
    assert instances.read_stored(engines.at().uow(), 1)["status"] == "running"
