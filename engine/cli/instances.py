"""`pdw instances`: start applications and show them."""
from __future__ import annotations

import click

from engine.cli.common import ID, emit, friendly, new_uow, parse_json, say


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
    say("done.instance_started", err=True, receipt=result.receipt_number, status=result.status,
        waiting=list(result.opened) or "-")
    if result.error:
        click.echo(f"warning: instance errored: {result.error}", err=True)


@group.command("retry")
@click.argument("instance_id", type=ID)
@click.option("--as", "actor", required=True, help="A supervisor or admin.")
@friendly
def retry_command(instance_id: int, actor: str) -> None:
    """Run an errored instance on from where it stopped, once its cause is fixed."""
    from engine.services.instances import retry

    result = retry(new_uow(), instance_id, actor=actor)
    click.echo(f"instance {result.instance_id} {result.status}; waiting for: {', '.join(result.opened) or '-'}")
    if result.error:
        click.echo(f"warning: instance errored again: {result.error}", err=True)


@group.command("show")
@click.argument("instance_id", type=ID)
@click.option("--as", "actor", required=True, help="Who reads it: shown as their audience sees it, and recorded.")
@click.option("--json", "as_json", is_flag=True)
@friendly
def show_command(instance_id: int, actor: str, as_json: bool) -> None:
    """Show an application with its tasks and history, as the user of --as is shown it."""
    from engine.services.instances import show

    def text(i):
        lines = [f"instance {i['id']} {i['process_id']} v{i['version']} {i['status']} receipt {i['receipt_number']} "
                 f"received {i['received_on']} by {i['started_by']}"]
        if i["error"]:
            lines.append(f"error: {i['error']}")
        for t in i["tasks"]:
            due = f" due {t['due_date']} ({t.get('deadline_article') or ''}" \
                  f"{', provisional' if t.get('deadline_provisional') else ''})" if t.get("due_date") else ""
            lines.append(f"  task {t['id']} {t.get('task_name') or t['title']} {t['state']} "
                         f"{t.get('assignee') or ''}{due}")
        for h in i["history"]:
            lines.append(f"  {h['at']} {h['actor']} {h['action']}")
        return "\n".join(lines)

    emit(show(new_uow(), instance_id, actor=actor), as_json, text)


@group.command("list")
@click.option("--status", default=None, help="Only applications in this state: running, completed, errored "
                                             "or cancelled.")
@click.option("--process", "process_id", default=None, help="Only applications of this process, e.g. objection.")
@click.option("--limit", type=click.IntRange(1, 10000), default=200, show_default=True)
@click.option("--as", "actor", required=True, help="Who lists: an overseer's applications, or one's own.")
@click.option("--json", "as_json", is_flag=True)
@friendly
def list_command(status: str | None, process_id: str | None, limit: int, actor: str, as_json: bool) -> None:
    """List the applications the user of --as oversees (or their own), newest first."""
    from engine.services.instances import list_instances

    emit(list_instances(new_uow(), actor=actor, status=status, process_id=process_id, limit=limit), as_json,
         lambda rows: "\n".join(f"{r['id']}\t{r['receipt_number']}\t{r['process_id']} v{r['version']}\t{r['status']}"
                                f"\t{r['started_by']}\t{r['received_on']}" + (f"\t{r['error']}" if r["error"] else "")
                                for r in rows) or "(no applications)")


@group.command("cancel")
@click.argument("instance_id", type=ID)
@click.option("--reason", required=True, help="Why the application ends without a decision (audit log).")
@click.option("--as", "actor", required=True, help="A supervisor or admin.")
@friendly
def cancel_command(instance_id: int, reason: str, actor: str) -> None:
    """End a running or errored application without a decision; its open tasks are cancelled."""
    from engine.services.instances import cancel

    result = cancel(new_uow(), instance_id, actor=actor, reason=reason)
    say("done.instance_cancelled", instance=result["id"], tasks=result["cancelled_tasks"])


@group.command("readers")
@click.argument("instance_id", type=ID)
@click.option("--as", "actor", required=True, help="An overseer of the application, or the head of the "
                                                    "applicant's department.")
@click.option("--json", "as_json", is_flag=True)
@friendly
def readers_command(instance_id: int, actor: str, as_json: bool) -> None:
    """Who read an application other than its applicant: when, as whom, from which entry point."""
    from engine.services.audience import reads

    emit(reads(new_uow(), actor, instance_id), as_json,
         lambda rows: "\n".join(f"{r['at']}\t{r['actor']}\t{r['audience']}\t{r['action']}\t{r['entry_point']}"
                                for r in rows) or "(no reads recorded)")
