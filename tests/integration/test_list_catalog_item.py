"""The pdw.list_catalog_item operation refuses listings that would break Art. 19 or the catalog."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from engine.bpmn.operations import OperationContext, OperationError, list_catalog_item
from engine.persistence.models import CatalogItem, Department

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
    result = list_catalog_item(context, {"catalog_item": "GA-009", "responsibility_list": "open",
                                         "attribute": "有条件开放", "conditions": "脱敏后开放"})

    item = context.session.get(CatalogItem, "GA-009")
    assert result == {"catalog_item": "GA-009", "responsibility_list": "open", "attribute": "有条件开放",
                      "created": False}
    assert (item.share_attribute, item.open_attribute, item.open_conditions) == ("无条件共享", "有条件开放", "脱敏后开放")
