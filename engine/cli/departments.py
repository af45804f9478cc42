"""`pdw departments promise`: a department's published 承诺时限 for a procedure."""
from __future__ import annotations

import click

from engine.cli.common import friendly, new_uow


@click.group("departments")
def group() -> None:
    """Departments' published time limits."""


@group.command("promise")
@click.argument("department")
@click.argument("process_id")
@click.argument("working_days", type=int)
@click.option("--as", "actor", required=True, help="A supervisor of the 主管部门 or of that department.")
@friendly
def promise_command(department: str, process_id: str, working_days: int, actor: str) -> None:
    """Record DEPARTMENT's 承诺时限 for PROCESS_ID in working days from receipt (0 removes it);
    reports show it beside the statutory deadline, which still governs."""
    from engine.services.supervision import set_promise

    set_promise(new_uow(), department, process_id, working_days, actor=actor)
    click.echo(f"{department} promises {process_id} within {working_days} working day(s)" if working_days
               else f"{department} has no promise for {process_id}")
