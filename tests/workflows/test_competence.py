"""Competence (Art. 6, 20, 23, 27: the 公共数据主管部门 decides through its own reviewers) and the
kinds of account that may apply under each article, on a frozen clock, on SQLite and PostgreSQL."""
from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import func, select

from engine.errors import NotFound, PermissionDenied
from engine.persistence.models import ProcessInstance
from engine.services import instances, portal
from engine.services.users import SYSTEM, add_user
from engine_factory import FROZEN

PROCESS_ID = "conditional_share"

SHARE = {"catalog_item": "GA-001", "request_reason": "办理户籍业务需核验人口信息", "request_basis": "《户口登记条例》",
         "purpose": "户籍登记", "requested_scope": "姓名、户籍地址", "requested_until": "2026-12-31"}
OPEN = {"catalog_item": "SC-002", "request_reason": "开展营商环境研究", "request_basis": "研究合作协议",
        "purpose": "统计分析"}
CROSS_LEVEL = {"counterpart_level": "provincial", "counterpart": "四川省市场监督管理局", "data_name": "省级企业年报信息",
               "request_reason": "企业信用监管", "request_basis": "《企业信息公示暂行条例》", "purpose": "信用评价"}
SHARE_DEMAND = {"demand_type": "share", "data_name": "机动车登记信息", "description": "车辆所有人与号牌",
                "purpose": "执法核查"}
OPEN_DEMAND = {"demand_type": "open", "data_name": "医疗机构执业登记信息", "description": "机构名称、地址、科目",
               "purpose": "就医导航应用"}


def _instances(procedure) -> int:
    with procedure.engine.uow().read() as uow:
        return uow.session.scalar(select(func.count()).select_from(ProcessInstance))


def test_a_reviewer_of_another_unit_may_not_decide_a_share_application(procedure):
    add_user(procedure.engine.uow(), "gina", department="gaj", roles=["reviewer"], actor=SYSTEM)  # the source unit's reviewer
    instance_id = procedure.start(**SHARE)

    assert procedure.open_tasks(instance_id)["review"]["candidate_groups"] == ["reviewer@sjj"]
    with pytest.raises(NotFound):  # a stranger to the application: it does not exist for them
        procedure.complete(instance_id, "review", "gina", decision="refuse", reason="不同意", basis="无")
    assert procedure.complete(instance_id, "review", "li.si", decision="approve", granted_scope="姓名",
                              granted_until="2026-09-30")["instance_status"] == "completed"


def test_the_competent_department_is_a_setting(procedure, project_engines):
    project_engines.close()
    project_engines.config = replace(project_engines.config, competent_department="dsjzx")
    procedure.at(FROZEN)
    instance_id = procedure.start(**SHARE)

    assert procedure.show(instance_id)["department"] == "dsjzx"
    assert procedure.open_tasks(instance_id)["review"]["candidate_groups"] == ["reviewer@dsjzx"]


@pytest.mark.parametrize("actor, kind", [("chen.shi", "自然人"), ("qian.jiu", "法人/非法人组织")])
def test_only_departments_and_public_service_organisations_may_apply_to_share(procedure, actor, kind):
    before = _instances(procedure)
    for process_id, data in (("conditional_share", SHARE), ("cross_level_share", CROSS_LEVEL),
                             ("catalog_demand", SHARE_DEMAND)):
        with pytest.raises(PermissionDenied) as refused:
            instances.start(procedure.engine.uow(), process_id, actor=actor, data=data)
        assert (refused.value.code, refused.value.params["kind"]) == ("process.not_for_kind", kind)
        assert refused.value.params["needed"] == "政务部门、公共服务组织"
    assert _instances(procedure) == before  # nothing received, no receipt number used
    names = {p["process_id"] for p in portal.overview(procedure.engine.uow(), actor)["procedures"]}
    assert not names & {"conditional_share", "cross_level_share"}


def test_a_public_service_organisation_may_apply_to_share(procedure):
    instance_id = procedure.start(actor="feng.ba", **SHARE)
    assert "review" in procedure.open_tasks(instance_id)


@pytest.mark.parametrize("actor", ["chen.shi", "qian.jiu", "zhang.san"])
def test_anyone_may_apply_for_opening_or_demand_an_opening(procedure, actor):
    for process_id, data in (("conditional_open", OPEN), ("catalog_demand", OPEN_DEMAND)):
        result = instances.start(procedure.engine.uow(), process_id, actor=actor, data=data)
        assert result.error is None, result.error
