"""Tiny expressions evaluated in the server process, when a closed grammar proves them harmless.

Why this exists: gateway conditions (`decision == "approve"`), timers (`deadline_at(rule,
receipt_date)`) and candidate groups (`"reviewer@" + unit`) are evaluated about a dozen times per
application, and asking the worker process costs a round trip through its pipes each time. Nothing
in the standard library or SpiffWorkflow evaluates untrusted Python safely in process (its own
environment calls eval), so this is built here (STYLE item 15), kept as small as it can be:

- The text is parsed with `ast` (mode "eval") and accepted only when every node is one of:
  a constant (str, int, float, bool, None); a name not starting with "_"; a subscript by a
  constant str or int; a comparison (==, !=, <, <=, >, >=, in, not in, and `is`/`is not` only
  against None); `and`, `or`, `not`, `a if b else c`; unary minus; `+`; a tuple or list display; a call, by
  position, of `deadline_at`, `deadline_date`, `today` or `now`, the sandbox's own pure, cheap
  calendar functions, here the very same code (engine.sandbox.functions) over the calendar the
  worker counts by. No attribute, no other call, no `*`, `**`, `%`, slice, comprehension or
  lambda, so nothing reaches an object's insides and nothing loops; the text is at most
  MAX_CHARS characters on one line and its tree at most MAX_NODES nodes, MAX_DEPTH deep.
- It is never given to eval or exec: `_Evaluation` walks the tree and applies the operator
  module's functions to the values, the same operations the compiled expression performs, so
  values and exception texts are Python's own.
- It runs only where the worker would give the same answer: the text passes the sandbox policy,
  the request would encode as it does for the worker (same function, so the same size limit),
  and every variable the expression reads is plain JSON data (exact dict with str keys, list,
  str, int, float, bool, None; at most MAX_VALUE_DEPTH deep, MAX_VALUE_ITEMS items), which the
  JSON round trip to the worker would leave unchanged. Its value must be a JSON scalar.
- An error is raised as the worker reports it: ScriptError("<Type>: <text>", line=1), the text
  made by the worker's own `describe`.

What falls back to the worker, unchanged: anything outside the grammar or the limits, a text
with a line break, a name that is not a variable (a builtin, a function, an unknown name whose
message Python would shorten), a call of a function a variable shadows, variables that are not
plain JSON data, `+` on lists or dicts or giving text over MAX_CONCAT_CHARS, a value that is not a
JSON scalar (a list, a tuple, inf), and RecursionError or MemoryError. Falling back is always safe:
evaluation has no effects, so the worker evaluates from scratch, under its time and memory limits.

Failure modes, each tested in tests/unit/test_sandbox_expressions.py: a hostile or
out-of-grammar text evaluated here (it must go to the worker); a value or error different from
the worker's (compared over every expression of every shipped and fixture BPMN); a calendar
different from the worker's after the holiday arrangements change.
"""
from __future__ import annotations

import ast
import math
import operator
from datetime import datetime
from functools import lru_cache
from typing import Any, Callable

from engine.sandbox.errors import ScriptError, describe
from engine.sandbox.functions import ScriptFunctions
from engine.sandbox.policy import SAFE_BUILTIN_NAMES
from engine.sandbox.protocol import json_problem
from engine.sandbox.runner import _check, _encode_request

MAX_CHARS = 512
MAX_NODES = 64
MAX_DEPTH = 12
MAX_VALUE_DEPTH = 32
MAX_VALUE_ITEMS = 10_000
MAX_CONCAT_CHARS = 65_536
CACHE_SIZE = 1024

# The functions an expression may call here: pure, and bounded by the calendar's 1950..2200
# range. working_days_after and days_after take any count of days, so they stay in the worker.
IN_PROCESS_FUNCTIONS = frozenset({"deadline_at", "deadline_date", "today", "now"})

# Returned when the expression must be evaluated by the worker.
NOT_IN_PROCESS = object()

_COMPARE = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
    ast.Gt: operator.gt, ast.GtE: operator.ge, ast.Is: operator.is_, ast.IsNot: operator.is_not,
    # `a in b` is b.__contains__(a): the operands swap, as in the compiled code.
    ast.In: lambda a, b: operator.contains(b, a), ast.NotIn: lambda a, b: not operator.contains(b, a),
}
_CONSTANT_TYPES = (str, int, float, bool, type(None))
# Names the worker resolves to its builtins or functions: their values are not JSON data.
_WORKER_NAMES = frozenset(SAFE_BUILTIN_NAMES) | frozenset(
    ("working_days_after", "days_after", "deadline_date", "deadline_at", "now", "today"))
_JSON_SCALARS = (str, int, float, bool, type(None))


class _Fallback(Exception):
    """The worker must answer this one."""


def accepts(source: str) -> bool:
    """Whether `source` is in the in-process grammar (its value may still come from the worker)."""
    return _parsed(source) is not None


def evaluate(source: str, context: dict, now: datetime, functions: Callable[[], ScriptFunctions], *,
             external: dict | None = None) -> Any:
    """The value of `source` as the sandbox would give it, or NOT_IN_PROCESS.

    Args:
        source: the designer's expression.
        context: the task data.
        now: the engine's current instant (timezone-aware).
        functions: gives the script functions over the calendar the worker counts by.
        external: further read-only variables, shadowed by `context`.

    Returns:
        The value (a JSON scalar), or NOT_IN_PROCESS when only the worker may evaluate it.

    Raises:
        ScriptError: the expression fails, with the worker's message and line.
    """
    tree = _parsed(source)
    if tree is None or now.tzinfo is None or "__builtins__" in context or _check(source, "eval"):
        return NOT_IN_PROCESS
    external = external or {}
    try:
        # The request the worker would be sent: when it cannot be encoded the sandbox says why.
        _encode_request({"op": "eval", "source": source, "context": context, "external": external,
                         "now": now.isoformat()})
    except Exception:
        return NOT_IN_PROCESS
    evaluation = _Evaluation(context, external, now, functions)
    try:
        value = evaluation.value(tree)
    except (_Fallback, RecursionError, MemoryError):
        return NOT_IN_PROCESS
    except Exception as exc:
        # A one-line expression fails on line 1 of the worker's "<script>" frame.
        raise ScriptError(describe(exc), line=1) from None
    if type(value) not in _JSON_SCALARS or json_problem(value):
        return NOT_IN_PROCESS
    return value


def _parsed(source: str) -> ast.expr | None:
    if type(source) is not str or len(source) > MAX_CHARS or "\n" in source or "\r" in source:
        return None
    return _parse(source)


@lru_cache(maxsize=CACHE_SIZE)
def _parse(source: str) -> ast.expr | None:
    try:
        body = ast.parse(source, mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    count = 0
    pending = [(body, 1)]
    while pending:
        node, depth = pending.pop()
        count += 1
        if count > MAX_NODES or depth > MAX_DEPTH or not _allowed(node):
            return None
        pending.extend((child, depth + 1) for child in _children(node))
    return body


def _allowed(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant):
        return type(node.value) in _CONSTANT_TYPES
    if isinstance(node, ast.Name):
        return not node.id.startswith("_")
    if isinstance(node, ast.Subscript):
        key = node.slice
        return isinstance(key, ast.Constant) and type(key.value) in (str, int)
    if isinstance(node, ast.Compare):
        for op, right in zip(node.ops, node.comparators):
            if type(op) not in _COMPARE:
                return False
            if isinstance(op, (ast.Is, ast.IsNot)) and not (isinstance(right, ast.Constant) and right.value is None):
                return False
        return True
    if isinstance(node, ast.BoolOp):
        return True
    if isinstance(node, ast.UnaryOp):
        return isinstance(node.op, (ast.Not, ast.USub))
    if isinstance(node, ast.BinOp):
        return isinstance(node.op, ast.Add)
    if isinstance(node, (ast.Tuple, ast.List)):
        return not any(isinstance(item, ast.Starred) for item in node.elts)
    if isinstance(node, ast.IfExp):
        return True
    if isinstance(node, ast.Call):
        return (isinstance(node.func, ast.Name) and node.func.id in IN_PROCESS_FUNCTIONS and not node.keywords
                and not any(isinstance(arg, ast.Starred) for arg in node.args))
    return False


def _children(node: ast.expr) -> list[ast.expr]:
    if isinstance(node, ast.Subscript):
        return [node.value]
    if isinstance(node, ast.Compare):
        return [node.left, *node.comparators]
    if isinstance(node, ast.BoolOp):
        return list(node.values)
    if isinstance(node, ast.UnaryOp):
        return [node.operand]
    if isinstance(node, ast.BinOp):
        return [node.left, node.right]
    if isinstance(node, (ast.Tuple, ast.List)):
        return list(node.elts)
    if isinstance(node, ast.IfExp):
        return [node.test, node.body, node.orelse]
    if isinstance(node, ast.Call):
        return list(node.args)
    return []


class _Evaluation:
    """One evaluation of an accepted tree over one context."""

    def __init__(self, context: dict, external: dict, now: datetime, functions: Callable[[], ScriptFunctions]):
        self.context = context
        self.external = external
        self.now = now
        self.functions = functions
        self.checked: set[int] = set()

    def value(self, node: ast.expr) -> Any:
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            return self.variable(node.id)
        if isinstance(node, ast.Subscript):
            return operator.getitem(self.value(node.value), node.slice.value)
        if isinstance(node, ast.Compare):
            left = self.value(node.left)
            for op, right_node in zip(node.ops, node.comparators):
                right = self.value(right_node)
                if not _COMPARE[type(op)](left, right):
                    return False
                left = right
            return True
        if isinstance(node, ast.BoolOp):
            stop_when = isinstance(node.op, ast.Or)
            for item in node.values:
                result = self.value(item)
                if bool(result) is stop_when:
                    return result
            return result
        if isinstance(node, ast.UnaryOp):
            operand = self.value(node.operand)
            return not operand if isinstance(node.op, ast.Not) else operator.neg(operand)
        if isinstance(node, ast.BinOp):
            return self.add(self.value(node.left), self.value(node.right))
        if isinstance(node, ast.Tuple):
            return tuple(self.value(item) for item in node.elts)
        if isinstance(node, ast.List):
            return [self.value(item) for item in node.elts]
        if isinstance(node, ast.IfExp):
            return self.value(node.body) if self.value(node.test) else self.value(node.orelse)
        if isinstance(node, ast.Call):
            return self.call(node.func.id, [self.value(arg) for arg in node.args])
        raise _Fallback()

    def variable(self, name: str) -> Any:
        if name in self.context:
            value = self.context[name]
        elif name in self.external:
            value = self.external[name]
        elif name in _WORKER_NAMES or len(name) > 200:
            # A builtin or function (not JSON data), or a name Python's message would shorten.
            raise _Fallback()
        else:
            raise NameError(f"name '{name}' is not defined")
        if id(value) not in self.checked:
            if not _plain(value, 0, [MAX_VALUE_ITEMS]):
                raise _Fallback()
            self.checked.add(id(value))
        return value

    def add(self, left: Any, right: Any) -> Any:
        if type(left) is str and type(right) is str:
            if len(left) + len(right) > MAX_CONCAT_CHARS:
                raise _Fallback()
        elif isinstance(left, (list, tuple, dict)) or isinstance(right, (list, tuple, dict)):
            # Concatenated lists could grow with the data; the worker has a memory limit.
            raise _Fallback()
        return operator.add(left, right)

    def call(self, name: str, args: list) -> Any:
        if name in self.context or name in self.external:
            raise _Fallback()
        try:
            functions = self.functions()
        except Exception:
            raise _Fallback() from None  # a calendar this process cannot build: the worker's says why
        # The worker binds its functions to the instant as it arrives in the request.
        bound = functions.bind(datetime.fromisoformat(self.now.isoformat()))
        return bound[name](*args)


def _plain(value: Any, depth: int, budget: list[int]) -> bool:
    """Whether `value` is JSON data that a JSON round trip leaves unchanged, within the limits."""
    budget[0] -= 1
    if budget[0] < 0 or depth > MAX_VALUE_DEPTH:
        return False
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return True
    if kind is int:
        return value.bit_length() <= 10_000
    if kind is float:
        return math.isfinite(value)
    if kind is list:
        return all(_plain(item, depth + 1, budget) for item in value)
    if kind is dict:
        return all(type(key) is str and _plain(item, depth + 1, budget) for key, item in value.items())
    return False
