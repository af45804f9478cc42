"""The static check every designer script and expression passes before it is deployed or run.

Scripts come from BPMN uploaded through a browser, so they are untrusted. The check refuses
what could reach outside the script: imports, private and dunder names, introspection
builtins, format strings (they read attributes), classes, generators and async code. It is
an allow-list for attributes: only the methods of JSON-like values may be called.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, field

MAX_SOURCE_BYTES = 64 * 1024

FORBIDDEN_NAMES = frozenset({
    "__import__", "breakpoint", "compile", "delattr", "dir", "eval", "exec", "exit", "getattr",
    "globals", "hasattr", "help", "input", "locals", "memoryview", "object", "open", "quit",
    "setattr", "super", "type", "vars",
})

# The builtins a script may use (the worker offers these and nothing else of Python's).
SAFE_BUILTIN_NAMES = (
    "len", "min", "max", "sum", "abs", "round", "sorted", "reversed", "str", "int", "float",
    "bool", "list", "dict", "set", "tuple", "range", "enumerate", "zip", "any", "all",
    "isinstance", "True", "False", "None", "ValueError", "KeyError", "TypeError", "Exception",
)

# The public methods and properties of str, int, float, bool, list, dict, tuple, set, range and
# exceptions, less format/format_map (they reach attributes through the format string) and
# the few that only lead to bytes or tracebacks. Frame and code attributes (gi_frame, f_back,
# tb_frame, co_code, ...) are therefore out too: they would lead back to the worker's globals.
ALLOWED_ATTRIBUTES = frozenset({
    "add", "append", "args", "as_integer_ratio", "bit_count", "bit_length", "capitalize",
    "casefold", "center", "clear", "conjugate", "copy", "count", "denominator", "difference",
    "difference_update", "discard", "endswith", "expandtabs", "extend", "find", "fromhex",
    "fromkeys", "get", "hex", "imag", "index", "insert", "intersection", "intersection_update",
    "is_integer", "isalnum", "isalpha", "isascii", "isdecimal", "isdigit", "isdisjoint",
    "isidentifier", "islower", "isnumeric", "isprintable", "isspace", "issubset", "issuperset",
    "istitle", "isupper", "items", "join", "keys", "ljust", "lower", "lstrip", "maketrans",
    "numerator", "partition", "pop", "popitem", "real", "remove", "removeprefix", "removesuffix",
    "replace", "reverse", "rfind", "rindex", "rjust", "rpartition", "rsplit", "rstrip",
    "setdefault", "sort", "split", "splitlines", "start", "startswith", "step", "stop", "strip",
    "swapcase", "symmetric_difference", "symmetric_difference_update", "title", "translate",
    "union", "update", "upper", "values", "zfill",
})

# Each refusal in English and Chinese: the designer reads it in the session's language.
_REFUSED_NODES: dict[type, tuple[str, str]] = {
    ast.Import: ("import is not allowed in scripts", "脚本中不允许 import"),
    ast.ImportFrom: ("import is not allowed in scripts", "脚本中不允许 import"),
    ast.ClassDef: ("class definitions are not allowed in scripts", "脚本中不允许定义类"),
    ast.Global: ("'global' is not allowed in scripts", "脚本中不允许 global"),
    ast.Nonlocal: ("'nonlocal' is not allowed in scripts", "脚本中不允许 nonlocal"),
    ast.Yield: ("yield is not allowed in scripts", "脚本中不允许 yield"),
    ast.YieldFrom: ("yield is not allowed in scripts", "脚本中不允许 yield"),
    ast.Await: ("await is not allowed in scripts", "脚本中不允许 await"),
    ast.AsyncFunctionDef: ("async functions are not allowed in scripts", "脚本中不允许异步函数"),
    ast.AsyncFor: ("async for is not allowed in scripts", "脚本中不允许 async for"),
    ast.AsyncWith: ("async with is not allowed in scripts", "脚本中不允许 async with"),
}


@dataclass(frozen=True)
class Violation:
    """One refused construct: where it is (line and 1-based column) and what it is."""

    line: int
    column: int
    message: str
    # The same in Chinese, for the designer's page (not part of what makes two violations equal).
    message_zh: str = field(default="", compare=False)

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


def check_script(source: str, mode: str = "exec") -> list[Violation]:
    """Check an untrusted script (mode "exec") or expression (mode "eval") against the policy.

    Args:
        source: the designer's code.
        mode: "exec" for script tasks and pre/post scripts, "eval" for conditions and timers.

    Returns:
        Every violation, in source order; empty when the code may run.

    Raises:
        ValueError: mode is neither "exec" nor "eval".
    """
    if mode not in ("exec", "eval"):
        raise ValueError(f"mode must be 'exec' or 'eval', not {mode!r}")
    size = len(source.encode("utf-8", "surrogatepass"))
    if size > MAX_SOURCE_BYTES:
        return [Violation(1, 1, f"script is {size:,} bytes; the limit is {MAX_SOURCE_BYTES:,}",
                          f"脚本有 {size:,} 字节，上限为 {MAX_SOURCE_BYTES:,} 字节")]
    try:
        tree = ast.parse(source, mode=mode)
    except SyntaxError as err:
        return [Violation(err.lineno or 1, err.offset or 1, f"syntax error: {err.msg}", f"语法错误：{err.msg}")]
    except ValueError as err:
        return [Violation(1, 1, f"syntax error: {err}", f"语法错误：{err}")]
    except (RecursionError, MemoryError):
        return [Violation(1, 1, "script is nested too deeply", "脚本嵌套层数过多")]
    found = {_violation(node, *messages) for node, *messages in _problems(tree)}
    return sorted(found, key=lambda v: (v.line, v.column, v.message))


def _problems(tree: ast.AST):
    # ast.walk is iterative, so a deeply nested (but parseable) tree cannot exhaust the stack.
    for node in ast.walk(tree):
        refused = _REFUSED_NODES.get(type(node))
        if refused:
            yield node, *refused
        if isinstance(node, ast.Name):
            yield from _name(node, node.id)
        elif isinstance(node, ast.Attribute):
            yield from _attribute(node, node.attr)
        elif isinstance(node, ast.FunctionDef):
            yield from _name(node, node.name)
        elif isinstance(node, ast.arg):
            yield from _name(node, node.arg)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            yield from _name(node, node.name)
        elif isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name:
            yield from _name(node, node.name)
        elif isinstance(node, ast.MatchMapping) and node.rest:
            yield from _name(node, node.rest)
        elif isinstance(node, ast.MatchClass):
            # Keyword patterns read attributes: case str(__class__=c) is getattr in disguise.
            for attr in node.kwd_attrs:
                yield from _attribute(node, attr)
        elif isinstance(node, ast.comprehension) and node.is_async:
            yield node.target, "async comprehensions are not allowed in scripts", "脚本中不允许异步推导式"


def _name(node: ast.AST, name: str):
    if name in FORBIDDEN_NAMES:
        yield node, f"'{name}' is not allowed in scripts", f"脚本中不允许使用「{name}」"
    elif name.startswith("_") and name != "_":
        yield (node, f"name '{name}' is not allowed (names starting with '_' are private)",
                     f"不允许使用名称「{name}」（以 _ 开头的名称是私有的）")


def _attribute(node: ast.AST, attr: str):
    if attr.startswith("_"):
        yield (node, f"attribute '{attr}' is not allowed (names starting with '_' are private)",
                     f"不允许使用属性「{attr}」（以 _ 开头的名称是私有的）")
    elif attr in ("format", "format_map"):
        yield (node, f"str.{attr} is not allowed in scripts (format strings can read attributes); use an f-string",
                     f"脚本中不允许 str.{attr}（格式字符串可读取属性），请改用 f-string")
    elif attr not in ALLOWED_ATTRIBUTES:
        yield (node, f"attribute '{attr}' is not allowed (scripts may use only the methods of "
                     "str, int, float, list, dict, set and tuple)",
                     f"不允许使用属性「{attr}」（脚本只能使用 str、int、float、list、dict、set 和 tuple 的方法）")


def _violation(node: ast.AST, message: str, message_zh: str) -> Violation:
    column = getattr(node, "col_offset", 0) + 1
    if isinstance(node, ast.Attribute) and node.end_lineno == node.lineno:
        # Point at the attribute itself: a chain's nodes all start where the chain starts.
        column = node.end_col_offset - len(node.attr) + 1
    return Violation(getattr(node, "lineno", 1), column, message, message_zh)
