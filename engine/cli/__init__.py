"""The `pdw` command line: one thin click group per area, each calling engine services."""
from __future__ import annotations

import importlib

import click

# Each module exposes a click group named `group`; imported lazily so `pdw calendar` does not
# pay for SQLAlchemy or SpiffWorkflow.
_GROUPS = {
    "audit": "engine.cli.audit",
    "calendar": "engine.cli.calendar",
    "catalog": "engine.cli.catalog",
    "db": "engine.cli.db",
    "demo": "engine.cli.demo",
    "instances": "engine.cli.instances",
    "scheduler": "engine.cli.scheduler",
    "tasks": "engine.cli.tasks",
    "users": "engine.cli.users",
    "web": "webapp.cli",
    "workflows": "engine.cli.workflows",
}


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_GROUPS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        module = _GROUPS.get(name)
        return importlib.import_module(module).group if module else None


@click.group(cls=_LazyGroup)
def main() -> None:
    """PDW: statutory public-data procedures with deadlines on the working-day calendar."""
