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
               "--roles", "applicant").exit_code == 0
    assert pdw("users", "add", "rita", "--department", "sjj", "--department-name", "市数据局",
               "--roles", "reviewer").exit_code == 0
    assert pdw("users", "add", "sam", "--department", "sjj", "--roles", "supervisor").exit_code == 0
    users = json.loads(pdw("users", "list", "--json").output)
    assert {u["name"]: u["groups"] for u in users}["rita"] == ["reviewer", "reviewer@sjj", "user:rita"]

    bpmn = str(FIXTURES / "bpmn" / "deadline_escalation.bpmn")
    assert pdw("workflows", "validate", bpmn).exit_code == 0
    deployed = pdw("workflows", "deploy", bpmn)
    assert deployed.output.strip() == "deadline_escalation v1 deployed"
    assert pdw("workflows", "deploy", bpmn).output.strip() == "deadline_escalation v1 unchanged"

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
    shown = json.loads(pdw("instances", "show", instance_id, "--json").output)
    assert [h["action"] for h in shown["history"]] == ["instance.start", "task.claim", "timer.fire", "task.complete"]
    # 2 for the holiday notices `pdw db upgrade` installed, 9 for the admin and the procedure.
    assert pdw("audit", "verify").output.strip() == "audit log intact: 11 entries"


@pytest.mark.parametrize("args, message", [
    (("instances", "start", "nope", "--as", "ghost"), "error: no user 'ghost'"),
    (("tasks", "claim", "99", "--as", "ghost"), "error: no user 'ghost'"),
    (("tasks", "complete", "99", "--as", "x", "--data", "[1]"), "error: --data: must be a JSON object"),
    (("tasks", "complete", "99", "--as", "x", "--data", "{"), "error: --data: not valid JSON"),
    (("users", "add", "bob", "--roles", "wizard"), "error: user not added"),
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


def test_a_bad_pdw_clock_is_reported_in_one_line(pdw, monkeypatch):
    monkeypatch.setenv("PDW_CLOCK", "yesterday")
    result = pdw("tasks", "list")
    assert result.exit_code != 0
    assert "PDW_CLOCK='yesterday' is not an ISO datetime" in result.stderr


def test_errors_are_printed_in_the_language_pdw_lang_names(pdw, monkeypatch):
    assert pdw("users", "add", "alice", "--department", "gaj", "--department-name", "市公安局",
               "--roles", "applicant").exit_code == 0
    refused = pdw("users", "add", "bad name!", "--roles", "boss")
    assert refused.exit_code == 1
    assert refused.stderr.splitlines() == [
        "error: user not added", "  name: 'bad name!' is not a valid user name (letters, digits, _ - .)",
        "  roles: unknown role(s) boss; roles are applicant, reviewer, source_unit_handler, supervisor, designer, "
        "admin"]
    monkeypatch.setenv("PDW_LANG", "zh")
    taken = pdw("users", "add", "alice", "--roles", "applicant")
    assert taken.exit_code == 1
    assert taken.stderr.strip() == "error: 用户 alice 已存在。"
