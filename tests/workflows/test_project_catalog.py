"""project_catalog: Art. 11 para. 1 — a department submits the data catalog and data dictionary of
a publicly funded information system before its acceptance; the authority checks them, asks for
what is missing, and receives them (the receipt is the reply); on a frozen clock, on SQLite and
PostgreSQL."""
from __future__ import annotations

import pytest

from engine.errors import InvalidInput, PermissionDenied
from engine.services import instances, replies

PROCESS_ID = "project_catalog"

SUBMISSION = {"project_name": "达州市市场主体信用监管平台升级项目", "project_kind": "upgrade", "system_name": "信用监管平台",
              "acceptance_planned_on": "2026-06-30", "catalog_note": "新增数据项 12 项，建议有条件共享 8 项",
              "dictionary_note": "表 9 张、字段 143 个，编码规则见附件"}


def test_an_incomplete_submission_goes_back_to_the_department_until_it_is_received(procedure):
    instance_id = procedure.start(actor="zhang.san", **SUBMISSION)
    assert procedure.open_tasks(instance_id)["check"]["candidate_groups"] == ["reviewer@sjj"]
    assert procedure.show(instance_id)["statutory"]["rule"] == "art11_project_catalog"

    procedure.complete(instance_id, "check", "li.si", decision="supplement", check_note="缺少字段的值域说明")
    supplement = procedure.open_tasks(instance_id)["supplement"]
    assert supplement["candidate_groups"] == ["user:zhang.san"]  # the department that submitted
    procedure.complete(instance_id, "supplement", "zhang.san", supplement_note="已补充值域说明")
    done = procedure.complete(instance_id, "check", "li.si", decision="received")

    assert done["instance_status"] == "completed"
    reply = replies.formal_reply(procedure.engine.uow(), "zhang.san", instance_id)["reply"]
    assert reply["decision_label"] == "材料完整，予以接收"


def test_a_submission_after_the_planned_acceptance_is_refused_at_the_door(procedure):
    with pytest.raises(InvalidInput) as refused:  # the Measures ask for it before acceptance
        instances.start(procedure.engine.uow(), PROCESS_ID, actor="zhang.san",
                        data={**SUBMISSION, "acceptance_planned_on": "2026-02-27"})
    assert [p.field for p in refused.value.problems] == ["acceptance_planned_on"]


@pytest.mark.parametrize("actor", ["qian.jiu", "chen.shi"])
def test_only_departments_and_public_service_organisations_submit(procedure, actor):
    with pytest.raises(PermissionDenied):
        instances.start(procedure.engine.uow(), PROCESS_ID, actor=actor, data=SUBMISSION)
