"""engine.access and engine.permissions across levels: the city authority's supervisors oversee every
level, a county authority's their county's departments, and only the city's are the bare
`supervisor` group of escalations."""
from __future__ import annotations

import pytest

from engine.access import Audience, Case, Step, Viewer, audience_of, concerns, supervised_scope
from engine.permissions import groups_of

# A share application of 宣汉县市场监管局 (xhscjgj) decided by 宣汉县数据局 (xhsjj), the county's authority.
COUNTY_CASE = Case(started_by="tang.liu", department="xhsjj", steps=(Step(("reviewer@xhsjj",)),),
                   unit_of={"tang.liu": "xhscjgj"})
XH = frozenset({"xhsjj", "xhscjgj"})


def county_supervisor(department="xhsjj", level_departments=XH):
    return Viewer("luo.wu", department, ("supervisor",), "authority", "county", level_departments)


@pytest.mark.parametrize("user, expected", [
    (county_supervisor(), Audience.SUPERVISOR),  # 宣汉县's authority: its county's application
    (county_supervisor("tcsjj", frozenset({"tcsjj", "tcscjgj"})), None),  # 通川区's: a stranger to it
    (Viewer("zhao.liu", "sjj", ("supervisor",), "authority", "city"), Audience.SUPERVISOR),  # the city's roll-up
    (Viewer("zhao.liu", "sjj", ("supervisor",), "authority", None), Audience.SUPERVISOR),  # no level: the city's
    (Viewer("sup.xhscjgj", "xhscjgj", ("supervisor",), "department", "county"), None),  # the applicant's unit
    (Viewer("li.si", "sjj", ("reviewer",), "authority", "city"), None),  # the city's reviewer
])
def test_each_supervisor_stands_where_their_level_places_them(user, expected):
    assert audience_of(user, COUNTY_CASE) == expected


def test_the_scope_of_each_supervisor_is_every_level_their_county_or_their_department():
    assert supervised_scope(Viewer("zhao.liu", "sjj", ("supervisor",), "authority", "city")) is None
    assert supervised_scope(county_supervisor()) == XH
    assert supervised_scope(Viewer("s", "gaj", ("supervisor",), "department", "city")) == {"gaj"}
    assert supervised_scope(Viewer("root", "dsjzx", ("admin",), "operator", "city")) is None


def test_only_the_city_authoritys_supervisors_are_the_bare_supervisor_group():
    assert "supervisor" in groups_of(Viewer("zhao.liu", "sjj", ("supervisor",), "authority", "city"))
    county = groups_of(county_supervisor())
    assert "supervisor" not in county and "supervisor@xhsjj" in county


def test_an_application_concerns_a_set_of_departments_when_it_concerns_one_of_them():
    assert concerns(COUNTY_CASE, XH) and concerns(COUNTY_CASE, "xhsjj")
    assert not concerns(COUNTY_CASE, {"tcsjj", "tcscjgj"}) and not concerns(COUNTY_CASE, frozenset())
