"""A supervisor in Debian's chromium: an application made overdue on a frozen clock, drilled down
to, downloaded as Excel; the on-time chart is drawn by the app's own chart.js."""
from __future__ import annotations

import sys
import threading
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "e2e"))

from engine.services import instances  # noqa: E402
from browser_helpers import follow  # noqa: E402
from test_web_browser import sign_in  # noqa: E402
from web_helpers import Engines, make_app, prepare  # noqa: E402

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
    record = dict(zip(rows[0], rows[1]))
    assert (record["受理编号"], record["截止日期"], record["逾期工作日"]) == ("DZ2026021200001", "2026-02-26", 3)

    follow(page, page.get_by_role("link", name="按期答复率"))
    # The page's own script draws the chart with the app's copy of chart.js once both have loaded.
    expect(page.locator("#ontime-chart")).to_have_attribute("data-drawn", "4")
