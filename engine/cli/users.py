"""`pdw users`: the user directory."""
from __future__ import annotations

import sys

import click

from engine.cli.common import emit, friendly, new_uow, say, users_actor


@click.group("users")
def group() -> None:
    """Add, list and disable users, and set their passwords."""


@group.command("add")
@click.argument("name")
@click.option("--department", default=None, help="Department code, e.g. sjj; it must exist unless "
                                                 "--department-name is given.")
@click.option("--department-name", default=None, help="Add the department under this name if it is new "
                                                      "(better: `pdw departments add`).")
@click.option("--department-kind", default=None, help="The kind of a department added here (default: authority "
                                                      "for the city's competent authority, else department).")
@click.option("--level", default=None, help="The level of a department added here, or of an account without a "
                                            "department (a citizen's county); default: the city.")
@click.option("--roles", required=True, help="Comma-separated: applicant,reviewer,source_unit_handler,"
                                             "supervisor,department_head,designer,admin")
@click.option("--display-name", default="")
@click.option("--email", default=None, help="Where notifications are e-mailed (when PDW_SMTP_HOST is set).")
@click.option("--as", "actor", default=None,
              help="An admin who adds the user (audit log); needed once the directory has an admin.")
@friendly
def add_command(name: str, department: str | None, department_name: str | None, department_kind: str | None,
                level: str | None, roles: str, display_name: str, email: str | None, actor: str | None) -> None:
    """Add a user."""
    from engine.services.users import add_user

    user = add_user(new_uow(), name, department=department, display_name=display_name, actor=users_actor(actor),
                    email=email,
                    roles=[r.strip() for r in roles.split(",") if r.strip()], department_name=department_name,
                    known_department=True, department_kind=department_kind, level=level)
    say("done.user_added", name=user.name, roles=list(user.roles), groups=list(user.groups))


@group.command("list")
@click.option("--json", "as_json", is_flag=True)
@friendly
def list_command(as_json: bool) -> None:
    """List users with their departments, roles and groups."""
    from engine.services.users import list_users

    emit([u.to_dict() for u in list_users(new_uow())], as_json,
         lambda rows: "\n".join(f"{u['name']}\t{u['department'] or '-'}\t{','.join(u['roles'])}\t{','.join(u['groups'])}"
                                 for u in rows)
         or "(no users)")


@group.command("set-password")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
@click.option("--as", "actor", required=True, help="An admin who sets it (audit log).")
@friendly
def set_password_command(name: str, password_stdin: bool, actor: str) -> None:
    """Set a user's sign-in password (asked for twice unless --password-stdin)."""
    from engine.services.accounts import set_password

    acting = users_actor(actor)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    set_password(new_uow(), name, password, actor=acting)
    say("done.password_set", name=name)


@group.command("disable")
@click.argument("name")
@click.option("--as", "actor", required=True, help="An admin who disables the user (audit log).")
@friendly
def disable_command(name: str, actor: str) -> None:
    """Stop a user from signing in and end every session they hold."""
    from engine.services.users import disable_user

    disable_user(new_uow(), name, actor=users_actor(actor))
    say("done.user_disabled", name=name)
