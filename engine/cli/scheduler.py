"""`pdw scheduler run`: fire due BPMN timers, send deadline notices, e-mail notifications."""
from __future__ import annotations

import click

from engine import logs
from engine.cli.common import friendly, get_engine


@click.group("scheduler")
def group() -> None:
    """Fire due BPMN timers and send deadline notices."""


@group.command("run")
@click.option("--once", is_flag=True, help="Fire what is due now, then exit.")
@click.option("--interval", default=10.0, show_default=True, help="Seconds between sweeps.")
@friendly
def run_command(once: bool, interval: float) -> None:
    """Run the scheduler (or a single sweep with --once)."""
    from engine.bootstrap import settle_heap
    from engine.scheduler import run_forever, run_once, worker_name

    engine = get_engine()
    if once:
        fired, watched, mailed = run_once(engine, worker_name())
        for f in fired:
            click.echo(f"fired timer {f.timer_id} ({f.task_name}) of instance {f.instance_id}: {f.status}")
        click.echo(f"{len(fired)} timer(s) fired")
        click.echo(f"{watched.reminders} reminder(s), {watched.overdue} overdue alert(s), "
                   f"{watched.bulletins} bulletin(s) sent; {mailed} e-mail(s)")
        return
    logs.configure(engine.config.log_format)
    settle_heap()
    run_forever(engine, interval_seconds=interval)
