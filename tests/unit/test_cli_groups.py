"""The `pdw` group: the web app adds `pdw web` through an entry point, and groups load lazily."""
from __future__ import annotations

import os
import re
import subprocess
import sys

import click
from click.testing import CliRunner

from engine.cli import main


def test_the_web_group_comes_from_the_pdw_commands_entry_point() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    assert "web " in result.stdout
    assert CliRunner().invoke(main, ["web", "--help"]).exit_code == 0


def test_an_unknown_group_is_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["nowhere"])
    assert result.exit_code == 2
    assert "No such command 'nowhere'" in result.stderr


def test_pdw_calendar_rules_imports_neither_sqlalchemy_nor_flask() -> None:
    # A fresh interpreter: this test process has long imported both.
    script = (
        "import sys\n"
        "from engine.cli import main\n"
        "main(['calendar', 'rules'], standalone_mode=False)\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'sqlalchemy', 'flask', 'SpiffWorkflow', 'webapp'}))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout.endswith("\n[]\n")


def test_pdw_calendar_reads_the_database_without_importing_the_web_app(sqlite_url: str) -> None:
    script = (
        "import sys\n"
        "from engine.cli import main\n"
        "main(['calendar', 'is-workday', '2026-10-10'], standalone_mode=False)\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'flask', 'webapp'}))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                            env={**os.environ, "PDW_DATABASE_URL": sqlite_url})
    assert result.stdout == "true\n[]\n"


def _every_command(group: click.Group, ctx: click.Context, path: str = "pdw"):
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        yield f"{path} {name}", command
        if isinstance(command, click.Group):
            yield from _every_command(command, click.Context(command, parent=ctx, info_name=name), f"{path} {name}")


def test_every_commands_line_in_its_groups_help_is_a_whole_phrase() -> None:
    # click cuts a command's line in the listing at the first word ending in a full stop: a
    # docstring opening with "(Art. 13, ...)" was listed as "The public data catalog (Art.".
    cut = []
    for path, command in _every_command(main, click.Context(main, info_name="pdw")):
        line = command.get_short_help_str(limit=200)
        if line.count("(") != line.count(")") or re.search(r"\b(Art|e\.g|i\.e)\.$", line):
            cut.append(f"{path}: {line}")
    assert cut == []
