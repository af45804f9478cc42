"""correction_request: Art. 16 para. 2 (30 days), path by path."""
from __future__ import annotations

import pytest

from engine.errors import InvalidInput

PROCESS_ID = "correction_request"

APPLICATION = {"catalog_item": "GA-001", "subject_record": "张三 户籍地址", "problem": "inaccurate",
               "description": "户籍地址门牌号有误", "requested_correction": "通川区朝阳路 12 号"}


def test_a_founded_request_is_corrected_by_the_source_unit_within_thirty_days(procedure):
    instance_id = procedure.start(**APPLICATION)

    verify = procedure.open_tasks(instance_id)["verify"]
    assert verify["candidate_groups"] == ["source_unit_handler@gaj"]
    assert (verify["due_date"], verify["deadline_rule"], verify["deadline_article"]) == (
        "2026-04-01", "art16_correction_reply", "第十六条第二款")
    procedure.at("2026-03-20T10:00:00+08:00")
    procedure.complete(instance_id, "verify", "wang.wu", decision="correct", finding="门牌号录入错误")
    assert procedure.open_tasks(instance_id)["correct"]["due_date"] == "2026-04-01"
    done = procedure.complete(instance_id, "correct", "wang.wu", correction_summary="已更正为 12 号",
                              corrected_on="2026-03-20")

    assert done["instance_status"] == "completed"
    assert procedure.show(instance_id)["data"]["correction_summary"] == "已更正为 12 号"
    assert [a for _, a in procedure.actions(instance_id)] == ["instance.start"] + ["task.claim", "task.complete"] * 2


def test_an_unfounded_request_is_refused_with_reasons(procedure):
    instance_id = procedure.start(**APPLICATION)

    with pytest.raises(InvalidInput) as invalid:
        procedure.complete(instance_id, "verify", "wang.wu", decision="refuse", finding="经核实无误")
    assert [p.where for p in invalid.value.problems] == ["reason"]
    done = procedure.complete(instance_id, "verify", "wang.wu", decision="refuse", finding="经核实无误",
                              reason="登记地址与户口簿一致")

    assert done["instance_status"] == "completed"
    assert procedure.show(instance_id)["data"]["reason"] == "登记地址与户口簿一致"


def test_thirty_days_received_before_the_spring_festival_end_on_the_next_working_day(procedure):
    # Received Monday 2026-02-02: day 30 is Wednesday 2026-03-04, a working day.
    procedure.at("2026-02-02T10:00:00+08:00")
    early = procedure.start(**APPLICATION)
    # Received Friday 2026-01-16: day 30 is Sunday 2026-02-15, inside the Spring Festival days off
    # (Feb 15-23), so the period ends on the next working day, Tuesday 2026-02-24.
    procedure.at("2026-01-16T10:00:00+08:00")
    late = procedure.start(**APPLICATION)

    assert procedure.open_tasks(early)["verify"]["due_date"] == "2026-03-04"
    assert procedure.open_tasks(late)["verify"]["due_date"] == "2026-02-24"


def test_an_overdue_correction_escalates_without_cancelling_it(procedure):
    instance_id = procedure.start(**APPLICATION)
    procedure.complete(instance_id, "verify", "wang.wu", decision="correct", finding="确有错误")

    procedure.at("2026-04-02T00:00:00+08:00")
    assert [f.task_name for f in procedure.sweep()] == ["correct_overdue"]
    assert sorted(procedure.open_tasks(instance_id)) == ["correct", "supervise_correct"]


def test_a_correction_after_its_thirty_days_counts_late_however_its_date_is_typed(procedure):
    # Received 2026-03-02; 30 days end on 2026-04-01. Corrected on 2026-04-03 by the engine's clock.
    instance_id = procedure.start(**APPLICATION)
    procedure.at("2026-04-03T10:00:00+08:00")
    procedure.complete(instance_id, "verify", "wang.wu", decision="correct", finding="门牌号录入错误")
    with pytest.raises(InvalidInput) as refused:
        procedure.complete(instance_id, "correct", "wang.wu", correction_summary="已更正", corrected_on="2026-04-30")
    assert [p.where for p in refused.value.problems] == ["corrected_on"]
    procedure.complete(instance_id, "correct", "wang.wu", correction_summary="已更正", corrected_on="2026-03-30")

    assert procedure.show(instance_id)["statutory"]["late_days"] > 0
