"""`pdw tokens`: API tokens that other systems use to act as one user."""
from __future__ import annotations

import click

from engine.cli.common import ID, emit, friendly, new_uow, require_role, say


@click.group("tokens")
def group() -> None:
    """Create, list and revoke API tokens (sent as `Authorization: Bearer TOKEN`)."""


@group.command("create")
@click.argument("user")
@click.option("--expires-days", type=int, default=None, help="Days until it expires (default: until revoked).")
@click.option("--as", "actor", required=True, help="An admin who creates it (audit log).")
@friendly
def create_command(user: str, expires_days: int | None, actor: str) -> None:
    """Create a token for USER; the token is printed once, on the last line."""
    from engine.services.tokens import create

    require_role(actor, "tokens")
    token = create(new_uow(), user, actor=actor, expires_days=expires_days)
    if token.expires_at:
        say("done.token_created", token=token.id, user=token.user, expires=token.expires_at.isoformat())
    else:
        say("done.token_created_forever", token=token.id, user=token.user)
    click.echo(token.secret)


@group.command("list")
@click.argument("user", required=False)
@click.option("--json", "as_json", is_flag=True)
@friendly
def list_command(user: str | None, as_json: bool) -> None:
    """List tokens (never their secrets), of USER or of everyone."""
    from engine.services.tokens import list_tokens

    emit(list_tokens(new_uow(), user), as_json, lambda rows: "\n".join(
        f"{t['id']}\t{t['user']}\t{t['prefix']}…\t{'active' if t['active'] else 'inactive'}\t"
        f"expires {t['expires_at'] or 'never'}\tlast used {t['last_used_at'] or 'never'}" for t in rows)
        or "(no tokens)")


@group.command("revoke")
@click.argument("token_id", type=ID)
@click.option("--as", "actor", required=True, help="An admin who revokes it (audit log).")
@friendly
def revoke_command(token_id: int, actor: str) -> None:
    """Revoke a token at once."""
    from engine.services.tokens import revoke

    require_role(actor, "tokens")
    revoke(new_uow(), token_id, actor=actor)
    say("done.token_revoked", token=token_id)
