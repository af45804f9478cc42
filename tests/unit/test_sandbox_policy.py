"""The static policy: every forbidden construct is refused, with its line, before anything runs."""
from __future__ import annotations

import pytest

from engine.sandbox import Violation, check_script
from engine.sandbox.policy import MAX_SOURCE_BYTES

HOSTILE = [
    ("import os", 1, "import is not allowed in scripts"),
    ("x = 1\nfrom os import path", 2, "import is not allowed in scripts"),
    ("__import__('os')", 1, "'__import__' is not allowed in scripts"),
    ("().__class__.__bases__[0].__subclasses__()", 1,
     "attribute '__class__' is not allowed (names starting with '_' are private)"),
    ("open('/etc/passwd')", 1, "'open' is not allowed in scripts"),
    ("getattr(x, '__globals__')", 1, "'getattr' is not allowed in scripts"),
    ("eval('1')", 1, "'eval' is not allowed in scripts"),
    ("exec('x=1')", 1, "'exec' is not allowed in scripts"),
    ("compile('1', 's', 'eval')", 1, "'compile' is not allowed in scripts"),
    ("s = '{0.__class__}'.format(1)", 1, "str.format is not allowed in scripts"),
    ("s = '{a}'.format_map(d)", 1, "str.format_map is not allowed in scripts"),
    ("globals()", 1, "'globals' is not allowed in scripts"),
    ("f = lambda: (yield)", 1, "yield is not allowed in scripts"),
    ("class A: pass", 1, "class definitions are not allowed in scripts"),
    ("type(x)", 1, "'type' is not allowed in scripts"),
    ("[c for c in ().__class__.__mro__]", 1, "attribute '__mro__' is not allowed"),
    ("b = __builtins__", 1, "name '__builtins__' is not allowed (names starting with '_' are private)"),
    ("y = x._private", 1, "attribute '_private' is not allowed (names starting with '_' are private)"),
    ("def f():\n    global x\n    x = 1", 2, "'global' is not allowed in scripts"),
    ("async def f():\n    pass", 1, "async functions are not allowed in scripts"),
    ("g = (i for i in [1])\nf = g.gi_frame", 2, "attribute 'gi_frame' is not allowed"),
    ("match x:\n    case str(__class__=c):\n        pass", 2, "attribute '__class__' is not allowed"),
    ("vars()", 1, "'vars' is not allowed in scripts"),
    ("ｅval('1')", 1, "'eval' is not allowed in scripts"),  # identifiers are NFKC-normalised
    ("(f := __import__)", 1, "'__import__' is not allowed in scripts"),
    ("s = f'{x.__class__}'", 1, "attribute '__class__' is not allowed"),
    ("x: __import__('os') = 1", 1, "'__import__' is not allowed in scripts"),
    ("try:\n    pass\nexcept Exception as _e:\n    pass", 3, "name '_e' is not allowed"),
    ("breakpoint()", 1, "'breakpoint' is not allowed in scripts"),
]


@pytest.mark.parametrize(("source", "line", "message"), HOSTILE, ids=[case[0] for case in HOSTILE])
def test_a_hostile_script_is_refused_at_its_line(source, line, message):
    violations = check_script(source)
    assert violations, source
    assert any(v.line == line and v.message.startswith(message) for v in violations), violations


def test_an_ordinary_script_passes():
    source = (
        "total = sum(item['amount'] for item in items)\n"
        "names = sorted({i['name'].strip().lower() for i in items})\n"
        "reply_by = working_days_after(receipt_date, 5)\n"
        "label = f'{len(names)} items'\n"
        "for _ in range(3):\n"
        "    total = total + 1\n"
        "try:\n"
        "    ratio = total / count\n"
        "except ZeroDivisionError:\n"
        "    ratio = 0\n"
    )
    assert check_script(source) == []


def test_every_violation_is_reported_in_source_order():
    violations = check_script("import os\nx = 1\ny = a.__dict__\nclass B: pass\nz = eval('1')")
    assert [str(v) for v in violations] == [
        "line 1: import is not allowed in scripts",
        "line 3: attribute '__dict__' is not allowed (names starting with '_' are private)",
        "line 4: class definitions are not allowed in scripts",
        "line 5: 'eval' is not allowed in scripts",
    ]


def test_a_violation_has_its_line_and_column():
    assert check_script("x = 1\ny = x.__class__") == [
        Violation(2, 7, "attribute '__class__' is not allowed (names starting with '_' are private)")]


def test_an_expression_is_checked_in_eval_mode():
    assert check_script("y > 5 and decision == 'approve'", mode="eval") == []
    assert [v.message for v in check_script("x = 1", mode="eval")][0].startswith("syntax error")


def test_a_syntax_error_becomes_a_violation_with_its_line():
    [violation] = check_script("x = 1\ny = (\n")
    assert violation.line == 2
    assert violation.message.startswith("syntax error: ")


def test_a_source_over_64_kib_is_refused():
    [violation] = check_script("x = 1\n" * (MAX_SOURCE_BYTES // 6 + 1))
    assert "the limit is 65,536" in violation.message


def test_a_deeply_nested_source_is_refused_without_crashing_the_checker():
    [violation] = check_script("-" * 30000 + "1", mode="eval")
    assert violation.line == 1


def test_an_unknown_mode_is_a_programming_error():
    with pytest.raises(ValueError, match="mode"):
        check_script("1", mode="single")
