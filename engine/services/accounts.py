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

from engine import passwords
from engine.errors import InvalidInput, PdwError
from engine.persistence.models import SignInAttempt, User
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import notifications
from engine.services.users import UserView, end_sessions_of, require_administrator, require_user, view

# scrypt at n=2**14, r=8, p=1 needs 16 MiB and ~50 ms: OWASP's minimum for interactive sign-in.
# Tests lower the cost (PDW_PASSWORD_HASH_COST); a stored hash names its own parameters.
DEFAULT_COST = 14
_R, _P = 8, 1
_SALT_BYTES = 16
_KEY_BYTES = 32


@dataclass(frozen=True)
class Throttle:
    """How many failures within how long lock a name, and for how long."""

    max_failures: int = 5
    window: timedelta = timedelta(minutes=15)


class SignInFailed(PdwError):
    """The name or the password is wrong (which one is not said)."""

    def __init__(self) -> None:
        super().__init__("auth.failed")


class AccountLocked(PdwError):
    """Too many recent failures: the name is locked until `until`."""

    def __init__(self, until: datetime) -> None:
        self.until = until
        super().__init__("auth.locked", until=until.isoformat(timespec="minutes"))


def hash_password(password: str, cost: int = DEFAULT_COST) -> str:
    """A salted scrypt hash of `password` with N = 2**cost, self-describing: scrypt$n$r$p$salt$key."""
    salt = secrets.token_bytes(_SALT_BYTES)
    n = 2**cost
    key = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=_R, p=_P, dklen=_KEY_BYTES)
    return "$".join(["scrypt", str(n), str(_R), str(_P), _b64(salt), _b64(key)])


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
_DUMMY_HASHES: dict[int, str] = {}


def _dummy_hash(cost: int) -> str:
    if cost not in _DUMMY_HASHES:
        _DUMMY_HASHES[cost] = hash_password(secrets.token_hex(16), cost)
    return _DUMMY_HASHES[cost]


def set_password(uow: UnitOfWork, name: str, password: str, *, actor: str) -> None:
    """Give user `name` a new password, if it is strong enough (engine.passwords: zxcvbn, which
    knows common passwords and the user's own name, login and e-mail).

    Raises:
        NotFound: no such active user.
        PermissionDenied: `actor` may not administer users (require_administrator).
        InvalidInput: the password is too short or too easy to guess; the problem says why.
    """
    with uow.read():
        require_administrator(uow.session, actor, "users")
        user = require_user(uow.session, name)
        personal = (user.name, user.display_name, user.email)
    found = passwords.problems(password, personal)
    if found:
        raise InvalidInput("password.not_set", found)
    hashed = hash_password(password, uow.engine.config.password_hash_cost)
    with uow:
        user = require_user(uow.session, name)
        user.password_hash = hashed
        # Whoever held the old password may hold a session too: it ends with it.
        end_sessions_of(user)
        uow.audit.append(at=uow.engine.clock.now(), actor=actor, action="user.set_password", after={"name": name})
        uow.commit()


def sign_in(uow: UnitOfWork, name: str, password: str, *, remote_addr: str | None = None,
            throttle: Throttle = Throttle()) -> UserView:
    """Check a name and password, recording the attempt.

    While `throttle.max_failures` failures lie within `throttle.window`, the name is locked and
    even the right password is refused; a success does not wipe the count, the window does.

    Raises:
        AccountLocked: too many recent failures for this name.
        SignInFailed: unknown name, inactive user, no password set, or a wrong password.
    """
    name = name.strip()[:64]
    with uow:
        now = uow.engine.clock.now()
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
        dummy = _dummy_hash(uow.engine.config.password_hash_cost)
        ok = verify_password(user.password_hash if usable else dummy, password) and bool(usable)
        session.add(SignInAttempt(user_name=name, at=now, succeeded=ok, remote_addr=(remote_addr or "")[:64] or None))
        uow.commit()
        if not ok:
            raise SignInFailed()
        return view(user)


@dataclass(frozen=True)
class SignedIn:
    """Who is signed in, and how many notifications await them (shown in every page's header)."""

    user: UserView
    unread_notifications: int


def current_user(uow: UnitOfWork, name: str, generation: int) -> SignedIn | None:
    """The active user `name` with their unread count, or None when there is none or the session's
    `generation` has been ended; one read per request rechecks a signed-in session."""
    with uow.read():
        user = uow.session.scalar(select(User).where(User.name == name))
        if user is None or not user.active or user.session_generation != generation:
            return None
        return SignedIn(view(user), notifications.count_unread(uow, user))


def end_sessions(uow: UnitOfWork, name: str, *, actor: str) -> None:
    """End every session `name` holds, however many copies of its cookie exist (signing out).

    An unknown or disabled name is no error: there is nothing left to end.
    """
    with uow:
        user = uow.session.scalar(select(User).where(User.name == name))
        if user is None:
            return
        end_sessions_of(user)
        uow.audit.append(at=uow.engine.clock.now(), actor=actor, action="user.sign_out", after={"name": name})
        uow.commit()
