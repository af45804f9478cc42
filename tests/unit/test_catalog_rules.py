"""The catalog's rules as data (engine.catalog_rules): what refuses a change at once and what
is held for the authority's review, each naming its article and field."""
from __future__ import annotations

import pytest

from engine import catalog_rules
from engine.catalog_rules import check, needs_release

ITEM = {"code": "GA-002", "name": "居民身份证签发信息", "source_unit": "gaj", "data_format": "接口", "data_type": "结构化",
        "sensitivity_level": "个人信息", "share_attribute": "不予共享", "share_reason": None, "share_conditions": None,
        "share_basis": "《中华人民共和国居民身份证法》第六条", "legal_bar": "《中华人民共和国居民身份证法》第六条",
        "open_attribute": "不予开放", "open_conditions": None, "update_frequency": "实时", "contact": "市公安局"}
RELEASE = {"desensitisation": "仅统计", "consent_holders": "辖区居民", "consent_date": "2026-02-01",
           "consent_evidence": "达公函〔2026〕5号"}
DEPARTMENTS = {"gaj"}


def _codes(problems) -> list[tuple[str, str]]:
    return [(p.code, p.field) for p in problems]


@pytest.mark.parametrize("source", ["import", "demand", "sub_catalog", "assessment"])
def test_a_legal_bar_is_kept_whatever_an_import_a_demand_a_sub_catalog_or_an_assessment_says(source):
    hard, _ = check(ITEM, {**ITEM, "share_attribute": "无条件共享", "legal_bar": None}, source=source,
                    departments=DEPARTMENTS)
    assert _codes(hard) == [("catalog.legal_bar_kept", "legal_bar"), ("catalog.legal_bar", "share_attribute")]
    assert "第十八条第一款" in hard[1].text("zh") and "Art. 18(1)" in hard[1].text("en")


def test_only_the_authoritys_edit_may_propose_lifting_a_legal_bar_and_it_is_held_with_a_finding():
    hard, soft = check(ITEM, {**ITEM, "legal_bar": None}, source="edit", departments=DEPARTMENTS)
    assert hard == []
    assert _codes(soft) == [("catalog.legal_bar_lifted", "legal_bar")]


def test_every_art_13_field_is_named_when_missing():
    hard, _ = check(None, {"code": "X-1"}, source="import", departments=DEPARTMENTS)
    assert [p.field for p in hard] == [f.name for f in catalog_rules.ART13_FIELDS]
    assert {p.code for p in hard} == {"catalog.art13_missing"}


@pytest.mark.parametrize("old_open, new_open, level, needed", [
    ("不予开放", "有条件开放", "一般", True),        # Art. 25: data listed 不予开放
    ("有条件开放", "无条件开放", "敏感", True),      # Art. 24(3): protected data opened further
    ("有条件开放", "无条件开放", "一般", False),
    ("无条件开放", "有条件开放", "个人信息", False),  # towards closing needs nothing
])
def test_moving_towards_opening_needs_a_release_record_where_the_measures_ask_for_one(old_open, new_open, level,
                                                                                       needed):
    old = {**ITEM, "legal_bar": None, "share_attribute": "无条件共享", "open_attribute": old_open,
           "open_conditions": "条件", "sensitivity_level": level}
    new = {**old, "open_attribute": new_open}
    assert needs_release(old, new) is needed
    hard, _ = check(old, new, source="import", departments=DEPARTMENTS)
    assert ("catalog.release_missing" in {p.code for p in hard}) is needed
    if needed:
        hard, _ = check(old, new, source="import", departments=DEPARTMENTS, release=RELEASE)
        assert hard == []


def test_lowering_a_level_does_not_lift_the_protection_of_the_level_it_had():
    old = {**ITEM, "legal_bar": None, "share_attribute": "无条件共享", "open_attribute": "有条件开放",
           "open_conditions": "条件", "sensitivity_level": "敏感"}
    new = {**old, "open_attribute": "无条件开放", "sensitivity_level": "公开"}
    hard, soft = check(old, new, source="import", departments=DEPARTMENTS)
    assert "catalog.release_missing" in {p.code for p in hard}
    assert ("catalog.level_lowered", "sensitivity_level") in _codes(soft)


def test_the_grading_vocabulary_is_fixed():
    hard, _ = check(None, {**ITEM, "legal_bar": None, "share_attribute": "无条件共享", "sensitivity_level": "较敏感"},
                    source="import", departments=DEPARTMENTS)
    assert _codes(hard) == [("catalog.level_unknown", "sensitivity_level")]
