"""The pdw.list_catalog_item, pdw.check_assessment and pdw.apply_assessment operations refuse
changes that would break Art. 13, 18, 19, 24 para. 3, 25 or the catalog; a listing is a proposal
the authority reviews, an approved assessment goes live as an approved change."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from engine.bpmn.operations import (OperationContext, OperationError, apply_assessment, check_assessment,
                                   list_catalog_item)
from engine.errors import InvalidInput
from engine.persistence.models import CatalogItem, CatalogProposal, CatalogRelease, Department
from engine.services import catalog_changes

NOW = datetime(2026, 3, 2, 1, tzinfo=timezone.utc)
NEW = {"catalog_item": "GA-009", "name": "机动车登记信息", "source_unit": "gaj", "update_frequency": "每日",
       "contact": "市公安局", "data_format": "接口", "data_type": "结构化", "sensitivity_level": "一般"}


@pytest.fixture
def context(engine):
    with engine.uow() as uow:
        uow.session.add(Department(code="gaj", name="市公安局"))
        uow.session.flush()
        # The operation never needs the instance; only grants refer to it.
        yield OperationContext(uow, None, NOW)


@pytest.mark.parametrize("params, message", [
    ({"responsibility_list": "catalog", "attribute": "无条件共享"}, "must be 'share' or 'open'"),
    ({"responsibility_list": "share", "attribute": "无条件开放"}, "attribute must be one of 无条件共享, 有条件共享"),
])
def test_a_listing_the_process_got_wrong_is_an_error_of_the_process(context, params, message):
    with pytest.raises(OperationError, match=message):
        list_catalog_item(context, {**NEW, **params})
    assert context.session.get(CatalogItem, "GA-009") is None


@pytest.mark.parametrize("params, problems", [
    ({"responsibility_list": "open", "attribute": "有条件开放"}, [("catalog.attribute_needs", "conditions")]),
    ({"responsibility_list": "share", "attribute": "有条件共享", "conditions": "按需"},
     [("catalog.attribute_needs", "share_reason")]),
    ({"responsibility_list": "share", "attribute": "无条件共享", "source_unit": "nobody"},
     [("catalog.source_unit_unknown", "source_unit")]),
    ({"responsibility_list": "share", "attribute": "无条件共享", "contact": ""}, [("catalog.art13_missing", "contact")]),
    ({"responsibility_list": "share", "attribute": "无条件共享", "data_format": "", "sensitivity_level": "绝密"},
     [("catalog.art13_missing", "data_format"), ("catalog.level_unknown", "sensitivity_level")]),
])
def test_a_listing_that_breaks_a_rule_is_refused_naming_the_field_and_proposes_nothing(context, params, problems):
    with pytest.raises(InvalidInput) as refused:
        list_catalog_item(context, {**NEW, **params})
    assert [(p.code, p.field) for p in refused.value.problems] == problems
    assert context.session.get(CatalogItem, "GA-009") is None


def _approve_pending(context) -> None:
    for proposal in context.session.scalars(select(CatalogProposal).where(CatalogProposal.status == "held")):
        catalog_changes.apply(context.session, context.uow.audit, proposal, now=NOW, actor="li.si")


def test_listing_an_existing_item_changes_only_the_listed_attribute_once_approved(context):
    listed = list_catalog_item(context, {**NEW, "responsibility_list": "share", "attribute": "无条件共享"})
    assert listed["status"] == "held" and context.session.get(CatalogItem, "GA-009") is None
    _approve_pending(context)
    opening = {"catalog_item": "GA-009", "responsibility_list": "open", "attribute": "有条件开放",
               "conditions": "脱敏后开放"}
    with pytest.raises(InvalidInput) as refused:  # it was listed 不予开放 (Art. 24 para. 3, 25)
        list_catalog_item(context, opening)
    assert [p.where for p in refused.value.problems] == ["desensitisation", "consent_holders", "consent_date",
                                                         "consent_evidence"]
    result = list_catalog_item(context, {**opening, "desensitisation": "去除车主身份证号", "consent_holders": "市公安局",
                                         "consent_date": "2026-03-01", "consent_evidence": "达公函〔2026〕3号"})

    assert context.session.get(CatalogItem, "GA-009").open_attribute == "不予开放"  # held, not live
    _approve_pending(context)
    item = context.session.get(CatalogItem, "GA-009")
    assert result == {"catalog_item": "GA-009", "responsibility_list": "open", "attribute": "有条件开放",
                      "created": False, "proposal": result["proposal"], "status": "held"}
    assert (item.share_attribute, item.open_attribute, item.open_conditions) == ("无条件共享", "有条件开放", "脱敏后开放")
    [release] = context.session.scalars(select(CatalogRelease)).all()
    assert (release.catalog_item, release.consent_holders, release.attribute) == ("GA-009", "市公安局", "有条件开放")


def _listed(context, **columns) -> CatalogItem:
    item = CatalogItem(**{"code": "GA-010", "name": "户籍迁移信息", "source_unit": "gaj",
                          "share_attribute": "有条件共享", "share_conditions": "按需申请", "share_reason": "含个人信息",
                          "open_attribute": "不予开放", "update_frequency": "每日", "contact": "市公安局",
                          "data_format": "接口", "data_type": "结构化", "sensitivity_level": "敏感", **columns})
    context.session.add(item)
    context.session.flush()
    return item


ASSESSED = {"catalog_item": "GA-010", "share_attribute": "不予共享", "share_basis": "《户口登记条例》",
            "share_conditions": "", "share_reason": "涉及户籍隐私", "open_attribute": "不予开放", "open_conditions": ""}


def test_an_approved_assessment_replaces_both_attributes_and_drops_what_no_longer_applies(context):
    item = _listed(context)
    assert check_assessment(context, ASSESSED)["changed"] == ["share_attribute"]
    result = apply_assessment(context, ASSESSED)
    assert result["before"] == {"share_attribute": "有条件共享", "open_attribute": "不予开放"}
    assert (item.share_attribute, item.share_conditions, item.share_basis) == ("不予共享", None, "《户口登记条例》")


def test_an_assessment_is_checked_again_when_applied(context):
    item = _listed(context, sensitivity_level="一般")
    opening = {**ASSESSED, "open_attribute": "无条件开放", "desensitisation": "去除身份证号", "consent_holders": "相关自然人",
               "consent_date": "2026-02-01", "consent_evidence": "达公告〔2026〕1号"}
    check_assessment(context, opening)
    item.sensitivity_level = "个人信息"  # reclassified between the source unit's check and the approval
    with pytest.raises(InvalidInput) as refused:
        apply_assessment(context, opening)
    assert [p.field for p in refused.value.problems] == ["open_attribute"]
    assert item.open_attribute == "不予开放"
    assert context.session.scalars(select(CatalogRelease).where(CatalogRelease.catalog_item == "GA-010")).all() == []


def test_listing_an_item_already_open_for_opening_needs_no_release_record(context):
    item = _listed(context)
    item.open_attribute, item.open_conditions = "有条件开放", "签订承诺书"
    context.session.flush()
    item.sensitivity_level = "一般"  # not protected: only data listed 不予开放 needs the record to open
    context.session.flush()
    result = list_catalog_item(context, {"catalog_item": "GA-010", "responsibility_list": "open",
                                         "attribute": "无条件开放"})
    _approve_pending(context)
    assert result["attribute"] == "无条件开放" and item.open_attribute == "无条件开放"
    assert context.session.scalars(select(CatalogRelease).where(CatalogRelease.catalog_item == "GA-010")).all() == []


def test_protected_data_moving_towards_opening_needs_its_release_record(context):
    item = _listed(context)
    item.open_attribute, item.open_conditions = "有条件开放", "签订承诺书"  # 敏感: Art. 24 para. 3, 25
    context.session.flush()
    with pytest.raises(InvalidInput) as refused:
        list_catalog_item(context, {"catalog_item": "GA-010", "responsibility_list": "open", "attribute": "无条件开放"})
    assert [(p.code, p.field) for p in refused.value.problems] == [
        ("catalog.release_missing", name) for name in ("desensitisation", "consent_holders", "consent_date",
                                                        "consent_evidence")]
    assert "第二十四条第三款、第二十五条" in refused.value.problems[0].text("zh")


def test_a_listing_never_overrides_a_legal_bar(context):
    _listed(context, share_attribute="不予共享", share_basis="《居民身份证法》第六条", share_conditions=None,
            legal_bar="《中华人民共和国居民身份证法》第六条")
    with pytest.raises(InvalidInput) as refused:
        list_catalog_item(context, {"catalog_item": "GA-010", "responsibility_list": "share", "attribute": "无条件共享"})
    assert [(p.code, p.field) for p in refused.value.problems] == [("catalog.legal_bar", "attribute")]
    assert "第十八条第一款" in refused.value.problems[0].text("zh")
    assert "居民身份证法" in refused.value.problems[0].text("en")
    assert context.session.get(CatalogItem, "GA-010").share_attribute == "不予共享"
