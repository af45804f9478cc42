"""The organisation over HTTP and on the command line: an administrator builds the city's authority
and a county with its authority; an application filed at the county lands in the county
authority's inbox; retiring a department with open work is refused with the count."""
from __future__ import annotations

import html

import pytest
from click.testing import CliRunner

from engine.cli import main
from engine.services import accounts, organisation, tasks
from engine.services.users import SYSTEM, add_user
from engine_factory import FROZEN
from web_helpers import PASSWORD, AuthActions, Engines, flashes, make_app


@pytest.fixture
def demo_client(demo_engines):
    return make_app(demo_engines.at(FROZEN)).test_client()


def _page_flashes(client) -> list[str]:
    return [html.unescape(f) for f in flashes(client.get("/organisation/").text)]


def test_an_administrator_adds_a_county_and_its_authority_on_the_web(demo_client, demo_engines):
    auth = AuthActions(demo_client)
    auth.login("admin", "dsjzx-admin-demo")
    page = demo_client.get("/organisation/").text
    assert "组织机构" in page and "宣汉县" in page and "通川区" in page

    assert auth.post("/organisation/", "/organisation/levels",
                     {"code": "dc", "name": "达川区", "kind": "county", "parent": ""}).status_code == 302
    assert auth.post("/organisation/", "/organisation/departments",
                     {"code": "dcsjj", "name": "达川区数据局", "full_name": "达州市达川区数据局",
                      "kind": "authority", "level": "dc"}).status_code == 302
    # (Each post first reads the page for its CSRF token, which shows the flash before it.)
    assert _page_flashes(demo_client) == ["已添加部门 dcsjj。"]
    levels = {v.code: v for v in organisation.list_levels(demo_engines.at(FROZEN).uow())}
    assert (levels["dc"].kind, levels["dc"].parent, levels["dc"].authority) == ("county", "city", "dcsjj")

    # A second authority for the same county is refused, naming the one it has.
    auth.post("/organisation/", "/organisation/departments",
              {"code": "dcsjj2", "name": "重复", "kind": "authority", "level": "dc"})
    assert _page_flashes(demo_client) == ["层级 dc 已有公共数据主管部门 dcsjj。"]
    # Bad input names its field and changes nothing.
    auth.post("/organisation/", "/organisation/departments", {"code": "bad code", "name": "", "level": "dc"})
    assert _page_flashes(demo_client) == [
        "组织机构未作改动。；code: 编码 bad code 无效：只能包含字母、数字、_、-、.，不超过 64 个字符。；name: 请填写名称。"]
    # Renamed, the full official name is what the page shows under the short one.
    auth.post("/organisation/", "/organisation/departments/dcsjj/rename", {"full_name": "达州市达川区大数据局"})
    assert "达州市达川区大数据局" in demo_client.get("/organisation/").text
    codes = {d.code for d in organisation.list_departments(demo_engines.at(FROZEN).uow(), level="dc")}
    assert codes == {"dcsjj"}


def test_the_demo_application_filed_at_a_county_waits_in_the_county_authoritys_inbox(demo_client):
    auth = AuthActions(demo_client)
    auth.login("xu.si", "xhsjj-reviewer-demo")  # 宣汉县数据局's reviewer
    inbox = demo_client.get("/inbox/?tab=available").text
    assert "唐六" in inbox or "宣汉县市场监管局" in inbox
    auth.logout()
    auth.login("li.si", "sjj-reviewer-demo")  # the city's reviewer does not have it
    inbox = demo_client.get("/inbox/?tab=available").text
    assert "唐六" not in inbox and "宣汉县市场监管局" not in inbox


def test_retiring_a_department_with_open_work_is_refused_with_the_count(demo_client):
    auth = AuthActions(demo_client)
    auth.login("admin", "dsjzx-admin-demo")
    # 宣汉县数据局's reviewers have the county application's review open; it is also the authority.
    auth.post("/organisation/", "/organisation/departments/xhsjj/retire")
    assert _page_flashes(demo_client) == [
        "部门 xhsjj 是 xh 的公共数据主管部门，不能改变类型、迁移或撤销；请先指定该层级的另一个主管部门。"]
    # Its applicant's department has none: it is retired.
    auth.post("/organisation/", "/organisation/departments/dzkj/retire")
    assert _page_flashes(demo_client) == ["已撤销部门 dzkj。"]


def test_the_command_line_builds_the_city_authority_and_a_county_authority(tmp_path, monkeypatch):
    monkeypatch.setenv("PDW_DATABASE_URL", f"sqlite:///{tmp_path / 'org.sqlite3'}")
    monkeypatch.setenv("PDW_CLOCK", FROZEN)
    monkeypatch.setenv("PDW_LANG", "en")
    runner = CliRunner()

    def pdw(*args: str):
        return runner.invoke(main, list(args))

    assert pdw("db", "upgrade").exit_code == 0
    assert pdw("users", "add", "root", "--department", "dsjzx", "--department-name", "达州市大数据中心",
               "--department-kind", "operator", "--roles", "admin").exit_code == 0
    refused = pdw("users", "add", "gina", "--department", "xhgaj", "--roles", "applicant", "--as", "root")
    assert refused.exit_code == 1 and "pdw departments add" in refused.output
    done = pdw("departments", "add", "sjj", "--name", "市数据局", "--full-name", "达州市数据局", "--kind", "authority",
               "--as", "root")
    assert done.output == "added department sjj (达州市数据局, kind authority, level city)\n"
    assert pdw("levels", "add", "xh", "--name", "宣汉县", "--as", "root").output == \
        "added level xh (宣汉县, county, parent city)\n"
    assert pdw("departments", "add", "xhsjj", "--name", "宣汉县数据局", "--kind", "authority", "--level", "xh",
               "--as", "root").exit_code == 0
    assert pdw("departments", "add", "xhgaj", "--name", "宣汉县公安局", "--level", "xh", "--as", "root").exit_code == 0
    assert pdw("users", "add", "gina", "--department", "xhgaj", "--roles", "applicant", "--as", "root").exit_code == 0
    assert pdw("levels", "list").output.splitlines() == ["city\tcity\t-\tsjj\t2\t市本级",
                                                        "xh\tcounty\tcity\txhsjj\t2\t宣汉县"]
    listed = pdw("departments", "list", "--level", "xh").output.splitlines()
    assert listed == ["xhgaj\txh\tdepartment\t宣汉县公安局\t宣汉县公安局", "xhsjj\txh\tauthority *\t宣汉县数据局\t宣汉县数据局"]
    # Only an admin builds the organisation; nothing is written for anyone else.
    assert pdw("departments", "add", "x", "--name", "x", "--as", "gina").exit_code == 1
    moved = pdw("departments", "move", "xhsjj", "--level", "city", "--as", "root")
    assert moved.exit_code == 1 and "competent authority of level 'xh'" in moved.output


def test_the_city_supervisor_reads_the_on_time_figures_by_level_and_a_county_supervisor_their_county(
        demo_client, demo_engines):
    engine = demo_engines.at(FROZEN)
    review = next(t for t in tasks.list_tasks(engine.uow(), actor="xu.si") if t["process_id"] == "conditional_share")
    tasks.claim(engine.uow(), review["id"], actor="xu.si")
    tasks.complete(engine.uow(), review["id"], actor="xu.si",
                   data={"decision": "approve", "granted_scope": "姓名", "granted_until": "2026-09-30"})
    auth = AuthActions(demo_client)
    auth.login("zhao.liu", "sjj-supervisor-demo")
    page = demo_client.get("/supervise/ontime?by=level&from=2026-03-01&to=2026-03-31").text
    assert "按层级" in page and "宣汉县" in page
    auth.logout()
    auth.login("lu.er", "tcsjj-supervisor-demo")  # 通川区's supervisor: nothing of 宣汉县's
    page = demo_client.get("/supervise/ontime?by=level&from=2026-03-01&to=2026-03-31").text
    assert "宣汉县" not in page.split("<main", 1)[1]


def test_an_administrator_records_the_city_authority_on_the_web_in_a_new_database(sqlite_url):
    engines = Engines(sqlite_url)
    try:
        engine = engines.at(FROZEN)
        add_user(engine.uow(), "root", department="dsjzx", department_name="达州市大数据服务中心",
                 department_kind="operator", roles=["admin"], actor=SYSTEM)
        accounts.set_password(engine.uow(), "root", PASSWORD, actor=SYSTEM)
        client = make_app(engine).test_client()
        auth = AuthActions(client)
        auth.login("root")
        # Until one is recorded the configured code stands in for the city's authority.
        assert [(v.code, v.authority) for v in organisation.list_levels(engine.uow())] == [("city", "sjj")]
        assert auth.post("/organisation/", "/organisation/departments",
                         {"code": "sjj", "name": "市数据局", "full_name": "达州市数据局", "kind": "authority",
                          "level": "city"}).status_code == 302
        assert _page_flashes(client) == ["已添加部门 sjj。"]
        assert [(v.code, v.authority, v.authority_name) for v in organisation.list_levels(engine.uow())] == [
            ("city", "sjj", "市数据局")]
        [sjj] = [d for d in organisation.list_departments(engine.uow()) if d.code == "sjj"]
        assert (sjj.kind, sjj.level, sjj.full_name, sjj.is_authority) == ("authority", "city", "达州市数据局", True)
    finally:
        engines.close()
