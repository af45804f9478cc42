"""Standard loops and multi-instance activities that stay within their budgets.

SpiffWorkflow creates a multi-instance's children as soon as the activity is reached, one
deep copy of the task data each: twenty thousand items of a large variable exhaust the
server's memory before any step could be counted. These task specs check the item count or
cardinality first, and a standard loop's iterations as it goes (engine.bpmn.budgets).
"""
from __future__ import annotations

from collections.abc import Sized

from SpiffWorkflow.spiff.parser.task_spec import (
    ScriptTaskParser,
    ServiceTaskParser,
    SpiffTaskParser,
    SubWorkflowParser,
    UserTaskParser,
)
from SpiffWorkflow.spiff.specs.defaults import (
    ParallelMultiInstanceTask,
    SequentialMultiInstanceTask,
    StandardLoopTask,
)

from engine.bpmn.budgets import BudgetExceeded, Budgets


def _budgets(my_task) -> Budgets:
    return getattr(my_task.workflow.script_engine, "budgets", None) or Budgets()


def _check_count(spec, my_task, count) -> None:
    limit = _budgets(my_task).multi_instance
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise BudgetExceeded("budget.multi_instance", element=spec.bpmn_id, count=repr(count)[:40], limit=limit)
    if count > limit:
        raise BudgetExceeded("budget.multi_instance", element=spec.bpmn_id, count=count, limit=limit)


class BoundedStandardLoopTask(StandardLoopTask):
    """A standard loop that stops past the loop budget, whatever its condition says."""

    def loop_complete(self, my_task):
        limit = _budgets(my_task).loop_iterations
        if len(my_task.internal_data.get("merged", [])) >= limit:
            raise BudgetExceeded("budget.loop", element=self.bpmn_id, limit=limit)
        return super().loop_complete(my_task)


class BoundedParallelMultiInstanceTask(ParallelMultiInstanceTask):
    """A parallel multi-instance whose item count or cardinality is checked before any child exists."""

    def create_children(self, my_task):
        if self.data_input is not None:
            items = self.data_input.get(my_task) if self.data_input.exists(my_task) else None
            _check_count(self, my_task, len(items) if isinstance(items, Sized) else None)
        else:
            _check_count(self, my_task, my_task.workflow.script_engine.evaluate(my_task, self.cardinality))
        super().create_children(my_task)


class BoundedSequentialMultiInstanceTask(SequentialMultiInstanceTask):
    """A sequential multi-instance whose item count or cardinality is checked before it starts."""

    def init_remaining_items(self, my_task):
        remaining = super().init_remaining_items(my_task)
        _check_count(self, my_task, len(remaining))
        return remaining

    def _update_hook(self, my_task):
        if self.data_input is None:
            _check_count(self, my_task, my_task.workflow.script_engine.evaluate(my_task, self.cardinality))
        return super()._update_hook(my_task)


class _BoundedLoops:
    STANDARD_LOOP_CLASS = BoundedStandardLoopTask
    PARALLEL_MI_CLASS = BoundedParallelMultiInstanceTask
    SEQUENTIAL_MI_CLASS = BoundedSequentialMultiInstanceTask


class TaskParser(_BoundedLoops, SpiffTaskParser):
    """Tasks and manual tasks, with bounded loops."""


class UserTaskParserWithBounds(_BoundedLoops, UserTaskParser):
    """User tasks, with bounded loops."""


class ScriptTaskParserWithBounds(_BoundedLoops, ScriptTaskParser):
    """Script tasks, with bounded loops."""


class ServiceTaskParserWithBounds(_BoundedLoops, ServiceTaskParser):
    """Service tasks, with bounded loops."""


class SubProcessParserWithBounds(_BoundedLoops, SubWorkflowParser):
    """Embedded subprocesses, with bounded loops."""


BOUNDED = {
    StandardLoopTask: BoundedStandardLoopTask,
    ParallelMultiInstanceTask: BoundedParallelMultiInstanceTask,
    SequentialMultiInstanceTask: BoundedSequentialMultiInstanceTask,
}
