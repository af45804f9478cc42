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
    "grants": "engine.cli.grants",
    "instances": "engine.cli.instances",
    "scheduler": "engine.cli.scheduler",
    "tasks": "engine.cli.tasks",
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
            return importlib.import_module(_GROUPS[name]).group
        point = _added_groups().get(name)
        return point.load() if point else None


@click.group(cls=_LazyGroup)
def main() -> None:
    """PDW: statutory public-data procedures with deadlines on the working-day calendar."""
