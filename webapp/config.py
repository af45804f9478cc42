"""The web app's Flask settings, mapped from the engine's Config."""
from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

from engine.config import PROJECT_ROOT, Config

SECRET_KEY_FILE = PROJECT_ROOT / "instance" / "secret_key"


def flask_settings(config: Config) -> dict[str, object]:
    """Flask's settings for `config`, with the Config itself as PDW_CONFIG for the app's engine."""
    idle = timedelta(minutes=config.session_idle_minutes)
    return {
        "PDW_CONFIG": config,
        "SECRET_KEY": config.secret_key or _secret_key_file(SECRET_KEY_FILE),
        "PDW_SESSION_IDLE": idle,
        "PERMANENT_SESSION_LIFETIME": idle,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": config.secure_cookies,
        "PDW_SIGN_IN_MAX_FAILURES": config.sign_in_max_failures,
        "PDW_SIGN_IN_WINDOW": timedelta(minutes=config.sign_in_window_minutes),
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session, which expires itself
        "BABEL_DEFAULT_LOCALE": "zh_CN",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
        "PDW_PAGE_SIZE": 25,
        # A request may carry one document of the largest size allowed, and the form around it.
        "MAX_CONTENT_LENGTH": config.attachment_max_mb * 1024 * 1024 + 64 * 1024,
    }


def _secret_key_file(path: Path) -> str:
    # Without PDW_SECRET_KEY, a key kept in a file so every worker signs cookies alike.
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
