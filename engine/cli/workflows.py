"""`pdw workflows`: validate, deploy and list BPMN definitions."""
from __future__ import annotations

from pathlib import Path

import click

from engine.cli.common import ID, emit, fail, friendly, get_engine, new_uow, require_role, say, warn_all


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
    """Propose BPMN files as new versions, live once another person approves them (an admin's
    shipped procedures, unchanged, install live)."""
    from engine.services.changes import submit
    from engine.services.supervision import empty_groups_of_bpmn

    contents = _read(files)
    require_role(actor, "workflows")
    for d in submit(new_uow(), actor, contents):
        if not d.created:
            say("done.unchanged", process=d.process_id, version=d.version)
        elif d.status == "approved":
            say("done.deployed", process=d.process_id, version=d.version)
        elif d.status == "proposed":
            say("done.proposed", process=d.process_id, version=d.version)
        else:
            click.echo(f"{d.process_id} v{d.version} {d.status}")
    warn_all(empty_groups_of_bpmn(new_uow(), contents))


@group.command("pending")
@click.option("--as", "actor", required=True, help="A designer or approver.")
@click.option("--json", "as_json", is_flag=True)
@friendly
def pending_command(actor: str, as_json: bool) -> None:
    """List the proposed versions and migrations waiting for a decision."""
    from engine.services.changes import pending

    found = pending(new_uow(), actor)
    emit(found, as_json, lambda p: "\n".join(
        [f"{v['process_id']}\tv{v['version']}\tproposed by {v['proposed_by']}\tcapabilities: "
         f"{', '.join(v['capabilities']) or '-'}" for v in p["versions"]]
        + [f"migration {m['id']}\t{m['process_id']} v{m['old']} -> v{m['new']}\t{m['instances']}\t"
           f"proposed by {m['proposed_by']}" for m in p["migrations"]]) or "(none)")


@group.command("review")
@click.argument("process_id")
@click.argument("version", type=ID)
@click.option("--as", "actor", required=True, help="A designer or approver.")
@friendly
def review_command(process_id: str, version: int, actor: str) -> None:
    """Show what a proposed version changes (old and new values), its capabilities and validation."""
    from engine.services.changes import review

    shown = review(new_uow(), actor, process_id, version)
    click.echo(f"{process_id} v{version} ({shown['status']}), proposed by {shown['proposed_by']}; "
               f"live: v{shown['live_version'] or '-'}; running on it: {len(shown['running'])}")
    click.echo(f"capabilities: {', '.join(shown['capabilities']) or '-'}")
    difference = shown["difference"]
    for prop in difference["properties"]:
        click.echo(f"property {prop['name']}: {prop['old']!r} -> {prop['new']!r}")
    for kind in ("added", "removed"):
        for element in difference[kind]:
            click.echo(f"{kind} {element['id']} ({element['name']})")
    for element in difference["changed"]:
        for value in element["values"]:
            click.echo(f"changed {element['id']} ({element['name']}) {value['field']}: {value['old']!r} -> "
                       f"{value['new']!r}")
    for problem in shown["problems"]:
        click.echo(f"problem: {problem}")


@group.command("approve")
@click.argument("process_id")
@click.argument("version", type=ID)
@click.option("--as", "actor", required=True, help="An approver who did not propose the version.")
@click.option("--note", default=None)
@friendly
def approve_command(process_id: str, version: int, actor: str, note: str | None) -> None:
    """Make a proposed version live."""
    from engine.services.changes import approve

    approve(new_uow(), actor, process_id, version, note)
    say("done.version_approved", process=process_id, version=version)


@group.command("reject")
@click.argument("process_id")
@click.argument("version", type=ID)
@click.option("--as", "actor", required=True, help="An approver who did not propose the version.")
@click.option("--reason", required=True)
@friendly
def reject_command(process_id: str, version: int, actor: str, reason: str) -> None:
    """Turn a proposed version down with a reason."""
    from engine.services.changes import reject

    reject(new_uow(), actor, process_id, version, reason)
    say("done.version_rejected", process=process_id, version=version)


@group.command("list")
@click.option("--json", "as_json", is_flag=True)
@friendly
def list_command(as_json: bool) -> None:
    """List deployed processes (newest version of each)."""
    from engine.services.definitions import list_definitions

    emit(list_definitions(new_uow()), as_json,
         lambda rows: "\n".join(f"{r['process_id']}\tv{r['version']}\t{r['name']}" for r in rows) or "(none)")


@group.command("migrate")
@click.argument("process_id")
@click.argument("old", type=ID)
@click.argument("new", type=ID)
@click.option("--instance", "instance_ids", type=ID, multiple=True, required=True,
              help="A running application to move (repeat for several).")
@click.option("--as", "actor", required=True, help="A designer who proposes the migration.")
@friendly
def migrate_command(process_id: str, old: int, new: int, instance_ids: tuple[int, ...], actor: str) -> None:
    """Propose moving running applications from version OLD to NEW; they move once another person approves."""
    from engine.services.changes import propose_migration

    proposal = propose_migration(new_uow(), actor, process_id, old, new, list(instance_ids))
    click.echo(f"migration {proposal['id']} proposed: {len(proposal['instances'])} application(s) "
               f"{process_id} v{old} -> v{new}, waiting for approval")


@group.command("approve-migration")
@click.argument("proposal_id", type=ID)
@click.option("--as", "actor", required=True, help="An approver who did not propose the migration.")
@friendly
def approve_migration_command(proposal_id: int, actor: str) -> None:
    """Move the applications of a migration proposal."""
    from engine.services.changes import approve_migration

    moved = approve_migration(new_uow(), actor, proposal_id)
    click.echo(f"migration {proposal_id} approved: {len(moved)} application(s) moved")


@group.command("reject-migration")
@click.argument("proposal_id", type=ID)
@click.option("--as", "actor", required=True, help="An approver who did not propose the migration.")
@click.option("--reason", required=True)
@friendly
def reject_migration_command(proposal_id: int, actor: str, reason: str) -> None:
    """Turn a migration proposal down with a reason; nothing moves."""
    from engine.services.changes import reject_migration

    reject_migration(new_uow(), actor, proposal_id, reason)
    click.echo(f"migration {proposal_id} rejected")
