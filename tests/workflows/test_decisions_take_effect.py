"""Every application ends in a reply, and decisions take effect (issue 22): an ending by the
authority is a reply with its reason, a revocation ends the grant at once, a term already over
is refused naming its field, and the applicant reads where their application stands."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.errors import Conflict, InvalidInput
from engine.persistence.models import Grant
from engine.services import grants, instances, portal, replies, withdrawal

PROCESS_ID = "conditional_open"

OPEN_APPLICATION = {"request_reason": "开展营商环境研究", "request_basis": "研究合作协议", "purpose": "统计分析"}
OPEN_APPROVAL = {"decision": "approve", "access_method": "开放平台接口", "access_time": "2026年3月10日起",
                 "requirements": "仅限统计分析，不得再次公开", "usage_scope": "行政处罚统计",
                 "granted_until": "2026-12-31"}
COMMITMENT = {"agree": True, "security_measures": "专人专机，访问留痕", "signatory": "张三"}
SHARE_APPLICATION = {"request_reason": "办理户籍业务需核验人口信息", "request_basis": "《户口登记条例》",
                     "purpose": "户籍登记", "requested_scope": "姓名、身份证号、户籍地址", "requested_until": "2026-12-31"}


def _grant_rows(procedure, instance_id: int) -> list[Grant]:
    with procedure.engine.uow().read() as uow:
        return list(uow.session.scalars(select(Grant).where(Grant.instance_id == instance_id)))


def test_a_revocation_for_breach_of_the_commitment_ends_the_grant_at_once(procedure):
    instance_id = procedure.start(catalog_item="SC-002", **OPEN_APPLICATION)
    procedure.complete(instance_id, "review", "li.si", **OPEN_APPROVAL)
    procedure.complete(instance_id, "commitment", "zhang.san", **COMMITMENT)
    assert [g["active"] for g in grants.list_grants(procedure.engine.uow(), grantee="zhang.san")] == [True]

    procedure.at("2026-04-01T10:00:00+08:00")
    procedure.complete(instance_id, "usage", "li.si", end_reason="revoked", note="超范围使用")

    [grant] = grants.list_grants(procedure.engine.uow(), grantee="zhang.san")
    assert grant["active"] is False and grant["expires_on"] == "2026-12-31"
    assert grant["revoked_at"].startswith("2026-04-01") and "违反承诺，撤销授权" in grant["revoke_reason"]
    assert ("grant.revoke", grant["id"]) in [(a, after.get("grant")) for a, after in procedure.changes(instance_id)]


def test_ending_the_use_as_finished_ends_the_grant_too(procedure):
    instance_id = procedure.start(catalog_item="SC-002", **OPEN_APPLICATION)
    procedure.complete(instance_id, "review", "li.si", **OPEN_APPROVAL)
    procedure.complete(instance_id, "commitment", "zhang.san", **COMMITMENT)

    procedure.complete(instance_id, "usage", "li.si", end_reason="finished", note="统计已完成")

    assert grants.list_grants(procedure.engine.uow(), grantee="zhang.san", active_only=True) == []


def test_an_approval_whose_term_ended_before_the_decision_is_refused_naming_granted_until(procedure):
    instance_id = procedure.start(catalog_item="SC-002", **OPEN_APPLICATION)

    with pytest.raises(InvalidInput) as refused:
        procedure.complete(instance_id, "review", "li.si", **{**OPEN_APPROVAL, "granted_until": "2026-03-01"})

    assert [(p.code, p.field) for p in refused.value.problems] == [("task.term_ended", "granted_until")]
    assert list(procedure.open_tasks(instance_id)) == ["review"]  # nothing changed
    assert _grant_rows(procedure, instance_id) == []


def test_a_share_approval_whose_term_ended_is_refused_and_no_grant_is_recorded(drive):
    share = drive("conditional_share")
    instance_id = share.start(catalog_item="GA-001", **SHARE_APPLICATION)
    share.at("2026-03-05T10:00:00+08:00")

    with pytest.raises(InvalidInput) as refused:
        share.complete(instance_id, "review", "li.si", decision="approve", granted_scope="姓名",
                       granted_until="2026-03-04")

    assert [p.field for p in refused.value.problems] == ["granted_until"]
    assert share.grants(instance_id) == []


def test_ending_an_application_by_the_authority_is_a_reply_with_its_reason(drive):
    share = drive("conditional_share")
    instance_id = share.start(catalog_item="GA-001", **SHARE_APPLICATION)
    share.at("2026-03-12T10:00:00+08:00")  # overdue since 2026-03-09
    share.sweep()

    ended = instances.cancel(share.engine.uow(), instance_id, actor="zhao.liu", reason="申请人重复提交，已并入另一申请")

    assert ended["status"] == "cancelled"
    stored = share.show(instance_id)
    assert stored["status"] == "cancelled"  # kept, never deleted: the reports count it
    assert stored["statutory"]["replied_at"].startswith("2026-03-12")
    assert stored["statutory"]["late_days"] == 3
    letter = replies.formal_reply(share.engine.uow(), "zhang.san", instance_id)
    assert letter["reply"]["decision_label"] == "已由主管部门终止办理"
    assert letter["reply"]["reason"] == "申请人重复提交，已并入另一申请"
    seen = portal.application(share.engine.uow(), "zhang.san", instance_id)
    assert (seen["progress"]["status"], seen["progress"]["reason"]) == ("ended", "申请人重复提交，已并入另一申请")
    assert seen["may_withdraw"] is False
    assert [h["action"] for h in seen["history"]][-1] == "instance.cancel"


def test_an_extension_is_a_notice_not_a_reply_and_withdrawal_stays_possible(drive):
    share = drive("conditional_share")
    instance_id = share.start(catalog_item="GA-001", **SHARE_APPLICATION)
    share.at("2026-03-06T10:00:00+08:00")
    share.complete(instance_id, "review", "li.si", decision="extend", extension_reason="需征求数源单位意见")

    seen = portal.application(share.engine.uow(), "zhang.san", instance_id)
    assert seen["progress"]["status"] == "extended"
    assert seen["progress"]["due_date"] == "2026-03-16"  # the new statutory date
    assert seen["progress"]["extension"] == {"reason": "需征求数源单位意见", "from": "2026-03-09",
                                             "to": "2026-03-16"}
    assert seen["replies"] == [] and seen["may_withdraw"] is True
    # The source unit's own deadline is internal: the applicant's steps carry no deadline.
    assert [s["deadline"] for s in seen["steps"]] == [None]

    withdrawal.withdraw(share.engine.uow(), instance_id, actor="zhang.san", reason="不再需要")
    assert portal.application(share.engine.uow(), "zhang.san", instance_id)["progress"]["status"] == "withdrawn"


def test_an_answered_application_reads_as_answered_while_its_supervision_is_still_open(drive):
    share = drive("conditional_share")
    instance_id = share.start(catalog_item="GA-001", **SHARE_APPLICATION)
    assert portal.application(share.engine.uow(), "zhang.san", instance_id)["progress"]["status"] == "received"
    share.at("2026-03-10T00:00:00+08:00")
    share.sweep()  # 督办 opens beside the review
    seen = portal.application(share.engine.uow(), "zhang.san", instance_id)
    assert [s["task_id"] for s in seen["steps"]] == [share.open_tasks(instance_id)["review"]["id"]]
    assert seen["progress"]["status"] == "received"

    share.complete(instance_id, "review", "li.si", decision="approve", granted_scope="姓名",
                   granted_until="2026-09-30")

    seen = portal.application(share.engine.uow(), "zhang.san", instance_id)
    assert seen["instance"]["status"] == "running"  # the 督办 is still open inside
    assert seen["progress"]["status"] == "answered"
    assert seen["steps"] == []  # the internal 督办 step is not the applicant's
    [listed] = [a for a in portal.overview(share.engine.uow(), "zhang.san")["applications"] if a["id"] == instance_id]
    assert listed["progress"]["status"] == "answered" and listed["steps"] == []


def test_an_ended_application_cannot_be_ended_twice(drive):
    share = drive("conditional_share")
    instance_id = share.start(catalog_item="GA-001", **SHARE_APPLICATION)
    instances.cancel(share.engine.uow(), instance_id, actor="zhao.liu", reason="重复提交")

    with pytest.raises(Conflict):
        instances.cancel(share.engine.uow(), instance_id, actor="zhao.liu", reason="再次")
