"""conditional_share: Art. 19 and 20, path by path, on SQLite and PostgreSQL."""
from __future__ import annotations

import pytest

from engine.errors import NotFound, Conflict, InvalidInput, PermissionDenied
from engine.services import grants

PROCESS_ID = "conditional_share"

APPLICATION = {"request_reason": "办理户籍业务需核验人口信息", "request_basis": "《户口登记条例》",
               "purpose": "户籍登记", "requested_scope": "姓名、身份证号、户籍地址", "requested_until": "2026-12-31"}
APPROVAL = {"decision": "approve", "granted_scope": "姓名、户籍地址", "granted_until": "2026-09-30"}
REFUSAL = {"decision": "refuse", "reason": "申请用途超出共享条件", "basis": "目录共享条件：仅限履行法定职责所需字段"}


def test_an_unconditional_item_is_granted_at_once(procedure):
    instance_id = procedure.start(catalog_item="SC-001", **APPLICATION)

    shown = procedure.show(instance_id)
    assert shown["status"] == "completed"
    assert shown["tasks"] == []
    assert procedure.grants(instance_id) == [{"catalog_item": "SC-001", "grantee": "scjgj",
                                              "scope": "姓名、身份证号、户籍地址", "purpose": "户籍登记",
                                              "expires_on": "2026-12-31"}]
    assert procedure.actions(instance_id) == [("zhang.san", "instance.start")]
    # The grant has an audit entry of its own, naming the instance and the version that made it.
    [(action, after)] = procedure.changes(instance_id)
    assert action == "grant.record" and after["process"] == "conditional_share" and after["version"] == 1
    assert (after["catalog_item"], after["grantee"]) == ("SC-001", "scjgj")


def test_a_not_shareable_item_is_refused_citing_its_legal_basis(procedure):
    instance_id = procedure.start(catalog_item="GA-002", **APPLICATION)

    shown = procedure.show(instance_id)
    assert shown["status"] == "completed"
    assert shown["data"]["decision"] == "refuse"
    assert "不予共享" in shown["data"]["reason"]
    assert shown["data"]["basis"] == "《中华人民共和国居民身份证法》第六条及公安机关内部管理规定"
    assert procedure.grants(instance_id) == []


def test_a_conditional_item_is_reviewed_within_five_working_days_and_approval_records_a_grant(procedure):
    instance_id = procedure.start(catalog_item="GA-001", **APPLICATION)

    review = procedure.open_tasks(instance_id)["review"]
    assert review["candidate_groups"] == ["reviewer@sjj"]  # the competent authority's reviewers (Art. 20)
    assert (review["due_date"], review["deadline_rule"], review["deadline_article"]) == (
        "2026-03-09", "art20_share_reply", "第二十条第二款")
    assert review["due_at"] == "2026-03-09T16:00:00+00:00"  # 24:00 Beijing time
    assert review["deadline_provisional"] is False

    procedure.at("2026-03-06T15:00:00+08:00")
    done = procedure.complete(instance_id, "review", "li.si", **APPROVAL)

    assert done["instance_status"] == "completed"
    assert procedure.grants(instance_id) == [{"catalog_item": "GA-001", "grantee": "scjgj", "scope": "姓名、户籍地址",
                                              "purpose": "户籍登记", "expires_on": "2026-09-30"}]
    assert procedure.actions(instance_id) == [("zhang.san", "instance.start"), ("li.si", "task.claim"),
                                              ("li.si", "task.complete")]
    assert procedure.show(instance_id)["history"][-1]["after"]["data"] == APPROVAL


def test_a_refusal_without_reason_and_basis_is_rejected_and_changes_nothing(procedure):
    instance_id = procedure.start(catalog_item="GA-001", **APPLICATION)
    task_id = procedure.open_tasks(instance_id)["review"]["id"]

    with pytest.raises(InvalidInput) as refused:
        procedure.complete(instance_id, "review", "li.si", decision="refuse")

    assert sorted(p.where for p in refused.value.problems) == ["basis", "reason"]
    assert procedure.open_tasks(instance_id)["review"]["id"] == task_id
    procedure.assert_round_trips(instance_id)

    result = procedure.complete(instance_id, "review", "li.si", **REFUSAL)
    assert result["instance_status"] == "completed"
    assert procedure.show(instance_id)["data"]["reason"] == REFUSAL["reason"]
    assert procedure.grants(instance_id) == []


def test_an_applicant_may_not_decide_the_review(procedure):
    instance_id = procedure.start(catalog_item="GA-001", **APPLICATION)

    with pytest.raises(PermissionDenied):
        procedure.complete(instance_id, "review", "zhang.san", **APPROVAL)


def test_an_extension_consults_the_source_unit_and_moves_the_deadline_five_working_days(procedure):
    instance_id = procedure.start(catalog_item="GA-001", **APPLICATION)
    procedure.at("2026-03-09T10:00:00+08:00")
    procedure.complete(instance_id, "review", "li.si", decision="extend", extension_reason="需征求市公安局意见")

    opinion = procedure.open_tasks(instance_id)["source_opinion"]
    assert opinion["candidate_groups"] == ["source_unit_handler@gaj"]
    # An internal limit counted from the day the consultation opens (Monday 03-09): Thursday.
    assert (opinion["due_date"], opinion["deadline_rule"]) == ("2026-03-12", "internal_source_opinion")
    with pytest.raises(NotFound):  # a handler of another source unit
        procedure.complete(instance_id, "source_opinion", "zhou.jiu", opinion="agree", opinion_reasons="同意")

    procedure.at("2026-03-11T10:00:00+08:00")
    procedure.complete(instance_id, "source_opinion", "wang.wu", opinion="agree",
                       opinion_reasons="户籍业务属法定职责", suggested_conditions="仅限姓名与户籍地址")
    final = procedure.open_tasks(instance_id)["final_review"]
    assert (final["due_date"], final["deadline_rule"], final["deadline_article"]) == (
        "2026-03-16", "art20_share_extension", "第二十条第二款")

    procedure.at("2026-03-13T10:00:00+08:00")
    done = procedure.complete(instance_id, "final_review", "li.si", **APPROVAL)

    assert done["instance_status"] == "completed"
    assert [g["expires_on"] for g in procedure.grants(instance_id)] == ["2026-09-30"]
    assert [a for _, a in procedure.actions(instance_id)] == ["instance.start"] + ["task.claim", "task.complete"] * 3


def test_after_an_extension_the_authority_may_still_refuse(procedure):
    instance_id = procedure.start(catalog_item="GA-001", **APPLICATION)
    procedure.complete(instance_id, "review", "li.si", decision="extend", extension_reason="需征求数源单位意见")
    procedure.complete(instance_id, "source_opinion", "wang.wu", opinion="disagree", opinion_reasons="涉及个人敏感信息")

    with pytest.raises(InvalidInput) as invalid:  # no second extension (Art. 20: extendable once)
        procedure.complete(instance_id, "final_review", "li.si", decision="extend")
    assert [p.where for p in invalid.value.problems] == ["decision"]
    done = procedure.complete(instance_id, "final_review", "li.si", **REFUSAL)

    assert done["instance_status"] == "completed"
    assert procedure.grants(instance_id) == []
    assert procedure.show(instance_id)["data"]["opinion"] == "disagree"


def test_a_missed_deadline_escalates_to_supervisors_without_cancelling_the_review(procedure):
    instance_id = procedure.start(catalog_item="GA-001", **APPLICATION)

    procedure.at("2026-03-09T23:59:00+08:00")
    assert procedure.sweep() == []
    procedure.at("2026-03-10T00:00:00+08:00")
    fired = procedure.sweep()

    assert [(f.instance_id, f.task_name) for f in fired] == [(instance_id, "review_overdue")]
    open_tasks = procedure.open_tasks(instance_id)
    assert sorted(open_tasks) == ["review", "supervise_review"]
    assert open_tasks["supervise_review"]["candidate_groups"] == ["supervisor"]
    assert procedure.actions(instance_id)[-1] == ("scheduler:test", "timer.fire")
    assert procedure.sweep() == []  # fires once

    procedure.at("2026-03-10T09:00:00+08:00")
    procedure.complete(instance_id, "supervise_review", "zhao.liu", supervision_note="请于今日答复",
                       urged_handler=True)
    assert procedure.show(instance_id)["status"] == "running"
    done = procedure.complete(instance_id, "review", "li.si", **APPROVAL)
    assert done["instance_status"] == "completed"
    assert len(procedure.grants(instance_id)) == 1


def test_a_missed_extended_deadline_escalates_the_second_review(procedure):
    instance_id = procedure.start(catalog_item="GA-001", **APPLICATION)
    procedure.complete(instance_id, "review", "li.si", decision="extend", extension_reason="需征求数源单位意见")
    procedure.complete(instance_id, "source_opinion", "wang.wu", opinion="agree", opinion_reasons="同意")

    procedure.at("2026-03-10T09:00:00+08:00")  # the first deadline has passed, but that review is done
    assert procedure.sweep() == []
    procedure.at("2026-03-17T00:00:00+08:00")
    fired = procedure.sweep()

    assert [f.task_name for f in fired] == ["final_review_overdue"]
    assert sorted(procedure.open_tasks(instance_id)) == ["final_review", "supervise_final_review"]


def test_a_source_unit_that_never_answers_is_escalated_when_the_extended_deadline_passes(procedure):
    instance_id = procedure.start(catalog_item="GA-001", **APPLICATION)
    procedure.at("2026-03-06T10:00:00+08:00")
    procedure.complete(instance_id, "review", "li.si", decision="extend", extension_reason="需征求数源单位意见")

    procedure.at("2026-03-16T23:00:00+08:00")  # the extended deadline's last day: nothing yet
    assert procedure.sweep() == []
    procedure.at("2026-03-17T00:00:00+08:00")
    assert [f.task_name for f in procedure.sweep()] == ["source_opinion_overdue"]
    assert sorted(procedure.open_tasks(instance_id)) == ["source_opinion", "supervise_source_opinion"]
    assert procedure.show(instance_id)["statutory"]["due_date"] == "2026-03-16"


def test_deadlines_run_across_the_national_day_holiday(procedure):
    procedure.at("2026-09-28T10:00:00+08:00")  # Monday; Oct 1-7 off, Saturday Oct 10 a make-up working day
    instance_id = procedure.start(catalog_item="GA-001", **APPLICATION)

    assert procedure.open_tasks(instance_id)["review"]["due_date"] == "2026-10-10"
    procedure.at("2026-10-09T10:00:00+08:00")
    procedure.complete(instance_id, "review", "li.si", decision="extend", extension_reason="需征求数源单位意见")
    procedure.complete(instance_id, "source_opinion", "wang.wu", opinion="agree", opinion_reasons="同意")
    assert procedure.open_tasks(instance_id)["final_review"]["due_date"] == "2026-10-16"

    procedure.at("2026-10-17T00:00:00+08:00")
    assert [f.task_name for f in procedure.sweep()] == ["final_review_overdue"]



def test_a_late_reply_still_counts_and_the_supervision_stays_open_until_recorded(procedure):
    instance_id = procedure.start(catalog_item="GA-001", **APPLICATION)
    procedure.at("2026-03-10T00:00:00+08:00")
    procedure.sweep()

    done = procedure.complete(instance_id, "review", "li.si", **APPROVAL)

    assert done["instance_status"] == "running"
    assert list(procedure.open_tasks(instance_id)) == ["supervise_review"]
    assert len(procedure.grants(instance_id)) == 1
    procedure.complete(instance_id, "supervise_review", "zhao.liu", supervision_note="已逾期一日，已答复")
    assert procedure.show(instance_id)["status"] == "completed"


def test_ending_an_authorisation_marks_the_grant_revoked_and_access_ends(procedure):
    instance_id = procedure.start(catalog_item="SC-001", **APPLICATION)  # granted at once
    [grant] = grants.list_grants(procedure.engine.uow(), grantee="scjgj", active_only=True)

    with pytest.raises(PermissionDenied):  # the source unit's handler is not the competent authority
        grants.revoke(procedure.engine.uow(), grant["id"], actor="wang.wu", reason="停止使用")
    with pytest.raises(InvalidInput):
        grants.revoke(procedure.engine.uow(), grant["id"], actor="li.si", reason=" ")
    procedure.at("2026-04-01T10:00:00+08:00")
    revoked = grants.revoke(procedure.engine.uow(), grant["id"], actor="li.si", reason="共享用途已终止（第四十三条）")

    assert (revoked["revoked_at"], revoked["revoked_by"], revoked["active"]) == (
        "2026-04-01T02:00:00+00:00", "li.si", False)
    assert grants.list_grants(procedure.engine.uow(), grantee="scjgj", active_only=True) == []
    assert ("li.si", "grant.revoke") in procedure.actions(instance_id)
    with pytest.raises(Conflict):
        grants.revoke(procedure.engine.uow(), grant["id"], actor="li.si", reason="再次终止")
