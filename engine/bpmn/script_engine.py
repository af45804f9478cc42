"""The script engine: SpiffWorkflow's, carrying PDW's clock, running code in the sandbox.

Service tasks call PDW operations (record a grant, suspend an opening, ...). Those are
trusted server code, not designer code: they run here, inside the transaction of the step
that reached them, which `operating()` hands in for the duration of that step.
"""
from __future__ import annotations

import json
import threading
from contextlib import contextmanager
from typing import Any, Callable

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine

from engine.bpmn.budgets import Budgets
from engine.clock import Clock

Operation = Callable[[Any, dict], dict]


class OperationError(ValueError):
    """A service task named an unknown operation or gave it bad parameters."""


class PdwScriptEngine(PythonScriptEngine):
    """Runs every script and expression through `environment` (the sandbox) and exposes `clock`
    and the `budgets` that timers, loops and multi-instances keep within."""

    def __init__(self, environment, clock: Clock, operations: dict[str, Operation] | None = None,
                 budgets: Budgets | None = None) -> None:
        super().__init__(environment=environment)
        self.clock = clock
        self.operations = dict(operations or {})
        self.budgets = budgets or Budgets()
        self._local = threading.local()

    @contextmanager
    def operating(self, context):
        """Let service tasks run PDW operations with `context` (session, instance, time) meanwhile."""
        previous = getattr(self._local, "context", None)
        self._local.context = context
        try:
            yield
        finally:
            self._local.context = previous

    def call_service(self, task, operation_name=None, operation_params=None, **kwargs):
        """Run the PDW operation a service task names; returns its result as JSON text."""
        operation = self.operations.get(operation_name)
        if operation is None:
            raise OperationError(f"unknown operation '{operation_name}'")
        context = getattr(self._local, "context", None)
        if context is None:
            raise OperationError(f"operation '{operation_name}' called outside a unit of work")
        context.authorise(operation_name)
        params = {name: p["value"] for name, p in (operation_params or {}).items()}
        return json.dumps(operation(context, params), ensure_ascii=False, default=str)
