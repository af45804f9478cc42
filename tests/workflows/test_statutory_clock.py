"""The application's statutory clock (process properties statutoryRule, statutoryExtension,
statutoryReply) on conditional_share, on a frozen clock, on SQLite and PostgreSQL.

Received Monday 2026-03-02: five working days end Monday 03-09 (03-07/08 a weekend); the
extension counts five more from 03-09 and ends Monday 03-16.
"""
from __future__ import annotations

import pytest

from engine.errors import Conflict

PROCESS_ID = "conditional_share"

APPLICATION = {"request_reason": "办理户籍业务需核验人口信息", "request_basis": "《户口登记条例》",
               "purpose": "户籍登记", "requested_scope": "姓名、身份证号、户籍地址", "requested_until": "2026-12-31"}
APPROVAL = {"decision": "approve", "granted_scope": "姓名、户籍地址", "granted_until": "2026-09-30"}
EXTENSION = {"decision": "extend", "extension_reason": "需征求数源单位意见以确定能否共享"}


def test_an_application_carries_its_governing_deadline_and_competent_department_from_receipt(procedure):
    instance_id = procedure.start(catalog_item="GA-001", **APPLICATION)

    shown = procedure.show(instance_id)
    assert shown["department"] == "sjj"
    assert shown["statutory"] == {"due_date": "2026-03-09", "rule": "art20_share_reply", "article": "第二十条第二款",
                                  "provisional": False, "extended_from": None, "replied_at": None, "late_days": None}
    assert shown["data"]["competent_department"] == "sjj"


def test_a_reply_within_the_period_is_recorded_on_time(procedure):
    instance_id = procedure.start(catalog_item="GA-001", **APPLICATION)
    procedure.at("2026-03-09T23:30:00+08:00")  # the last day, before 24:00 Beijing time
    procedure.complete(instance_id, "review", "li.si", **APPROVAL)

    clock = procedure.show(instance_id)["statutory"]
    assert (clock["replied_at"], clock["late_days"]) == ("2026-03-09T15:30:00+00:00", 0)


def test_a_late_reply_is_marked_with_the_working_days_it_came_late(procedure):
    instance_id = procedure.start(catalog_item="GA-001", **APPLICATION)
    procedure.at("2026-03-11T10:00:00+08:00")  # Tuesday 03-10 and Wednesday 03-11 after Monday 03-09
    procedure.complete(instance_id, "review", "li.si", **APPROVAL)

    assert procedure.show(instance_id)["statutory"]["late_days"] == 2


def test_an_automatic_reply_is_recorded_at_receipt(procedure):
    instance_id = procedure.start(catalog_item="GA-002", **APPLICATION)  # 不予共享: refused at once

    clock = procedure.show(instance_id)["statutory"]
    assert (clock["replied_at"], clock["late_days"]) == ("2026-03-02T01:00:00+00:00", 0)


def test_an_extension_moves_the_deadline_and_keeps_the_original(procedure):
    instance_id = procedure.start(catalog_item="GA-001", **APPLICATION)
    procedure.at("2026-03-06T10:00:00+08:00")
    procedure.complete(instance_id, "review", "li.si", **EXTENSION)

    clock = procedure.show(instance_id)["statutory"]
    assert (clock["due_date"], clock["rule"], clock["extended_from"], clock["replied_at"]) == (
        "2026-03-16", "art20_share_extension", "2026-03-09", None)


def test_an_extension_after_the_original_deadline_is_refused_and_changes_nothing(procedure):
    instance_id = procedure.start(catalog_item="GA-001", **APPLICATION)
    review_id = procedure.open_tasks(instance_id)["review"]["id"]
    before = procedure.actions(instance_id)
    procedure.at("2026-03-10T00:00:01+08:00")  # Monday 03-09 ended at 24:00

    with pytest.raises(Conflict) as refused:
        procedure.complete(instance_id, "review", "li.si", **EXTENSION)

    assert refused.value.code == "statutory.extension_late"
    assert refused.value.params["due"] == "2026-03-09"
    assert procedure.open_tasks(instance_id)["review"]["id"] == review_id
    assert procedure.actions(instance_id) == [*before, ("li.si", "task.claim")]  # the claim came first, on its own
    assert procedure.show(instance_id)["statutory"]["due_date"] == "2026-03-09"
    procedure.assert_round_trips(instance_id)
