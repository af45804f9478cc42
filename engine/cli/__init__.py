"""The `pdw` command line: one thin click group per area, each calling engine services."""
from __future__ import annotations

import functools
import importlib
from importlib.metadata import EntryPoint, entry_points

import click

# Each module exposes a click group named `group`; imported lazily so `pdw calendar` does not
# pay for SQLAlchemy or SpiffWorkflow.
_GROUPS = {
    "audit": "engine.cli.audit",
    "calendar": "engine.cli.calendar",
    "catalog": "engine.cli.catalog",
    "db": "engine.cli.db",
    "demo": "engine.cli.demo",
    "departments": "engine.cli.departments",
    "grants": "engine.cli.grants",
    "instances": "engine.cli.instances",
    "levels": "engine.cli.levels",
    "mail": "engine.cli.mail",
    "procedures": "engine.cli.procedures",
    "report": "engine.cli.report",
    "rounds": "engine.cli.rounds",
    "scheduler": "engine.cli.scheduler",
    "tasks": "engine.cli.tasks",
    "tokens": "engine.cli.tokens",
    "users": "engine.cli.users",
    "workflows": "engine.cli.workflows",
}

# Packages built on the engine (the web app's `pdw web`) add their groups here, so the engine
# never names them.
ENTRY_POINT_GROUP = "pdw.commands"


@functools.cache
def _added_groups() -> dict[str, EntryPoint]:
    # Read from installed metadata only; a group's module is imported when it is run.
    return {point.name: point for point in entry_points(group=ENTRY_POINT_GROUP) if point.name not in _GROUPS}


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*_GROUPS, *_added_groups()})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in _GROUPS:
            command = importlib.import_module(_GROUPS[name]).group
        else:
            point = _added_groups().get(name)
            command = point.load() if point else None
        if command is not None:
            _add_examples(command, name)
        return command


def _add_examples(command: click.Command, path: str) -> None:
    # The examples live in one table (engine.cli.examples) rather than in each docstring.
    from engine.cli.examples import epilog

    if command.epilog is None:
        command.epilog = epilog(path)
    for name, sub in getattr(command, "commands", {}).items():
        _add_examples(sub, f"{path} {name}")


@click.group(cls=_LazyGroup)
@click.version_option(package_name="pdw", message="pdw %(version)s")
def main() -> None:
    """PDW: statutory public-data procedures with deadlines on the working-day calendar."""
