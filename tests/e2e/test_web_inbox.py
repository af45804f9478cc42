"""The reviewer inbox and task page over HTTP: tabs, filters, search, claim races, field errors."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import event, text

from engine.services import instances, tasks
from engine.services.users import SYSTEM, add_user
from web_helpers import AuthActions, field_errors, flashes, make_app

APPLICATION = {"unit": "达州市公安局", "catalog_item": "DZ-GA-001", "purpose": "户籍信息核验"}


def receipts(html: str) -> list[str]:
    """Receipt numbers of the inbox rows, in page order."""
    return re.findall(r'<td><a href="/inbox/tasks/\d+">(DZ\d+)</a></td>', html)


@pytest.fixture
def three_applications(engines):
    """Applications received on 2026-03-02, 02-13 and 02-27 (in that order); returns their receipt numbers."""
    numbers = []
    for instant, unit in [("2026-03-02T08:00:00+08:00", "达州市市场监督管理局"),
                          ("2026-02-13T10:00:00+08:00", "达州市公安局"),
                          ("2026-02-27T10:00:00+08:00", "达州市卫生健康委员会")]:
        started = instances.start(engines.at(instant).uow(), "web_share", actor="zhang.san",
                                  data={**APPLICATION, "unit": unit})
        numbers.append(started.receipt_number)
    return numbers


def test_the_available_tab_lists_tasks_of_my_groups_by_due_date(client, auth, three_applications):
    newest, oldest, middle = three_applications
    auth.login("li.si")
    page = client.get("/inbox/").text
    assert receipts(page) == [oldest, middle, newest]
    labels = re.findall(r'class="badge[^"]*">([^<]+)</span>', page)
    # 02-13 + 5 working days (02-14 is a make-up Saturday, 02-15..23 Spring Festival) = 02-27;
    # by 03-02 the make-up Saturday 02-28 and Monday have passed.
    assert labels == ["逾期 2 个工作日", "剩余 3 个工作日", "剩余 5 个工作日"]
    assert page.count("依据《办法》第二十条第二款") == 3


@pytest.mark.parametrize("due, expected", [
    ("due=overdue", [1]), ("due=today", []), ("due=within&within=2", []), ("due=within&within=3", [2]),
    ("due=within&within=5", [2, 0]),
])
def test_the_due_filters_split_overdue_today_and_within_n_working_days(client, auth, three_applications, due,
                                                                       expected):
    auth.login("li.si")
    assert receipts(client.get(f"/inbox/?{due}").text) == [three_applications[i] for i in expected]


def test_search_finds_applications_by_their_fields_and_receipt_number(client, auth, three_applications):
    auth.login("li.si")
    assert receipts(client.get("/inbox/?q=市场监督").text) == [three_applications[0]]
    assert receipts(client.get(f"/inbox/?q={three_applications[1]}").text) == [three_applications[1]]
    assert receipts(client.get("/inbox/?q=没有这个单位").text) == []


def test_the_procedure_filter_keeps_only_that_procedure(client, auth, three_applications):
    auth.login("li.si")
    assert len(receipts(client.get("/inbox/?procedure=web_share").text)) == 3
    assert receipts(client.get("/inbox/?procedure=other").text) == []


def test_claiming_moves_a_task_from_available_to_mine_and_completing_it_to_completed(client, auth,
                                                                                     three_applications):
    auth.login("li.si")
    task_id = re.search(r'/inbox/tasks/(\d+)/claim', client.get("/inbox/").text).group(1)
    response = auth.post("/inbox/", f"/inbox/tasks/{task_id}/claim", follow_redirects=True)
    assert "已认领任务，请在办理期限内处理。" in flashes(response.text)
    assert len(receipts(client.get("/inbox/").text)) == 2
    assert len(receipts(client.get("/inbox/?tab=mine").text)) == 1

    done = auth.post(f"/inbox/tasks/{task_id}", f"/inbox/tasks/{task_id}",
                     {"decision": "refuse", "reason": "目录未列明该数据", "basis": "第二十条第二款"},
                     follow_redirects=True)
    assert "已办理完成。" in flashes(done.text)
    assert receipts(client.get("/inbox/?tab=mine").text) == []
    assert len(receipts(client.get("/inbox/?tab=completed").text)) == 1


def test_pages_are_keyset_paged_in_due_order(engines, auth, client, three_applications):
    auth.login("li.si")
    everything = receipts(client.get("/inbox/").text)
    app = make_app(engines.at(), PDW_PAGE_SIZE=2)
    paged = app.test_client()
    AuthActions(paged).login("li.si")
    first = paged.get("/inbox/").text
    cursor = re.search(r'rel="next" href="[^"]*after=([^"&]+)', first).group(1)
    second = paged.get(f"/inbox/?after={cursor}").text
    assert len(receipts(first)) == 2
    assert receipts(first) + receipts(second) == everything
    assert 'rel="next"' not in second


def test_a_claim_lost_to_someone_else_says_who_won(client, auth, engines, three_applications):
    other = make_app(engines.at()).test_client()
    other_auth = AuthActions(other)
    other_auth.login("wang.wu")
    auth.login("li.si")
    page = client.get("/inbox/").text
    task_id = re.search(r'/inbox/tasks/(\d+)/claim', page).group(1)
    other_auth.post("/inbox/", f"/inbox/tasks/{task_id}/claim")

    lost = auth.post("/inbox/", f"/inbox/tasks/{task_id}/claim", follow_redirects=True)
    assert "该任务已被 wang.wu 认领，请刷新后选择其他任务。" in flashes(lost.text)
    task_page = client.get(f"/inbox/tasks/{task_id}").text
    assert "该任务已由 wang.wu 认领，您不能提交办理结果。" in task_page
    assert 'name="decision"' not in task_page

    refused = auth.post("/inbox/", f"/inbox/tasks/{task_id}", {"decision": "approve"})
    assert refused.status_code == 409
    assert "该任务由 wang.wu 认领办理，只有认领人可以提交。" in flashes(refused.text)
    assert tasks.of_instance(engines.at().uow(), 1)[0]["state"] == "open"


def test_a_decision_missing_conditionally_required_fields_is_refused_in_chinese(client, auth, engines,
                                                                                three_applications):
    auth.login("li.si")
    task_id = re.search(r'/inbox/tasks/(\d+)/claim', client.get("/inbox/").text).group(1)
    page = client.get(f"/inbox/tasks/{task_id}").text
    assert "当「审核决定」为「不予共享」时必填" in page
    response = auth.post(f"/inbox/tasks/{task_id}", f"/inbox/tasks/{task_id}", {"decision": "refuse"})
    assert response.status_code == 422
    assert field_errors(response.text) == ["理由：此项为必填项", "依据：此项为必填项"]
    assert "提交未成功：有 2 处需要修改。" in flashes(response.text)
    assert 'value="refuse" checked' in response.text  # what was typed is kept
    assert tasks.list_tasks(engines.at().uow(), actor="li.si")[0]["state"] == "open"


def test_the_task_page_shows_the_application_deadline_basis_and_history(client, auth, three_applications):
    auth.login("li.si")
    task_id = re.search(r'/inbox/tasks/(\d+)/claim', client.get("/inbox/").text).group(1)
    auth.post("/inbox/", f"/inbox/tasks/{task_id}/claim")
    page = client.get(f"/inbox/tasks/{task_id}").text
    assert "户籍人口基本信息" in page  # the enum's label, not its code
    assert "共享申请答复" in page and "art20_share_reply" not in page  # the rule by its title, not its code
    assert "国务院办公厅" in page  # the 2026 arrangement notice the deadline was counted from
    assert "提交申请" in page and "认领任务" in page


def test_someone_outside_the_tasks_groups_may_not_open_it(client, auth, three_applications):
    auth.login("zhou.ba")
    assert client.get("/inbox/tasks/1").status_code == 404


def test_a_task_held_by_a_user_named_you_names_that_user_to_everyone_else(client, auth, engines,
                                                                          three_applications):
    add_user(engines.at().uow(), "you", department="sjj", roles=["reviewer"], actor=SYSTEM)
    task_id = tasks.of_instance(engines.at().uow(), 1)[0]["id"]
    tasks.claim(engines.at().uow(), task_id, actor="you")
    auth.login("li.si")
    lost = auth.post("/inbox/", f"/inbox/tasks/{task_id}/claim", follow_redirects=True)
    assert flashes(lost.text) == ["该任务已被 you 认领，请刷新后选择其他任务。"]


def test_deciding_a_task_of_an_errored_application_is_refused_wholly_in_chinese(client, auth, engines,
                                                                                three_applications):
    with engines.at().uow() as uow:
        uow.session.execute(text("UPDATE process_instances SET status = 'errored', "
                                 "error = 'task ''review'': ZeroDivisionError' WHERE id = 1"))
        uow.commit()
    task_id = tasks.of_instance(engines.at().uow(), 1)[0]["id"]
    auth.login("li.si")
    refused = auth.post(f"/inbox/tasks/{task_id}", f"/inbox/tasks/{task_id}", {"decision": "approve"})
    assert refused.status_code == 409
    assert flashes(refused.text) == ["申请 1 的流程执行出错，已暂停办理，请联系系统管理员。"]
    assert "ZeroDivisionError" not in flashes(refused.text)[0]


class Transactions:
    """Counts the transactions the web app's engine begins, writing and reading apart."""

    def __init__(self, db) -> None:
        self.writes = self.reads = 0
        self._db = db
        self._listeners = [(db.write_engine, self._write)]
        if db.engine is not db.write_engine:
            self._listeners.append((db.engine, self._read))
        for target, listener in self._listeners:
            event.listen(target, "begin", listener)

    def _write(self, _connection) -> None:
        self.writes += 1

    def _read(self, _connection) -> None:
        self.reads += 1

    @property
    def total(self) -> int:
        return self.writes + self.reads

    def stop(self) -> None:
        for target, listener in self._listeners:
            event.remove(target, "begin", listener)


def test_showing_a_task_and_deciding_it_are_each_one_transaction_besides_signing_in_and_the_access_log(
        client, auth, engines, three_applications):
    auth.login("li.si")
    task_id = re.search(r'/inbox/tasks/(\d+)/claim', client.get("/inbox/").text).group(1)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get(f"/inbox/tasks/{task_id}").text).group(1)
    counted = Transactions(engines.at().db)
    try:
        page = client.get(f"/inbox/tasks/{task_id}")
        # One read checks the signed-in user; one reads the task, its form, deadline and history;
        # one write records the official's read in the application's access log.
        assert page.status_code == 200 and counted.total == 3
        if engines.at().db.is_sqlite:
            assert (counted.writes, counted.reads) == (1, 2)
        counted.writes = counted.reads = 0
        done = client.post(f"/inbox/tasks/{task_id}", data={"decision": "refuse", "reason": "目录未列明该数据",
                                                             "basis": "第二十条第二款", "csrf_token": token})
        assert done.status_code == 302 and counted.total == 2
        if engines.at().db.is_sqlite:
            assert (counted.writes, counted.reads) == (1, 1)
    finally:
        counted.stop()
