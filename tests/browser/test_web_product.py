"""The finished web app in Debian's chromium on the demo data: the catalog picker, documents,
withdrawal, a refusal without internal text, search by what people read, the decision form
showing the chosen decision's fields, layout at 1366 and 390 px, and axe-core's accessibility check."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "e2e"))

from engine.demo import DEMO_USERS  # noqa: E402
from browser_helpers import follow, serving  # noqa: E402
from web_helpers import DemoEngines, make_app, seed_demo  # noqa: E402

pytestmark = pytest.mark.browser
PASSWORDS = {u.name: u.password for u in DEMO_USERS}
LONG = "X" * 300  # one unbroken 300-character value
SERIOUS = ("serious", "critical")


@pytest.fixture
def server(sqlite_url):
    """The app on the demo data, served by werkzeug on 127.0.0.1 (a free port), clock frozen."""
    seed_demo(sqlite_url)
    engines = DemoEngines(sqlite_url)
    with serving(make_app(engines.at(), TESTING=False)) as base:
        yield base
    engines.close()


def sign_in(browser, base: str, name: str, width: int = 1366):
    page = browser.new_context(base_url=base, viewport={"width": width, "height": 900}).new_page()
    page.set_default_timeout(10_000)
    page.goto("/auth/login")
    page.get_by_label("用户名").fill(name)
    page.get_by_label("密码").fill(PASSWORDS[name])
    follow(page, page.get_by_role("button", name="登录"))
    return page


def apply_for_population_data(page, reason: str = "核验企业法定代表人身份") -> None:
    page.goto("/portal/apply/conditional_share")
    picker = page.get_by_label("申请数据（目录编码）")
    # The picker offers the catalog by name; the applicant picks 人口基础信息, which fills in its code.
    options = page.locator("datalist#f-catalog_item-catalog option")
    assert options.filter(has_text="人口基础信息").count() == 1
    picker.fill(options.filter(has_text="人口基础信息").get_attribute("value"))
    page.get_by_label("申请理由").fill(reason)
    page.get_by_label("申请依据（履行的法定职责）").fill("市场主体登记管理职责")
    page.get_by_label("用途").fill("登记审查")
    page.get_by_label("申请使用范围（字段、对象）").fill("姓名、身份证号")
    page.get_by_label("申请使用期限至").fill("2026-12-31")
    follow(page, page.get_by_role("button", name="提交申请"))
    assert "申请已受理" in page.locator(".flash").first.inner_text()


def serious_violations(page) -> list[str]:
    """axe-core's serious and critical findings on the page (the app serves axe itself)."""
    page.add_script_tag(url="/static/vendor/axe.min.js")
    result = page.evaluate("async () => { const r = await axe.run(document); return {passes: r.passes.length, "
                           "violations: r.violations.map(v => ({id: v.id, impact: v.impact, "
                           "nodes: v.nodes.map(n => n.target.join(' '))}))}; }")
    assert result["passes"] > 0  # axe did run its rules
    found = result["violations"]
    return [f"{v['id']} {v['nodes'][:3]}" for v in found if v["impact"] in SERIOUS]


def fits(page) -> bool:
    """True when nothing makes the page wider than the window."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_an_applicant_picks_attaches_withdraws_and_reads_a_refusal_without_internal_text(server, browser, tmp_path):
    applicant = sign_in(browser, server, "zhang.san")
    apply_for_population_data(applicant)
    first = applicant.url
    document = tmp_path / "营业执照.pdf"
    document.write_bytes(b"%PDF-1.7\n%%EOF\n")
    applicant.get_by_label("上传材料").set_input_files(document)
    follow(applicant, applicant.get_by_role("button", name="上传", exact=True))
    assert "附件已上传" in applicant.locator(".flash").first.inner_text()
    assert applicant.get_by_role("link", name="营业执照.pdf").count() == 1

    apply_for_population_data(applicant, reason="第二件申请")
    applicant.get_by_label("撤回理由").fill("已通过其他渠道获取")
    follow(applicant, applicant.get_by_role("button", name="撤回申请"))
    assert "申请已撤回" in applicant.locator(".flash").first.inner_text()
    assert "已撤回" in applicant.locator(".facts").inner_text()

    reviewer = sign_in(browser, server, "li.si")
    # The demo's own application (filed at 宣汉县, not li.si's) took the day's first receipt number.
    for query in ("人口基础信息", "张三"):
        reviewer.get_by_label("搜索申请内容").fill(query)
        follow(reviewer, reviewer.get_by_role("button", name="筛选"))
        assert reviewer.get_by_role("link", name="DZ2026030200002", exact=True).count() == 1, query
        assert reviewer.get_by_role("link", name="DZ2026030200003", exact=True).count() == 0, query  # withdrawn
        assert reviewer.get_by_role("link", name="DZ2026030200001", exact=True).count() == 0, query  # 宣汉县's
    follow(reviewer, reviewer.get_by_role("button", name="认领 DZ2026030200002"))
    assert reviewer.get_by_role("link", name="营业执照.pdf").count() == 1
    assert "达州市市场监督管理局" in reviewer.content() and "仅限履行法定职责所需字段" in reviewer.content()

    # The decision form shows the fields of the chosen decision only.
    assert not reviewer.get_by_label("不予共享的理由").is_visible()
    reviewer.get_by_label("同意共享", exact=True).check()
    assert reviewer.get_by_label("准予共享的范围").is_visible() and not reviewer.get_by_label("不予共享的理由").is_visible()
    reviewer.get_by_label("不予共享", exact=True).check()
    assert reviewer.get_by_label("不予共享的理由").is_visible() and not reviewer.get_by_label("准予共享的范围").is_visible()
    reviewer.get_by_label("不予共享的理由").fill("该目录项仅限公安机关内部使用")
    reviewer.get_by_label("依据（法律法规规章或国家有关规定、目录条件）").fill("《公共数据共享目录》")
    reviewer.get_by_label("备注").fill("内部备注：申请单位此前有违规记录")
    follow(reviewer, reviewer.get_by_role("button", name="提交办理结果"))
    assert "已办理完成" in reviewer.locator(".flash").first.inner_text()

    applicant.goto(first)
    reply = applicant.locator("section", has=applicant.get_by_role("heading", name="答复")).inner_text()
    assert "不予共享" in reply and "该目录项仅限公安机关内部使用" in reply and "《公共数据共享目录》" in reply
    page = applicant.content()
    assert "内部备注" not in page and "li.si" not in page and "art20_share_reply" not in page


@pytest.mark.parametrize("width", [1366, 390])
def test_the_main_pages_hold_their_layout_and_have_no_serious_accessibility_violation(server, browser, width):
    applicant = sign_in(browser, server, "zhang.san", width)
    assert fits(applicant) and serious_violations(applicant) == []
    applicant.goto("/portal/apply/conditional_share")
    assert fits(applicant) and serious_violations(applicant) == []
    apply_for_population_data(applicant, reason=LONG)
    assert fits(applicant), "a 300-character value widens the application page"
    assert serious_violations(applicant) == []

    reviewer = sign_in(browser, server, "li.si", width)
    assert fits(reviewer) and serious_violations(reviewer) == []
    follow(reviewer, reviewer.get_by_role("link", name="DZ2026030200002", exact=True))
    assert fits(reviewer), "a 300-character value widens the task page"
    assert serious_violations(reviewer) == []
    reviewer.goto("/lang/en?next=/inbox/")
    assert fits(reviewer) and serious_violations(reviewer) == []

    admin = sign_in(browser, server, "admin", width)
    admin.goto("/calendar/")
    assert fits(admin) and serious_violations(admin) == []
    admin.goto("/no-such-page")
    assert serious_violations(admin) == []


@pytest.mark.parametrize("width", [1366, 390])
def test_the_supervisor_and_designer_pages_have_no_serious_accessibility_violation(server, browser, width):
    applicant = sign_in(browser, server, "zhang.san", width)
    apply_for_population_data(applicant)
    application = applicant.url
    for path in (f"{application}/reply", "/notifications/"):
        applicant.goto(path)
        assert serious_violations(applicant) == [], path

    supervisor = sign_in(browser, server, "zhao.liu", width)
    for path in ("/supervise/", "/supervise/ontime", "/supervise/assessment", "/supervise/promises",
                 application.replace("/portal/", "/supervise/"), "/grants/?state=all"):
        supervisor.goto(path)
        assert supervisor.locator("h1").count() == 1, path
        assert serious_violations(supervisor) == [], path
        assert fits(supervisor), path

    designer = sign_in(browser, server, "sun.qi", width)
    for path in ("/designer/", "/designer/processes/conditional_share", "/designer/processes/conditional_share/forms",
                 "/designer/processes/conditional_share/edit"):
        designer.goto(path)
        assert designer.locator("h1").count() == 1, path
        assert serious_violations(designer) == [], path
