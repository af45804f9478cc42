"""attribute_assessment: Art. 19 para. 2 and 25 — the source unit assesses an item's share and open
attributes, the authority reviews, and only then does the catalog change (Art. 13: the catalog
is updated dynamically); on a frozen clock, on SQLite and PostgreSQL."""
from __future__ import annotations

import pytest

from engine.errors import NotFound, InvalidInput, PermissionDenied
from engine.services import instances, tasks

PROCESS_ID = "attribute_assessment"

# SC-002 行政处罚信息 (scjgj): 无条件共享, 有条件开放, sensitivity 一般.
# GA-001 人口基础信息 (gaj): 有条件共享, 不予开放, sensitivity 个人信息.
PERIODIC = {"catalog_item": "SC-002", "occasion": "periodic"}
RELEASE = {"desensitisation": "姓名、证件号脱敏，仅保留统计字段", "consent_holders": "相关自然人（经公告征求意见）",
           "consent_date": "2026-02-20", "consent_evidence": "达公公告〔2026〕3号，档案室 A-12"}


def _assessed(procedure, item: dict, actor: str, **assessment) -> int:
    instance_id = procedure.start(actor="li.si", **item)
    procedure.complete(instance_id, "assess", actor, assessment_summary="按年度评估", **assessment)
    return instance_id


def test_an_approved_assessment_updates_the_catalog_and_only_then(procedure):
    instance_id = procedure.start(actor="zhou.jiu", **PERIODIC)
    assess = procedure.open_tasks(instance_id)["assess"]
    assert assess["candidate_groups"] == ["source_unit_handler@scjgj"]  # the item's source unit
    assert procedure.show(instance_id)["statutory"]["rule"] == "art19_art25_assessment"
    procedure.complete(instance_id, "assess", "zhou.jiu", share_attribute="有条件共享",
                       share_reason="含当事人身份信息", share_conditions="仅限执法监管用途",
                       open_attribute="有条件开放", open_conditions="申请人须说明用途并签订数据利用承诺书",
                       assessment_summary="年度评估：共享范围收紧")
    assert procedure.item("SC-002")["share_attribute"] == "无条件共享"  # not before the review
    assert procedure.open_tasks(instance_id)["review"]["candidate_groups"] == ["reviewer@sjj"]

    done = procedure.complete(instance_id, "review", "li.si", decision="approve")

    assert done["instance_status"] == "completed"
    item = procedure.item("SC-002")
    assert (item["share_attribute"], item["share_conditions"], item["share_basis"]) == (
        "有条件共享", "仅限执法监管用途", None)
    assert procedure.show(instance_id)["data"]["catalog_update"]["before"]["share_attribute"] == "无条件共享"


def test_a_returned_assessment_goes_back_to_the_source_unit_and_the_catalog_stays(procedure):
    instance_id = _assessed(procedure, PERIODIC, "zhou.jiu", share_attribute="不予共享", share_basis="内部规定",
                            open_attribute="不予开放")
    procedure.complete(instance_id, "review", "li.si", decision="return", review_note="内部规定不能作为不予共享的依据")

    assert set(procedure.open_tasks(instance_id)) == {"assess"}
    assert procedure.item("SC-002")["share_attribute"] == "无条件共享"
    procedure.complete(instance_id, "assess", "zhou.jiu", share_attribute="无条件共享", open_attribute="有条件开放",
                       open_conditions="须签订数据利用承诺书", assessment_summary="维持无条件共享")
    procedure.complete(instance_id, "review", "li.si", decision="approve")
    item = procedure.item("SC-002")
    assert (item["share_attribute"], item["share_basis"], item["open_conditions"]) == (
        "无条件共享", None, "须签订数据利用承诺书")


@pytest.mark.parametrize("assessment, fields", [
    ({"share_attribute": "有条件共享", "open_attribute": "有条件开放", "open_conditions": "承诺书"},
     {"share_reason", "share_conditions"}),                          # Art. 19(2): reason and conditions
    ({"share_attribute": "不予共享", "open_attribute": "有条件开放", "open_conditions": "承诺书"},
     {"share_basis"}),                                               # Art. 19(2): a legal basis
    ({"share_attribute": "无条件共享", "open_attribute": "有条件开放"}, {"open_conditions"}),
])
def test_the_source_unit_must_give_what_each_attribute_needs(procedure, assessment, fields):
    instance_id = procedure.start(actor="li.si", **PERIODIC)
    task = procedure.open_tasks(instance_id)["assess"]
    tasks.claim(procedure.engine.uow(), task["id"], actor="zhou.jiu")
    with pytest.raises(InvalidInput) as refused:
        tasks.complete(procedure.engine.uow(), task["id"], actor="zhou.jiu",
                       data={**assessment, "assessment_summary": "评估"})
    assert {p.field for p in refused.value.problems} == fields
    assert set(procedure.open_tasks(instance_id)) == {"assess"}


def test_opening_data_listed_not_open_needs_its_release_record_before_the_review(procedure):
    item = {"catalog_item": "GA-001", "occasion": "demand"}
    instance_id = procedure.start(actor="li.si", **item)
    task = procedure.open_tasks(instance_id)["assess"]
    assert task["candidate_groups"] == ["source_unit_handler@gaj"]
    tasks.claim(procedure.engine.uow(), task["id"], actor="wang.wu")
    opening = {"share_attribute": "有条件共享", "share_reason": "个人信息", "share_conditions": "按需申请",
               "open_attribute": "有条件开放", "open_conditions": "仅统计用途", "assessment_summary": "拟有条件开放"}

    with pytest.raises(InvalidInput) as refused:  # Art. 25: desensitisation and the rights holders' consent
        tasks.complete(procedure.engine.uow(), task["id"], actor="wang.wu", data=opening)
    assert {p.field for p in refused.value.problems} == {"desensitisation", "consent_holders", "consent_date",
                                                          "consent_evidence"}
    with pytest.raises(InvalidInput) as refused:  # Art. 24(3): personal information never opened unconditionally
        tasks.complete(procedure.engine.uow(), task["id"], actor="wang.wu",
                       data={**opening, **RELEASE, "open_attribute": "无条件开放"})
    assert [p.field for p in refused.value.problems] == ["open_attribute"]
    assert procedure.item("GA-001")["open_attribute"] == "不予开放"

    tasks.complete(procedure.engine.uow(), task["id"], actor="wang.wu", data={**opening, **RELEASE})
    procedure.complete(instance_id, "review", "li.si", decision="approve")
    assert procedure.item("GA-001")["open_attribute"] == "有条件开放"
    [release] = procedure.releases("GA-001")
    assert (release["attribute"], release["consent_evidence"]) == ("有条件开放", "达公公告〔2026〕3号，档案室 A-12")


def test_a_source_unit_of_another_item_cannot_assess_it(procedure):
    instance_id = procedure.start(actor="li.si", **PERIODIC)
    task = procedure.open_tasks(instance_id)["assess"]
    with pytest.raises(NotFound):  # a stranger to the application: it does not exist for them
        tasks.claim(procedure.engine.uow(), task["id"], actor="wang.wu")  # gaj, not scjgj


@pytest.mark.parametrize("actor", ["zhang.san", "chen.shi"])
def test_only_officials_start_an_assessment(procedure, actor):
    with pytest.raises(PermissionDenied):
        instances.start(procedure.engine.uow(), PROCESS_ID, actor=actor, data=PERIODIC)


def test_an_unknown_catalog_code_is_refused_at_the_door(procedure):
    with pytest.raises(InvalidInput) as refused:
        instances.start(procedure.engine.uow(), PROCESS_ID, actor="li.si", data={**PERIODIC, "catalog_item": "XX-999"})
    assert [p.field for p in refused.value.problems] == ["catalog_item"]
