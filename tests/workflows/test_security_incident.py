"""security_incident: Art. 45 para. 2 — a data security incident reported, the emergency plan
started, the cyberspace and public security authorities notified while the public is warned
when it concerns them, then closed; on a frozen clock, on SQLite and PostgreSQL."""
from __future__ import annotations

import pytest

from engine.errors import InvalidInput, PermissionDenied
from engine.services import instances, tasks

PROCESS_ID = "security_incident"

REPORT = {"incident_type": "leak", "discovered_on": "2026-03-02", "affected_data": "GA-001 人口基础信息，约 2000 条",
          "description": "共享接口日志显示异常批量调用", "initial_measures": "已暂停该接口"}
RESPONSE = {"severity": "major", "plan": "达州市公共数据安全事件应急预案", "measures": "关闭异常账号，轮换接口密钥"}
NOTICE = {"cac_notified_on": "2026-03-02", "police_notified_on": "2026-03-02", "notice_ref": "达数函〔2026〕12号"}


def test_an_incident_concerning_the_public_is_warned_about_and_notified_in_parallel(procedure):
    instance_id = procedure.start(actor="wang.wu", **REPORT)
    respond = procedure.open_tasks(instance_id)["respond"]
    assert respond["candidate_groups"] == ["reviewer@sjj"]
    clock = procedure.show(instance_id)["statutory"]
    assert (clock["rule"], clock["article"], clock["due_date"]) == ("art45_incident_response", "第四十五条第二款", None)

    procedure.complete(instance_id, "respond", "li.si", public_impact="yes", **RESPONSE)
    assert set(procedure.open_tasks(instance_id)) == {"notify", "warn"}  # at the same time (同时)
    procedure.complete(instance_id, "warn", "li.si", warning_published_on="2026-03-03", warning_channel="市政府门户网站",
                       warning_text="请警惕冒用身份信息的诈骗电话")
    assert set(procedure.open_tasks(instance_id)) == {"notify"}  # closing waits for the notification
    procedure.complete(instance_id, "notify", "li.si", **NOTICE)
    done = procedure.complete(instance_id, "close", "li.si", outcome="removed", summary="接口已加固，未发现数据外传")

    assert done["instance_status"] == "completed"
    assert procedure.show(instance_id)["data"]["warning_channel"] == "市政府门户网站"


def test_an_incident_not_concerning_the_public_is_notified_without_a_warning(procedure):
    instance_id = procedure.start(actor="li.si", **{**REPORT, "incident_type": "outage"})
    procedure.complete(instance_id, "respond", "li.si", public_impact="no", **RESPONSE)

    assert set(procedure.open_tasks(instance_id)) == {"notify"}
    procedure.complete(instance_id, "notify", "li.si", **NOTICE)
    assert set(procedure.open_tasks(instance_id)) == {"close"}
    task = procedure.open_tasks(instance_id)["close"]
    tasks.claim(procedure.engine.uow(), task["id"], actor="li.si")
    with pytest.raises(InvalidInput) as refused:  # a danger still there needs its follow-up
        tasks.complete(procedure.engine.uow(), task["id"], actor="li.si",
                       data={"outcome": "monitoring", "summary": "服务已恢复"})
    assert [p.field for p in refused.value.problems] == ["follow_up"]
    done = procedure.complete(instance_id, "close", "li.si", outcome="monitoring", summary="服务已恢复",
                              follow_up="大数据服务中心于三十日内完成双机热备改造")
    assert done["instance_status"] == "completed"


@pytest.mark.parametrize("actor", ["zhang.san", "chen.shi"])
def test_only_officials_report_an_incident_here(procedure, actor):
    with pytest.raises(PermissionDenied):
        instances.start(procedure.engine.uow(), PROCESS_ID, actor=actor, data=REPORT)
