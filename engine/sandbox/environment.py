"""SpiffWorkflow's script environment, backed by the sandbox instead of eval/exec in-process."""
from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from engine.sandbox import expressions
from engine.sandbox.runner import Sandbox


class SandboxEnvironment(BasePythonScriptEngineEnvironment):
    """Runs every script task, pre/post script, condition and timer expression in the sandbox.

    Expressions that engine.sandbox.expressions proves harmless (a comparison, a deadline) are
    evaluated in this process instead, with the value or error the sandbox would give.

    Use as `PythonScriptEngine(environment=SandboxEnvironment(sandbox, clock))`; `clock.now()`
    is what scripts see as now() and today().
    """

    def __init__(self, sandbox: Sandbox, clock) -> None:
        super().__init__()
        self.sandbox = sandbox
        self.clock = clock

    def evaluate(self, expression: str, context: dict, external_context: dict | None = None) -> Any:
        """The value of `expression` over the task data `context` (and read-only `external_context`)."""
        now = self.clock.now()
        value = expressions.evaluate(expression, context, now, self.sandbox.script_functions,
                                     external=external_context)
        if value is expressions.NOT_IN_PROCESS:
            value = self.sandbox.evaluate(expression, context, now, external=external_context)
        return value

    def execute(self, script: str, context: dict, external_context: dict | None = None) -> bool:
        """Run `script`, then replace the task data `context` in place with its variables."""
        variables = self.sandbox.execute(script, context, self.clock.now(), external=external_context)
        context.clear()
        context.update(variables)
        return True

    def call_service(self, context: dict, **kwargs) -> Any:
        """Service tasks are trusted server operations; the script engine runs them, not the sandbox."""
        raise NotImplementedError(
            "service tasks do not run in the script sandbox; call them through the script engine's call_service")
