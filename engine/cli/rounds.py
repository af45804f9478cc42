"""`pdw rounds`: the periodic rounds the scheduler starts (Art. 19, 21, 26, 44 「定期」)."""
from __future__ import annotations

import click

from engine.cli.common import ID, emit, friendly, new_uow, parse_json


@click.group("rounds")
def group() -> None:
    """Periodic rounds: their schedules and how each round stands."""


@group.command("list")
@click.option("--as", "actor", required=True, help="a supervisor (a department's: its own rounds) or an admin")
@click.option("--json", "as_json", is_flag=True)
@friendly
def list_command(actor: str, as_json: bool) -> None:
    """List the rounds due next, running, late and done, and the schedules."""
    from engine.services.rounds import overview

    view = overview(new_uow(), actor)
    emit(view.to_dict(), as_json, lambda _: _text(view))


def _text(view) -> str:
    lines = []
    for title, rows in (("due", view.due), ("running", view.running), ("late", view.late), ("done", view.done)):
        lines.append(f"{title}:")
        for r in rows:
            step = f"\t{'、'.join(r.steps)}" if r.steps else ""
            deadline = f"\tdeadline {r.deadline_date} ({r.deadline_article})" if r.deadline_date else ""
            late = "\tstarted late" if r.started_late else ""
            receipt = f"\t{r.receipt_number}" if r.receipt_number else ""
            lines.append(f"  {r.procedure_name}\t{r.department_name}\t{r.period_name}\t{r.state_name}\t"
                         f"due {r.due_on}{receipt}{step}{deadline}{late}")
        if not rows:
            lines.append("  (none)")
    lines.append("schedules:")
    for s in view.schedules:
        lines.append(f"  {s.id}\t{s.procedure_name}\t{s.department_name}\t{s.cycle_name}\tfrom {s.anchor}\t"
                     f"{s.group_name}\t{s.deadline_title}\t{'enabled' if s.enabled else 'disabled'}\t"
                     f"next {s.next_period_name} {s.next_due_on}")
    if not view.schedules:
        lines.append("  (none)")
    return "\n".join(lines)


@group.command("schedule")
@click.argument("schedule_id", type=ID, required=False)
@click.option("--procedure", default=None, help="the procedure each round starts (e.g. risk_assessment)")
@click.option("--cycle", default=None, help="yearly, quarterly or monthly")
@click.option("--anchor", default=None, help="the first due day, YYYY-MM-DD; each period's round is due on its day")
@click.option("--department", default=None, help="the department code the rounds are for")
@click.option("--group", "group_name", default=None, help="the responsible group, ROLE@DEPARTMENT")
@click.option("--deadline-rule", default=None, help="the rule of rules.toml each round's deadline follows")
@click.option("--data", default=None, help="the start data as JSON; {period} and {deadline} are filled in")
@click.option("--enable/--disable", "enabled", default=None, help="start rounds or not")
@click.option("--as", "actor", required=True, help="an admin")
@click.option("--json", "as_json", is_flag=True)
@friendly
def schedule_command(schedule_id: int | None, procedure: str | None, cycle: str | None, anchor: str | None,
                     department: str | None, group_name: str | None, deadline_rule: str | None, data: str | None,
                     enabled: bool | None, actor: str, as_json: bool) -> None:
    """Add a round schedule, or change SCHEDULE_ID (options not given stay as they are)."""
    from engine.services.rounds import set_schedule

    view = set_schedule(new_uow(), actor=actor, schedule_id=schedule_id, procedure=procedure, cycle=cycle,
                        anchor=anchor, department=department, group=group_name, deadline_rule=deadline_rule,
                        data=parse_json(data, "--data") if data is not None else None, enabled=enabled)
    emit(view.to_dict(), as_json, lambda v: f"schedule {v['id']}: {v['procedure']} for {v['department']}, "
                                            f"{v['cycle']} from {v['anchor']}, "
                                            f"{'enabled' if v['enabled'] else 'disabled'}; "
                                            f"next round {v['next_period']} due {v['next_due_on']}")


@group.command("defaults")
@click.option("--as", "actor", required=True, help="an admin")
@friendly
def defaults_command(actor: str) -> None:
    """Add the shipped schedules (engine/rounds.toml) not yet present, for the procedures deployed."""
    from engine.services.rounds import install_defaults

    added = install_defaults(new_uow, actor=actor)
    for v in added:
        click.echo(f"schedule {v.id}: {v.procedure} for {v.department}, {v.cycle}, next due {v.next_due_on}")
    if not added:
        click.echo("no shipped schedule to add: each is present, or its procedure is not deployed")
