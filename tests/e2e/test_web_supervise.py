"""The supervisor's area over HTTP: overdue work, drill-down, 催办, downloads, charts, notifications."""
from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from sqlalchemy import update

from engine.persistence.models import Department, ProcessInstance
from engine.services import accounts, instances, users
from engine.services.users import SYSTEM
from web_helpers import PASSWORD, flashes

APPLICATION = {"unit": "达州市公安局", "catalog_item": "DZ-GA-001", "purpose": "户籍信息核验"}
# Received Thursday 2026-02-12, due 2026-02-26; on the frozen Monday 2026-03-02, 3 working days overdue.
RECEIVED = "2026-02-12T10:00:00+08:00"


def _late_application(engines) -> int:
    return instances.start(engines.at(RECEIVED).uow(), "web_share", actor="zhang.san", data=APPLICATION).instance_id


def _named_departments(engines) -> None:
    with engines.at(RECEIVED).uow() as uow:
        uow.session.execute(update(Department.__table__).where(Department.code == "sjj").values(name="达州市数据局"))
        uow.commit()


def test_a_supervisor_sees_overdue_work_with_its_working_days_article_and_holder(client, auth, engines):
    instance = _late_application(engines)
    _named_departments(engines)
    auth.login("zhao.liu")
    page = client.get("/supervise/").text
    overdue = page.split('id="h-overdue"')[1].split("</section>")[0]
    assert "DZ2026021200001" in overdue and f"/supervise/applications/{instance}" in overdue
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", overdue)
    assert "2026-02-26" in cells and "3" in cells and "第二十条第二款" in cells
    assert re.search(r"未认领，办理组\s*达州市数据局 审核人员", overdue) and "light-red" in overdue
    assert "reviewer@sjj" not in overdue and "web_share" not in overdue  # words, not codes


def test_the_supervisor_is_warned_when_the_scheduler_reads_another_time(client, auth, engines):
    from engine.services import metrics

    auth.login("zhao.liu")
    assert "调度器" not in client.get("/supervise/").text  # no scheduler has swept: nothing to compare
    metrics.record_sweep(engines.at(RECEIVED).uow(), "other-host:42")  # a scheduler frozen at 2026-02-12
    warning = re.search(r'<p class="flash flash-warning" role="alert">([^<]*)</p>', client.get("/supervise/").text)
    assert warning and "2026-03-02 09:00" in warning.group(1) and "2026-02-12 10:00" in warning.group(1)
    assert "other-host:42" in warning.group(1)
    metrics.record_sweep(engines.at("2026-03-02T09:05:00+08:00").uow(), "other-host:42")  # now it agrees
    assert "flash-warning" not in client.get("/supervise/").text


def test_a_reviewer_may_not_open_the_supervisor_area(client, auth):
    auth.login("li.si")
    assert client.get("/supervise/").status_code == 403
    assert client.get("/supervise/overdue.xlsx").status_code == 403


def test_the_overdue_downloads_hold_the_application_under_chinese_headers(client, auth, engines):
    _late_application(engines)
    auth.login("zhao.liu")
    xlsx = client.get("/supervise/overdue.xlsx")
    assert xlsx.status_code == 200 and xlsx.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0].startswith("逾期任务　统计期间：截至 2026-03-02")  # the title row: report, period, scope
    header = rows[1]
    assert header[:2] == ("受理编号", "事项") and sheet.freeze_panes == "A3"
    record = dict(zip(header, rows[2]))
    assert (record["受理编号"], record["截止日期"], record["逾期工作日"], record["依据条款"]) == \
        ("DZ2026021200001", datetime(2026, 2, 26), 3, "第二十条第二款")
    assert sheet.cell(row=3, column=header.index("截止日期") + 1).number_format == "yyyy-mm-dd"
    assert record["办理人代码"] == "group:reviewer@sjj" and "reviewer@sjj" not in record["办理人（或办理组）"]
    widths = {sheet.cell(row=2, column=i + 1).value: sheet.column_dimensions[get_column_letter(i + 1)].width
              for i in range(len(header))}
    assert widths["环节"] >= len(record["环节"]) * 2  # CJK text takes two columns: nothing is cut
    text = client.get("/supervise/overdue.csv").data.decode("utf-8-sig")
    table = list(csv.DictReader(io.StringIO(text.split("\n", 1)[1])))
    assert [(r["受理编号"], r["逾期工作日"]) for r in table] == [("DZ2026021200001", "3")]


def test_drilling_down_shows_the_timeline_and_an_urge_reaches_the_holders_and_the_timeline(client, auth, engines):
    instance = _late_application(engines)
    _named_departments(engines)
    auth.login("zhao.liu")
    page = client.get(f"/supervise/applications/{instance}").text
    assert "DZ2026021200001" in page and "提交申请" in page
    task_id = re.search(r"/supervise/tasks/(\d+)/urge", page).group(1)
    done = auth.post(f"/supervise/applications/{instance}", f"/supervise/tasks/{task_id}/urge",
                     data={"next": f"/supervise/applications/{instance}"}, follow_redirects=True)
    assert "已向 达州市数据局 审核人员 发出催办通知。" in flashes(done.text)
    assert "催办记录" in done.text and "逾期 3 个工作日" in done.text
    auth.logout()
    auth.login("li.si")
    notices = client.get("/notifications/").text
    assert "催办通知：DZ2026021200001" in notices and "未读 1 条" in notices
    assert '<span class="count"' in client.get("/inbox/").text


def test_the_on_time_page_charts_the_replies_and_downloads_them(client, auth, engines):
    instance = _late_application(engines)
    engine = engines.at(RECEIVED)
    with engine.uow() as uow:
        uow.session.execute(update(ProcessInstance.__table__).where(ProcessInstance.id == instance).values(
            department="sjj", statutory_due_date=date(2026, 2, 26), replied_late_days=0,
            replied_at=engines.at("2026-02-25T10:00:00+08:00").clock.now()))
        uow.commit()
    auth.login("zhao.liu")
    page = client.get("/supervise/ontime?from=2026-01-01&to=2026-03-31&by=month").text
    assert 'id="ontime-data"' in page and "vendor/chart.umd.min.js" in page and "supervise.js" in page
    assert re.search(r'2026-02</th>\s*<td class="num" data-label="已答复">1</td>\s*<td class="num" data-label="按期答复">1</td>',
                     page)
    download = client.get("/supervise/ontime.xlsx?from=2026-01-01&to=2026-03-31&by=procedure")
    sheet = load_workbook(io.BytesIO(download.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    record = dict(zip(rows[1], rows[2]))
    assert (record["分组代码"], record["按期率"]) == ("web_share", 1.0) and record["分组"] != "web_share"
    assert sheet.cell(row=3, column=rows[1].index("按期率") + 1).number_format == "0.0%"
    csv_rows = list(csv.reader(io.StringIO(client.get("/supervise/ontime.csv?from=2026-01-01&to=2026-03-31&by=procedure")
                                           .data.decode("utf-8-sig"))))
    assert dict(zip(csv_rows[1], csv_rows[2]))["按期率"] == "100.0%"
    bad = client.get("/supervise/ontime?from=2026-03-31&to=2026-01-01", follow_redirects=True)
    assert "截止日期 2026-01-01 早于起始日期 2026-03-31。" in flashes(bad.text)


def test_the_assessment_is_a_printable_table_per_department(client, auth, engines):
    _late_application(engines)
    _named_departments(engines)
    with engines.at(RECEIVED).uow() as uow:
        uow.session.execute(update(ProcessInstance.__table__).values(department="sjj",
                                                                      statutory_due_date=date(2026, 2, 26)))
        uow.commit()
    auth.login("zhao.liu")
    page = client.get("/supervise/assessment?period=quarter&year=2026&number=1").text
    row = re.search(r'<th scope="row" data-label="部门">([^<]*)</th>(.*?)</tr>', page, re.S)
    assert row.group(1) == "达州市数据局"
    # received 1; on time 0, late 0, overdue 1, ended without a reply 0, withdrawn 0; rate 0.0%; open 1
    assert re.findall(r">([\d.%]+)<", row.group(2)) == ["1", "0", "0", "1", "0", "0", "0.0%", "1"]
    assert 'id="ontime-chart"' in page and "data-print" in page
    assert client.get("/supervise/assessment.csv?period=quarter&year=2026&number=1").status_code == 200
    sheet = load_workbook(io.BytesIO(client.get("/supervise/assessment.xlsx?period=quarter&year=2026&number=1").data)) \
        .active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0].startswith("公共数据共享开放考核评价（第四十九条）　统计期间：2026-01-01 至 2026-03-31")
    assert dict(zip(rows[1], rows[2]))["部门"] == "达州市数据局" and len(sheet._charts) == 1


def test_a_supervisor_publishes_changes_and_withdraws_a_promised_time_limit(client, auth):
    auth.login("zhao.liu")
    assert "尚未公布承诺时限" in client.get("/supervise/promises").text
    published = auth.post("/supervise/promises", "/supervise/promises",
                          {"department": "sjj", "procedure": "web_share", "working_days": "3"}, follow_redirects=True)
    assert flashes(published.text) == ["已公布承诺时限：3 个工作日。"]
    assert re.findall(r"<tr><td>[^<]*</td><td>[^<]*</td><td>([^<]*)</td>", published.text) == ["3"]
    changed = auth.post("/supervise/promises", "/supervise/promises",
                        {"department": "sjj", "procedure": "web_share", "working_days": "5"}, follow_redirects=True)
    assert re.findall(r"<tr><td>[^<]*</td><td>[^<]*</td><td>([^<]*)</td>", changed.text) == ["5"]
    withdrawn = auth.post("/supervise/promises", "/supervise/promises",
                          {"department": "sjj", "procedure": "web_share", "working_days": "0"}, follow_redirects=True)
    assert flashes(withdrawn.text) == ["已撤回承诺时限。"] and "尚未公布承诺时限" in withdrawn.text


def test_a_promise_out_of_range_or_for_no_such_procedure_is_refused_and_nothing_is_published(client, auth, engines):
    auth.login("zhao.liu")  # a supervisor of sjj, the competent authority
    too_long = auth.post("/supervise/promises", "/supervise/promises",
                         {"department": "sjj", "procedure": "web_share", "working_days": "61"}, follow_redirects=True)
    [refused] = flashes(too_long.text)
    assert "承诺时限未保存" in refused and "60" in refused
    unknown = auth.post("/supervise/promises", "/supervise/promises",
                        {"department": "sjj", "procedure": "no_such", "working_days": "3"}, follow_redirects=True)
    [unknown_text] = flashes(unknown.text)
    assert "no_such" in unknown_text
    assert "尚未公布承诺时限" in unknown.text
    users.add_user(engines.at().uow(), "gao.shi", department="gaj", roles=["supervisor"], actor=SYSTEM)
    accounts.set_password(engines.at().uow(), "gao.shi", PASSWORD, actor=SYSTEM)
    auth.logout()
    auth.login("gao.shi")  # a supervisor of gaj alone
    elsewhere = auth.post("/supervise/promises", "/supervise/promises",
                          {"department": "sjj", "procedure": "web_share", "working_days": "3"}, follow_redirects=True)
    assert flashes(elsewhere.text) == ["您只能督办本部门（gaj）的工作。"]


def _round_started(engines) -> tuple[int, int]:
    from engine.services import rounds

    schedule = rounds.set_schedule(engines.at().uow(), actor=SYSTEM, procedure="web_share", cycle="monthly",
                                   anchor="2026-03-02", department="sjj", group="reviewer@sjj",
                                   deadline_rule="round_art44_risk_assessment", data=APPLICATION)
    (started,) = rounds.start_due(engines.at().uow, worker="web-test")
    return schedule.id, started.instance_id


def test_the_rounds_page_shows_running_and_due_rounds_in_words_with_step_and_deadline(client, auth, engines):
    _named_departments(engines)
    _, instance = _round_started(engines)
    auth.login("zhao.liu")
    page = client.get("/supervise/rounds").text
    running = page.split('id="rounds-running"')[1].split("</table>")[0]
    # Started on Monday 2026-03-02; 20 working days on: 03-03 ... 03-30.
    assert "有条件共享申请（测试）" in running and "2026年3月" in running and "共享审核" in running
    assert "2026-03-30" in running and "第四十四条第三款" in running and f"/supervise/applications/{instance}" in running
    assert "web_share" not in running and "round_art44_risk_assessment" not in running  # words, not codes
    due = page.split('id="rounds-due"')[1].split("</table>")[0]
    assert "2026年4月" in due and "2026-04-02" in due
    assert "没有逾期的定期工作。" in page.split('id="rounds-late"')[1].split("</table>")[0]
    client.get("/lang/en")
    english = client.get("/supervise/rounds").text.split('id="rounds-running"')[1].split("</table>")[0]
    assert "2026-03" in english and "Art. 44(3)" in english and "2026年3月" not in english


def test_a_late_round_moves_to_the_late_table(client, auth, engines, app):
    _round_started(engines)
    # 2026-03-30 ended at 24:00; on 2026-04-01 the round is late.
    app.extensions["pdw_engine"].clock.set(datetime.fromisoformat("2026-04-01T09:00:00+08:00"))
    auth.login("zhao.liu")
    late = client.get("/supervise/rounds").text.split('id="rounds-late"')[1].split("</table>")[0]
    assert "2026年3月" in late and "已逾期" in late


def test_a_reviewer_may_not_open_the_rounds_page(client, auth):
    auth.login("li.si")
    assert client.get("/supervise/rounds").status_code == 403


def test_a_round_s_application_and_its_step_open_for_the_supervisor_and_the_reviewer(client, auth, engines):
    _, instance = _round_started(engines)
    auth.login("zhao.liu")
    page = client.get(f"/supervise/applications/{instance}")
    assert page.status_code == 200 and "共享审核" in page.text
    assert re.search(r"申请人</th><td>系统（按周期自动发起）</td>", page.text)
    auth.logout()
    auth.login("li.si")
    inbox = client.get("/inbox/").text
    task_ids = re.findall(r"/inbox/tasks/(\d+)", inbox)
    assert task_ids
    assert client.get(f"/inbox/tasks/{task_ids[0]}").status_code == 200
