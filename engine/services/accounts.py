"""Signing in: scrypt password hashes and throttling of failed attempts, kept in the database.

The failure count lives in `sign_in_attempts`, not in a process, so every web worker
locks and unlocks a name at the same moment.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from engine.bootstrap import Engine
from engine.errors import InvalidInput, PdwError, Problem
from engine.persistence.models import SignInAttempt, User
from engine.services import audit
from engine.services.users import UserView, require_user, view

# scrypt at n=2**14, r=8, p=1 needs 16 MiB and ~50 ms: OWASP's minimum for interactive sign-in.
_N, _R, _P = 2**14, 8, 1
_SALT_BYTES = 16
_KEY_BYTES = 32
MIN_PASSWORD_LENGTH = 8


@dataclass(frozen=True)
class Throttle:
    """How many failures within how long lock a name, and for how long."""

    max_failures: int = 5
    window: timedelta = timedelta(minutes=15)


class SignInFailed(PdwError):
    """The name or the password is wrong (which one is not said)."""


class AccountLocked(PdwError):
    """Too many recent failures: the name is locked until `until`."""

    def __init__(self, until: datetime) -> None:
        self.until = until
        super().__init__(f"too many failed sign-ins; try again after {until.isoformat(timespec='minutes')}")


def hash_password(password: str) -> str:
    """A salted scrypt hash of `password`, self-describing: scrypt$n$r$p$salt$key."""
    salt = secrets.token_bytes(_SALT_BYTES)
    key = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=_N, r=_R, p=_P, dklen=_KEY_BYTES)
    return "$".join(["scrypt", str(_N), str(_R), str(_P), _b64(salt), _b64(key)])


def verify_password(stored: str | None, password: str) -> bool:
    """True when `password` matches the stored hash; False for a missing or malformed hash."""
    try:
        scheme, n, r, p, salt, key = (stored or "").split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(key)
        actual = hashlib.scrypt(password.encode("utf-8"), salt=base64.b64decode(salt), n=int(n), r=int(r),
                                p=int(p), dklen=len(expected))
    except ValueError:
        return False
    return hmac.compare_digest(actual, expected)


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


# Verified against when the name is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = hash_password(secrets.token_hex(16))


def set_password(engine: Engine, name: str, password: str, *, actor: str = "admin") -> None:
    """Give user `name` a new password.

    Raises:
        NotFound: no such active user.
        InvalidInput: the password is shorter than 8 characters.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput("password not set", [Problem("password", f"must have at least {MIN_PASSWORD_LENGTH} "
                                                                    "characters")])
    hashed = hash_password(password)
    with engine.writing() as uow:
        user = require_user(uow.session, name)
        user.password_hash = hashed
        audit.append(uow.session, at=engine.clock.now(), actor=actor, action="user.set_password",
                     after={"name": name})
        uow.commit()


def sign_in(engine: Engine, name: str, password: str, *, remote_addr: str | None = None,
            throttle: Throttle = Throttle()) -> UserView:
    """Check a name and password, recording the attempt.

    While `throttle.max_failures` failures lie within `throttle.window`, the name is locked and
    even the right password is refused; a success does not wipe the count, the window does.

    Raises:
        AccountLocked: too many recent failures for this name.
        SignInFailed: unknown name, inactive user, no password set, or a wrong password.
    """
    name = name.strip()[:64]
    now = engine.clock.now()
    with engine.writing() as uow:
        session = uow.session
        since = now - throttle.window
        failures = session.scalars(
            select(SignInAttempt.at)
            .where(SignInAttempt.user_name == name, SignInAttempt.at > since, SignInAttempt.succeeded.is_(False))
            .order_by(SignInAttempt.at.desc()).limit(throttle.max_failures)).all()
        if len(failures) >= throttle.max_failures:
            # Unlocks when the oldest of the last `max_failures` failures leaves the window.
            raise AccountLocked(min(failures) + throttle.window)
        user = session.scalar(select(User).where(User.name == name))
        usable = user is not None and user.active and user.password_hash
        ok = verify_password(user.password_hash if usable else _DUMMY_HASH, password) and bool(usable)
        session.add(SignInAttempt(user_name=name, at=now, succeeded=ok, remote_addr=(remote_addr or "")[:64] or None))
        uow.commit()
        if not ok:
            raise SignInFailed("wrong user name or password")
        return view(user)


def current_user(engine: Engine, name: str) -> UserView | None:
    """The active user `name` as callers see it, or None (signed-in sessions are rechecked with this)."""
    with engine.reading() as uow:
        user = uow.session.scalar(select(User).where(User.name == name))
        return view(user) if user is not None and user.active else None
