"""Errors a user can cause, each with a stable code and its parameters.

The code names what went wrong (`task.already_claimed`), the parameters carry the facts
(`{"task": 7, "holder": "wang.wu"}`); the Chinese and English texts are chosen by code from
`engine.messages`. No layer matches the text of a message: the web app, the command line and
the API read `code`, `params` and, for form and BPMN problems, the field or element as data.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine import messages


@dataclass(frozen=True)
class Problem:
    """One problem found in user input, located by form field, BPMN element, file and line.

    `field` names a form field, a command-line option or a CSV column; `element` a BPMN element
    id; `file` and `line` the file and line the problem sits on.
    """

    code: str
    params: dict[str, Any] = field(default_factory=dict)
    field: str | None = None
    element: str | None = None
    file: str | None = None
    line: int | None = None
    # The element's name as its designer wrote it, shown beside the id.
    element_name: str | None = None

    @property
    def where(self) -> str:
        """Where the problem sits, as one would point at it: `file:line element 'id'`, `line 3: column`
        or the field's name."""
        if self.file:
            place = self.file + (f":{self.line}" if self.line else "")
        else:
            place = f"line {self.line}" if self.line else ""
        if self.element:
            place += (" " if place else "") + f"element '{self.element}'"
            if self.element_name:
                place += f" ({self.element_name})"
        if self.field:
            place += (": " if place else "") + self.field
        return place

    def text(self, lang: str = "en") -> str:
        """The message in `lang` ("zh" or "en"), without the location."""
        return messages.render(self.code, self.params, lang)

    def __str__(self) -> str:
        return f"{self.where}: {self.text()}" if self.where else self.text()

    def to_dict(self, lang: str = "en") -> dict:
        """JSON-able form, with the message in `lang`."""
        out = {"code": self.code, "params": dict(self.params), "message": self.text(lang)}
        for name in ("field", "element", "element_name", "file", "line"):
            if getattr(self, name) is not None:
                out[name] = getattr(self, name)
        return out


class PdwError(Exception):
    """Base of every error a user can cause; nothing was changed when it is raised."""

    def __init__(self, code: str, **params: Any) -> None:
        self.code = code
        self.params = params
        super().__init__(code)

    def text(self, lang: str = "en") -> str:
        """The message in `lang` ("zh" or "en")."""
        return messages.render(self.code, self.params, lang)

    def __str__(self) -> str:
        return self.text()

    def to_dict(self, lang: str = "en") -> dict:
        """JSON-able form, with the message in `lang`."""
        return {"code": self.code, "params": dict(self.params), "message": self.text(lang)}


class NotFound(PdwError):
    """The named definition, instance, task or user does not exist."""


class PermissionDenied(PdwError):
    """The acting user may not do this."""


class Conflict(PdwError):
    """The object changed under the caller: already claimed, completed, or a newer version."""


class InvalidInput(PdwError):
    """Input failed validation; `problems` lists every problem found.

    `data` is the submission as the engine read it (typed from a raw form), so a page can
    show it again beside the problems.
    """

    def __init__(self, code: str, problems: list[Problem], *, data: dict | None = None, **params: Any) -> None:
        super().__init__(code, **params)
        self.problems = problems
        self.data = data if data is not None else {}

    def __str__(self) -> str:
        return self.text() + ("" if not self.problems else ": " + "; ".join(map(str, self.problems)))

    def field_texts(self, lang: str = "en") -> dict[str, str]:
        """Each problem's message by field (or location), in `lang`; the first problem of a field wins."""
        out: dict[str, str] = {}
        for problem in self.problems:
            out.setdefault(problem.field or problem.where, problem.text(lang))
        return out

    def to_dict(self, lang: str = "en") -> dict:
        """JSON-able form with every problem."""
        return {**super().to_dict(lang), "problems": [p.to_dict(lang) for p in self.problems]}
