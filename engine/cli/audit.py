"""`pdw audit verify`: check the hash chain of the audit log."""
from __future__ import annotations

import click

from engine.cli.common import friendly, new_uow


@click.group("audit")
def group() -> None:
    """The tamper-evident audit log."""


@group.command("verify")
@friendly
def verify_command() -> None:
    """Recompute every entry's hash; exit non-zero if any was edited or removed."""
    from engine.services import audit

    report = audit.verify(new_uow())
    for problem in report.problems:
        click.echo(problem, err=True)
    if not report.ok:
        raise SystemExit(1)
    click.echo(f"audit log intact: {report.entries} entries")
