"""The web app in Debian's chromium: apply, claim and decide, read the reply; a rival's inbox updates."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "e2e"))

from browser_helpers import follow, serving  # noqa: E402
from web_helpers import PASSWORD, Engines, make_app, prepare  # noqa: E402

pytestmark = pytest.mark.browser


@pytest.fixture
def server(sqlite_url):
    """The app served by werkzeug on 127.0.0.1 (a free port) on an SQLite file, clock frozen."""
    engines = Engines(sqlite_url)
    prepare(engines.at())
    with serving(make_app(engines.at(), TESTING=False)) as base:
        yield base
    engines.close()


def sign_in(browser, base: str, name: str):
    page = browser.new_context(base_url=base).new_page()
    page.set_default_timeout(10_000)
    page.goto("/auth/login")
    page.get_by_label("用户名").fill(name)
    page.get_by_label("密码").fill(PASSWORD)
    follow(page, page.get_by_role("button", name="登录"))
    return page


def test_an_application_is_decided_in_the_browser_and_the_applicant_reads_the_reply(server, browser):
    applicant = sign_in(browser, server, "zhang.san")
    follow(applicant, applicant.get_by_role("link", name="有条件共享申请（测试）"))
    applicant.get_by_label("申请单位").fill("达州市公安局")
    applicant.get_by_label("户籍人口基本信息").check()
    applicant.get_by_label("用途").fill("户籍信息核验")
    follow(applicant, applicant.get_by_role("button", name="提交申请"))
    assert "申请已受理，受理编号：DZ2026030200001" in applicant.locator(".flash").inner_text()
    assert "剩余 5 个工作日" in applicant.content()

    reviewer = sign_in(browser, server, "li.si")
    rival = sign_in(browser, server, "wang.wu")
    assert rival.get_by_role("cell", name="DZ2026030200001", exact=True).count() == 1

    follow(reviewer, reviewer.get_by_role("button", name="认领 DZ2026030200001"))
    assert "已认领任务" in reviewer.locator(".flash").inner_text()
    reviewer.get_by_label("不予共享").check()
    follow(reviewer, reviewer.get_by_role("button", name="提交办理结果"))
    assert "理由：此项为必填项" in reviewer.locator(".error").first.inner_text()
    reviewer.get_by_label("理由").fill("该目录项未列入共享责任清单")
    reviewer.get_by_label("依据").fill("第二十条第二款")
    follow(reviewer, reviewer.get_by_role("button", name="提交办理结果"))
    assert "已办理完成" in reviewer.locator(".flash").inner_text()

    rival.reload()
    assert rival.get_by_role("cell", name="DZ2026030200001", exact=True).count() == 0
    assert "暂无任务" in rival.content()

    applicant.reload()
    reply = applicant.locator("section", has=applicant.get_by_role("heading", name="答复")).inner_text()
    assert "不予共享" in reply and "该目录项未列入共享责任清单" in reply and "第二十条第二款" in reply
