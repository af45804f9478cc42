"""conditional_share end to end through the `pdw` command line, on a SQLite file with PDW_CLOCK."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from engine.bootstrap import PROJECT_ROOT
from engine.cli import main

APPLICATION = {"catalog_item": "GA-001", "request_reason": "户籍业务核验", "request_basis": "《户口登记条例》",
               "purpose": "户籍登记", "requested_scope": "姓名、户籍地址", "requested_until": "2026-12-31"}


@pytest.fixture
def pdw(tmp_path, monkeypatch):
    """Run `pdw ARGS...` on a fresh database holding the demo data; returns the click result."""
    monkeypatch.setenv("PDW_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    monkeypatch.delenv("PDW_FORMS_DIR", raising=False)
    monkeypatch.delenv("PDW_WORKFLOWS_DIR", raising=False)
    monkeypatch.setenv("PDW_CLOCK", "2026-03-02T09:00:00+08:00")
    monkeypatch.setenv("PDW_PASSWORD_HASH_COST", "4")
    runner = CliRunner()

    def run(*args: str, clock: str | None = None):
        if clock:
            monkeypatch.setenv("PDW_CLOCK", clock)
        result = runner.invoke(main, list(args), catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result

    run("db", "upgrade")
    run("demo", "load")
    # The demo files one application at 宣汉县 (engine.demo); ended here, so that only this test's
    # applications hold deadlines and timers.
    run("instances", "cancel", "1", "--reason", "演示数据", "--as", "admin")
    return run


def _tasks(pdw, user: str) -> list[dict]:
    return json.loads(pdw("tasks", "list", "--as", user, "--json").stdout)


def test_a_conditional_share_application_runs_from_the_command_line(pdw):
    assert pdw("workflows", "validate", str(PROJECT_ROOT / "workflows" / "conditional_share.bpmn")).stdout.strip() == "1 file(s) valid"
    instance_id = pdw("instances", "start", "conditional_share", "--as", "zhang.san",
                      "--data", json.dumps(APPLICATION, ensure_ascii=False)).stdout.strip()

    [review] = _tasks(pdw, "li.si")
    assert (review["task_name"], review["due_date"], review["deadline_article"]) == (
        "review", "2026-03-09", "第二十条第二款")
    pdw("tasks", "claim", str(review["id"]), "--as", "li.si")

    assert "0 timer(s) fired" in pdw("scheduler", "run", "--once", clock="2026-03-09T23:00:00+08:00").stdout
    assert "1 timer(s) fired" in pdw("scheduler", "run", "--once", clock="2026-03-10T00:00:00+08:00").stdout
    [supervision] = _tasks(pdw, "zhao.liu")
    assert supervision["task_name"] == "supervise_review"

    pdw("tasks", "complete", str(review["id"]), "--as", "li.si", "--data",
        json.dumps({"decision": "approve", "granted_scope": "姓名、户籍地址", "granted_until": "2026-09-30"}))
    pdw("tasks", "complete", str(supervision["id"]), "--as", "zhao.liu", "--data",
        json.dumps({"supervision_note": "逾期一日答复，已提醒"}, ensure_ascii=False))

    shown = json.loads(pdw("instances", "show", instance_id, "--as", "admin", "--json").stdout)
    assert shown["status"] == "completed"
    # zhao.liu decided the supervision step without claiming it: the decision claimed it first.
    assert [h["action"] for h in shown["history"]] == ["instance.start", "task.claim", "timer.fire",
                                                       "grant.record", "task.complete", "task.claim", "task.complete"]
    assert pdw("audit", "verify").stdout.startswith("audit log intact")


NOTICE_2027 = PROJECT_ROOT / "tests" / "fixtures" / "arrangements" / "2027.toml"


def test_a_2027_notice_installed_from_the_command_line_recounts_an_application_received_before_it(pdw):
    received = "2026-12-28T10:00:00+08:00"
    instance_id = pdw("instances", "start", "conditional_share", "--as", "zhang.san",
                      "--data", json.dumps(APPLICATION, ensure_ascii=False), clock=received).stdout.strip()
    [review] = _tasks(pdw, "li.si")
    assert (review["due_date"], review["deadline_provisional"]) == ("2027-01-05", True)
    due = pdw("calendar", "due", "--received", "2026-12-28", "--rule", "art20_share_reply")
    assert (due.stdout, "2027 has no official arrangement" in due.stderr) == ("2027-01-05\n", True)

    dry = pdw("calendar", "install", str(NOTICE_2027), "--dry-run", "--as", "admin", clock="2026-12-29T09:00:00+08:00")
    receipt = json.loads(pdw("instances", "show", instance_id, "--as", "admin", "--json").stdout)["receipt_number"]
    assert dry.stdout.splitlines()[1:] == [
        "would change 2 deadline(s):",
        f"  {receipt} task {review['id']} 审核共享申请（第二十条第二款）: 2027-01-05 (provisional) -> 2027-01-06",
        f"  {receipt} timer review_overdue: 2027-01-06 00:00 -> 2027-01-07 00:00",
        "dry run: nothing installed",
    ]
    assert _tasks(pdw, "li.si")[0]["due_date"] == "2027-01-05"

    asked = CliRunner().invoke(main, ["calendar", "install", str(NOTICE_2027), "--as", "admin"])
    assert asked.exit_code == 1
    assert asked.stdout.splitlines()[1:] == dry.stdout.splitlines()[1:]
    assert asked.stderr == ("error: this notice moves 2 open deadline(s), listed above; run again with --yes "
                            "to install it\n")
    assert _tasks(pdw, "li.si")[0]["due_date"] == "2027-01-05"

    installed = pdw("calendar", "install", str(NOTICE_2027), "--yes", "--as", "admin")
    assert installed.stdout.splitlines()[-1] == "installed as calendar version 3"
    [review] = _tasks(pdw, "li.si")
    assert (review["due_date"], review["deadline_provisional"]) == ("2027-01-06", False)
    due = pdw("calendar", "due", "--received", "2026-12-28", "--rule", "art20_share_reply")
    assert (due.stdout, due.stderr) == ("2027-01-06\n", "")
    assert pdw("calendar", "recount", "--dry-run", "--as", "admin").stdout == "would change no deadline\n"
    year = pdw("calendar", "year", "2027").stdout.splitlines()
    assert year[:2] == ["2027: official (正式) - 国务院办公厅关于2027年部分节假日安排的通知（测试用） 国办发明电〔2026〕99号 "
                        "[installed:2027.toml]", "installed 2026-12-29 09:00 by admin from 2027.toml"]

    assert "0 timer(s) fired" in pdw("scheduler", "run", "--once", clock="2027-01-06T00:00:00+08:00").stdout
    assert "1 timer(s) fired" in pdw("scheduler", "run", "--once", clock="2027-01-07T00:00:00+08:00").stdout
    assert pdw("audit", "verify").stdout.startswith("audit log intact")


def test_a_malformed_notice_is_refused_from_the_command_line_with_every_problem(pdw, tmp_path):
    bad = tmp_path / "2027.toml"
    bad.write_text(NOTICE_2027.read_text(encoding="utf-8").replace("date = 2027-01-09", "date = 2027-01-08")
                   .replace('title = "国务院办公厅关于2027年部分节假日安排的通知（测试用）"\n', ""), encoding="utf-8")
    result = CliRunner().invoke(main, ["calendar", "install", str(bad), "--as", "admin"])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "error: 2027.toml not installed (2 problem(s))",
        "  2027.toml: title: the notice title is missing",
        "  2027.toml:54: make_up_workdays[1].date: 2027-01-08 is a Friday; a make-up working day falls on a weekend",
    ]
    assert "provisional" in pdw("calendar", "year", "2027").stdout
