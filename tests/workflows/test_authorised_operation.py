"""authorised_operation: Art. 30 and 43 para. 2 — an organisation applies to operate public data;
the authority reviews its security conditions, every source unit of the data gives its opinion,
the people's government decides, the agreement is signed and a grant recorded per item (ended
through the register of grants); on a frozen clock, on SQLite and PostgreSQL."""
from __future__ import annotations

import pytest

from engine.errors import InvalidInput, PermissionDenied
from engine.services import grants, instances, replies, tasks

PROCESS_ID = "authorised_operation"

# SC-002 行政处罚信息 (scjgj) and GA-001 人口基础信息 (gaj); qian.jiu is of 达州某科技公司 (dzkj).
APPLICATION = {"data_items": "SC-002, GA-001", "scenario": "企业信用评估服务", "products": "信用评分接口",
               "security_conditions": "数据安全管理制度、专人负责、加密存储", "security_certificate": "等保三级备案 51170000-0001",
               "requested_until": "2027-12-31"}
AGREEMENT = {"decision": "agreement_signed", "agreement_no": "达数授〔2026〕1号", "signed_on": "2026-03-20",
             "valid_until": "2027-12-31", "granted_scope": "脱敏后的统计字段", "obligations": "不得超范围使用，违约即终止授权"}


def _eligible(procedure) -> int:
    instance_id = procedure.start(actor="qian.jiu", **APPLICATION)
    assert procedure.open_tasks(instance_id)["security_review"]["candidate_groups"] == ["reviewer@sjj"]
    procedure.complete(instance_id, "security_review", "li.si", decision="eligible", review_opinion="安全条件符合要求")
    return instance_id


HANDLERS = {"source_unit_handler@gaj": "wang.wu", "source_unit_handler@scjgj": "zhou.jiu"}


def _every_source_unit_answers(procedure, instance_id: int, opinion: str, reasons: str) -> None:
    """Each source unit's handler claims and gives its opinion; the state reloads after each."""
    open_steps = [t for t in procedure.show(instance_id)["tasks"] if t["state"] == "open"]
    assert sorted(t["candidate_groups"][0] for t in open_steps) == sorted(HANDLERS)
    for task in open_steps:
        actor = HANDLERS[task["candidate_groups"][0]]
        tasks.claim(procedure.engine.uow(), task["id"], actor=actor)
        tasks.complete(procedure.engine.uow(), task["id"], actor=actor,
                       data={"opinion": opinion, "opinion_reasons": reasons})
        procedure.assert_round_trips(instance_id)


def test_an_authorisation_hears_every_source_unit_is_decided_signed_and_granted_per_item(procedure):
    instance_id = _eligible(procedure)
    _every_source_unit_answers(procedure, instance_id, "agree_with_conditions", "仅限脱敏统计字段")
    procedure.complete(instance_id, "government_decision", "li.si", decision="authorise",
                       decision_ref="达市府函〔2026〕8号", decided_on="2026-03-18")
    done = procedure.complete(instance_id, "agreement", "li.si", **AGREEMENT)

    assert done["instance_status"] == "completed"
    held = procedure.grants(instance_id)
    assert sorted(g["catalog_item"] for g in held) == ["GA-001", "SC-002"]
    assert procedure.show(instance_id)["data"]["source_opinions"] == {"gaj": "agree_with_conditions",
                                                                     "scjgj": "agree_with_conditions"}
    assert {(g["grantee"], g["scope"], g["expires_on"]) for g in held} == {("dzkj", "脱敏后的统计字段", "2027-12-31")}
    reply = replies.formal_reply(procedure.engine.uow(), "qian.jiu", instance_id)["reply"]
    assert reply["decision_label"] == "已签订授权运营协议"
    assert ("协议编号", "达数授〔2026〕1号") in reply["details"]


def test_a_government_refusal_is_answered_with_reason_and_basis(procedure):
    instance_id = _eligible(procedure)
    _every_source_unit_answers(procedure, instance_id, "disagree", "涉及个人信息")
    done = procedure.complete(instance_id, "government_decision", "li.si", decision="refuse",
                              decision_ref="达市府函〔2026〕9号", decided_on="2026-03-18",
                              reason="数源单位均不同意", basis="《办法》第三十条")
    assert done["instance_status"] == "completed" and procedure.grants(instance_id) == []
    assert procedure.show(instance_id)["data"]["source_opinions"] == {"gaj": "disagree", "scjgj": "disagree"}


def test_an_applicant_without_the_security_conditions_is_refused_before_any_source_unit_is_asked(procedure):
    instance_id = procedure.start(actor="qian.jiu", **APPLICATION)
    done = procedure.complete(instance_id, "security_review", "li.si", decision="refuse", review_opinion="无等保测评",
                              reason="未通过网络安全等级保护测评", basis="《办法》第三十条")
    assert done["instance_status"] == "completed"
    reply = replies.formal_reply(procedure.engine.uow(), "qian.jiu", instance_id)["reply"]
    assert (reply["decision_label"], reply["reason"]) == ("不具备安全条件，不予授权", "未通过网络安全等级保护测评")


def test_an_unknown_catalog_code_is_refused_at_the_door_naming_the_field(procedure):
    with pytest.raises(InvalidInput) as refused:
        instances.start(procedure.engine.uow(), PROCESS_ID, actor="qian.jiu",
                        data={**APPLICATION, "data_items": "SC-002, XX-404"})
    assert [(p.field, p.params) for p in refused.value.problems] == [("data_items", {"code": "XX-404"})]


@pytest.mark.parametrize("actor", ["zhang.san", "chen.shi"])
def test_only_organisations_apply_to_operate_public_data(procedure, actor):
    with pytest.raises(PermissionDenied):  # a department (zhang.san of scjgj) or a person (chen.shi)
        instances.start(procedure.engine.uow(), PROCESS_ID, actor=actor, data=APPLICATION)


def test_a_grant_of_operation_ends_in_the_register_of_grants(procedure):
    instance_id = _eligible(procedure)
    _every_source_unit_answers(procedure, instance_id, "agree", "同意")
    procedure.complete(instance_id, "government_decision", "li.si", decision="authorise",
                       decision_ref="达市府函〔2026〕8号", decided_on="2026-03-18")
    procedure.complete(instance_id, "agreement", "li.si", **AGREEMENT)
    held = grants.held_by(procedure.engine.uow(), "qian.jiu")
    ended = grants.revoke(procedure.engine.uow(), held[0]["id"], actor="li.si", reason="违反授权运营协议（第四十三条第二款）")
    assert not ended["active"]
    assert [g["active"] for g in grants.held_by(procedure.engine.uow(), "qian.jiu")].count(True) == 1
