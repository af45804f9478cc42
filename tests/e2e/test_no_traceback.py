"""No command prints a traceback, whatever it is given: every command of the `pdw` group (found
by walking the group, so a new command is covered the day it is added) is run with its
documented example against a database that does not exist, one never upgraded, a PostgreSQL
server nobody listens on, and with bad arguments on a working database. Each run ends in
`sys.exit` (success, or a refusal on stderr), never in an exception that escapes the command."""
from __future__ import annotations

import os
import shlex
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from engine.cli import main
from engine.cli.examples import EXAMPLES

UNREACHABLE = "postgresql+psycopg://nobody@127.0.0.1:1/none"


def _commands(group: click.Group = main, prefix: str = "") -> list[str]:
    found = []
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        path = f"{prefix} {name}".strip()
        found.extend(_commands(command, path) if isinstance(command, click.Group) else [path])
    return found


COMMANDS = [c for c in _commands() if c != "web"]  # `pdw web` serves until stopped


def _example_args(path: str) -> list[str]:
    line = EXAMPLES[path][-1].split("&&")[-1]
    words = shlex.split(line)
    words = words[words.index("pdw") + 1:]
    if path == "scheduler run" and "--once" not in words:
        words.append("--once")
    return words


def _no_escape(result) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        f"{type(result.exception).__name__}: {result.exception}\n{result.output}"
    assert "Traceback" not in result.output
    assert result.exit_code in (0, 1, 2), result.output


def _run(args: list[str], url: str, folder: Path):
    env = {"PDW_DATABASE_URL": url, "PDW_CLOCK": "2026-03-02T09:00:00+08:00", "PDW_PASSWORD_HASH_COST": "10"}
    # In a folder of the test's own: a command given a file name (pdw db backup 0) writes it there.
    previous = os.getcwd()
    os.chdir(folder)
    try:
        return CliRunner().invoke(main, args, env=env, input="a long secret for the operator\n" * 2)
    finally:
        os.chdir(previous)


@pytest.fixture
def unmigrated(tmp_path) -> str:
    (tmp_path / "empty.sqlite3").touch()
    return f"sqlite:///{tmp_path / 'empty.sqlite3'}"


def test_every_command_of_the_group_is_covered_by_these_runs():
    assert "calendar due" in COMMANDS and "procedures show" in COMMANDS and len(COMMANDS) > 40


@pytest.mark.parametrize("path", COMMANDS)
def test_no_command_escapes_with_no_database_an_unmigrated_one_or_an_unreachable_server(path, tmp_path, unmigrated):
    args = _example_args(path)
    missing = _run(args, f"sqlite:///{tmp_path / 'no' / 'such.sqlite3'}", tmp_path)
    _no_escape(missing)
    _no_escape(_run(args, unmigrated, tmp_path))
    unreachable = _run(args, UNREACHABLE, tmp_path)
    _no_escape(unreachable)
    if unreachable.exit_code != 0:
        assert "pdw db upgrade" not in unreachable.output, unreachable.output


BAD_VALUES = ["0", "-1", "99999999999999999999", "x" * 300, "2026-02-30", "\x07bell", "'{\"a\": [[[[1]]]]}'"]


@pytest.mark.parametrize("path", COMMANDS)
def test_no_command_escapes_with_bad_arguments(path, tmp_path):
    url = f"sqlite:///{tmp_path / 'pdw.sqlite3'}"
    assert _run(["db", "upgrade"], url, tmp_path).exit_code == 0
    args = _example_args(path)
    if path == "db upgrade":
        args = ["upgrade"] and ["db", "upgrade"]
    for bad in BAD_VALUES:
        for i in range(len(path.split()), len(args)):
            if args[i].startswith("--") or args[i - 1] == "--as":
                continue
            _no_escape(_run([*args[:i], bad, *args[i + 1:]], url, tmp_path))
    _no_escape(_run([*path.split(), "--no-such-option"], url, tmp_path))


@pytest.mark.parametrize("args", [["calendar", "due", "--received", "2026-09-28", "--rule", "art20_share_reply"],
                                  ["calendar", "is-workday", "2026-10-10"], ["calendar", "year", "2026"]])
def test_the_calendar_before_db_upgrade_and_with_the_server_down_says_which_in_one_line(args, tmp_path, unmigrated):
    never = _run(args, unmigrated, tmp_path)
    assert never.exit_code == 1
    assert never.output == "error: the database has no PDW tables yet; run `pdw db upgrade` first\n"
    down = _run(args, UNREACHABLE, tmp_path)
    assert down.exit_code == 1
    assert down.output.startswith("error: cannot reach the database: ") and len(down.output.splitlines()) == 1


@pytest.mark.parametrize("command", [["calendar", "install"], ["catalog", "import"]])
def test_a_file_argument_that_cannot_be_read_is_one_line_naming_it(command, tmp_path):
    url = f"sqlite:///{tmp_path / 'pdw.sqlite3'}"
    assert _run(["db", "upgrade"], url, tmp_path).exit_code == 0
    (tmp_path / "binary.toml").write_bytes(b"\xff\xfe\x00")
    unreadable = {str(tmp_path): "directory", "n" * 300 + ".toml": "File name too long",
                  str(tmp_path / "binary.toml"): "not UTF-8 text", str(tmp_path / "none.toml"): "no such file"}
    for name, reason in unreadable.items():
        result = _run([*command, name, "--as", "admin"], url, tmp_path)
        _no_escape(result)
        [line] = result.stderr.splitlines()
        assert line.startswith("error: ") and reason in line.replace("a folder", "a directory")
        assert len(line) < 200
