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

    shown = json.loads(pdw("instances", "show", instance_id, "--json").stdout)
    assert shown["status"] == "completed"
    assert [h["action"] for h in shown["history"]] == ["instance.start", "task.claim", "timer.fire",
                                                       "task.complete", "task.complete"]
    assert pdw("audit", "verify").stdout.startswith("audit log intact")
