"""The `pdw` command line end to end, on a real SQLite file with a frozen clock."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.cli import main

FIXTURES = Path(__file__).parent.parent / "fixtures"


@pytest.fixture
def pdw(tmp_path, monkeypatch):
    """Run `pdw ARGS...` against a fresh database; returns the click result."""
    monkeypatch.setenv("PDW_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    monkeypatch.setenv("PDW_FORMS_DIR", str(FIXTURES / "forms"))
    monkeypatch.setenv("PDW_CLOCK", "2026-03-02T09:00:00+08:00")
    runner = CliRunner()

    def run(*args: str, clock: str | None = None):
        if clock:
            monkeypatch.setenv("PDW_CLOCK", clock)
        return runner.invoke(main, list(args), catch_exceptions=False)

    assert run("db", "upgrade").exit_code == 0
    return run


def test_a_procedure_runs_end_to_end_from_the_command_line(pdw):
    assert pdw("users", "add", "admin", "--roles", "admin").exit_code == 0
    assert pdw("users", "add", "alice", "--department", "gaj", "--department-name", "市公安局",
               "--roles", "applicant", "--as", "admin").exit_code == 0
    assert pdw("users", "add", "rita", "--department", "sjj", "--department-name", "市数据局",
               "--roles", "reviewer", "--as", "admin").exit_code == 0
    assert pdw("users", "add", "sam", "--department", "sjj", "--roles", "supervisor", "--as", "admin").exit_code == 0
    users = json.loads(pdw("users", "list", "--json").output)
    assert {u["name"]: u["groups"] for u in users}["rita"] == ["reviewer", "reviewer@sjj", "user:rita"]

    bpmn = str(FIXTURES / "bpmn" / "deadline_escalation.bpmn")
    assert pdw("workflows", "validate", bpmn).exit_code == 0
    deployed = pdw("workflows", "deploy", bpmn)
    assert deployed.output.strip() == "deadline_escalation v1 proposed (waiting for approval)"
    assert pdw("workflows", "deploy", bpmn).output.strip() == "deadline_escalation v1 unchanged"
    # Four eyes: the proposer may not approve their own version; the authority's head does.
    own = pdw("workflows", "approve", "deadline_escalation", "1", "--as", "admin")
    assert own.exit_code == 1 and "another person with the approving role must decide it" in own.stderr
    assert pdw("users", "add", "hana", "--department", "sjj", "--roles", "department_head", "--as", "admin").exit_code == 0
    approved = pdw("workflows", "approve", "deadline_escalation", "1", "--as", "hana")
    assert approved.output.strip() == "deadline_escalation v1 approved; it is live"

    started = pdw("instances", "start", "deadline_escalation", "--as", "alice", "--data", "{}")
    assert started.exit_code == 0
    instance_id = started.stdout.strip()
    assert instance_id == "1"

    listed = json.loads(pdw("tasks", "list", "--as", "rita", "--json").output)
    assert [(t["task_name"], t["due_date"]) for t in listed] == [("review", "2026-03-09")]
    task_id = str(listed[0]["id"])
    assert pdw("tasks", "claim", task_id, "--as", "rita").exit_code == 0

    fired = pdw("scheduler", "run", "--once", clock="2026-03-10T09:00:00+08:00")
    assert "1 timer(s) fired" in fired.output
    escalation = json.loads(pdw("tasks", "list", "--as", "sam", "--json").output)
    assert [t["task_name"] for t in escalation] == ["escalation"]

    done = pdw("tasks", "complete", task_id, "--as", "rita", "--data", '{"decision": "approve"}')
    assert "instance running" in done.output  # the escalation is still open
    shown = json.loads(pdw("instances", "show", instance_id, "--as", "sam", "--json").output)
    assert [h["action"] for h in shown["history"]] == ["instance.start", "task.claim", "timer.fire", "task.complete"]
    # 2 for the holiday notices `pdw db upgrade` installed, 9 for the admin and the procedure.
    assert pdw("audit", "verify").output.strip() == "audit log intact: 13 entries"


@pytest.mark.parametrize("args, message", [
    (("instances", "start", "nope", "--as", "ghost"), "error: no user 'ghost'"),
    (("tasks", "claim", "99", "--as", "ghost"), "error: no user 'ghost'"),
    (("tasks", "complete", "99", "--as", "x", "--data", "[1]"), "error: --data: must be a JSON object"),
    (("tasks", "complete", "99", "--as", "x", "--data", "{"), "error: --data: not valid JSON"),
    (("users", "add", "bob", "--roles", "wizard", "--as", "admin"), "error: user not added"),
    (("workflows", "deploy", "/nonexistent.bpmn"), "error: /nonexistent.bpmn: no such file"),
])
def test_bad_input_exits_non_zero_with_one_clear_line(pdw, args, message):
    result = pdw(*args)
    assert result.exit_code != 0
    assert result.stderr.splitlines()[0].startswith(message)
    assert "Traceback" not in result.output


def test_validate_prints_one_line_per_problem_and_exits_non_zero(pdw):
    hostile = FIXTURES / "bpmn" / "hostile"
    result = pdw("workflows", "validate", str(hostile / "import_os.bpmn"), str(hostile / "xxe_entity.bpmn"))
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert any("import_os.bpmn" in line and "element 'evil'" in line for line in lines)
    assert any("xxe_entity.bpmn: a DOCTYPE is not allowed" in line for line in lines)


def test_validate_prints_camunda_warnings_and_still_passes_a_file_that_runs(pdw, tmp_path):
    text = (FIXTURES / "bpmn" / "modelers" / "embedded_subprocess.bpmn").read_text()
    text = text.replace('xmlns:bioc=', 'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" xmlns:bioc=')
    text = text.replace('<bpmn:userTask id="decide" name="审核决定">',
                        '<bpmn:userTask id="decide" name="审核决定" camunda:candidateGroups="reviewer">')
    path = tmp_path / "camunda.bpmn"
    path.write_text(text)
    result = pdw("workflows", "validate", str(path))
    assert result.exit_code == 0
    assert result.stderr.strip().splitlines() == [
        f"warning: {path}:35 element 'decide': PDW does not read camunda:candidateGroups; "
        'use spiffworkflow:property "candidateGroups" instead']


def test_a_bad_pdw_clock_is_reported_in_one_line(pdw, monkeypatch):
    monkeypatch.setenv("PDW_CLOCK", "yesterday")
    result = pdw("tasks", "list", "--as", "rita")
    assert result.exit_code != 0
    assert "PDW_CLOCK='yesterday' is not an ISO datetime" in result.stderr


def test_errors_are_printed_in_the_language_pdw_lang_names(pdw, monkeypatch):
    assert pdw("users", "add", "alice", "--department", "gaj", "--department-name", "市公安局",
               "--roles", "applicant", "--as", "admin").exit_code == 0
    refused = pdw("users", "add", "bad name!", "--roles", "boss", "--as", "admin")
    assert refused.exit_code == 1
    assert refused.stderr.splitlines() == [
        "error: user not added", "  name: 'bad name!' is not a valid user name (letters, digits, _ - .)",
        "  roles: unknown role(s) boss; roles are applicant, reviewer, source_unit_handler, supervisor, "
        "department_head, designer, admin"]
    monkeypatch.setenv("PDW_LANG", "zh")
    taken = pdw("users", "add", "alice", "--roles", "applicant", "--as", "admin")
    assert taken.exit_code == 1
    assert taken.stderr.strip() == "error: 用户 alice 已存在。"


def _go_live(pdw, file_name: str) -> None:
    """The admin proposes the fixture; hana, the authority's department head, approves it."""
    assert pdw("workflows", "deploy", str(FIXTURES / "bpmn" / file_name)).exit_code == 0
    assert pdw("users", "add", "hana", "--department", "sjj", "--roles", "department_head", "--as", "admin").exit_code == 0
    assert pdw("workflows", "approve", file_name.removesuffix(".bpmn"), "1", "--as", "hana").exit_code == 0


def _late_application(pdw) -> None:
    # Received Thursday 2026-02-12: due 2026-02-26 (02-13, the make-up Saturday 02-14, then
    # after the Spring Festival 02-24, 02-25, 02-26).
    for user in (("admin", "--roles", "admin"),
                 ("alice", "--department", "gaj", "--department-name", "市公安局", "--roles", "applicant"),
                 ("rita", "--department", "sjj", "--department-name", "市数据局", "--roles", "reviewer")):
        assert pdw("users", "add", *user, *([] if user[0] == "admin" else ["--as", "admin"])).exit_code == 0
    _go_live(pdw, "deadline_escalation.bpmn")
    assert pdw("instances", "start", "deadline_escalation", "--as", "alice", "--data", "{}",
               clock="2026-02-12T10:00:00+08:00").exit_code == 0


def test_pdw_report_overdue_lists_the_late_application_with_its_working_days_and_article(pdw, tmp_path):
    _late_application(pdw)
    rows = json.loads(pdw("report", "overdue", "--as", "admin", "--json", clock="2026-03-02T09:00:00+08:00").stdout)
    assert [{k: r[k] for k in ("instance_id", "receipt_number", "process_id", "task_name", "department", "assignee",
                               "due_date", "working_days_overdue", "article")} for r in rows] == [{
        "instance_id": 1, "receipt_number": "DZ2026021200001", "process_id": "deadline_escalation",
        "task_name": "review", "department": None, "assignee": None, "due_date": "2026-02-26",
        "working_days_overdue": 3, "article": "第二十条第二款"}]
    assert json.loads(pdw("report", "overdue", "--as", "admin", "--at", "2026-02-26", "--json").stdout) == []
    written = pdw("report", "overdue", "--as", "admin", "--xlsx", str(tmp_path / "overdue.xlsx"))
    assert written.stdout.strip() == f"1 row(s) written to {tmp_path / 'overdue.xlsx'}"
    from openpyxl import load_workbook

    sheet = load_workbook(tmp_path / "overdue.xlsx").active
    assert [row[0] for row in sheet.iter_rows(values_only=True)] == [
        "逾期任务　统计期间：截至 2026-03-02　范围：全部部门", "受理编号", "DZ2026021200001"]
    assert pdw("report", "overdue", "--as", "admin", "--csv", str(tmp_path / "o.csv")).exit_code == 0
    assert (tmp_path / "o.csv").read_text(encoding="utf-8-sig").splitlines()[2].startswith("DZ2026021200001,")
    bad = pdw("report", "overdue", "--as", "admin", "--at", "2026-13-01")
    assert bad.exit_code == 1 and "'2026-13-01' is not a date" in bad.stderr


def test_the_overdue_report_says_which_day_it_counts_to_and_warns_when_the_scheduler_reads_another_time(pdw):
    # Issue 24: right after a restart with another clock, `pdw report overdue` printed "(none)"
    # twice, then the four overdue rows. With one clock the report is the same before and after
    # the scheduler's first sweep; "(none)" comes from a command reading an earlier PDW_CLOCK than
    # the restarted scheduler. The report now names its day and clock, and warns of the other.
    _late_application(pdw)
    later = "2026-03-02T09:00:00+08:00"
    before = pdw("report", "overdue", "--as", "admin", clock=later)
    assert pdw("scheduler", "run", "--once", clock=later).exit_code == 0
    after = pdw("report", "overdue", "--as", "admin", clock=later)
    assert before.stdout == after.stdout and after.stderr == ""
    heading, row = after.stdout.splitlines()
    assert heading == ("Overdue tasks as of 2026-03-02 · 全部部门 (this command's clock is frozen at "
                       "2026-03-02 09:00 (PDW_CLOCK))")
    assert row.split("\t")[:2] == ["DZ2026021200001", "逾期升级"] and "3 working day(s) overdue" in row

    stale = pdw("report", "overdue", "--as", "admin", clock="2026-02-20T09:00:00+08:00")
    assert stale.stdout.splitlines()[1:] == ["(none)"]
    assert stale.stdout.startswith("Overdue tasks as of 2026-02-20")
    assert ("warning: this process's clock reads 2026-02-20 09:00 but the scheduler "
            in stale.stderr) and "by a clock reading 2026-03-02 09:00" in stale.stderr
    # The JSON is for programs: no heading; the warning still goes to stderr.
    quiet = pdw("report", "overdue", "--as", "admin", "--json", clock="2026-02-20T09:00:00+08:00")
    assert json.loads(quiet.stdout) == [] and "warning: this process's clock" in quiet.stderr


def test_pdw_report_unassignable_lists_a_task_whose_group_is_empty_and_deploy_warns(pdw):
    assert pdw("users", "add", "admin", "--roles", "admin").exit_code == 0
    assert pdw("users", "add", "alice", "--department", "gaj", "--department-name", "市公安局",
               "--roles", "applicant", "--as", "admin").exit_code == 0
    deployed = pdw("workflows", "deploy", str(FIXTURES / "bpmn" / "deadline_escalation.bpmn"))
    assert deployed.stderr.splitlines() == [
        "warning: deadline_escalation.bpmn element 'review' (审核): nobody active is in group reviewer, so work sent "
        "there reaches nobody",
        "warning: deadline_escalation.bpmn element 'escalation' (督办逾期申请): nobody active is in group supervisor, "
        "so work sent there reaches nobody"]
    assert pdw("users", "add", "hana", "--department", "sjj", "--as", "admin", "--department-name", "市数据局",
               "--roles", "department_head").exit_code == 0
    assert pdw("workflows", "approve", "deadline_escalation", "1", "--as", "hana").exit_code == 0
    assert pdw("instances", "start", "deadline_escalation", "--as", "alice", "--data", "{}").exit_code == 0
    rows = json.loads(pdw("report", "unassignable", "--as", "admin", "--json").stdout)
    assert [(r["receipt_number"], r["task_name"], r["groups"]) for r in rows] == \
        [("DZ2026030200001", "review", ["reviewer"])]


def test_pdw_report_ontime_counts_nothing_before_any_reply(pdw):
    _late_application(pdw)
    rows = json.loads(pdw("report", "ontime", "--as", "admin", "--from", "2026-01-01", "--to", "2026-03-31", "--json").stdout)
    assert rows == []
    refused = pdw("report", "ontime", "--as", "admin", "--from", "2026-03-31", "--to", "2026-01-01")
    assert refused.exit_code == 1 and "the end 2026-01-01 is before the start 2026-03-31" in refused.stderr


def test_a_department_promise_is_shown_beside_the_statutory_deadline(pdw):
    _late_application(pdw)
    pdw("users", "add", "sam", "--department", "sjj", "--roles", "supervisor", "--as", "admin")
    with_dept = pdw("departments", "promise", "sjj", "deadline_escalation", "3", "--as", "sam")
    assert with_dept.stdout.strip() == "sjj promises deadline_escalation within 3 working day(s)"
    refused = pdw("departments", "promise", "sjj", "deadline_escalation", "3", "--as", "rita")
    assert refused.exit_code == 1 and "only supervisors may read supervision reports" in refused.stderr


def test_running_applications_move_from_the_command_line_once_another_person_approves(pdw, tmp_path):
    for user in (("admin", "--roles", "admin"),
                 ("alice", "--department", "gaj", "--department-name", "市公安局", "--roles", "applicant"),
                 ("rita", "--department", "sjj", "--department-name", "市数据局", "--roles", "reviewer"),
                 ("dora", "--department", "sjj", "--roles", "designer")):
        assert pdw("users", "add", *user, *([] if user[0] == "admin" else ["--as", "admin"])).exit_code == 0
    _go_live(pdw, "deadline_escalation.bpmn")
    assert pdw("instances", "start", "deadline_escalation", "--as", "alice", "--data", "{}").stdout.strip() == "1"
    renamed = tmp_path / "deadline_escalation.bpmn"
    renamed.write_text((FIXTURES / "bpmn" / "deadline_escalation.bpmn").read_text(encoding="utf-8")
                       .replace("督办逾期申请", "督办逾期的申请"), encoding="utf-8")
    assert pdw("workflows", "deploy", str(renamed), "--as", "dora").exit_code == 0
    assert pdw("workflows", "approve", "deadline_escalation", "2", "--as", "hana").exit_code == 0
    proposed = pdw("workflows", "migrate", "deadline_escalation", "1", "2", "--instance", "1", "--as", "dora")
    assert proposed.stdout.strip() == ("migration 1 proposed: 1 application(s) deadline_escalation v1 -> v2, "
                                       "waiting for approval")
    own = pdw("workflows", "approve-migration", "1", "--as", "dora")
    assert own.exit_code == 1
    assert json.loads(pdw("instances", "show", "1", "--as", "admin", "--json").stdout)["version"] == 1
    moved = pdw("workflows", "approve-migration", "1", "--as", "hana")
    assert moved.stdout.strip() == "migration 1 approved: 1 application(s) moved"
    assert json.loads(pdw("instances", "show", "1", "--as", "admin", "--json").stdout)["version"] == 2


def test_with_pdw_lang_zh_the_common_success_messages_are_chinese(pdw, monkeypatch):
    monkeypatch.setenv("PDW_LANG", "zh")
    assert pdw("users", "add", "admin", "--roles", "admin").stdout == "已添加用户 admin（角色：admin），所属组：admin、user:admin\n"
    for user in (("alice", "--department", "gaj", "--department-name", "市公安局", "--roles", "applicant"),
                 ("rita", "--department", "sjj", "--department-name", "市数据局", "--roles", "reviewer"),
                 ("hana", "--department", "sjj", "--roles", "department_head")):
        assert pdw("users", "add", *user, "--as", "admin").stdout.startswith(f"已添加用户 {user[0]}（角色：")
    bpmn = str(FIXTURES / "bpmn" / "deadline_escalation.bpmn")
    assert pdw("workflows", "deploy", bpmn).stdout == "deadline_escalation v1 已提交，等待审批\n"
    assert pdw("workflows", "deploy", bpmn).stdout == "deadline_escalation v1 未变更\n"
    assert pdw("workflows", "approve", "deadline_escalation", "1", "--as", "hana").stdout == \
        "deadline_escalation v1 已批准并上线\n"
    started = pdw("instances", "start", "deadline_escalation", "--as", "alice", "--data", "{}")
    assert started.stderr.startswith("受理编号 ") and "；状态：running；待办：review" in started.stderr
    [task] = json.loads(pdw("tasks", "list", "--as", "rita", "--json").output)
    assert pdw("tasks", "claim", str(task["id"]), "--as", "rita").exit_code == 0
    done = pdw("tasks", "complete", str(task["id"]), "--as", "rita", "--data", '{"decision": "approve"}')
    assert done.stdout.startswith(f"任务 {task['id']} 已办结；申请状态：")
    second = pdw("instances", "start", "deadline_escalation", "--as", "alice", "--data", "{}").stdout.strip()
    cancelled = pdw("instances", "cancel", second, "--reason", "申请人撤回", "--as", "admin")
    assert cancelled.stdout == f"申请 {second} 已撤销；1 个未办任务一并取消\n"
    created = pdw("tokens", "create", "rita", "--as", "admin").stdout.splitlines()
    assert created[0].startswith("已为 rita 创建令牌 1，") and created[0].endswith("令牌只显示这一次：")
    assert pdw("tokens", "revoke", "1", "--as", "admin").stdout == "令牌 1 已撤销\n"
    set_password = CliRunner().invoke(main, ["users", "set-password", "rita", "--password-stdin", "--as", "admin"],
                                      input="a long secret for rita's account\n")
    assert set_password.stdout == "已为 rita 设置密码\n"
