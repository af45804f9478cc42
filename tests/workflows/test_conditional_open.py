"""conditional_open: Art. 27 and 29, path by path."""
from __future__ import annotations

import pytest

from engine.errors import PermissionDenied

PROCESS_ID = "conditional_open"

APPLICATION = {"request_reason": "开展营商环境研究", "request_basis": "研究合作协议", "purpose": "统计分析"}
APPROVAL = {"decision": "approve", "access_method": "开放平台接口", "access_time": "2026年3月10日起",
            "requirements": "仅限统计分析，不得再次公开", "usage_scope": "行政处罚统计", "granted_until": "2026-12-31"}
COMMITMENT = {"agree": True, "security_measures": "专人专机，访问留痕", "signatory": "张三"}


def test_an_unconditionally_open_item_is_obtained_directly(procedure):
    instance_id = procedure.start(catalog_item="SC-001", **APPLICATION)

    shown = procedure.show(instance_id)
    assert (shown["status"], shown["data"]["decision"]) == ("completed", "direct")


def test_a_not_open_item_is_refused_with_reason_and_basis(procedure):
    instance_id = procedure.start(catalog_item="GA-001", **APPLICATION)

    data = procedure.show(instance_id)["data"]
    assert data["decision"] == "refuse" and data["reason"] and "第二十五条" in data["basis"]


def test_approval_states_method_time_and_requirements_and_access_follows_the_commitment(procedure):
    instance_id = procedure.start(catalog_item="SC-002", **APPLICATION)
    review = procedure.open_tasks(instance_id)["review"]
    assert (review["due_date"], review["deadline_rule"], review["deadline_article"]) == (
        "2026-03-09", "art27_open_reply", "第二十七条第二款")

    procedure.complete(instance_id, "review", "li.si", **APPROVAL)
    commitment = procedure.open_tasks(instance_id)["commitment"]
    assert commitment["candidate_groups"] == ["user:zhang.san"]
    assert procedure.grants(instance_id) == []  # no access before the commitment is signed
    with pytest.raises(PermissionDenied):
        procedure.complete(instance_id, "commitment", "li.si", **COMMITMENT)
    procedure.complete(instance_id, "commitment", "zhang.san", **COMMITMENT)

    assert procedure.grants(instance_id) == [{"catalog_item": "SC-002", "grantee": "zhang.san",
                                              "scope": "行政处罚统计", "purpose": "统计分析",
                                              "expires_on": "2026-12-31"}]
    assert list(procedure.open_tasks(instance_id)) == ["usage"]


def test_refusal_states_reason_and_basis(procedure):
    instance_id = procedure.start(catalog_item="ZR-001", **APPLICATION)
    done = procedure.complete(instance_id, "review", "li.si", decision="refuse", reason="涉及个人财产信息",
                              basis="第二十四条第三款")

    assert done["instance_status"] == "completed"
    assert procedure.grants(instance_id) == []


def test_the_grantee_is_asked_for_usage_feedback_every_ninety_days_until_the_grant_expires(procedure):
    instance_id = procedure.start(catalog_item="SC-002", **APPLICATION)
    procedure.complete(instance_id, "review", "li.si", **{**APPROVAL, "granted_until": "2026-08-31"})
    procedure.at("2026-03-03T09:00:00+08:00")
    procedure.complete(instance_id, "commitment", "zhang.san", **COMMITMENT)

    procedure.at("2026-06-01T08:59:00+08:00")
    assert procedure.sweep() == []
    procedure.at("2026-06-01T09:00:00+08:00")  # 90 days after the grant
    assert [f.task_name for f in procedure.sweep()] == ["feedback_due"]
    feedback = procedure.open_tasks(instance_id)["feedback"]
    assert feedback["candidate_groups"] == ["user:zhang.san"]
    procedure.complete(instance_id, "feedback", "zhang.san", usage_summary="完成季度统计", within_scope=True,
                       security_incidents="无")
    assert list(procedure.open_tasks(instance_id)) == ["usage"]

    procedure.at("2026-08-30T09:00:00+08:00")  # the second feedback
    assert [f.task_name for f in procedure.sweep()] == ["feedback_due"]
    procedure.at("2026-09-01T00:00:00+08:00")  # the grant has expired
    assert [f.task_name for f in procedure.sweep()] == ["usage_expired"]
    # Expiry ends the use and with it an unanswered periodic request; one final report replaces both.
    assert list(procedure.open_tasks(instance_id)) == ["final_feedback"]
    assert procedure.open_tasks(instance_id)["final_feedback"]["candidate_groups"] == ["user:zhang.san"]
    procedure.complete(instance_id, "final_feedback", "zhang.san", usage_summary="利用结束", within_scope=True,
                       security_incidents="无")
    assert procedure.show(instance_id)["status"] == "completed"


def test_the_authority_may_end_the_use_early(procedure):
    instance_id = procedure.start(catalog_item="SC-002", **APPLICATION)
    procedure.complete(instance_id, "review", "li.si", **APPROVAL)
    procedure.complete(instance_id, "commitment", "zhang.san", **COMMITMENT)

    done = procedure.complete(instance_id, "usage", "li.si", end_reason="revoked", note="超范围使用")
    assert done["instance_status"] == "completed"
    assert procedure.sweep() == []


def test_a_missed_reply_escalates(procedure):
    instance_id = procedure.start(catalog_item="SC-002", **APPLICATION)
    procedure.at("2026-03-10T00:00:00+08:00")

    assert [f.task_name for f in procedure.sweep()] == ["review_overdue"]
    assert sorted(procedure.open_tasks(instance_id)) == ["review", "supervise_review"]
