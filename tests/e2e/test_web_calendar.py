"""The working calendar over HTTP: an administrator uploads next year's notice, checks the dry run,
confirms; the task page and the inbox then show the official deadline and a notification."""
from __future__ import annotations

import html
import io
import re
from pathlib import Path

import pytest

from engine.services import accounts, instances, users
from web_helpers import PASSWORD, csrf_token, flashes, make_app
from engine.services.users import SYSTEM

NOTICE_2027 = (Path(__file__).parent.parent / "fixtures" / "arrangements" / "2027.toml").read_bytes()
APPLICATION = {"unit": "达州市公安局", "catalog_item": "DZ-GA-001", "purpose": "户籍信息核验"}


@pytest.fixture
def received_before_the_notice(engines):
    """An application received on Monday 2026-12-28 (reply due 2027-01-05, provisional), an
    administrator, and the app on 2026-12-29."""
    users.add_user(engines.at().uow(), "admin", department="sjj", roles=["admin"], actor=SYSTEM)
    accounts.set_password(engines.at().uow(), "admin", PASSWORD, actor=SYSTEM)
    started = instances.start(engines.at("2026-12-28T10:00:00+08:00").uow(), "web_share", actor="zhang.san",
                              data=APPLICATION)
    return started.opened_task_ids[0]


@pytest.fixture
def client(engines, received_before_the_notice):
    return make_app(engines.at("2026-12-29T09:00:00+08:00")).test_client()


def _upload(client, content: bytes = NOTICE_2027, **fields):
    token = csrf_token(client.get("/calendar/").text)
    return client.post("/calendar/install", data={"csrf_token": token, "action": "preview",
                                                   "file": (io.BytesIO(content), "2027.toml"), **fields},
                       content_type="multipart/form-data")


def test_an_administrator_previews_then_installs_next_years_notice(client, auth, received_before_the_notice):
    task_id = received_before_the_notice
    auth.login("li.si")
    assert "暂定" in client.get(f"/inbox/tasks/{task_id}").text
    auth.logout()
    auth.login("admin")
    index = client.get("/calendar/").text
    assert "2027 年的放假安排尚未安装" in index

    preview = _upload(client)
    assert preview.status_code == 200
    assert "确认安装 2027 年放假安排" in preview.text
    assert re.search(r"<td>2027-01-05 <span class=\"badge badge-warn\">暂定</span></td>\s*<td>2027-01-06", preview.text)
    assert "国办发明电〔2026〕99号" in preview.text
    # Nothing is installed by the preview.
    assert "2027 年的放假安排尚未安装" in client.get("/calendar/").text

    form = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', preview.text))
    confirmed = client.post("/calendar/install", data={k: html.unescape(v) for k, v in form.items()})
    assert confirmed.status_code == 302 and confirmed.headers["Location"].endswith("/calendar/2027")
    year = client.get("/calendar/2027").text
    assert flashes(year) == ["已安装 2027 年放假安排（国办发明电〔2026〕99号），重新计算了 1 个期限。"]
    assert "国务院办公厅关于2027年部分节假日安排的通知（测试用）" in year and "2026-12-29 09:00" in year
    auth.logout()

    auth.login("li.si")
    task = client.get(f"/inbox/tasks/{task_id}").text
    assert "2027-01-06" in task and "暂定" not in task
    assert "国办发明电〔2026〕99号" in task and "2026-12-29 09:00 安装" in task
    inbox = client.get("/inbox/").text
    assert "未读通知（1）" in inbox and "由 2027-01-05 调整为 2027-01-06" in inbox
    client.get("/lang/en")
    english = client.get("/inbox/").text
    assert "Unread notifications (1)" in english and "moved from 2027-01-05 to 2027-01-06" in english
    assert "Working calendar 2027" in client.get("/calendar/2027").text
    token = csrf_token(inbox)
    ids = re.findall(r'<input type="hidden" name="id" value="(\d+)">', inbox)
    client.post("/inbox/notifications/read", data={"csrf_token": token, "id": ids, "next": "/inbox/"})
    assert "未读通知" not in client.get("/inbox/").text


def test_a_malformed_notice_is_refused_with_every_problem_and_nothing_installed(client, auth):
    auth.login("admin")
    bad = NOTICE_2027.replace(b"date = 2027-01-09", b"date = 2027-01-08").replace(b'notice = "', b'number = "')
    refused = _upload(client, bad)
    assert refused.status_code == 422
    problems = re.findall(r"<li>([^<]+)</li>", refused.text.split('class="problems"')[1])
    assert problems == ["2027.toml:6: number: 未知字段「number」。",
                        "2027.toml: notice: 缺少通知文号（例如 国办发明电〔2025〕7号）。",
                        "2027.toml:55: make_up_workdays[1].date: 2027-01-08 不是周六或周日，不能作为调休上班日。"]
    assert "2027 年的放假安排尚未安装" in refused.text


def test_a_deeply_nested_or_forged_notice_is_refused_on_the_page_not_a_server_error(client, auth):
    auth.login("admin")
    deep = _upload(client, b"year = 2027\nx = " + b"[" * 100_000)
    assert deep.status_code == 422
    assert "文件嵌套超过 4 层" in deep.text
    forged = _upload(client, NOTICE_2027.replace("（测试用）".encode(), "\\ninstalled as calendar version 99".encode()))
    assert forged.status_code == 422
    assert "title 含有控制字符" in forged.text


def test_only_administrators_reach_the_calendar_admin_page(client, auth):
    auth.login("li.si")
    assert client.get("/calendar/").status_code == 403
    token = csrf_token(client.get("/inbox/").text)
    posted = client.post("/calendar/install", data={"csrf_token": token, "action": "install", "text": "x"})
    assert posted.status_code == 403
    assert client.get("/calendar/2026").status_code == 200
