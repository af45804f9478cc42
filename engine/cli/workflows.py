"""`pdw workflows`: validate, deploy and list BPMN definitions."""
from __future__ import annotations

from pathlib import Path

import click

from engine.cli.common import emit, fail, friendly, get_engine, new_uow, require_role, warn_all


@click.group("workflows")
def group() -> None:
    """Validate, deploy and list BPMN process definitions."""


def _read(paths: tuple[str, ...]) -> list[tuple[str, bytes]]:
    files = []
    for path in paths:
        p = Path(path)
        if not p.is_file():
            fail(f"{path}: no such file")
        files.append((path, p.read_bytes()))
    return files


@group.command("validate")
@click.argument("files", nargs=-1, required=True)
@friendly
def validate_command(files: tuple[str, ...]) -> None:
    """Check BPMN files; print one line per problem and exit non-zero if there are any."""
    from engine.services.definitions import problems_of

    problems, warnings = problems_of(_read(files), get_engine())
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)
    for problem in problems:
        click.echo(str(problem), err=True)
    if problems:
        raise SystemExit(1)
    click.echo(f"{len(files)} file(s) valid")


@group.command("deploy")
@click.argument("files", nargs=-1, required=True)
@click.option("--as", "actor", default="admin", show_default=True, help="A designer or admin who deploys (audit log).")
@friendly
def deploy_command(files: tuple[str, ...], actor: str) -> None:
    """Deploy BPMN files; changed content makes a new version."""
    from engine.services.definitions import deploy
    from engine.services.supervision import empty_groups_of_bpmn

    contents = _read(files)
    require_role(actor, "workflows")
    for d in deploy(new_uow(), contents, actor=actor):
        click.echo(f"{d.process_id} v{d.version} {'deployed' if d.created else 'unchanged'}")
    warn_all(empty_groups_of_bpmn(new_uow(), contents))


@group.command("list")
@click.option("--json", "as_json", is_flag=True)
@friendly
def list_command(as_json: bool) -> None:
    """List deployed processes (newest version of each)."""
    from engine.services.definitions import list_definitions

    emit(list_definitions(new_uow()), as_json,
         lambda rows: "\n".join(f"{r['process_id']}\tv{r['version']}\t{r['name']}" for r in rows) or "(none)")
