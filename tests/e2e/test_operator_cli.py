"""The operator's command line: the commonest mistakes get one line and a non-zero exit, `--as`
is checked before anything is written, and applications can be listed, cancelled and shown."""
from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from engine.cli import main
from engine.cli.examples import EXAMPLES

FIXTURES = Path(__file__).parent.parent / "fixtures"
BPMN = str(FIXTURES / "bpmn" / "deadline_escalation.bpmn")


@pytest.fixture
def run(monkeypatch):
    """Run `pdw ARGS...` with the environment given; returns the click result."""
    monkeypatch.setenv("PDW_FORMS_DIR", str(FIXTURES / "forms"))
    monkeypatch.setenv("PDW_CLOCK", "2026-03-02T09:00:00+08:00")
    runner = CliRunner()

    def invoke(*args: str, database_url: str | None = None, **kwargs):
        if database_url is not None:
            monkeypatch.setenv("PDW_DATABASE_URL", database_url)
        return runner.invoke(main, list(args), **kwargs)

    return invoke


@pytest.fixture
def pdw(run, tmp_path):
    """`pdw` on a fresh, upgraded SQLite file with an admin, a designer, an applicant, a reviewer
    and a supervisor, and the escalation procedure deployed."""
    url = f"sqlite:///{tmp_path / 'ops.sqlite3'}"
    assert run("db", "upgrade", database_url=url).exit_code == 0
    assert run("users", "add", "admin", "--department", "sjj", "--department-name", "市数据局",
               "--roles", "admin").exit_code == 0
    for name, department, roles in (("dora", "sjj", "designer"), ("alice", "sjj", "applicant"),
                                    ("rita", "sjj", "reviewer"), ("sam", "sjj", "supervisor")):
        assert run("users", "add", name, "--department", department, "--roles", roles, "--as", "admin").exit_code == 0
    assert run("workflows", "deploy", BPMN, "--as", "dora").exit_code == 0
    assert run("workflows", "approve", "deadline_escalation", "1", "--as", "admin").exit_code == 0
    return run


def _one_line_error(result) -> str:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    return lines[0]


def test_a_database_never_upgraded_is_named_with_the_command_that_fixes_it(run, tmp_path):
    line = _one_line_error(run("tasks", "list", "--as", "rita", database_url=f"sqlite:///{tmp_path / 'new.sqlite3'}"))
    assert line == "error: the database has no PDW tables yet; run `pdw db upgrade` first"


def test_an_unreachable_postgresql_server_is_one_line_naming_the_connection():
    runner = CliRunner()
    result = runner.invoke(main, ["users", "list"],
                           env={"PDW_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none"})
    line = _one_line_error(result)
    assert line.startswith("error: cannot reach the database: ") and "127.0.0.1" in line


@pytest.mark.parametrize("url, scheme", [("postgres://u@h/db", "postgres"), ("mysql://u@h/db", "mysql")])
def test_an_unsupported_database_scheme_is_named_with_the_supported_ones(run, url, scheme):
    line = _one_line_error(run("users", "list", database_url=url))
    assert f"'{scheme}://' are not supported" in line and "postgresql+psycopg://" in line


def test_a_sqlite_file_in_a_missing_folder_is_refused_and_no_folder_is_made(run, tmp_path):
    missing = tmp_path / "no" / "such"
    line = _one_line_error(run("db", "upgrade", database_url=f"sqlite:///{missing / 'pdw.sqlite3'}"))
    assert str(missing) in line
    assert not (tmp_path / "no").exists()


@pytest.mark.parametrize("args, area", [
    (("users", "add", "eve", "--roles", "admin", "--as", "alice"), "users"),
    (("users", "set-password", "rita", "--password-stdin", "--as", "rita"), "users"),
    (("catalog", "import", str(Path(__file__).parent.parent.parent / "engine" / "demo_data" / "catalog.csv"),
      "--as", "dora"), "catalog"),
    (("workflows", "deploy", str(FIXTURES / "bpmn" / "two_reviews.bpmn"), "--as", "rita"), "workflows"),
    (("tokens", "create", "rita", "--as", "sam"), "tokens"),
])
def test_as_without_the_role_a_command_needs_is_refused_and_nothing_is_written(pdw, args, area):
    before = pdw("audit", "verify").output
    line = _one_line_error(pdw(*args, input="a new secret\n"))
    assert f"may not administer {area}" in line
    assert pdw("audit", "verify").output == before
    assert "eve" not in pdw("users", "list").output
    assert pdw("workflows", "list").output.count("\n") == 1


def test_an_unknown_department_is_refused_unless_it_is_named(pdw):
    refused = pdw("users", "add", "bob", "--department", "sjjj", "--roles", "reviewer", "--as", "admin")
    assert refused.exit_code == 1
    assert "no department 'sjjj' (known: sjj)" in refused.output
    assert "bob" not in pdw("users", "list").output
    assert pdw("users", "add", "bob", "--department", "wjw", "--as", "admin", "--department-name", "市卫健委",
               "--roles", "reviewer").exit_code == 0


def test_users_list_shows_each_users_groups(pdw):
    line = next(l for l in pdw("users", "list").output.splitlines() if l.startswith("rita"))
    assert line.split("\t")[-1] == "reviewer,reviewer@sjj,user:rita"


def test_instances_are_listed_filtered_shown_with_their_form_and_cancelled_with_a_reason(pdw):
    first = pdw("instances", "start", "deadline_escalation", "--as", "alice", "--data", "{}").stdout.strip()
    second = pdw("instances", "start", "deadline_escalation", "--as", "alice", "--data", "{}").stdout.strip()
    listed = json.loads(pdw("instances", "list", "--as", "admin", "--json").output)
    assert [(str(i["id"]), i["status"], i["process_id"]) for i in listed] == [
        (second, "running", "deadline_escalation"), (first, "running", "deadline_escalation")]
    assert json.loads(pdw("instances", "list", "--as", "admin", "--process", "objection", "--json").output) == []

    task = json.loads(pdw("tasks", "list", "--as", "admin", "--instance", first, "--json").output)[0]
    shown = pdw("tasks", "show", str(task["id"]), "--as", "admin")
    assert shown.exit_code == 0
    assert "decision\tstring\trequired" in shown.output and "one of: approve, refuse" in shown.output

    assert "a reason is required" in pdw("instances", "cancel", first, "--reason", " ", "--as", "sam").output
    assert "may not cancel" in _one_line_error(pdw("instances", "cancel", first, "--reason", "twice", "--as", "rita"))
    done = pdw("instances", "cancel", first, "--reason", "entered twice", "--as", "sam")
    assert done.output.strip() == f"instance {first} cancelled; 1 open task(s) cancelled"
    assert [i["id"] for i in json.loads(pdw("instances", "list", "--as", "admin", "--status", "cancelled", "--json").output)] \
        == [int(first)]
    assert json.loads(pdw("tasks", "list", "--as", "admin", "--instance", first, "--state", "all",
                          "--json").output)[0]["state"] \
        == "cancelled"
    history = json.loads(pdw("instances", "show", first, "--as", "admin", "--json").output)["history"]
    assert history[-1]["action"] == "instance.cancel" and history[-1]["after"]["reason"] == "entered twice"
    assert "is cancelled" in _one_line_error(pdw("instances", "cancel", first, "--reason", "again", "--as", "sam"))
    assert pdw("audit", "verify").exit_code == 0


def test_every_command_has_examples_in_its_help_and_the_version_is_printed(run):
    result = run("--version")
    assert result.exit_code == 0 and result.output.startswith("pdw ")
    ctx = click.Context(main)
    for group_name in main.list_commands(ctx):
        group = main.get_command(ctx, group_name)
        subs = getattr(group, "commands", None)
        for path in ([f"{group_name} {n}" for n in subs] if subs else [group_name]):
            assert path in EXAMPLES, f"pdw {path} has no example"
            help_text = run(*path.split(), "--help").output
            assert "Examples:\n    " in help_text and "pdw " + path in help_text, path


def test_an_errored_application_is_listed_and_runs_on_with_retry_once_the_catalog_has_its_item(pdw, tmp_path):
    assert pdw("workflows", "deploy", str(FIXTURES / "bpmn" / "catalog_lookup.bpmn"), "--as", "dora").exit_code == 0
    assert pdw("workflows", "approve", "catalog_lookup", "1", "--as", "admin").exit_code == 0
    started = pdw("instances", "start", "catalog_lookup", "--as", "alice", "--data", '{"catalog_item": "GA-404"}')
    instance_id = started.stdout.strip()
    assert "catalog item 'GA-404' does not exist" in started.stderr
    errored = json.loads(pdw("instances", "list", "--status", "errored", "--as", "sam", "--json").output)
    assert [str(i["id"]) for i in errored] == [instance_id]

    csv = tmp_path / "catalog.csv"
    csv.write_text("code,name,source_unit,share_attribute,share_conditions,share_basis,open_attribute,"
                   "open_conditions,update_frequency,contact,data_format,data_type,sensitivity_level\n"
                   "GA-404,补录目录,sjj,无条件共享,,,不予开放,,每日,市数据局,接口,结构化,一般\n", encoding="utf-8")
    imported = pdw("catalog", "import", str(csv), "--as", "admin")
    assert imported.exit_code == 0 and "line 2 GA-404: held for review #" in imported.output
    # A line the rules refuse (personal data opened without desensitisation and consent, Art. 24,
    # 25) changes nothing, and the command says so with its exit status.
    refused = tmp_path / "refused.csv"
    refused.write_text(csv.read_text(encoding="utf-8").splitlines()[0] + "\n"
                       "GA-405,人口信息,sjj,无条件共享,,,有条件开放,限统计,每日,市数据局,接口,结构化,个人信息\n",
                       encoding="utf-8")
    turned_down = pdw("catalog", "import", str(refused), "--as", "admin")
    assert turned_down.exit_code == 1 and "line 2 GA-405: refused" in turned_down.output
    assert "Art. 24(3), 25" in turned_down.output
    # Held, the item is not in the catalog yet: the application still cannot run on.
    assert "does not exist" in pdw("instances", "retry", instance_id, "--as", "sam").output
    [proposal] = json.loads(pdw("catalog", "proposals", "--as", "rita", "--json").output)
    assert pdw("catalog", "approve", str(proposal["id"]), "--as", "rita").exit_code == 0
    retried = pdw("instances", "retry", instance_id, "--as", "sam")
    assert retried.exit_code == 0, retried.output
    assert retried.output.startswith(f"instance {instance_id} running; waiting for: review")
    assert json.loads(pdw("instances", "list", "--status", "errored", "--as", "sam", "--json").output) == []


def test_the_first_admin_is_added_by_the_named_operator_and_everyone_after_by_that_admin(pdw, tmp_path):
    from sqlalchemy import create_engine, text

    from engine.services.users import SYSTEM

    db = create_engine(f"sqlite:///{tmp_path / 'ops.sqlite3'}")
    with db.connect() as c:
        added = c.execute(text("SELECT actor, after FROM audit_log WHERE action = 'user.add' ORDER BY id")).all()
    db.dispose()
    assert [(actor, json.loads(after)["name"]) for actor, after in added] == [
        (SYSTEM, "admin"), ("admin", "dora"), ("admin", "alice"), ("admin", "rita"), ("admin", "sam")]
