"""`pdw users`: the user directory."""
from __future__ import annotations

import click

from engine.cli.common import emit, friendly, get_engine


@click.group("users")
def group() -> None:
    """Add and list users."""


@group.command("add")
@click.argument("name")
@click.option("--department", default=None, help="Department code, e.g. sjj.")
@click.option("--roles", required=True, help="Comma-separated: applicant,reviewer,source_unit_handler,"
                                             "supervisor,designer,admin")
@click.option("--display-name", default="")
@click.option("--as", "actor", default="admin", show_default=True, help="Who adds the user (audit log).")
@friendly
def add_command(name: str, department: str | None, roles: str, display_name: str, actor: str) -> None:
    """Add a user."""
    from engine.services.users import add_user

    user = add_user(get_engine(), name, department=department, display_name=display_name, actor=actor,
                    roles=[r.strip() for r in roles.split(",") if r.strip()])
    click.echo(f"added {user.name} ({', '.join(user.roles)}) groups: {', '.join(user.groups)}")


@group.command("list")
@click.option("--json", "as_json", is_flag=True)
@friendly
def list_command(as_json: bool) -> None:
    """List users with their departments, roles and groups."""
    from engine.services.users import list_users

    emit([u.to_dict() for u in list_users(get_engine())], as_json,
         lambda rows: "\n".join(f"{u['name']}\t{u['department'] or '-'}\t{','.join(u['roles'])}" for u in rows)
         or "(no users)")
