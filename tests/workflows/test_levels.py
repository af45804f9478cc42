"""「本级」: the city and its counties as data (Art. 6 para. 2, 20 para. 1). An application is decided
by the competent authority of the applicant's level, the reply is issued in that authority's full
name, a county authority's supervisors oversee their county only, the city's every level, and the
figures roll up county -> city. On a frozen clock, on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from engine import demo
from engine.errors import Conflict, NotFound
from engine.persistence.models import Department, Notification, User
from engine.services import audience, instances, organisation, replies, reports, supervision
from engine.services.users import SYSTEM, add_user

PROCESS_ID = "conditional_share"

SHARE = {"catalog_item": "GA-001", "request_reason": "核验个体工商户经营者身份", "request_basis": "市场主体登记管理职责",
         "purpose": "登记审查", "requested_scope": "姓名", "requested_until": "2026-12-31"}
MARCH = (date(2026, 3, 1), date(2026, 3, 31))


@pytest.fixture
def counties(procedure):
    """The demo's two counties (通川区 tc, 宣汉县 xh) with their authorities and people."""
    demo.load_organisation(procedure.engine)
    for user in demo.COUNTY_USERS:
        add_user(procedure.engine.uow(), user.name, department=user.department, roles=list(user.roles),
                 display_name=user.display_name, actor=SYSTEM)
    return procedure


def _approve(procedure, instance_id: int, reviewer: str) -> None:
    procedure.complete(instance_id, "review", reviewer, decision="approve", granted_scope="姓名",
                       granted_until="2026-09-30")


def test_an_application_filed_at_a_county_goes_to_the_county_authority(counties):
    instance_id = counties.start(actor="ma.san", **SHARE)  # 通川区市场监管局

    shown = counties.show(instance_id)
    assert shown["department"] == "tcsjj"
    assert shown["data"]["competent_department"] == "tcsjj"
    assert counties.open_tasks(instance_id)["review"]["candidate_groups"] == ["reviewer@tcsjj"]
    with pytest.raises(NotFound):  # the city's reviewer is a stranger to a county's application
        counties.complete(instance_id, "review", "li.si", decision="approve", granted_scope="姓名",
                          granted_until="2026-09-30")
    _approve(counties, instance_id, "he.yi")
    reply = replies.formal_reply(counties.engine.uow(), "ma.san", instance_id)
    # The issuing unit signs with its full official name, not its short one (通川区数据局).
    assert reply["authority"] == {"code": "tcsjj", "name": "达州市通川区数据局", "short_name": "通川区数据局"}


def test_an_application_filed_at_the_city_still_goes_to_the_city_authority(counties):
    instance_id = counties.start(actor="zhang.san", **SHARE)
    assert counties.open_tasks(instance_id)["review"]["candidate_groups"] == ["reviewer@sjj"]
    assert counties.show(instance_id)["department"] == "sjj"


def test_one_function_answers_the_competent_authority_for_a_department_and_a_user(counties):
    with counties.engine.uow().read() as uow:
        session, config = uow.session, uow.engine.config
        answers = {code: organisation.competent_authority(session, config, department=code)
                   for code in ("xhscjgj", "tcscjgj", "gaj", "xhsjj")}
    assert answers == {"xhscjgj": "xhsjj", "tcscjgj": "tcsjj", "gaj": "sjj", "xhsjj": "xhsjj"}
    # A citizen of 宣汉县 has no department: their account names their level.
    add_user(counties.engine.uow(), "xh.citizen", department=None, roles=["applicant"], level="xh", actor=SYSTEM)
    with counties.engine.uow().read() as uow:
        users = {u.name: u for u in uow.session.scalars(select(User).where(User.name.in_(["xh.citizen", "chen.shi"])))}
        assert [organisation.competent_authority(uow.session, uow.engine.config, user=users[n])
                for n in ("xh.citizen", "chen.shi")] == ["xhsjj", "sjj"]


def test_a_county_supervisor_oversees_their_county_only_and_the_city_supervisor_every_level(counties):
    tc = counties.start(actor="ma.san", **SHARE)
    xh = counties.start(actor="tang.liu", **SHARE)
    city = counties.start(actor="zhang.san", **SHARE)
    engine = counties.engine

    def stands(actor, instance_id):
        with engine.uow().read() as uow:
            found = audience.audience_for(uow, actor, instance_id)
        return found.value if found else None

    assert [stands("luo.wu", i) for i in (tc, xh, city)] == [None, "supervisor", None]  # 宣汉县's supervisor
    assert [stands("lu.er", i) for i in (tc, xh, city)] == ["supervisor", None, None]  # 通川区's
    assert [stands("zhao.liu", i) for i in (tc, xh, city)] == ["supervisor"] * 3  # the city's roll-up
    listed = {a["id"] for a in instances.list_instances(engine.uow(), actor="luo.wu")}
    assert listed == {xh}
    assert reports.scope_name(engine.uow(), "luo.wu") == "宣汉县（全部部门）"
    # Overdue work: the county supervisor's dashboard shows the county's open steps only.
    late = counties.at("2026-03-20T09:00:00+08:00")
    assert {r.instance_id for r in reports.overdue(late.uow(), "luo.wu")} == {xh}
    assert {r.instance_id for r in reports.overdue(late.uow(), "zhao.liu")} == {tc, xh, city}


def test_the_city_figures_roll_up_the_counties_and_reconcile(counties):
    tc, xh, city = (counties.start(actor=a, **SHARE) for a in ("ma.san", "tang.liu", "zhang.san"))
    xh_late = counties.start(actor="tang.liu", **SHARE)
    _approve(counties, tc, "he.yi")
    _approve(counties, xh, "xu.si")
    _approve(counties, city, "li.si")
    counties.at("2026-03-20T09:00:00+08:00")
    _approve(counties, xh_late, "xu.si")  # after its 5 working days
    engine = counties.engine

    by_level = {r.key: r for r in reports.ontime(engine.uow(), "zhao.liu", start=MARCH[0], end=MARCH[1], by="level")}
    whole = reports.ontime(engine.uow(), "zhao.liu", start=MARCH[0], end=MARCH[1], by="procedure")
    assert {k: (r.name, r.on_time, r.late) for k, r in by_level.items()} == {
        "city": ("达州市", 1, 0), "tc": ("通川区", 1, 0), "xh": ("宣汉县", 1, 1)}
    total = sum(r.counted for r in whole)
    assert total == 4 == sum(r.counted for r in by_level.values())  # sum of counties + city = city total
    county = {r.key: (r.on_time, r.late) for r in
              reports.ontime(engine.uow(), "luo.wu", start=MARCH[0], end=MARCH[1], by="department")}
    assert county == {"xhsjj": (1, 1)}  # 宣汉县's supervisor: their county's figures only
    assert sum(r.counted for r in reports.ontime(engine.uow(), "lu.er", start=MARCH[0], end=MARCH[1],
                                                 by="level")) == 1


def test_a_department_with_open_work_is_not_retired(counties):
    instance_id = counties.start(actor="zhang.san", **SHARE)
    counties.complete(instance_id, "review", "li.si", decision="extend", extension_reason="需征求市公安局意见")
    # The source unit's opinion is asked of source_unit_handler@gaj: gaj has one open step.
    with pytest.raises(Conflict) as refused:
        organisation.retire_department(counties.engine.uow(), "gaj", actor="admin")
    assert (refused.value.code, refused.value.params) == ("department.open_work", {"department": "gaj", "count": 1})
    with counties.engine.uow().read() as uow:
        assert uow.session.get(Department, "gaj").retired_at is None
    with pytest.raises(Conflict) as authority:  # an authority is replaced first, never retired
        organisation.retire_department(counties.engine.uow(), "xhsjj", actor="admin")
    assert authority.value.code == "department.is_authority"
    retired = organisation.retire_department(counties.engine.uow(), "dzkj", actor="admin")
    assert retired.retired_at is not None
    with pytest.raises(Conflict):  # a retired department takes no new members
        add_user(counties.engine.uow(), "late.comer", department="dzkj", roles=["applicant"], actor=SYSTEM)


def test_overdue_work_at_a_county_alerts_its_authority_supervisors_and_the_city(counties):
    xh = counties.start(actor="tang.liu", **SHARE)
    late = counties.at("2026-03-20T09:00:00+08:00")
    supervision.watch(late.uow())
    with late.uow().read() as uow:
        groups = set(uow.session.scalars(select(Notification.recipient_group).where(
            Notification.instance_id == xh, Notification.code == "notification.deadline_overdue")))
    assert {"supervisor", "supervisor@xhsjj"} <= groups
    assert "supervisor@sjj" not in groups
