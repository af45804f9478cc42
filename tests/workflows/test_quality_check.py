"""quality_check: Art. 16 para. 1 — the operator's quality check, feedback to the providing unit and
its rectification, on a frozen clock, on SQLite and PostgreSQL."""
from __future__ import annotations

import pytest

from engine.errors import PermissionDenied
from engine.services import instances

PROCESS_ID = "quality_check"

FINDING = {"catalog_item": "GA-001", "problem_type": "incomplete", "description": "户籍地址字段约 3% 为空"}


def test_a_quality_problem_goes_back_to_the_providing_unit_until_it_is_rectified(procedure):
    instance_id = procedure.start(actor="li.si", **FINDING)

    rectify = procedure.open_tasks(instance_id)["rectify"]
    assert rectify["candidate_groups"] == ["source_unit_handler@gaj"]
    assert rectify["due_date"] is None  # the Measures set no period; the clock says so
    assert procedure.show(instance_id)["statutory"]["rule"] == "art16_quality_feedback"
    assert procedure.show(instance_id)["statutory"]["due_date"] is None
    procedure.complete(instance_id, "rectify", "wang.wu", rectification_summary="补录空缺地址",
                       rectified_on="2026-03-04")
    assert procedure.open_tasks(instance_id)["verify"]["candidate_groups"] == ["reviewer@sjj"]
    procedure.complete(instance_id, "verify", "li.si", verdict="not_rectified", verification_note="仍有 0.5% 为空")
    procedure.complete(instance_id, "rectify", "wang.wu", rectification_summary="全部补录", rectified_on="2026-03-06")
    done = procedure.complete(instance_id, "verify", "li.si", verdict="rectified", verification_note="已整改到位")

    assert done["instance_status"] == "completed"


def test_only_officials_start_a_quality_check(procedure):
    with pytest.raises(PermissionDenied):
        instances.start(procedure.engine.uow(), PROCESS_ID, actor="zhang.san", data=FINDING)
