"""`pdw grants`: the grants of access applications recorded, and ending them (Art. 43)."""
from __future__ import annotations

import click

from engine.cli.common import ID, emit, friendly, new_uow


@click.group("grants")
def group() -> None:
    """Grants of access to catalog items (Articles 20, 27, 43)."""


@group.command("list")
@click.option("--grantee", default=None, help="only this grantee's grants")
@click.option("--active", "active_only", is_flag=True, help="only grants still giving access")
@click.option("--as", "actor", required=True, help="who reads the register: the authority's reviewers, "
                                                    "supervisors (a department's: its own) and admins")
@click.option("--json", "as_json", is_flag=True)
@friendly
def list_command(grantee: str | None, active_only: bool, actor: str, as_json: bool) -> None:
    """List grants, each marked active or ended (revoked or expired), as the register shows them."""
    from engine.services.grants import register

    rows = register(new_uow(), actor, active_only=active_only, grantee=grantee)["grants"]
    emit(rows, as_json, lambda rows: "\n".join(
        f"{g['id']}\t{g['catalog_item']}\t{g['grantee']}\t{g['expires_on'] or '-'}\t"
        f"{'active' if g['active'] else 'ended'}" for g in rows) or "(none)")


@group.command("revoke")
@click.argument("grant_id", type=ID)
@click.option("--as", "actor", required=True)
@click.option("--reason", required=True, help="why the authorisation ends")
@friendly
def revoke_command(grant_id: int, actor: str, reason: str) -> None:
    """End the authorisation GRANT_ID (Article 43); the grant is kept, marked revoked."""
    from engine.services.grants import revoke

    revoked = revoke(new_uow(), grant_id, actor=actor, reason=reason)
    click.echo(f"grant {revoked['id']} revoked at {revoked['revoked_at']}")
