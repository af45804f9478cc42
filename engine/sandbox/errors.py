"""The one error a script can cause."""
from __future__ import annotations


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
