"""The sandbox at run time: scripts run in a limited worker, never in the server process."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from datetime import datetime, timezone

import pytest
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState

from engine.calendar import WorkingCalendar, load_rules
from engine.clock import Clock
from engine.sandbox import Sandbox, SandboxEnvironment, ScriptError
from engine.sandbox.protocol import encode, read_frame

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)  # Monday 2026-03-02, 09:00 in Beijing


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox(time_limit=0.5, memory_limit_mb=256) as shared:
        yield shared


@pytest.fixture(scope="module")
def unhurried_sandbox():
    """For filling 256 MiB, which on a busy machine may take longer than the other tests' 0.5 s:
    the memory limit, not the time limit, is what these tests are about."""
    with Sandbox(time_limit=20, memory_limit_mb=256) as shared:
        yield shared


def test_a_successful_script_returns_its_new_variables_and_leaves_the_context_alone(sandbox):
    context = {"x": 3, "items": [{"amount": 2}, {"amount": 5}]}
    result = sandbox.execute(
        "def total(rows):\n    return sum(r['amount'] for r in rows)\n"
        "y = x * 2\nsummary = {'total': total(items), 'labels': [f'#{i}' for i in range(2)]}",
        context, NOW)
    assert result == {"x": 3, "items": [{"amount": 2}, {"amount": 5}], "y": 6,
                      "summary": {"total": 7, "labels": ["#0", "#1"]}}
    assert context == {"x": 3, "items": [{"amount": 2}, {"amount": 5}]}


@pytest.mark.parametrize(("expression", "expected"), [
    ("y > 5", True),
    ("y <= 5", False),
    ("decision == 'approve' and len(reasons) == 0", True),
    ("'reviewer@' + unit", "reviewer@gaj"),
    ("sorted(d.keys())", ["a", "b"]),
])
def test_an_expression_is_evaluated_over_the_task_data(sandbox, expression, expected):
    context = {"y": 7, "decision": "approve", "reasons": [], "unit": "gaj", "d": {"b": 1, "a": 2}}
    assert sandbox.evaluate(expression, context, NOW) == expected


def test_the_calendar_functions_read_the_engines_frozen_clock(sandbox):
    result = sandbox.execute(
        "t = today()\nn = now()\nw = working_days_after(t, 5)\nd = days_after('2026-09-20', 10)\n"
        "due = deadline_date('art20_share_reply', t)\nat = deadline_at('art20_share_reply', t)",
        {}, NOW)
    calendar, rules = WorkingCalendar.load(), load_rules()
    deadline = calendar.deadline(datetime(2026, 3, 2).date(), rule=rules["art20_share_reply"], rules=rules)
    assert result["t"] == "2026-03-02"
    assert result["n"] == "2026-03-02T09:00:00+08:00"
    assert result["w"] == "2026-03-09"
    assert result["d"] == calendar.add_days(datetime(2026, 9, 20).date(), 10).isoformat()
    assert result["due"] == deadline.due_date.isoformat() == "2026-03-09"
    assert datetime.fromisoformat(result["at"]) == deadline.due_at
    assert result["at"] == "2026-03-10T00:00:00+08:00"


def test_today_is_the_beijing_date_even_when_utc_is_still_yesterday(sandbox):
    late_utc = datetime(2026, 3, 1, 20, 0, tzinfo=timezone.utc)
    assert sandbox.evaluate("today()", {}, late_utc) == "2026-03-02"


def test_a_calendar_function_given_a_bad_date_is_a_clear_error(sandbox):
    with pytest.raises(ScriptError, match="line 1: ValueError: expected an ISO date"):
        sandbox.execute("d = working_days_after('next monday', 5)", {}, NOW)
    with pytest.raises(ScriptError, match="unknown deadline rule 'nope'"):
        sandbox.evaluate("deadline_date('nope', '2026-03-02')", {}, NOW)


HOSTILE = [
    "import os",
    "__import__('os')",
    "().__class__.__bases__[0].__subclasses__()",
    "open('/etc/passwd')",
    "getattr(x, '__globals__')",
    "eval('1')",
    "exec('x=1')",
    "compile('1', 's', 'eval')",
    "'{0.__class__}'.format(1)",
    "globals()",
    "f = lambda: (yield)",
    "class A: pass",
    "type(x)",
    "[c for c in ().__class__.__mro__]",
    "b = __builtins__",
    "y = x._private",
]


@pytest.mark.parametrize("source", HOSTILE)
def test_hostile_code_is_refused_before_any_worker_is_asked(source):
    # An interpreter that does not exist: any attempt to start a worker would fail differently.
    refusing = Sandbox(python="/nonexistent/python")
    with pytest.raises(ScriptError, match=r"^line 1: .*not allowed"):
        refusing.execute(source, {"x": 1}, NOW)
    assert refusing.worker_pid is None


def test_a_runtime_error_names_the_exception_and_the_script_line(sandbox):
    with pytest.raises(ScriptError) as caught:
        sandbox.execute("a = 1\nb = 0\nc = a / b", {}, NOW)
    assert str(caught.value) == "line 3: ZeroDivisionError: division by zero"
    assert caught.value.line == 3


def test_builtins_outside_the_whitelist_do_not_exist(sandbox):
    with pytest.raises(ScriptError, match="NameError: name 'print' is not defined"):
        sandbox.execute("print('into the protocol pipe')", {}, NOW)


def test_a_runaway_loop_is_stopped_after_the_time_limit_and_the_next_call_works(sandbox):
    sandbox.evaluate("1", {}, NOW)
    first_pid = sandbox.worker_pid
    with pytest.raises(ScriptError, match=r"^script ran longer than 0.5 s and was stopped$"):
        sandbox.execute("n = 0\nwhile True:\n    n = n + 1", {}, NOW)
    assert sandbox.worker_pid is None
    assert sandbox.evaluate("2 + 2", {}, NOW) == 4
    assert sandbox.worker_pid != first_pid


@pytest.mark.parametrize("script", [
    "x = 'a' * (10**10)",
    "x = [0] * 10**9",
    "x = []\nwhile True:\n    x.append('a' * 100000)",
])
def test_exhausting_memory_is_reported_and_the_next_call_works(unhurried_sandbox, script):
    with pytest.raises(ScriptError, match=r"script exceeded the memory limit \(256 MiB\)"):
        unhurried_sandbox.execute(script, {}, NOW)
    assert unhurried_sandbox.execute("y = 1", {}, NOW) == {"y": 1}


def test_a_recursion_bomb_is_a_clear_error(sandbox):
    with pytest.raises(ScriptError, match="^line 2: RecursionError: maximum recursion depth exceeded$"):
        sandbox.execute("def f(n):\n    return f(n + 1)\nf(0)", {}, NOW)


@pytest.mark.parametrize(("op", "source", "message"), [
    ("eval", "{1, 2}", "the expression's value is not JSON data (it holds a set)"),
    ("eval", "float('nan')", "the expression's value is not JSON data (the number nan)"),
    ("exec", "r = range(3)", "variable 'r' is not JSON data (it holds a range)"),
    ("exec", "d = {1: 'a'}", "variable 'd' is not JSON data (a dict key int, not str)"),
])
def test_a_value_that_is_not_json_data_is_refused(sandbox, op, source, message):
    run = sandbox.evaluate if op == "eval" else sandbox.execute
    with pytest.raises(ScriptError) as caught:
        run(source, {}, NOW)
    assert str(caught.value) == message


def test_variables_that_are_not_json_data_are_refused_before_sending(sandbox):
    with pytest.raises(ScriptError, match="variable 'when' is not JSON data"):
        sandbox.evaluate("1", {"when": NOW}, NOW)


def test_variables_python_makes_for_itself_are_not_returned(sandbox):
    assert sandbox.execute("count: int = 2", {}, NOW) == {"count": 2}


def test_external_variables_are_readable_but_not_returned(sandbox):
    result = sandbox.execute("y = limit + 1\nlimit = 0", {"x": 1}, NOW, external={"limit": 9})
    assert result == {"x": 1, "y": 10}


def test_a_worker_that_dies_between_calls_is_replaced(sandbox):
    sandbox.evaluate("1", {}, NOW)
    os.kill(sandbox.worker_pid, signal.SIGKILL)
    assert sandbox.evaluate("x * 3", {"x": 2}, NOW) == 6


def test_threads_share_one_sandbox_safely(sandbox):
    results: dict[int, list] = {}

    def work(n: int) -> None:
        results[n] = [sandbox.evaluate("n * 10 + i", {"n": n, "i": i}, NOW) for i in range(25)]

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == {n: [n * 10 + i for i in range(25)] for n in range(4)}


def test_script_error_is_one_line_and_survives_pickling():
    import pickle

    error = pickle.loads(pickle.dumps(ScriptError("KeyError: 'x'", line=4)))
    assert (str(error), error.message, error.line) == ("line 4: KeyError: 'x'", "KeyError: 'x'", 4)


@pytest.fixture
def raw_worker():
    process = subprocess.Popen([sys.executable, "-I", "-m", "engine.sandbox.worker", "--memory-mb", "300"],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, env={})
    assert read_frame(process.stdout)["ready"] is True
    yield process
    process.stdin.close()
    process.wait(timeout=5)
    process.stdout.close()


def ask(process, request: dict) -> dict:
    process.stdin.write(encode(request))
    process.stdin.flush()
    return read_frame(process.stdout)


def test_the_worker_runs_under_resource_limits_in_an_empty_directory(raw_worker):
    with open(f"/proc/{raw_worker.pid}/limits") as handle:
        limits = handle.read()
    rows = {line[:26].strip(): line[26:].split() for line in limits.splitlines()[1:]}
    assert rows["Max address space"][:2] == [str(300 * 1024 * 1024)] * 2
    assert rows["Max file size"][:2] == ["0", "0"]
    assert rows["Max core file size"][:2] == ["0", "0"]
    assert int(rows["Max open files"][0]) <= 16
    assert os.readlink(f"/proc/{raw_worker.pid}/cwd").endswith("(deleted)")


def test_the_worker_checks_the_policy_itself_and_keeps_serving(raw_worker):
    refused = ask(raw_worker, {"op": "exec", "source": "x = 1\nimport os", "context": {}, "now": NOW.isoformat()})
    assert refused == {"ok": False, "error": "import is not allowed in scripts", "line": 2}
    answered = ask(raw_worker, {"op": "eval", "source": "x + 1", "context": {"x": 1}, "now": NOW.isoformat()})
    assert answered == {"ok": True, "result": 2}


DIAGRAM = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="D" targetNamespace="x">
  <bpmn:process id="doubling" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:scriptTask id="compute">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:script>{script}</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="compute"/>
    <bpmn:sequenceFlow id="f2" sourceRef="compute" targetRef="gate"/>
    <bpmn:exclusiveGateway id="gate"><bpmn:incoming>f2</bpmn:incoming>
      <bpmn:outgoing>big</bpmn:outgoing><bpmn:outgoing>small</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:sequenceFlow id="big" sourceRef="gate" targetRef="end_big">
      <bpmn:conditionExpression>y &gt; 5</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="small" sourceRef="gate" targetRef="end_small">
      <bpmn:conditionExpression>y &lt;= 5</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:endEvent id="end_big"><bpmn:incoming>big</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="end_small"><bpmn:incoming>small</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""


def start_workflow(sandbox: Sandbox, script: str, data: dict) -> BpmnWorkflow:
    parser = SpiffBpmnParser()
    parser.add_bpmn_str(DIAGRAM.format(script=script).encode(), "doubling.bpmn")
    engine = PythonScriptEngine(environment=SandboxEnvironment(sandbox, Clock(NOW)))
    workflow = BpmnWorkflow(parser.get_spec("doubling"), script_engine=engine)
    for task in workflow.get_tasks(state=TaskState.READY):
        task.data.update(data)
    # Save and restore before running, as every workflow test does.
    serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
    restored = serializer.deserialize_json(serializer.serialize_json(workflow))
    restored.script_engine = engine
    return restored


@pytest.mark.parametrize(("x", "end"), [(3, "end_big"), (2, "end_small")])
def test_a_bpmn_script_task_and_gateway_run_in_the_sandbox(sandbox, x, end):
    workflow = start_workflow(sandbox, "y = x * 2", {"x": x})
    workflow.do_engine_steps()
    assert workflow.is_completed()
    finished = [t.task_spec.name for t in workflow.get_tasks() if t.task_spec.name.startswith("end_")]
    assert finished == [end]
    assert workflow.last_task.data == {"x": x, "y": x * 2}


def test_a_hostile_bpmn_script_makes_its_task_fail_with_the_sandbox_message(sandbox):
    workflow = start_workflow(sandbox, "y = ().__class__.__bases__[0].__subclasses__()", {"x": 1})
    with pytest.raises(WorkflowException) as caught:
        workflow.do_engine_steps()
    assert "attribute '__class__' is not allowed" in str(caught.value)
    assert caught.value.error_type == "ScriptError"
    assert not workflow.is_completed()


def test_the_environment_updates_task_data_in_place():
    data = {"x": 2}
    with Sandbox() as own:
        environment = SandboxEnvironment(own, Clock(NOW))
        assert environment.execute("y = x + today().count('-')", data) is True
        assert environment.evaluate("y", data) == 4
    assert data == {"x": 2, "y": 4}


def test_the_environment_does_not_call_services():
    environment = SandboxEnvironment(Sandbox(python="/nonexistent/python"), Clock(NOW))
    with pytest.raises(NotImplementedError, match="service tasks do not run in the script sandbox"):
        environment.call_service({}, operation_name="record_grant")
