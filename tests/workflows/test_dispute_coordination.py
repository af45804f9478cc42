"""dispute_coordination: Art. 47 para. 2 — a dispute in sharing, opening or use brought to the public
data authority, which hears the other side, may consult the expert committee and coordinates;
path by path on a frozen clock, on SQLite and PostgreSQL."""
from __future__ import annotations

import pytest

from engine.errors import NotFound, PermissionDenied, InvalidInput
from engine.services import instances, replies, tasks

PROCESS_ID = "dispute_coordination"

DISPUTE = {"dispute_area": "sharing", "counterparty": "达州市公安局", "data_name": "人口基础信息",
           "matters": "有条件共享申请被以目录条件不符为由不予共享，本局认为符合目录条件",
           "request": "请主管部门协调数源单位重新评估共享条件"}
SHARE = {"catalog_item": "GA-001", "request_reason": "核验企业法定代表人身份", "request_basis": "市场主体登记管理职责",
         "purpose": "登记审查", "requested_scope": "姓名、身份证号", "requested_until": "2026-12-31"}


def _refused_share(procedure) -> str:
    """zhang.san's conditional-share application, refused by the authority; its receipt number."""
    started = instances.start(procedure.engine.uow(), "conditional_share", actor="zhang.san", data=SHARE)
    review = next(t for t in tasks.of_instance(procedure.engine.uow(), started.instance_id))
    tasks.claim(procedure.engine.uow(), review["id"], actor="li.si")
    tasks.complete(procedure.engine.uow(), review["id"], actor="li.si",
                   data={"decision": "refuse", "reason": "用途超出目录条件", "basis": "共享目录条件"})
    return started.receipt_number


def test_an_accepted_dispute_hears_the_other_side_consults_the_experts_and_is_coordinated(procedure):
    refused = _refused_share(procedure)
    instance_id = procedure.start(actor="zhang.san", related_receipt=refused, **DISPUTE)
    assert procedure.show(instance_id)["data"]["related_receipt"] == refused
    clock = procedure.show(instance_id)["statutory"]
    assert (clock["rule"], clock["article"], clock["due_date"]) == (
        "art47_dispute_coordination", "第四十七条第二款", None)  # the Measures set no period

    accept = procedure.open_tasks(instance_id)["accept"]
    assert accept["candidate_groups"] == ["reviewer@sjj"]  # the public data authority
    procedure.complete(instance_id, "accept", "li.si", decision="accept", hear_counterparty="yes",
                       counterparty_unit="gaj", consult_experts="yes")

    statement = procedure.open_tasks(instance_id)["statement"]
    assert statement["candidate_groups"] == ["source_unit_handler@gaj"]
    procedure.complete(instance_id, "statement", "wang.wu", statement="该申请用途超出目录条件所列范围",
                       willing_to_settle="yes")
    assert procedure.open_tasks(instance_id)["expert_advice"]["candidate_groups"] == ["reviewer@sjj"]
    procedure.complete(instance_id, "expert_advice", "li.si", expert_advice="建议按最小必要原则限定字段后共享",
                       advised_on="2026-03-10")
    assert procedure.show(instance_id)["statutory"]["replied_at"] is None
    done = procedure.complete(instance_id, "coordinate", "li.si", decision="settled",
                              reason="双方同意限定为姓名、身份证号两项后共享", comment="内部：专家意见已采纳")

    assert done["instance_status"] == "completed"
    reply = replies.formal_reply(procedure.engine.uow(), "zhang.san", instance_id)["reply"]
    assert (reply["decision"], reply["decision_label"], reply["reason"]) == (
        "settled", "双方协商一致，争议已解决", "双方同意限定为姓名、身份证号两项后共享")
    assert reply["late_days"] is None  # no period, so never late
    assert all("内部" not in str(value) for _, value in reply["details"])


def test_a_dispute_may_go_straight_to_coordination_without_hearing_or_experts(procedure):
    instance_id = procedure.start(actor="zhang.san", **DISPUTE)
    procedure.complete(instance_id, "accept", "li.si", decision="accept", hear_counterparty="no",
                       consult_experts="no")

    assert set(procedure.open_tasks(instance_id)) == {"coordinate"}
    done = procedure.complete(instance_id, "coordinate", "li.si", decision="decided",
                              reason="数源单位应于十个工作日内重新评估共享条件", basis="《办法》第十九条、第四十七条第二款")
    assert done["instance_status"] == "completed"
    assert procedure.show(instance_id)["data"]["basis"] == "《办法》第十九条、第四十七条第二款"


def test_a_declined_dispute_is_answered_with_reason_and_basis(procedure):
    instance_id = procedure.start(actor="zhang.san", **DISPUTE)
    done = procedure.complete(instance_id, "accept", "li.si", decision="decline",
                              reason="所涉事项为行政处罚争议，不属于公共数据共享开放、开发利用中的争议",
                              basis="《办法》第四十七条第二款")

    assert done["instance_status"] == "completed"
    reply = replies.formal_reply(procedure.engine.uow(), "zhang.san", instance_id)["reply"]
    assert (reply["decision_label"], reply["basis"]) == ("不予受理", "《办法》第四十七条第二款")


def test_the_authority_must_give_what_each_decision_needs(procedure):
    instance_id = procedure.start(actor="zhang.san", **DISPUTE)
    task = procedure.open_tasks(instance_id)["accept"]
    tasks.claim(procedure.engine.uow(), task["id"], actor="li.si")
    for data, missing in (({"decision": "decline", "basis": "第四十七条"}, "reason"),
                          ({"decision": "accept", "consult_experts": "no"}, "hear_counterparty"),
                          ({"decision": "accept", "consult_experts": "no", "hear_counterparty": "yes"},
                           "counterparty_unit"),
                          ({"decision": "accept", "consult_experts": "no", "hear_counterparty": "yes",
                            "counterparty_unit": "nosuch"}, "counterparty_unit"),  # no such department
                          ({"decision": "accept", "consult_experts": "no", "hear_counterparty": "yes",
                            "counterparty_unit": "dzkj"}, "没有可以办理此步骤的人员")):  # a company: nobody to state it
        with pytest.raises(InvalidInput) as refused:
            tasks.complete(procedure.engine.uow(), task["id"], actor="li.si", data=data)
        assert missing in str(refused.value) + " ".join(refused.value.field_texts("zh").values()), refused.value
    assert set(procedure.open_tasks(instance_id)) == {"accept"}  # nothing moved


def test_a_source_unit_reviewer_cannot_coordinate(procedure):
    instance_id = procedure.start(actor="zhang.san", **DISPUTE)
    task = procedure.open_tasks(instance_id)["accept"]
    with pytest.raises(NotFound):  # a stranger to the application: it does not exist for them
        tasks.claim(procedure.engine.uow(), task["id"], actor="wang.wu")


@pytest.mark.parametrize("actor, number", [
    ("zhang.san", "2026-001"),          # not a receipt number
    ("zhang.san", "DZ2026030299999"),   # no such application
    ("chen.shi", None),                 # somebody else's application: not disclosed as existing
])
def test_a_dispute_cites_only_an_application_its_applicant_may_read(procedure, actor, number):
    number = number or _refused_share(procedure)
    before = len(instances.list_instances(procedure.engine.uow(), actor="admin"))
    with pytest.raises(InvalidInput) as refused:
        instances.start(procedure.engine.uow(), PROCESS_ID, actor=actor, data={**DISPUTE, "related_receipt": number})
    assert [p.field for p in refused.value.problems] == ["related_receipt"]
    assert len(instances.list_instances(procedure.engine.uow(), actor="admin")) == before  # nothing received


@pytest.mark.parametrize("actor", ["chen.shi", "qian.jiu"])
def test_a_person_or_a_company_may_bring_a_dispute_over_opening_or_use(procedure, actor):
    instance_id = procedure.start(actor=actor, **{**DISPUTE, "dispute_area": "use"})
    assert procedure.open_tasks(instance_id)["accept"]["candidate_groups"] == ["reviewer@sjj"]
