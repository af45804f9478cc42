"""Per-user API tokens: created by an admin, sent as `Authorization: Bearer TOKEN`, stored hashed.

A token acts as its user: the API asks `engine.permissions` exactly as the web app does for
the signed-in user, so a token can do no more than its user could on the web.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from engine.errors import InvalidInput, NotFound, PdwError, Problem
from engine.permissions import groups_of
from engine.persistence.models import ApiToken
from engine.persistence.repositories import UserRow
from engine.persistence.unit_of_work import UnitOfWork
from engine.services.users import UserView, require_administrator, require_user

# Recognisable in logs and secret scanners; the rest is 256 random bits.
TOKEN_PREFIX = "pdw_"
MAX_EXPIRES_DAYS = 3650


class Unauthenticated(PdwError):
    """No token, or one that is unknown, revoked or expired (or whose user was deactivated)."""


@dataclass(frozen=True)
class CreatedToken:
    """A new token: `secret` is shown once and never stored."""

    id: int
    user: str
    secret: str
    expires_at: datetime | None


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create(uow: UnitOfWork, user_name: str, *, actor: str, expires_days: int | None = None) -> CreatedToken:
    """A new token for `user_name`, valid for `expires_days` days (None: until revoked).

    Raises:
        InvalidInput: `expires_days` outside 1..3650.
        NotFound: no such active user.
        PermissionDenied: `actor` may not administer tokens (users.require_administrator).
    """
    if expires_days is not None and not 1 <= expires_days <= MAX_EXPIRES_DAYS:
        raise InvalidInput("token.not_created", [Problem("token.expiry_out_of_range",
                                                         {"min": 1, "max": MAX_EXPIRES_DAYS}, field="expires_days")])
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with uow:
        require_administrator(uow.session, actor, "tokens")
        now = uow.engine.clock.now()
        require_user(uow.session, user_name)
        expires_at = now + timedelta(days=expires_days) if expires_days is not None else None
        row = ApiToken(user_name=user_name, token_hash=_digest(secret), prefix=secret[:12], created_at=now,
                       created_by=actor, expires_at=expires_at)
        uow.session.add(row)
        uow.session.flush()
        uow.audit.append(at=now, actor=actor, action="token.create",
                         after={"token": row.id, "user": user_name, "prefix": row.prefix,
                                "expires_at": expires_at.isoformat() if expires_at else None})
        uow.commit()
        return CreatedToken(row.id, user_name, secret, expires_at)


def list_tokens(uow: UnitOfWork, user_name: str | None = None) -> list[dict]:
    """Tokens (never their secrets), newest first, optionally of one user."""
    query = select(ApiToken).order_by(ApiToken.id.desc())
    if user_name is not None:
        query = query.where(ApiToken.user_name == user_name)
    with uow.read():
        now = uow.engine.clock.now()
        return [{"id": t.id, "user": t.user_name, "prefix": t.prefix, "created_at": t.created_at.isoformat(),
                 "created_by": t.created_by, "expires_at": t.expires_at.isoformat() if t.expires_at else None,
                 "revoked_at": t.revoked_at.isoformat() if t.revoked_at else None,
                 "last_used_at": t.last_used_at.isoformat() if t.last_used_at else None,
                 "active": t.revoked_at is None and (t.expires_at is None or t.expires_at > now)}
                for t in uow.session.scalars(query)]


def revoke(uow: UnitOfWork, token_id: int, *, actor: str) -> None:
    """Revoke a token at once; revoking it again changes nothing.

    Raises:
        NotFound: no such token.
        PermissionDenied: `actor` may not administer tokens (users.require_administrator).
    """
    with uow:
        require_administrator(uow.session, actor, "tokens")
        now = uow.engine.clock.now()
        token = uow.session.get(ApiToken, token_id)
        if token is None:
            raise NotFound("token.not_found", token=token_id)
        if token.revoked_at is None:
            token.revoked_at = now
            uow.audit.append(at=now, actor=actor, action="token.revoke",
                             after={"token": token_id, "user": token.user_name})
        uow.commit()


def authenticate(uow: UnitOfWork, authorization: str | None) -> UserView:
    """The user an `Authorization: Bearer TOKEN` header acts as.

    Raises:
        Unauthenticated: no bearer token, or one that is unknown, revoked, expired or whose user
            is no longer active.
    """
    scheme, _, secret = (authorization or "").partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret:
        raise Unauthenticated("token.missing")
    # Read in a read-only unit of work (on PostgreSQL one round trip, no BEGIN or ROLLBACK) with one
    # prepared statement: every API request pays for it. The use is written at most once a minute,
    # so a busy client does not turn every read into a write.
    with uow.read():
        now = uow.engine.clock.now()
        found = uow.cursor.one("token_user", {"token_hash": _digest(secret)})
    if found is None or found["revoked_at"] is not None or not found["active"] \
            or (found["expires_at"] is not None and found["expires_at"] <= now):
        raise Unauthenticated("token.invalid")
    user = UserRow(found["name"], found["department"], found["roles"], found["department_kind"])
    shown = UserView(user.name, found["display_name"], user.department, tuple(user.roles), groups_of(user),
                     found["session_generation"] or 0)
    last_used_at = found["last_used_at"]
    if last_used_at is None or now - last_used_at > timedelta(minutes=1):
        with uow.engine.uow() as writer:
            # Whichever request of the minute comes first writes it; the others change nothing. Nobody
            # reads the rowcount, so on PostgreSQL the UPDATE goes with the COMMIT in one round trip.
            writer.cursor.later("token_used", {"token_id": found["id"], "used_at": now,
                                               "used_before": now - timedelta(minutes=1)})
            writer.commit()
    return shown


__all__ = ["Unauthenticated", "CreatedToken", "create", "list_tokens", "revoke", "authenticate", "TOKEN_PREFIX"]
