"""Errors a user can cause. Each carries a message fit to show as one line."""
from __future__ import annotations

from dataclasses import dataclass


class PdwError(Exception):
    """Base of every error a user can cause; nothing was changed when it is raised."""


class NotFound(PdwError):
    """The named definition, instance, task or user does not exist."""


class PermissionDenied(PdwError):
    """The acting user may not do this."""


class Conflict(PdwError):
    """The object changed under the caller: already claimed, completed, or a newer version."""


@dataclass(frozen=True)
class Problem:
    """One problem found in user input, located by element, field or line."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class InvalidInput(PdwError):
    """Input failed validation; `problems` lists every problem found."""

    def __init__(self, summary: str, problems: list[Problem]) -> None:
        self.summary = summary
        self.problems = problems
        super().__init__(summary + ("" if not problems else ": " + "; ".join(map(str, problems))))
