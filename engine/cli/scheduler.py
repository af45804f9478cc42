"""`pdw scheduler run`: fire due BPMN timers."""
from __future__ import annotations

import logging

import click

from engine.cli.common import friendly, get_engine


@click.group("scheduler")
def group() -> None:
    """Fire due BPMN timers."""


@group.command("run")
@click.option("--once", is_flag=True, help="Fire what is due now, then exit.")
@click.option("--interval", default=10.0, show_default=True, help="Seconds between sweeps.")
@friendly
def run_command(once: bool, interval: float) -> None:
    """Run the scheduler (or a single sweep with --once)."""
    from engine.scheduler import run_forever, worker_name
    from engine.services.timers import sweep

    engine = get_engine()
    if once:
        fired = sweep(engine.uow, worker=worker_name())
        for f in fired:
            click.echo(f"fired timer {f.timer_id} ({f.task_name}) of instance {f.instance_id}: {f.status}")
        click.echo(f"{len(fired)} timer(s) fired")
        return
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    run_forever(engine, interval_seconds=interval)
