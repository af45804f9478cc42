"""A supervisor in Debian's chromium: an application made overdue on a frozen clock, drilled down
to, downloaded as Excel; the on-time chart is drawn by the app's own chart.js."""
from __future__ import annotations

import sys
import threading
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "e2e"))

from engine.services import instances  # noqa: E402
from browser_helpers import follow  # noqa: E402
from test_web_browser import sign_in  # noqa: E402
from web_helpers import PASSWORD, Engines, make_app, prepare  # noqa: E402

pytestmark = pytest.mark.browser
# Received Thursday 2026-02-12, due 2026-02-26; the app's clock stands on Monday 2026-03-02.
RECEIVED = "2026-02-12T10:00:00+08:00"


@pytest.fixture
def late_server(sqlite_url):
    """The app served on 127.0.0.1 (a free port), clock frozen on 2026-03-02, with one application
    received on 2026-02-12 and never answered."""
    from werkzeug.serving import make_server

    engines = Engines(sqlite_url)
    prepare(engines.at())
    instances.start(engines.at(RECEIVED).uow(), "web_share", actor="zhang.san",
                    data={"unit": "达州市公安局", "catalog_item": "DZ-GA-001", "purpose": "户籍信息核验"})
    httpd = make_server("127.0.0.1", 0, make_app(engines.at(), TESTING=False), threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    thread.join()
    engines.close()


def test_a_supervisor_finds_the_overdue_application_drills_down_and_downloads_it(late_server, browser, tmp_path):
    page = sign_in(browser, late_server, "zhao.liu")
    follow(page, page.get_by_role("link", name="督办"))
    overdue = page.locator("section", has=page.get_by_role("heading", name="已逾期（1）"))
    row = overdue.get_by_role("row", name="DZ2026021200001")
    assert "2026-02-26" in row.inner_text() and "第二十条第二款" in row.inner_text()
    expect(row.locator(".light-red")).to_have_count(1)

    follow(page, row.get_by_role("link", name="DZ2026021200001"))
    expect(page.get_by_role("heading", name="办理过程")).to_have_count(1)
    assert "提交申请" in page.locator(".timeline").inner_text()

    page.go_back()
    with page.expect_download() as caught:
        overdue.get_by_role("link", name="Excel (.xlsx)").click()
    saved = tmp_path / caught.value.suggested_filename
    caught.value.save_as(saved)
    sheet = load_workbook(saved).active
    rows = list(sheet.iter_rows(values_only=True))
    record = dict(zip(rows[1], rows[2]))  # under the title row
    assert (record["受理编号"], record["截止日期"], record["逾期工作日"]) == \
        ("DZ2026021200001", datetime(2026, 2, 26), 3)

    follow(page, page.get_by_role("link", name="按期答复率"))
    # The page's own script draws the chart with the app's copy of chart.js once both have loaded.
    expect(page.locator("#ontime-chart")).to_have_attribute("data-drawn", "5")


def _fits(page, width: int) -> None:
    """Nothing widens the page past the screen: tables become cards or scroll in their box."""
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_at_phone_width_the_tables_become_cards_and_the_urge_button_is_in_reach(late_server, browser):
    page = browser.new_context(base_url=late_server, viewport={"width": 390, "height": 844}).new_page()
    page.set_default_timeout(10_000)
    page.goto("/auth/login")
    page.get_by_label("用户名").fill("zhao.liu")
    page.get_by_label("密码").fill(PASSWORD)
    follow(page, page.get_by_role("button", name="登录"))
    page.goto("/supervise/")
    _fits(page, 390)
    urge = page.get_by_role("button", name="催办 DZ2026021200001").first
    box = urge.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390  # wholly on screen, not half off it
    cell = page.locator("td[data-label='截止日期']").first
    assert cell.bounding_box()["width"] > 150  # a card line, not one character per line
    follow(page, urge)
    expect(page.locator(".flash-success")).to_have_count(1)
    for path in ("/supervise/ontime?from=2026-01-01&to=2026-03-31", "/supervise/assessment?period=quarter&year=2026&number=1"):
        page.goto(path)
        _fits(page, 390)
