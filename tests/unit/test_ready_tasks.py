"""progress.ready_tasks stands in for SpiffWorkflow's walk of the task tree: the same tasks, in
the same order, at every step of a process with parallel steps, an embedded subprocess or a
plain sequence."""
from __future__ import annotations

from pathlib import Path

import pytest
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from engine.bpmn.parser import PdwBpmnParser
from engine.services.progress import ready_tasks

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "bpmn"


def _workflow(path: Path, process_id: str) -> BpmnWorkflow:
    parser = PdwBpmnParser()
    parser.add_bpmn_file(str(path))
    return BpmnWorkflow(parser.get_spec(process_id), parser.get_subprocess_specs(process_id))


def _walked(workflow: BpmnWorkflow, manual: bool | None) -> list:
    return workflow.get_tasks(state=TaskState.READY, manual=manual)


@pytest.mark.parametrize(("path", "process_id", "most_ready"), [
    (FIXTURES / "two_reviews.bpmn", "two_reviews", 1),
    (FIXTURES / "withdrawable.bpmn", "withdrawable", 2),
    (FIXTURES / "modelers" / "embedded_subprocess.bpmn", "embedded_review", 1),
])
def test_ready_tasks_are_the_walks_tasks_in_its_order_at_every_step(path, process_id, most_ready):
    workflow = _workflow(path, process_id)
    seen_most = 0
    for _ in range(20):
        for manual in (None, True, False):
            assert ready_tasks(workflow, manual=manual) == _walked(workflow, manual)
        workflow.do_engine_steps()
        for manual in (None, True, False):
            assert ready_tasks(workflow, manual=manual) == _walked(workflow, manual)
        waiting = ready_tasks(workflow, manual=True)
        seen_most = max(seen_most, len(waiting))
        if not waiting:
            break
        # The last of several parallel steps first, so that the walk's order is what is compared.
        waiting[-1].run()
    assert workflow.is_completed()
    assert seen_most == most_ready


def test_a_workflow_deeper_than_the_walk_goes_is_walked(monkeypatch):
    workflow = _workflow(FIXTURES / "two_reviews.bpmn", "two_reviews")
    workflow.do_engine_steps()
    first = _walked(workflow, True)
    assert len(first) == 1
    # A tree of more tasks than the walk's depth limit: only the walk tells which it reaches.
    monkeypatch.setattr("engine.services.progress._ITERATOR_DEPTH", len(workflow.tasks) - 1)
    walked = []
    monkeypatch.setattr(workflow, "get_tasks", lambda **kwargs: walked.append(kwargs) or first)
    assert ready_tasks(workflow, manual=True) == first
    assert walked == [{"state": TaskState.READY, "manual": True}]
