"""Web settings, read from the environment."""
from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path


def _secret_key() -> str:
    """PDW_SECRET_KEY, or a key kept in instance/secret_key so every worker signs cookies alike."""
    if os.environ.get("PDW_SECRET_KEY"):
        return os.environ["PDW_SECRET_KEY"]
    path = Path(__file__).resolve().parent.parent / "instance" / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written with O_EXCL so two workers starting together keep the first key.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_hex(32))
        except FileExistsError:
            pass
    return path.read_text().strip()


class Config:
    """Settings of the web app; the engine's own (database, clock) come from engine.bootstrap."""

    def __init__(self) -> None:
        env = os.environ
        self.SECRET_KEY = _secret_key()
        idle = int(env.get("PDW_SESSION_IDLE_MINUTES", "30"))
        self.PDW_SESSION_IDLE = timedelta(minutes=idle)
        self.PERMANENT_SESSION_LIFETIME = timedelta(minutes=idle)
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = env.get("PDW_SECURE_COOKIES", "") == "1"
        self.PDW_SIGN_IN_MAX_FAILURES = int(env.get("PDW_SIGN_IN_MAX_FAILURES", "5"))
        self.PDW_SIGN_IN_WINDOW = timedelta(minutes=int(env.get("PDW_SIGN_IN_WINDOW_MINUTES", "15")))
        self.WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session, which expires itself
        self.BABEL_DEFAULT_LOCALE = "zh_CN"
        self.BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
        self.PDW_PAGE_SIZE = 25
