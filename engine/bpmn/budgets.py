"""Budgets that keep one process from hanging or swamping the server that runs it.

A designer's BPMN is untrusted: an endless loop of script tasks, a timer a billion years
away, a multi-instance over twenty thousand items. Each budget is a setting (engine.config)
with a safe default; a step that goes past one raises `BudgetExceeded`, the step is undone
and the instance is marked errored with the reason, naming the element.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from engine import messages


class BudgetExceeded(Exception):
    """A process went past a budget or gave a timer a value out of bounds; `code` and `params`
    name which, for the instance's error message."""

    def __init__(self, code: str, **params: Any) -> None:
        self.code = code
        self.params = params
        super().__init__(messages.render(code, params, "en"))


@dataclass(frozen=True)
class Budgets:
    """The bounds one command's engine steps must stay within."""

    steps: int = 500
    seconds: float = 10.0
    tasks: int = 5000
    multi_instance: int = 200
    loop_iterations: int = 1000
    instance_bytes: int = 4 * 1024 * 1024
    timer_years: int = 100
    cycle_seconds: int = 60

    @classmethod
    def from_config(cls, config) -> "Budgets":
        """The budgets an engine's Config sets."""
        return cls(steps=config.max_engine_steps, seconds=config.max_step_seconds,
                   tasks=config.max_tasks_per_instance, multi_instance=config.max_multi_instance,
                   loop_iterations=config.max_loop_iterations, instance_bytes=config.max_instance_bytes,
                   timer_years=config.max_timer_years, cycle_seconds=config.min_timer_cycle_seconds)


class StepMeter:
    """Counts the engine steps of one command and stops it past its step, time or task budget.

    Pass it as SpiffWorkflow's `did_complete_task` callback; it raises from inside the loop,
    so an endless loop of script tasks or gateways ends at the budget instead of hanging.
    """

    def __init__(self, budgets: Budgets) -> None:
        self._budgets = budgets
        self._started = time.monotonic()
        self.steps = 0

    def __call__(self, task) -> None:
        budgets = self._budgets
        self.steps += 1
        if self.steps > budgets.steps:
            raise BudgetExceeded("budget.steps", limit=budgets.steps, element=_element(task))
        if time.monotonic() - self._started > budgets.seconds:
            raise BudgetExceeded("budget.seconds", limit=budgets.seconds, element=_element(task))
        if len(task.workflow.tasks) > budgets.tasks:
            raise BudgetExceeded("budget.tasks", limit=budgets.tasks, element=_element(task))


def _element(task) -> str:
    return task.task_spec.bpmn_id or task.task_spec.name
