"""`pdw calendar`: due dates, working-day checks, year listings, rules and bad input."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.cli import main


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch, sqlite_url: str) -> CliRunner:
    """Runs `pdw` on a migrated database holding the shipped notices (as `pdw db upgrade` leaves it)."""
    monkeypatch.delenv("PDW_ARRANGEMENTS_DIR", raising=False)
    monkeypatch.setenv("PDW_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("PDW_CLOCK", "2026-03-02T09:00:00+08:00")
    return CliRunner()


def test_due_prints_the_iso_date_alone(runner: CliRunner) -> None:
    result = runner.invoke(main, ["calendar", "due", "--received", "2026-02-12", "--working-days", "5"])
    assert result.exit_code == 0
    assert result.stdout == "2026-02-26\n"
    assert result.stderr == ""


def test_due_with_a_calendar_day_period_rolls_past_national_day(runner: CliRunner) -> None:
    result = runner.invoke(main, ["calendar", "due", "--received", "2026-09-30", "--days", "1"])
    assert (result.exit_code, result.stdout) == (0, "2026-10-08\n")


def test_due_json_carries_rule_article_and_basis(runner: CliRunner) -> None:
    result = runner.invoke(
        main, ["calendar", "due", "--received", "2026-02-12", "--rule", "art20_share_extension", "--json"]
    )
    assert result.exit_code == 0
    payload = json.loads(result.stdout)
    assert payload["due_date"] == "2026-03-04"
    assert payload["due_at"] == "2026-03-04T16:00:00+00:00"
    assert payload["provisional"] is False
    assert payload["rule"] == "art20_share_extension"
    assert payload["article"] == "第二十条第二款"
    assert [(notice["year"], notice["notice"]) for notice in payload["basis"]] == [(2026, "国办发明电〔2025〕7号")]


def test_a_provisional_deadline_warns_on_stderr_in_chinese_then_english(runner: CliRunner) -> None:
    result = runner.invoke(main, ["calendar", "due", "--received", "2026-12-28", "--working-days", "10", "--json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["provisional"] is True
    assert result.stderr.startswith("警告：2027 年尚无国务院放假安排")
    assert "warning: 2027 has no official arrangement; the deadline is provisional" in result.stderr


@pytest.mark.parametrize(("day", "expected"), [("2026-02-28", "true"), ("2026-10-01", "false"), ("2026-03-07", "false")])
def test_is_workday_prints_true_or_false_and_exits_zero(runner: CliRunner, day: str, expected: str) -> None:
    result = runner.invoke(main, ["calendar", "is-workday", day])
    assert (result.exit_code, result.stdout, result.stderr) == (0, f"{expected}\n", "")


def test_is_workday_in_a_provisional_year_warns(runner: CliRunner) -> None:
    result = runner.invoke(main, ["calendar", "is-workday", "2027-03-01"])
    assert (result.exit_code, result.stdout) == (0, "true\n")
    assert "2027" in result.stderr and "provisional" in result.stderr


def test_year_lists_days_with_their_source_and_the_notice_and_when_it_was_installed(runner: CliRunner) -> None:
    result = runner.invoke(main, ["calendar", "year", "2026"])
    assert result.exit_code == 0
    assert "official" in result.stdout and "国办发明电〔2025〕7号" in result.stdout
    assert "installed 2026-03-02 09:00 by pdw db upgrade from 2026.toml" in result.stdout
    assert "2026-02-28  make-up working day" in result.stdout
    assert "installed:2026.toml" in result.stdout


def test_year_json_reports_a_provisional_year(runner: CliRunner) -> None:
    result = runner.invoke(main, ["calendar", "year", "2027", "--json"])
    payload = json.loads(result.stdout)
    assert payload["status"] == "provisional"
    assert {entry["source"] for entry in payload["entries"]} == {"holidays package"}
    assert {"date": "2027-01-01", "kind": "day_off", "name": "元旦", "source": "holidays package"} in payload["entries"]


def test_db_upgrade_installs_the_notices_of_the_arrangements_env_var(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "2027.toml").write_text(
        'year = 2027\nnotice = "测试通知"\ntitle = "测试"\npublished = 2026-11-01\n'
        '[[days_off]]\ndate = 2027-03-01\nname = "测试假日"\n', encoding="utf-8")
    env = {"PDW_ARRANGEMENTS_DIR": str(tmp_path), "PDW_DATABASE_URL": f"sqlite:///{tmp_path / 'new.sqlite3'}"}
    upgraded = runner.invoke(main, ["db", "upgrade"], env=env)
    assert upgraded.exit_code == 0
    assert upgraded.stdout.splitlines()[1:] == [
        "installed the 2025 holiday notice 国办发明电〔2024〕12号 from 2025.toml",
        "installed the 2026 holiday notice 国办发明电〔2025〕7号 from 2026.toml",
        "installed the 2027 holiday notice 测试通知 from 2027.toml",
    ]
    assert runner.invoke(main, ["db", "upgrade"], env=env).stdout.splitlines()[1:] == []
    payload = json.loads(runner.invoke(main, ["calendar", "year", "2027", "--json"], env=env).stdout)
    assert (payload["status"], payload["notice"]["source"]) == ("official", "installed:2027.toml")
    assert payload["entries"] == [{"date": "2027-03-01", "kind": "day_off", "name": "测试假日",
                                   "source": "installed:2027.toml"}]
    assert payload["installs"][0]["installed_by"] == "pdw db upgrade"


def test_rules_lists_every_rule_with_its_article(runner: CliRunner) -> None:
    result = runner.invoke(main, ["calendar", "rules"])
    assert result.exit_code == 0
    assert "art28_objection_measures: 10 个工作日  第二十八条第二款" in result.stdout
    payload = json.loads(runner.invoke(main, ["calendar", "rules", "--json"]).stdout)
    assert [rule["id"] for rule in payload] == [
        "art16_correction_reply",
        "art20_share_reply",
        "art20_share_extension",
        "art27_open_reply",
        "art28_objection_measures",
        "internal_source_opinion",
        "round_art19_assessment",
        "round_art21_art26_lists",
        "round_art44_risk_assessment",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--received", "2026-02-30", "--days", "3"], "error: --received: 2026-02-30 is not a valid date (YYYY-MM-DD)"),
        (["--received", "2026-02-03", "--working-days", "0"], "error: --working-days: 0 must be at least 1"),
        (["--received", "2026-02-03", "--days", "-2"], "error: --days: -2 must be at least 1"),
        (["--received", "2026-02-03"], "error: give exactly one of --working-days, --days or --rule (got none)"),
        (
            ["--received", "2026-02-03", "--days", "3", "--rule", "art27_open_reply"],
            "error: give exactly one of --working-days, --days or --rule (got --days, --rule)",
        ),
        (["--received", "2026-02-03", "--rule", "art99"], "error: --rule: unknown rule 'art99'"),
        (["--received", "2026-02-03", "--working-days", "five"], "error: Invalid value for '--working-days'"),
        (["--days", "3"], "error: Missing option '--received'"),
        (["--received", "2300-01-01", "--days", "3"], "error: --received: year 2300 is outside"),
    ],
)
def test_bad_due_input_exits_2_with_one_error_line(runner: CliRunner, args: list[str], message: str) -> None:
    result = runner.invoke(main, ["calendar", "due", *args])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith(message)
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.output


def test_is_workday_rejects_an_impossible_date_in_one_line(runner: CliRunner) -> None:
    result = runner.invoke(main, ["calendar", "is-workday", "2026-13-01"])
    assert result.exit_code == 2
    assert result.stderr == "error: DAY: 2026-13-01 is not a valid date (YYYY-MM-DD)\n"


def test_db_upgrade_refuses_a_malformed_notice_with_every_problem_and_installs_nothing(runner: CliRunner,
                                                                                      tmp_path: Path) -> None:
    (tmp_path / "2027.toml").write_text('year = 2027\n[[days_off]]\ndate = 2026-03-01\nname = "错年"\n',
                                        encoding="utf-8")
    env = {"PDW_ARRANGEMENTS_DIR": str(tmp_path), "PDW_DATABASE_URL": f"sqlite:///{tmp_path / 'new.sqlite3'}"}
    result = runner.invoke(main, ["db", "upgrade"], env=env)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "error: 2027.toml not installed (4 problem(s))",
        "  2027.toml: notice: the notice number is missing (e.g. 国办发明电〔2025〕7号)",
        "  2027.toml: title: the notice title is missing",
        "  2027.toml: published: the notice's date is missing (e.g. published = 2025-11-04)",
        "  2027.toml:3: days_off[1].date: 2026-03-01 is neither in 2027 nor at the turn of the year next to it",
    ]
    # Not even the shipped notices: the year comes from the holidays package until a good upgrade.
    assert runner.invoke(main, ["calendar", "year", "2026"], env=env).stdout.startswith(
        "2026: official (正式) - State Council arrangement [holidays package]\n2026-01-01")


def test_a_missing_arrangements_folder_is_reported_in_one_line(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(main, ["db", "upgrade"], env={"PDW_ARRANGEMENTS_DIR": str(tmp_path / "no")})
    assert result.exit_code == 1
    assert result.stderr == f"error: arrangements folder {tmp_path / 'no'} does not exist\n"


def test_a_database_without_a_calendar_is_reported_in_one_line(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(main, ["calendar", "is-workday", "2026-03-02"],
                           env={"PDW_DATABASE_URL": f"sqlite:///{tmp_path / 'none.sqlite3'}"})
    assert result.exit_code == 2
    assert result.stderr == "error: the database holds no calendar yet; run `pdw db upgrade` first\n"
    assert not (tmp_path / "none.sqlite3").exists()
