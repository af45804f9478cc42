"""`pdw instances`: start applications and show them."""
from __future__ import annotations

import click

from engine.cli.common import emit, friendly, new_uow, parse_json


@click.group("instances")
def group() -> None:
    """Start and inspect process instances (applications)."""


@group.command("start")
@click.argument("process_id")
@click.option("--as", "actor", required=True, help="The user who applies.")
@click.option("--data", default=None, help="The application as a JSON object.")
@friendly
def start_command(process_id: str, actor: str, data: str | None) -> None:
    """Start PROCESS_ID; prints the new instance id."""
    from engine.services.instances import start

    result = start(new_uow(), process_id, actor=actor, data=parse_json(data, "--data"))
    click.echo(result.instance_id)
    click.echo(f"receipt {result.receipt_number}; {result.status}; waiting for: {', '.join(result.opened) or '-'}",
               err=True)
    if result.error:
        click.echo(f"warning: instance errored: {result.error}", err=True)


@group.command("retry")
@click.argument("instance_id", type=int)
@click.option("--as", "actor", required=True, help="A supervisor or admin.")
@friendly
def retry_command(instance_id: int, actor: str) -> None:
    """Run an errored instance on from where it stopped, once its cause is fixed.

    Example: pdw instances retry 12 --as zhao.liu
    """
    from engine.services.instances import retry

    result = retry(new_uow(), instance_id, actor=actor)
    click.echo(f"instance {result.instance_id} {result.status}; waiting for: {', '.join(result.opened) or '-'}")
    if result.error:
        click.echo(f"warning: instance errored again: {result.error}", err=True)


@group.command("show")
@click.argument("instance_id", type=int)
@click.option("--json", "as_json", is_flag=True)
@friendly
def show_command(instance_id: int, as_json: bool) -> None:
    """Show an instance with its tasks and history."""
    from engine.services.instances import show

    def text(i):
        lines = [f"instance {i['id']} {i['process_id']} v{i['version']} {i['status']} receipt {i['receipt_number']} "
                 f"received {i['received_on']} by {i['started_by']}"]
        if i["error"]:
            lines.append(f"error: {i['error']}")
        for t in i["tasks"]:
            due = f" due {t['due_date']} ({t['deadline_article']}{', provisional' if t['deadline_provisional'] else ''})" \
                if t["due_date"] else ""
            lines.append(f"  task {t['id']} {t['task_name']} {t['state']} {t['assignee'] or ''}{due}")
        for h in i["history"]:
            lines.append(f"  {h['at']} {h['actor']} {h['action']}")
        return "\n".join(lines)

    emit(show(new_uow(), instance_id), as_json, text)
