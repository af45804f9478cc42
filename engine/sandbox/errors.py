"""The one error a script can cause, and how a failure inside a script is told."""
from __future__ import annotations

MAX_MESSAGE_CHARS = 500


class ScriptError(Exception):
    """A script or expression was refused, failed, ran too long or used too much memory.

    `str()` is one line, prefixed with the script line when it is known.
    """

    def __init__(self, message: str, line: int | None = None) -> None:
        self.message = message
        self.line = line
        super().__init__(f"line {line}: {message}" if line else message)

    def __reduce__(self):
        return type(self), (self.message, self.line)


def describe(exc: BaseException) -> str:
    """A failure inside a script as one line: its type, then its text, cut at MAX_MESSAGE_CHARS."""
    try:
        text = str(exc)
    except Exception:
        text = ""
    text = " ".join(text.split())
    if len(text) > MAX_MESSAGE_CHARS:
        text = text[:MAX_MESSAGE_CHARS] + "..."
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
