"""cross_level_share: Art. 23, path by path."""
from __future__ import annotations

import pytest

from engine.errors import InvalidInput
from engine.services import tasks

PROCESS_ID = "cross_level_share"

APPLICATION = {"counterpart_level": "provincial", "counterpart": "四川省市场监督管理局", "data_name": "省级企业年报信息",
               "request_reason": "企业信用监管", "request_basis": "《企业信息公示暂行条例》", "purpose": "信用评价"}


def _reviewed(procedure):
    instance_id = procedure.start(**APPLICATION)
    procedure.complete(instance_id, "triage", "li.si", concerned_unit="scjgj", triage_note="会同市场监管局审核")
    opinion = procedure.open_tasks(instance_id)["joint_opinion"]
    assert opinion["candidate_groups"] == ["source_unit_handler@scjgj"]
    procedure.complete(instance_id, "joint_opinion", "zhou.jiu", opinion="agree", opinion_reasons="监管所需")
    return instance_id


def test_an_approved_application_is_coordinated_by_the_city_authority(procedure):
    instance_id = _reviewed(procedure)

    procedure.complete(instance_id, "decide", "li.si", decision="approve")
    coordinate = procedure.open_tasks(instance_id)["coordinate"]
    assert coordinate["candidate_groups"] == ["reviewer@sjj"]
    done = procedure.complete(instance_id, "coordinate", "li.si", coordination_result="obtained",
                              coordination_summary="经省数据局协调，已开通接口")

    assert done["instance_status"] == "completed"
    assert [a for _, a in procedure.actions(instance_id)] == ["instance.start"] + ["task.claim", "task.complete"] * 4


def test_a_refused_application_states_reason_and_basis(procedure):
    instance_id = _reviewed(procedure)

    done = procedure.complete(instance_id, "decide", "li.si", decision="refuse", reason="省级未开放该数据",
                              basis="省级共享目录：不予共享")

    assert done["instance_status"] == "completed"
    assert procedure.show(instance_id)["data"]["basis"] == "省级共享目录：不予共享"


def test_several_departments_concerned_give_their_opinions_at_the_same_time(procedure):
    instance_id = procedure.start(**APPLICATION)
    procedure.complete(instance_id, "triage", "li.si", concerned_unit="scjgj, gaj")

    opinions = {t["candidate_groups"][0]: t for t in procedure.show(instance_id)["tasks"] if t["state"] == "open"}
    assert sorted(opinions) == ["source_unit_handler@gaj", "source_unit_handler@scjgj"]
    assert {t["task_name"] for t in opinions.values()} == {"joint_opinion"}  # the diagram's element
    for group, (actor, opinion) in {"source_unit_handler@gaj": ("wang.wu", "disagree"),
                                    "source_unit_handler@scjgj": ("zhou.jiu", "agree")}.items():
        tasks.claim(procedure.engine.uow(), opinions[group]["id"], actor=actor)
        tasks.complete(procedure.engine.uow(), opinions[group]["id"], actor=actor,
                       data={"opinion": opinion, "opinion_reasons": f"{actor} 的理由"})
        procedure.assert_round_trips(instance_id)
    assert set(procedure.open_tasks(instance_id)) == {"decide"}  # after every department has answered
    # Each department's opinion under its code, whatever order they answered in.
    assert procedure.show(instance_id)["data"]["joint_opinions"] == {"gaj": "disagree", "scjgj": "agree"}


def test_a_department_code_that_does_not_exist_is_refused_at_triage(procedure):
    instance_id = procedure.start(**APPLICATION)
    task = procedure.open_tasks(instance_id)["triage"]
    tasks.claim(procedure.engine.uow(), task["id"], actor="li.si")
    with pytest.raises(InvalidInput) as refused:
        tasks.complete(procedure.engine.uow(), task["id"], actor="li.si", data={"concerned_unit": "scjgj, nosuch"})
    assert [(p.field, p.params) for p in refused.value.problems] == [("concerned_unit", {"codes": "nosuch"})]
    assert set(procedure.open_tasks(instance_id)) == {"triage"}
