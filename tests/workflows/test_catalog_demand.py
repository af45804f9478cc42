"""catalog_demand: share demands (Art. 22) and open demands (Art. 28 para. 1), path by path."""
from __future__ import annotations

import pytest

from engine.errors import InvalidInput
from engine.services import catalog, catalog_changes

PROCESS_ID = "catalog_demand"

SHARE_DEMAND = {"demand_type": "share", "data_name": "机动车登记信息", "description": "车辆所有人与号牌",
                "purpose": "执法核查"}
OPEN_DEMAND = {"demand_type": "open", "data_name": "医疗机构执业登记信息", "description": "机构名称、地址、科目",
               "purpose": "就医导航应用"}
# Art. 13: a new item states its format, type and sensitivity level; Art. 19(2): conditional
# sharing gives its reason and conditions.
ART13 = {"data_format": "接口", "data_type": "结构化", "sensitivity_level": "一般"}
LISTING = {"decision": "include", "catalog_item": "GA-003", "item_name": "机动车登记信息", "attribute": "有条件共享",
           "conditions": "限执法核查使用", "share_reason": "含车辆所有人信息", "update_frequency": "每日",
           "contact": "市公安局数据管理科 0818-2000001", **ART13}


RELEASE = {"desensitisation": "去除姓名、身份证号，仅保留区县级统计", "consent_holders": "市卫健委（代表新生儿监护人）",
           "consent_date": "2026-03-01", "consent_evidence": "达卫健函〔2026〕12号"}


def _approve_listing(procedure, instance_id: int, approver: str = "qian.ba") -> dict:
    """The authority approves the catalog change the demand proposed (a second person: li.si
    decided the demand); returns the proposal as it was held."""
    [proposal] = [p for p in catalog_changes.proposals(procedure.engine.uow(), approver)
                  if p["instance_id"] == instance_id]
    assert (proposal["source_kind"], proposal["proposed_by"]) == ("demand", "process:catalog_demand")
    catalog_changes.approve(procedure.engine.uow(), approver, proposal["id"])
    return proposal


def _consult(procedure, instance_id, unit, handler, opinion="agree"):
    procedure.complete(instance_id, "intake", "li.si", source_unit=unit, intake_note="请协商")
    consultation = procedure.open_tasks(instance_id)["consultation"]
    assert consultation["candidate_groups"] == [f"source_unit_handler@{unit}"]
    procedure.complete(instance_id, "consultation", handler, opinion=opinion, opinion_reasons="可按条件共享")


def test_a_share_demand_agreed_with_the_source_unit_puts_a_new_item_on_the_share_list(procedure):
    instance_id = procedure.start(**SHARE_DEMAND)
    _consult(procedure, instance_id, "gaj", "wang.wu")

    with pytest.raises(InvalidInput) as invalid:  # conditional sharing states its conditions (Art. 19)
        procedure.complete(instance_id, "share_decision", "li.si", **{**LISTING, "conditions": None})
    assert "conditions" in [p.where for p in invalid.value.problems]
    done = procedure.complete(instance_id, "share_decision", "li.si", **LISTING)

    assert done["instance_status"] == "completed"
    assert "GA-003" not in {i["code"] for i in catalog.list_items(procedure.engine.uow())}  # held for review
    proposal = _approve_listing(procedure, instance_id)
    assert proposal["source"] == procedure.show(instance_id)["receipt_number"]
    item = procedure.item("GA-003")
    assert (item["name"], item["source_unit"], item["share_attribute"], item["share_conditions"]) == (
        "机动车登记信息", "gaj", "有条件共享", "限执法核查使用")
    assert item["open_attribute"] == "不予开放"  # listing for sharing opens nothing
    assert procedure.show(instance_id)["data"]["listing"] == {
        "catalog_item": "GA-003", "responsibility_list": "share", "attribute": "有条件共享", "created": True,
        "proposal": proposal["id"], "status": "held"}


def test_a_declined_share_demand_tells_the_requester_why(procedure):
    instance_id = procedure.start(**SHARE_DEMAND)
    _consult(procedure, instance_id, "gaj", "wang.wu", opinion="disagree")

    done = procedure.complete(instance_id, "share_decision", "li.si", decision="decline", reason="涉及公民个人信息")

    assert done["instance_status"] == "completed"
    assert procedure.show(instance_id)["data"]["reason"] == "涉及公民个人信息"
    assert "GA-003" not in {i["code"] for i in catalog.list_items(procedure.engine.uow())}


def test_an_open_demand_for_a_catalogued_item_opens_it(procedure):
    instance_id = procedure.start(**OPEN_DEMAND)
    _consult(procedure, instance_id, "wjw", "zheng.yi")
    assert procedure.item("WJ-002")["open_attribute"] == "不予开放"

    decision = {"decision": "include", "catalog_item": "WJ-002", "item_name": "出生医学证明信息",
                "attribute": "有条件开放", "conditions": "仅开放脱敏统计数据", "update_frequency": "每月",
                "contact": "市卫健委规划信息科"}
    task_id = procedure.open_tasks(instance_id)["open_decision"]["id"]
    with pytest.raises(InvalidInput) as refused:  # 不予开放 is left only with desensitisation and consent
        procedure.complete(instance_id, "open_decision", "li.si", **decision)
    assert [(p.code, p.where) for p in refused.value.problems] == [
        ("catalog.release_missing", "desensitisation"), ("catalog.release_missing", "consent_holders"),
        ("catalog.release_missing", "consent_date"), ("catalog.release_missing", "consent_evidence")]
    assert procedure.item("WJ-002")["open_attribute"] == "不予开放"
    assert procedure.open_tasks(instance_id)["open_decision"]["id"] == task_id

    procedure.complete(instance_id, "open_decision", "li.si", **decision, **RELEASE)
    assert procedure.item("WJ-002")["open_attribute"] == "不予开放"  # held for review
    assert procedure.releases("WJ-002") == []
    _approve_listing(procedure, instance_id)

    assert procedure.releases("WJ-002") == [{"attribute": "有条件开放", "instance_id": instance_id, **RELEASE}]
    item = procedure.item("WJ-002")
    assert (item["open_attribute"], item["open_conditions"]) == ("有条件开放", "仅开放脱敏统计数据")
    assert item["share_attribute"] == "有条件共享"  # untouched


@pytest.mark.parametrize("decision", ["not_eligible", "undetermined"])
def test_an_open_demand_not_eligible_or_undetermined_is_answered_with_reasons(procedure, decision):
    instance_id = procedure.start(**OPEN_DEMAND)
    _consult(procedure, instance_id, "wjw", "zheng.yi", opinion="undetermined")

    with pytest.raises(InvalidInput):
        procedure.complete(instance_id, "open_decision", "li.si", decision=decision)
    done = procedure.complete(instance_id, "open_decision", "li.si", decision=decision, reason="开放类型尚待评估")

    assert done["instance_status"] == "completed"
    assert procedure.item("WJ-001")["open_attribute"] == "无条件开放"


def test_an_unconditional_share_inclusion_needs_no_conditions_and_completes(procedure):
    instance_id = procedure.start(**SHARE_DEMAND)
    _consult(procedure, instance_id, "gaj", "wang.wu")

    done = procedure.complete(instance_id, "share_decision", "li.si", decision="include", catalog_item="GA-003",
                              item_name="机动车登记信息", attribute="无条件共享", update_frequency="每日",
                              contact="市公安局数据管理科 0818-2000001", **ART13)

    assert done["instance_status"] == "completed"
    _approve_listing(procedure, instance_id)
    item = procedure.item("GA-003")
    assert (item["share_attribute"], item["share_conditions"]) == ("无条件共享", None)


def _open_unconditionally(procedure, code: str, name: str, **more) -> dict:
    """An open demand about `code`, consulted and decided 无条件开放."""
    instance_id = procedure.start(**OPEN_DEMAND)
    _consult(procedure, instance_id, "wjw", "zheng.yi")
    return procedure.complete(instance_id, "open_decision", "li.si", decision="include", catalog_item=code,
                              item_name=name, attribute="无条件开放", update_frequency="每月",
                              contact="市卫健委规划信息科", **more)


def test_personal_information_is_never_listed_for_unconditional_opening(procedure):
    with pytest.raises(InvalidInput) as refused:  # even with desensitisation and consent recorded
        _open_unconditionally(procedure, "WJ-002", "出生医学证明信息", **RELEASE)

    assert [(p.code, p.where) for p in refused.value.problems] == [("catalog.personal_information_open", "attribute")]
    assert procedure.item("WJ-002")["open_attribute"] == "不予开放"
    assert procedure.releases("WJ-002") == []


def test_an_unconditional_open_inclusion_of_a_new_item_completes(procedure):
    done = _open_unconditionally(procedure, "WJ-003", "医疗机构分布统计", **{**ART13, "sensitivity_level": "公开"})

    assert done["instance_status"] == "completed"
    _approve_listing(procedure, done["instance_id"])
    assert (procedure.item("WJ-003")["open_attribute"], procedure.item("WJ-003")["open_conditions"]) == (
        "无条件开放", None)


def test_a_demand_never_overrides_a_legal_bar(procedure):
    instance_id = procedure.start(**{**SHARE_DEMAND, "data_name": "居民身份证签发信息"})
    _consult(procedure, instance_id, "gaj", "wang.wu")
    task_id = procedure.open_tasks(instance_id)["share_decision"]["id"]

    with pytest.raises(InvalidInput) as refused:  # GA-002 is barred by the 居民身份证法 (Art. 18)
        procedure.complete(instance_id, "share_decision", "li.si", decision="include", catalog_item="GA-002",
                           item_name="居民身份证签发信息", attribute="无条件共享", update_frequency="实时",
                           contact="市公安局数据管理科 0818-2000001")

    assert [(p.code, p.where) for p in refused.value.problems] == [("catalog.legal_bar", "attribute")]
    assert "第十八条第一款" in refused.value.problems[0].text("zh")
    assert "《中华人民共和国居民身份证法》第六条" in refused.value.problems[0].text("zh")
    assert procedure.item("GA-002")["share_attribute"] == "不予共享"
    assert procedure.open_tasks(instance_id)["share_decision"]["id"] == task_id
    assert catalog_changes.proposals(procedure.engine.uow(), "qian.ba") == []


def test_a_new_item_a_demand_would_create_without_its_art_13_fields_is_refused_naming_each(procedure):
    instance_id = procedure.start(**SHARE_DEMAND)
    _consult(procedure, instance_id, "gaj", "wang.wu")
    bare = {k: v for k, v in LISTING.items() if k not in ART13}

    with pytest.raises(InvalidInput) as refused:
        procedure.complete(instance_id, "share_decision", "li.si", **bare)

    assert [(p.code, p.where) for p in refused.value.problems] == [
        ("catalog.art13_missing", "data_format"), ("catalog.art13_missing", "data_type"),
        ("catalog.art13_missing", "sensitivity_level")]
    assert "第十三条第一款" in refused.value.problems[0].text("zh")
    assert "GA-003" not in {i["code"] for i in catalog.list_items(procedure.engine.uow())}


def test_a_listing_the_authority_refuses_changes_nothing(procedure):
    instance_id = procedure.start(**SHARE_DEMAND)
    _consult(procedure, instance_id, "gaj", "wang.wu")
    procedure.complete(instance_id, "share_decision", "li.si", **LISTING)
    [proposal] = catalog_changes.proposals(procedure.engine.uow(), "qian.ba")

    catalog_changes.refuse(procedure.engine.uow(), "qian.ba", proposal["id"], reason="数源单位尚未确认字段范围")

    assert "GA-003" not in {i["code"] for i in catalog.list_items(procedure.engine.uow())}
