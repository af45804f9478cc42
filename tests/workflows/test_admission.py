"""Bad input at the door and the Measures' validity (Art. 53): refused at submission with the field
named, no instance and no receipt number used; on a frozen clock, on SQLite and PostgreSQL."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine.errors import Conflict, InvalidInput
from engine.persistence.models import ProcessInstance, ReceiptCounter
from engine.services import instances

PROCESS_ID = "conditional_share"

SHARE = {"catalog_item": "GA-001", "request_reason": "办理户籍业务需核验人口信息", "request_basis": "《户口登记条例》",
         "purpose": "户籍登记", "requested_scope": "姓名、户籍地址", "requested_until": "2026-12-31"}
OBJECTION = {"catalog_item": "GA-001", "objection_type": "privacy", "description": "含本人身份证号",
             "requested_measure": "delete"}


def _received(procedure) -> tuple[int, int]:
    """How many applications were received and receipt numbers used."""
    with procedure.engine.uow().read() as uow:
        return (uow.session.scalar(select(func.count()).select_from(ProcessInstance)),
                uow.session.scalar(select(func.coalesce(func.sum(ReceiptCounter.last), 0))))


def _refused(procedure, process_id: str, data: dict) -> InvalidInput:
    before = _received(procedure)
    with pytest.raises(InvalidInput) as refused:
        instances.start(procedure.engine.uow(), process_id, actor="zhang.san", data=data)
    assert _received(procedure) == before
    return refused.value


def test_an_unknown_catalog_code_is_refused_naming_the_field(procedure):
    refused = _refused(procedure, "conditional_share", {**SHARE, "catalog_item": "XX-999"})

    assert [(p.code, p.where, p.params) for p in refused.problems] == [
        ("application.catalog_item_unknown", "catalog_item", {"code": "XX-999"})]
    instance_id = procedure.start(**SHARE)  # the next application takes the day's first receipt number
    assert procedure.show(instance_id)["receipt_number"] == "DZ2026030200001"


def test_a_requested_end_date_in_the_past_is_refused_naming_the_field(procedure):
    refused = _refused(procedure, "conditional_share", {**SHARE, "requested_until": "2026-03-01"})

    assert [(p.code, p.where) for p in refused.problems] == [("application.date_past", "requested_until")]
    assert refused.problems[0].text("zh") == "日期 2026-03-01 早于收到申请之日 2026-03-02。"


def test_an_end_date_on_the_day_of_receipt_is_accepted(procedure):
    assert procedure.start(**{**SHARE, "requested_until": "2026-03-02"})


def test_an_objection_to_data_that_is_not_open_is_refused(procedure):
    refused = _refused(procedure, "objection", OBJECTION)  # 人口基础信息: 不予开放

    assert [(p.code, p.where, p.params) for p in refused.problems] == [
        ("application.catalog_item_not_open", "catalog_item", {"code": "GA-001", "attribute": "不予开放"})]


@pytest.mark.parametrize("instant, date", [("2025-02-28T10:00:00+08:00", "2025-02-28"),
                                           ("2030-03-01T10:00:00+08:00", "2030-03-01")])
def test_an_application_received_while_the_measures_are_not_in_force_is_refused(procedure, instant, date):
    procedure.at(instant)
    before = _received(procedure)

    with pytest.raises(Conflict) as refused:
        instances.start(procedure.engine.uow(), "conditional_share", actor="zhang.san",
                        data={**SHARE, "requested_until": "2030-12-31"})

    assert refused.value.code == "application.measures_not_in_force"
    assert refused.value.params == {"received": date, "since": "2025-03-01", "until": "2030-02-28",
                                    "article": "第五十三条"}
    assert _received(procedure) == before


def test_the_last_day_in_force_still_receives(procedure):
    procedure.at("2030-02-28T10:00:00+08:00")
    assert procedure.start(**{**SHARE, "requested_until": "2030-12-31"})
