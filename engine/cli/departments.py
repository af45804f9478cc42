"""`pdw departments`: the departments of each level (add, rename, move, retire, list) and a
department's published 承诺时限 for a procedure."""
from __future__ import annotations

import click

from engine.cli.common import emit, friendly, new_uow, say
from engine.permissions import DEPARTMENT_KINDS

KINDS = click.Choice(list(DEPARTMENT_KINDS))


@click.group("departments")
def group() -> None:
    """Departments: add, rename, move and retire them; their published time limits."""


def _said(message: str, view) -> None:
    say(message, department=view.code, name=view.name, full_name=view.full_name, kind=view.kind, level=view.level)


@group.command("add")
@click.argument("code")
@click.option("--name", required=True, help="The short name shown in lists, e.g. 宣汉县数据局.")
@click.option("--full-name", default=None, help="The full official name (全称) printed on replies.")
@click.option("--kind", type=KINDS, default="department", show_default=True,
              help="authority: the level's 公共数据主管部门 (one per level).")
@click.option("--level", default=None, help="The level's code (default: the city).")
@click.option("--as", "actor", required=True, help="An admin who adds it (audit log).")
@friendly
def add_command(code: str, name: str, full_name: str | None, kind: str, level: str | None, actor: str) -> None:
    """Add department CODE at a level; of kind authority it becomes that level's competent authority."""
    from engine.services.organisation import add_department

    _said("done.department_added", add_department(new_uow(), code, name=name, full_name=full_name, kind=kind,
                                                  level=level, actor=actor))


@group.command("rename")
@click.argument("code")
@click.option("--name", default=None, help="A new short name.")
@click.option("--full-name", default=None, help="A new full official name (全称).")
@click.option("--kind", type=KINDS, default=None, help="A new kind.")
@click.option("--as", "actor", required=True, help="An admin who renames it (audit log).")
@friendly
def rename_command(code: str, name: str | None, full_name: str | None, kind: str | None, actor: str) -> None:
    """Give department CODE a new name, full official name or kind."""
    from engine.services.organisation import rename_department

    _said("done.department_changed", rename_department(new_uow(), code, name=name, full_name=full_name, kind=kind,
                                                       actor=actor))


@group.command("move")
@click.argument("code")
@click.option("--level", required=True, help="The level it moves to.")
@click.option("--as", "actor", required=True, help="An admin who moves it (audit log).")
@friendly
def move_command(code: str, level: str, actor: str) -> None:
    """Move department CODE to another level (applications already received stay where they are)."""
    from engine.services.organisation import move_department

    _said("done.department_changed", move_department(new_uow(), code, level=level, actor=actor))


@group.command("retire")
@click.argument("code")
@click.option("--as", "actor", required=True, help="An admin who retires it (audit log).")
@friendly
def retire_command(code: str, actor: str) -> None:
    """Retire department CODE (refused while it has open work)."""
    from engine.services.organisation import retire_department

    say("done.department_retired", department=retire_department(new_uow(), code, actor=actor).code)


@group.command("list")
@click.option("--level", default=None, help="Only this level's departments.")
@click.option("--retired", is_flag=True, help="Retired departments too.")
@click.option("--json", "as_json", is_flag=True)
@friendly
def list_command(level: str | None, retired: bool, as_json: bool) -> None:
    """List the departments by level: code, level, kind, name and full name."""
    from engine.services.organisation import list_departments

    rows = [d.to_dict() for d in list_departments(new_uow(), level=level, retired=retired)]
    emit(rows, as_json, lambda rows: "\n".join(
        f"{d['code']}\t{d['level']}\t{d['kind']}{' *' if d['is_authority'] else ''}\t{d['name']}\t{d['full_name']}"
        + (f"\tretired {d['retired_at'][:10]}" if d["retired_at"] else "") for d in rows) or "(no departments)")


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
