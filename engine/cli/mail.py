"""`pdw mail`: the e-mails set aside because they could not be built or were given up."""
from __future__ import annotations

import click

from engine.cli.common import emit, friendly, new_uow


@click.group("mail")
def group() -> None:
    """E-mail of notifications (sent by `pdw scheduler run`)."""


@group.command("set-aside")
@click.option("--as", "actor", required=True, help="an admin")
@click.option("--json", "as_json", is_flag=True)
@friendly
def set_aside_command(actor: str, as_json: bool) -> None:
    """List the mails set aside, newest first, with why (they are never retried)."""
    from engine.services.mail import set_aside

    rows = set_aside(new_uow(), actor)
    emit([{**r, "created_at": r["created_at"].isoformat()} for r in rows], as_json, lambda rows: "\n".join(
        f"{r['id']}\t{r['code']}\t{r['recipient_user'] or r['recipient_group']}\t{r['mail_error']}"
        for r in rows) or "(none)")
