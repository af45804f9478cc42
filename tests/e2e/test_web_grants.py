"""The register of grants over HTTP on the demo data: the authority reads and ends grants (Art.
43) with a reason, a supervisor reads them, the grantee sees its own on the portal."""
from __future__ import annotations

from datetime import datetime

import io
import re

from openpyxl import load_workbook

from engine.services import exports, grants, instances, tasks, tokens
from engine.services.users import SYSTEM, add_user
from web_helpers import AuthActions, flashes, make_app

SHARE = {"catalog_item": "GA-001", "request_reason": "核验企业法定代表人身份", "request_basis": "市场主体登记管理职责",
         "purpose": "登记审查", "requested_scope": "姓名、身份证号", "requested_until": "2026-12-31"}
PASSWORDS = {"li.si": "sjj-reviewer-demo", "zhang.san": "scjgj-applicant-demo", "zhao.liu": "sjj-supervisor-demo"}


def _granted(engine) -> str:
    """zhang.san's application for GA-001 (scjgj), approved by li.si; its receipt number."""
    started = instances.start(engine.uow(), "conditional_share", actor="zhang.san", data=SHARE)
    [review] = tasks.of_instance(engine.uow(), started.instance_id)
    tasks.claim(engine.uow(), review["id"], actor="li.si")
    tasks.complete(engine.uow(), review["id"], actor="li.si",
                   data={"decision": "approve", "granted_scope": "姓名、身份证号", "granted_until": "2026-12-31"})
    return started.receipt_number


def _signed_in(engine, name: str):
    client = make_app(engine).test_client()
    auth = AuthActions(client)
    auth.login(name, PASSWORDS[name])
    return client, auth


def test_the_authority_reads_and_ends_a_grant_with_a_reason_and_the_grantee_sees_it_end(demo_engines):
    engine = demo_engines.at()
    receipt = _granted(engine)
    reviewer, auth = _signed_in(engine, "li.si")

    page = reviewer.get("/grants/").text
    assert "数据授权登记" in page and 'href="/grants/"' in page  # in the main navigation
    row = re.search(r'<tr data-grant="(\d+)">(.*?)</tr>', page, re.S)
    grant, cells = row.group(1), row.group(2)
    for shown in ("人口基础信息", "GA-001", "达州市市场监督管理局", "姓名、身份证号", "2026-12-31", receipt, "有效"):
        assert shown in cells, shown
    grantee, _ = _signed_in(engine, "zhang.san")
    assert "我持有的数据授权" in grantee.get("/portal/").text

    refused = auth.post("/grants/", f"/grants/{grant}/revoke", {"reason": "  "}, follow_redirects=True)
    assert any("请填写终止授权的理由" in f for f in flashes(refused.text))
    assert f'<tr data-grant="{grant}">' in reviewer.get("/grants/").text  # still giving access

    ended = auth.post("/grants/", f"/grants/{grant}/revoke", {"reason": "申请单位超范围使用数据"}, follow_redirects=True)
    assert f"已终止授权 {grant}。" in flashes(ended.text)
    assert f'<tr data-grant="{grant}">' not in reviewer.get("/grants/").text
    everything = reviewer.get("/grants/?state=all").text
    assert "已终止" in everything and "申请单位超范围使用数据" in everything and "li.si" in everything
    held = grantee.get("/portal/").text.split("我持有的数据授权")[1]
    assert "已终止" in held and "申请单位超范围使用数据" in held


def test_a_supervisor_reads_the_register_but_cannot_end_a_grant_and_an_applicant_cannot_read_it(demo_engines):
    engine = demo_engines.at()
    _granted(engine)
    supervisor, auth = _signed_in(engine, "zhao.liu")
    page = supervisor.get("/grants/").text
    grant = re.search(r'<tr data-grant="(\d+)">', page).group(1)
    assert "/revoke" not in page
    assert auth.post("/grants/", f"/grants/{grant}/revoke", {"reason": "试图终止"}).status_code == 403
    applicant, _ = _signed_in(engine, "zhang.san")
    response = applicant.get("/grants/")
    assert response.status_code == 403 and 'href="/grants/"' not in applicant.get("/portal/").text


def test_the_register_filters_by_catalog_item_and_grantee(demo_engines):
    engine = demo_engines.at()
    _granted(engine)
    reviewer, _ = _signed_in(engine, "li.si")
    assert "data-grant=" in reviewer.get("/grants/?item=GA-001&grantee=scjgj").text
    assert "data-grant=" not in reviewer.get("/grants/?item=SC-002").text
    assert "没有符合条件的授权" in reviewer.get("/grants/?grantee=gaj").text


def test_the_register_over_the_api_lists_and_ends_grants_for_the_authority_only(demo_engines):
    engine = demo_engines.at()
    receipt = _granted(engine)
    client = make_app(engine).test_client()

    def bearer(user: str) -> dict:
        return {"Authorization": f"Bearer {tokens.create(engine.uow(), user, actor=SYSTEM).secret}",
                "Accept-Language": "en"}

    reviewer = bearer("li.si")
    [grant] = client.get("/api/v1/grants", headers=reviewer).get_json()
    assert (grant["catalog_item"], grant["grantee"], grant["receipt_number"], grant["active"]) == (
        "GA-001", "scjgj", receipt, True)
    blank = client.post(f"/api/v1/grants/{grant['id']}/revoke", json={"reason": " "}, headers=reviewer)
    assert blank.status_code == 422 and [p["field"] for p in blank.get_json()["problems"]] == ["reason"]
    assert client.post(f"/api/v1/grants/{grant['id']}/revoke", json={"reason": "x"},
                       headers=bearer("zhang.san")).status_code == 403
    ended = client.post(f"/api/v1/grants/{grant['id']}/revoke", json={"reason": "超范围使用"}, headers=reviewer)
    assert ended.status_code == 200 and ended.get_json()["active"] is False
    assert client.get("/api/v1/grants", headers=reviewer).get_json() == []
    assert client.get("/api/v1/grants?state=all", headers=reviewer).get_json()[0]["revoke_reason"] == "超范围使用"


def test_a_department_s_own_supervisor_reads_only_the_grants_of_its_data_and_those_it_holds(demo_engines):
    engine = demo_engines.at()
    _granted(engine)  # GA-001, the data of gaj, to scjgj
    instances.start(engine.uow(), "conditional_share", actor="zhang.san",  # SC-002 (scjgj's), granted at once
                    data={**SHARE, "catalog_item": "SC-002"})
    add_user(engine.uow(), "gaj.supervisor", department="gaj", roles=["supervisor"], actor=SYSTEM)

    everything = grants.register(engine.uow(), "zhao.liu")["grants"]  # the authority's supervisor
    assert sorted(g["catalog_item"] for g in everything) == ["GA-001", "SC-002"]
    own = grants.register(engine.uow(), "gaj.supervisor")
    assert [g["catalog_item"] for g in own["grants"]] == ["GA-001"] and own["may_revoke"] is False


def test_the_register_downloads_as_filtered_on_its_page(demo_engines):
    engine = demo_engines.at()
    receipt = _granted(engine)
    reviewer, _ = _signed_in(engine, "li.si")
    page = reviewer.get("/grants/?state=all&item=GA-001").text
    assert "/grants/register.xlsx?state=all&amp;item=GA-001" in page
    sheet = load_workbook(io.BytesIO(reviewer.get("/grants/register.xlsx?state=all&item=GA-001").data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "数据授权登记"  # the title row, then the headers
    record = dict(zip(rows[1], rows[2]))
    assert (record["目录编码"], record["被授权方"], record["受理编号"]) == ("GA-001", "达州市市场监督管理局", receipt)
    assert isinstance(record["授权时间"], datetime) and record["授权时间"].microsecond == 0  # a date cell, Beijing time
    assert len(rows) == 3
    csv_text = reviewer.get("/grants/register.csv?item=SC-002").data.decode("utf-8-sig")
    assert csv_text.splitlines() == [",".join(h for _, h in exports.GRANT_COLUMNS)]  # headers, no such grant
    assert reviewer.get("/grants/register.pdf").status_code == 404
