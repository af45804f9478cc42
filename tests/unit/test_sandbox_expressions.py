"""Expressions evaluated in the server process give what the sandbox gives, and nothing else runs there.

The cases are generated from every expression of every shipped and fixture BPMN, each evaluated
in process and by the worker over the same sample data: the same value or the same error.
"""
from __future__ import annotations

import ast
from datetime import datetime, timezone
from pathlib import Path

import pytest
from lxml import etree

from engine.bpmn.validation import EXPRESSIONS
from engine.calendar.arrangements import SHIPPED_DIR, load_arrangements
from engine.clock import Clock
from engine.sandbox import Sandbox, SandboxEnvironment, ScriptError, expressions
from engine.sandbox.expressions import NOT_IN_PROCESS

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted((ROOT / "workflows").glob("*.bpmn"))
FIXTURES = sorted((ROOT / "tests" / "fixtures" / "bpmn").rglob("*.bpmn"))
NOW = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)  # Monday 2026-03-02, 09:00 in Beijing


class CountingSandbox(Sandbox):
    """A real sandbox that counts the expressions it is asked to evaluate."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.evaluated: list[str] = []

    def evaluate(self, expression, context, now, *, external=None):
        self.evaluated.append(expression)
        return super().evaluate(expression, context, now, external=external)


def _expressions_in(path: Path) -> list[str]:
    """Every text in the file that the engine evaluates as an expression (mode "eval")."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        tree = etree.parse(str(path), parser)
    except etree.XMLSyntaxError:
        return []
    found = []
    for el in tree.iter():
        if not isinstance(el.tag, str):
            continue
        name = etree.QName(el).localname
        if EXPRESSIONS.get(name, ("exec",))[0] == "eval" or name == "payloadExpression":
            found.append(el.text or "")
        elif name == "property" and el.get("name") == "candidateGroupsExpression":
            found.append(el.get("value") or "")
        elif name == "parameter" and el.get("value") is not None:
            found.append(el.get("value"))
    return [text for text in found if text.strip()]


def _all_expressions(paths) -> list[str]:
    texts = {text for path in paths for text in _expressions_in(path)}
    # Spiff hands texts on as the file holds them; stripped ones are what designers type.
    return sorted(texts | {text.strip() for text in texts})


SHIPPED_EXPRESSIONS = _all_expressions(SHIPPED)
ALL_EXPRESSIONS = _all_expressions(SHIPPED + FIXTURES)
SAMPLE_VALUES = ["2026-03-02", "2026-12-31T10:00:00+08:00", "approve", "yes", "无条件共享", "", True, False,
                 None, 0, 7, 1.5, -2, [], ["privacy"], {}, {"a": 1}]


def _sample_contexts(source: str) -> list[dict]:
    """Task data to evaluate `source` over: absent, plausible and wrong values for its names."""
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError:
        return [{}]
    names = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    keys: dict[str, set] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and isinstance(node.slice, ast.Constant):
            keys.setdefault(node.value.id, set()).add(node.slice.value)
    constants = [node.value for node in ast.walk(tree) if isinstance(node, ast.Constant)]
    contexts = [{}]
    for value in SAMPLE_VALUES + constants:
        contexts.append({name: value for name in names})
        contexts.append({name: ({key: value for key in keys[name]} if name in keys else value) for name in names})
    return contexts


def _outcome(call):
    try:
        return ("value", call())
    except ScriptError as exc:
        return ("error", exc.message, exc.line)


@pytest.fixture(scope="module")
def sandbox():
    with CountingSandbox(time_limit=0.5, memory_limit_mb=256) as shared:
        yield shared


def test_every_expression_of_the_shipped_procedures_is_in_the_in_process_grammar():
    assert len(SHIPPED_EXPRESSIONS) > 20
    outside = {text.strip() for text in SHIPPED_EXPRESSIONS if not expressions.accepts(text)}
    # A service parameter calling a builtin: the worker evaluates it.
    assert outside == {"list(concerned_units)"}


@pytest.mark.parametrize("source", ALL_EXPRESSIONS, ids=lambda text: text.strip()[:60])
def test_an_expression_has_the_same_value_or_error_in_process_as_in_the_sandbox(sandbox, source):
    handled = 0
    for context in _sample_contexts(source):
        in_process = _outcome(lambda: expressions.evaluate(source, context, NOW, sandbox.script_functions))
        if in_process[0] == "value" and in_process[1] is NOT_IN_PROCESS:
            continue
        handled += 1
        assert in_process == _outcome(lambda: sandbox.evaluate(source, context, NOW)), context
    if source in SHIPPED_EXPRESSIONS and expressions.accepts(source):
        assert handled > 0


@pytest.mark.parametrize("source", [
    "().__class__",
    "().__class__.__base__.__subclasses__()",
    "len(().__class__.__base__.__subclasses__())",
    "catalog.__class__",
    "catalog.get('a')",
    "__import__('os')",
    "_private",
    "__builtins__",
    "open('/etc/passwd').read() != ''",
    "eval('1')",
    "getattr(catalog, 'a')",
    "len(catalog)",
    "str(1)",
    "working_days_after('2026-03-02', 10 ** 9)",
    "2 ** 10 ** 10",
    "'a' * 10 ** 9",
    "-1 - 1",
    "7 % 2",
    "[x for x in range(10 ** 9)]",
    "{x: 1 for x in range(3)}",
    "(lambda: 1)()",
    "catalog[1:2]",
    "catalog[key]",
    "{'a': 1}",
    "f'{catalog}'",
    "decision == 'approve'\n or decision == 'accept'",
    "deadline_at(*rules)",
    "deadline_at(rule_id='art20_share_reply', received_iso='2026-03-02')",
    "decision is 'approve'",
    "b'bytes'",
    "1j",
    "'" + "a" * 600 + "'",
    "not " * 20 + "suspend",
    " or ".join(f"x{i}" for i in range(80)),
])
def test_hostile_or_unfamiliar_expressions_go_to_the_sandbox(sandbox, source):
    assert not expressions.accepts(source)
    environment = SandboxEnvironment(sandbox, Clock(NOW))
    before = len(sandbox.evaluated)
    context = {"catalog": {"a": 1}, "decision": "approve", "suspend": True}
    _outcome(lambda: environment.evaluate(source, context))
    assert sandbox.evaluated[before:] == [source]


def test_an_in_grammar_expression_is_evaluated_without_asking_the_worker(sandbox):
    environment = SandboxEnvironment(sandbox, Clock(NOW))
    before = len(sandbox.evaluated)
    assert environment.evaluate('catalog["share_attribute"] == "无条件共享"', {"catalog": {"share_attribute": "无条件共享"}})
    assert environment.evaluate('deadline_at("art20_share_reply", receipt_date)',
                                {"receipt_date": "2026-03-02"}) == "2026-03-10T00:00:00+08:00"
    with pytest.raises(ScriptError, match=r"^line 1: NameError: name 'decision' is not defined$"):
        environment.evaluate('decision == "approve"', {})
    assert sandbox.evaluated[before:] == []


@pytest.mark.parametrize(("source", "context"), [
    # The JSON trip to the worker makes a tuple a list and a dict's int keys text.
    ("x", {"x": (1, 2)}),
    ("x == [1, 2]", {"x": (1, 2)}),
    ('d["1"]', {"d": {1: "one"}}),
    # Not JSON data at all: the sandbox refuses the variables before sending them.
    ("x == 1", {"x": datetime(2026, 3, 2, tzinfo=timezone.utc)}),
    ("x == 1", {"x": float("nan")}),
    ("decision == 'approve'", {"decision": "approve", "other": {1, 2}}),
    ("decision == 'approve'", {"decision": "approve", "__builtins__": {}}),
    # A value or name that is not JSON data, or a function a variable shadows.
    ("x", {"x": [1, 2]}),
    ("len", {}),
    ("deadline_at", {}),
    ("deadline_at('art20_share_reply', receipt_date)", {"deadline_at": "x", "receipt_date": "2026-03-02"}),
    ("1e308 + 1e308", {}),
    ("x + x", {"x": "a" * 40_000}),
    ("x + y", {"x": [1], "y": [2]}),
    ("x == 1", {"x": 10 ** 5000}),
    ("x == 1", {"x": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}),
])
def test_data_the_worker_would_see_differently_goes_to_the_sandbox(sandbox, source, context):
    assert expressions.evaluate(source, context, NOW, sandbox.script_functions) is NOT_IN_PROCESS
    environment = SandboxEnvironment(sandbox, Clock(NOW))
    before = len(sandbox.evaluated)
    outcome = _outcome(lambda: environment.evaluate(source, context))
    assert sandbox.evaluated[before:] == [source]
    assert outcome == _outcome(lambda: sandbox.evaluate(source, context, NOW))


def test_external_variables_are_read_and_shadowed_as_in_the_sandbox(sandbox):
    cases = [("unit", {}, {"unit": "u1"}), ("unit", {"unit": "u2"}, {"unit": "u1"}),
             ('"reviewer@" + unit', {}, {"unit": "u1"}), ("unit == 1", {}, {"unit": (1,)})]
    for source, context, external in cases:
        in_process = _outcome(lambda: expressions.evaluate(source, context, NOW, sandbox.script_functions,
                                                           external=external))
        expected = _outcome(lambda: sandbox.evaluate(source, context, NOW, external=external))
        assert in_process in (expected, ("value", NOT_IN_PROCESS))
    assert expressions.evaluate("unit", {}, NOW, sandbox.script_functions, external={"unit": "u1"}) == "u1"


def test_deadlines_follow_the_calendar_the_worker_counts_by_when_it_changes():
    shipped = [a.to_dict() for a in load_arrangements(SHIPPED_DIR).values()]
    # Five working days from Monday 2026-03-02 end on Monday 03-09 (24:00, so 03-10 00:00). Days off
    # 03-03..03-07 that no notice declares leave 03-09..03-13: Friday 03-13 (03-14 00:00).
    changed = [dict(a, days_off=a["days_off"] + [[f"2026-03-0{d}", "test"] for d in range(3, 8)])
               if a["year"] == 2026 else a for a in shipped]
    source, context = 'deadline_at("art20_share_reply", receipt_date)', {"receipt_date": "2026-03-02"}
    with Sandbox(time_limit=2.0, memory_limit_mb=256, arrangements=shipped) as sandbox:
        before = expressions.evaluate(source, context, NOW, sandbox.script_functions)
        assert before == sandbox.evaluate(source, context, NOW) == "2026-03-10T00:00:00+08:00"
        sandbox.use_arrangements(changed)
        after = expressions.evaluate(source, context, NOW, sandbox.script_functions)
        assert after == sandbox.evaluate(source, context, NOW) == "2026-03-14T00:00:00+08:00"


def test_expressions_going_to_the_sandbox_keep_its_time_and_memory_limits(sandbox):
    environment = SandboxEnvironment(sandbox, Clock(NOW))
    with pytest.raises(ScriptError, match="longer than 0.5 s"):
        environment.evaluate("sum(range(10 ** 10))", {})
    with pytest.raises(ScriptError, match="memory|killed"):
        environment.evaluate("len('a' * 10 ** 9)", {})
    assert environment.evaluate('decision == "approve"', {"decision": "approve"}) is True


def test_the_parse_verdict_is_cached_per_text_and_bounded():
    expressions._parse.cache_clear()
    assert expressions.accepts('decision == "approve"')
    assert expressions.accepts('decision == "approve"')
    info = expressions._parse.cache_info()
    assert (info.hits, info.misses, info.maxsize) == (1, 1, expressions.CACHE_SIZE)
    assert not expressions.accepts("x" * (expressions.MAX_CHARS + 1))
    assert expressions._parse.cache_info().currsize == 1
