"""`pdw tasks`: list, claim, unclaim, reassign and complete human tasks."""
from __future__ import annotations

import click

from engine.cli.common import ID, emit, friendly, new_uow, parse_json, say
from engine.cli.procedures import field_line


@click.group("tasks")
def group() -> None:
    """Work with human tasks."""


def _line(t: dict) -> str:
    provisional = " (provisional)" if t["deadline_provisional"] else ""
    due = f"due {t['due_date']}{provisional} {t['deadline_article'] or ''}".strip() if t["due_date"] else "no deadline"
    who = t["assignee"] or ",".join(t["candidate_groups"])
    return f"{t['id']}\t{t['process_id']}/{t['task_name']}\t{t['state']}\t{who}\t{due}"


@group.command("list")
@click.option("--as", "actor", required=True, help="The tasks this user may claim or holds (with --instance: "
                                                    "that application's, as the user is shown them).")
@click.option("--instance", "instance_id", type=ID, default=None)
@click.option("--state", type=click.Choice(["open", "completed", "cancelled", "all"]), default="open",
              show_default=True)
@click.option("--json", "as_json", is_flag=True)
@friendly
def list_command(actor, instance_id, state, as_json) -> None:
    """List tasks by due date."""
    from engine.services.tasks import list_tasks

    rows = list_tasks(new_uow(), actor=actor, instance_id=instance_id, state=None if state == "all" else state)
    emit(rows, as_json, lambda rs: "\n".join(map(_line, rs)) or "(no tasks)")


@group.command("show")
@click.argument("task_id", type=ID)
@click.option("--as", "actor", required=True, help="Who reads it: a candidate, its holder or an overseer.")
@click.option("--json", "as_json", is_flag=True)
@friendly
def show_command(task_id: int, actor: str, as_json: bool) -> None:
    """Show a task and the fields its form asks for (what `tasks complete --data` takes)."""
    from engine.services.tasks import show

    def text(t: dict) -> str:
        lines = [_line(t), f"form: {t['form'] or '-'}"]
        lines.extend(map(field_line, t["fields"]))
        return "\n".join(lines)

    emit(show(new_uow(), task_id, actor=actor), as_json, text)


@group.command("claim")
@click.argument("task_id", type=ID)
@click.option("--as", "actor", required=True)
@friendly
def claim_command(task_id: int, actor: str) -> None:
    """Claim a task."""
    from engine.services.tasks import claim

    click.echo(_line(claim(new_uow(), task_id, actor=actor)))


@group.command("unclaim")
@click.argument("task_id", type=ID)
@click.option("--as", "actor", required=True)
@friendly
def unclaim_command(task_id: int, actor: str) -> None:
    """Give a claimed task back to its groups."""
    from engine.services.tasks import unclaim

    click.echo(_line(unclaim(new_uow(), task_id, actor=actor)))


@group.command("reassign")
@click.argument("task_id", type=ID)
@click.option("--to", "assignee", required=True)
@click.option("--as", "actor", required=True, help="A supervisor.")
@friendly
def reassign_command(task_id: int, assignee: str, actor: str) -> None:
    """Hand a task to another user (supervisors)."""
    from engine.services.tasks import reassign

    click.echo(_line(reassign(new_uow(), task_id, actor=actor, assignee=assignee)))


@group.command("complete")
@click.argument("task_id", type=ID)
@click.option("--as", "actor", required=True)
@click.option("--data", required=True, help="The form data as a JSON object.")
@friendly
def complete_command(task_id: int, actor: str, data: str) -> None:
    """Complete a claimed task with its form data."""
    from engine.services.tasks import complete

    result = complete(new_uow(), task_id, actor=actor, data=parse_json(data, "--data"))
    say("done.task_completed", task=task_id, status=result["instance_status"], waiting=list(result["opened"]) or "-")
    if result["error"]:
        click.echo(f"warning: instance errored: {result['error']}", err=True)
