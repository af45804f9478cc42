"""The pdw.list_catalog_item, pdw.check_assessment and pdw.apply_assessment operations refuse
changes that would break Art. 19, 24 para. 3, 25 or the catalog."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from engine.bpmn.operations import (OperationContext, OperationError, apply_assessment, check_assessment,
                                   list_catalog_item)
from engine.errors import InvalidInput
from engine.persistence.models import CatalogItem, CatalogRelease, Department

NOW = datetime(2026, 3, 2, 1, tzinfo=timezone.utc)
NEW = {"catalog_item": "GA-009", "name": "机动车登记信息", "source_unit": "gaj", "update_frequency": "每日",
       "contact": "市公安局"}


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
    ({"responsibility_list": "open", "attribute": "有条件开放"}, "needs its conditions"),
    ({"responsibility_list": "share", "attribute": "无条件共享", "source_unit": "nobody"}, "no department 'nobody'"),
    ({"responsibility_list": "share", "attribute": "无条件共享", "contact": ""}, "needs contact"),
])
def test_a_bad_listing_is_refused(context, params, message):
    with pytest.raises(OperationError, match=message):
        list_catalog_item(context, {**NEW, **params})
    assert context.session.get(CatalogItem, "GA-009") is None


def test_listing_an_existing_item_changes_only_the_listed_attribute(context):
    list_catalog_item(context, {**NEW, "responsibility_list": "share", "attribute": "无条件共享"})
    opening = {"catalog_item": "GA-009", "responsibility_list": "open", "attribute": "有条件开放",
               "conditions": "脱敏后开放"}
    with pytest.raises(InvalidInput) as refused:  # it was listed 不予开放 (Art. 24 para. 3, 25)
        list_catalog_item(context, opening)
    assert [p.where for p in refused.value.problems] == ["desensitisation", "consent_holders", "consent_date",
                                                         "consent_evidence"]
    result = list_catalog_item(context, {**opening, "desensitisation": "去除车主身份证号", "consent_holders": "市公安局",
                                         "consent_date": "2026-03-01", "consent_evidence": "达公函〔2026〕3号"})

    item = context.session.get(CatalogItem, "GA-009")
    assert result == {"catalog_item": "GA-009", "responsibility_list": "open", "attribute": "有条件开放",
                      "created": False}
    assert (item.share_attribute, item.open_attribute, item.open_conditions) == ("无条件共享", "有条件开放", "脱敏后开放")
    [release] = context.session.scalars(select(CatalogRelease)).all()
    assert (release.catalog_item, release.consent_holders, release.attribute) == ("GA-009", "市公安局", "有条件开放")


def _listed(context, **columns) -> CatalogItem:
    item = CatalogItem(code="GA-010", name="户籍迁移信息", source_unit="gaj", share_attribute="有条件共享",
                       share_conditions="按需申请", open_attribute="不予开放", update_frequency="每日", contact="市公安局",
                       **columns)
    context.session.add(item)
    context.session.flush()
    return item


ASSESSED = {"catalog_item": "GA-010", "share_attribute": "不予共享", "share_basis": "《户口登记条例》",
            "share_conditions": "", "share_reason": "", "open_attribute": "不予开放", "open_conditions": ""}


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
    result = list_catalog_item(context, {"catalog_item": "GA-010", "responsibility_list": "open",
                                         "attribute": "无条件开放"})
    assert result["attribute"] == "无条件开放" and item.open_attribute == "无条件开放"
    assert context.session.scalars(select(CatalogRelease).where(CatalogRelease.catalog_item == "GA-010")).all() == []
