"""objection: Art. 28 para. 2, path by path."""
from __future__ import annotations

import pytest

from engine.clock import SHANGHAI
from engine.errors import InvalidInput
from engine.services import reports

PROCESS_ID = "objection"

ERROR = {"catalog_item": "SC-001", "objection_type": "error", "description": "本公司注册资本登记有误",
         "requested_measure": "correct"}
PRIVACY = {"catalog_item": "SC-001", "objection_type": "privacy", "description": "开放数据含本人手机号",
           "requested_measure": "delete"}


def test_a_founded_objection_is_remedied_within_ten_working_days(procedure):
    instance_id = procedure.start(**ERROR)

    assess = procedure.open_tasks(instance_id)["assess"]
    assert assess["candidate_groups"] == ["source_unit_handler@scjgj"]
    assert (assess["due_date"], assess["deadline_rule"], assess["deadline_article"]) == (
        "2026-03-16", "art28_objection_measures", "第二十八条第二款")
    procedure.complete(instance_id, "assess", "zhou.jiu", decision="founded", finding="登记数据录入错误")
    assert procedure.open_tasks(instance_id)["measures"]["due_date"] == "2026-03-16"
    done = procedure.complete(instance_id, "measures", "zhou.jiu", measure="corrected",
                              measure_summary="已更正注册资本", measure_date="2026-03-02")

    assert done["instance_status"] == "completed"
    assert procedure.item("SC-001")["open_suspended"] is False


def test_an_unfounded_objection_is_answered_promptly_with_reasons(procedure):
    instance_id = procedure.start(**ERROR)

    done = procedure.complete(instance_id, "assess", "zhou.jiu", decision="unfounded", finding="与登记档案一致",
                              reason="开放数据与市场主体登记档案一致")

    assert done["instance_status"] == "completed"
    assert procedure.show(instance_id)["data"]["reason"] == "开放数据与市场主体登记档案一致"


def test_a_privacy_objection_may_suspend_the_opening_until_it_is_assessed(procedure):
    instance_id = procedure.start(**PRIVACY)

    assert list(procedure.open_tasks(instance_id)) == ["consider_suspension"]
    procedure.complete(instance_id, "consider_suspension", "zhou.jiu", suspend=True, suspension_reason="涉及个人信息")
    assert procedure.item("SC-001")["open_suspended"] is True
    procedure.complete(instance_id, "assess", "zhou.jiu", decision="founded", finding="含个人手机号")
    assert procedure.item("SC-001")["open_suspended"] is True
    procedure.complete(instance_id, "measures", "zhou.jiu", measure="deleted", measure_summary="已删除手机号字段",
                       measure_date="2026-03-02")

    # The measures are the reply (Art. 28 para. 2); the opening stays suspended until a person decides.
    assert procedure.show(instance_id)["statutory"]["late_days"] == 0
    assert list(procedure.open_tasks(instance_id)) == ["decide_resume"]
    assert procedure.item("SC-001")["open_suspended"] is True


def test_a_founded_privacy_objection_leaves_the_opening_suspended_unless_a_person_resumes_it(procedure):
    instance_id = procedure.start(**PRIVACY)
    procedure.complete(instance_id, "consider_suspension", "zhou.jiu", suspend=True, suspension_reason="涉及个人信息")
    procedure.complete(instance_id, "assess", "zhou.jiu", decision="founded", finding="含个人手机号")
    procedure.complete(instance_id, "measures", "zhou.jiu", measure="deleted", measure_summary="已删除手机号字段",
                       measure_date="2026-03-02")

    with pytest.raises(InvalidInput) as refused:  # no resumption without reasons
        procedure.complete(instance_id, "decide_resume", "zhou.jiu", resume=True)
    assert [p.where for p in refused.value.problems] == ["resume_reasons"]
    done = procedure.complete(instance_id, "decide_resume", "zhou.jiu", resume=False,
                              resume_reasons="个人信息已删除，该数据集不再恢复开放")

    assert done["instance_status"] == "completed"
    assert procedure.item("SC-001")["open_suspended"] is True


def test_a_suspended_opening_is_resumed_by_a_person_s_decision_with_reasons(procedure):
    instance_id = procedure.start(**PRIVACY)
    procedure.complete(instance_id, "consider_suspension", "zhou.jiu", suspend=True, suspension_reason="涉及个人信息")
    procedure.complete(instance_id, "assess", "zhou.jiu", decision="unfounded", finding="数据不含个人信息",
                       reason="所涉字段为企业公开登记信息")
    assert procedure.show(instance_id)["statutory"]["replied_at"] == "2026-03-02T01:00:00+00:00"
    assert procedure.item("SC-001")["open_suspended"] is True

    procedure.complete(instance_id, "decide_resume", "zhou.jiu", resume=True, resume_reasons="异议不成立，恢复开放")

    assert procedure.show(instance_id)["status"] == "completed"
    assert procedure.item("SC-001")["open_suspended"] is False


def test_the_ten_working_days_run_and_escalate_from_receipt_while_suspension_is_considered(procedure):
    instance_id = procedure.start(**PRIVACY)

    consider = procedure.open_tasks(instance_id)["consider_suspension"]
    assert (consider["due_date"], consider["deadline_rule"]) == ("2026-03-16", "art28_objection_measures")
    procedure.at("2026-03-17T00:00:00+08:00")
    assert [f.task_name for f in procedure.sweep()] == ["consider_overdue"]
    assert sorted(procedure.open_tasks(instance_id)) == ["consider_suspension", "supervise_consider"]


def test_a_privacy_objection_need_not_suspend_the_opening(procedure):
    instance_id = procedure.start(**PRIVACY)
    procedure.complete(instance_id, "consider_suspension", "zhou.jiu", suspend=False, suspension_reason="已脱敏")

    assert procedure.item("SC-001")["open_suspended"] is False
    procedure.complete(instance_id, "assess", "zhou.jiu", decision="unfounded", finding="已脱敏", reason="数据已脱敏")
    assert procedure.show(instance_id)["status"] == "completed"


def test_measures_not_taken_in_time_escalate_to_supervisors(procedure):
    instance_id = procedure.start(**ERROR)
    procedure.complete(instance_id, "assess", "zhou.jiu", decision="founded", finding="确有错误")

    procedure.at("2026-03-17T00:00:00+08:00")
    assert [f.task_name for f in procedure.sweep()] == ["measures_overdue"]
    assert sorted(procedure.open_tasks(instance_id)) == ["measures", "supervise_measures"]


def test_ten_working_days_skip_the_spring_festival(procedure):
    # Received Thursday 2026-02-12: Feb 13, Sat 14 (make-up day), then Feb 15-23 off,
    # Feb 24, 25, 26, 27, Sat 28 (make-up day), Mar 2, 3, 4.
    procedure.at("2026-02-12T10:00:00+08:00")
    instance_id = procedure.start(**ERROR)

    assert procedure.open_tasks(instance_id)["assess"]["due_date"] == "2026-03-04"


def test_a_measure_dated_after_the_deadline_counts_late_by_the_engines_clock_whatever_is_typed(procedure):
    # Received Monday 2026-03-02; 10 working days end on 2026-03-16. The measure is given on
    # 2026-03-18: the reply's time is when the step was completed, whatever day the form states.
    instance_id = procedure.start(**ERROR)
    procedure.complete(instance_id, "assess", "zhou.jiu", decision="founded", finding="登记数据录入错误")
    procedure.at("2026-03-18T10:00:00+08:00")
    procedure.complete(instance_id, "measures", "zhou.jiu", measure="corrected", measure_summary="已更正",
                       measure_date="2026-03-10")

    clock = procedure.show(instance_id)["statutory"]
    assert (clock["due_date"], clock["late_days"]) == ("2026-03-16", 2)  # 03-17 and 03-18
    # The supervisor sees the typed date beside the instant the engine recorded.
    [stated] = reports.timeline(procedure.engine.uow(), "zhao.liu", instance_id)["instance"]["stated"]
    assert (stated["label"], stated["value"], stated["recorded_at"].astimezone(SHANGHAI).date().isoformat()) == \
        ("采取措施日期", "2026-03-10", "2026-03-18")


def test_a_measure_dated_in_the_future_or_before_receipt_is_refused_naming_the_field(procedure):
    instance_id = procedure.start(**ERROR)
    procedure.complete(instance_id, "assess", "zhou.jiu", decision="founded", finding="登记数据录入错误")

    for typed, code in (("2026-07-31", "form.act_date_in_future"), ("2026-02-27", "form.act_date_before_receipt")):
        with pytest.raises(InvalidInput) as refused:
            procedure.complete(instance_id, "measures", "zhou.jiu", measure="corrected", measure_summary="已更正",
                               measure_date=typed)
        assert [(p.code, p.where) for p in refused.value.problems] == [(code, "measure_date")]
    assert "measures" in procedure.open_tasks(instance_id)
