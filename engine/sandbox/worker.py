"""The script worker: runs untrusted scripts for the server, in a process with resource limits.

Started by `Sandbox` as `python -I -m engine.sandbox.worker --memory-mb N --time-limit S
[--arrangements-stdin]`.
It loads the calendar (from the shipped files, or with --arrangements-stdin from a first frame
`{"arrangements": [...]}`: the server's), limits its own memory, files and CPU, moves to an
empty directory and then answers framed JSON requests on stdin/stdout (see `protocol`) until
stdin closes:

    {"op": "eval"|"exec", "source": str, "context": {...}, "external": {...}, "now": ISO}
    -> {"ok": true, "result": ...} | {"ok": true, "context": {...}}
    -> {"ok": false, "error": "ZeroDivisionError: division by zero", "line": 3}
"""
from __future__ import annotations

import argparse
import builtins
import os
import resource
import sys
import tempfile
import types
from datetime import date, datetime

from engine.calendar import WorkingCalendar, load_rules
from engine.calendar.arrangements import Arrangement
from engine.sandbox.errors import describe
from engine.sandbox.functions import ScriptFunctions
from engine.sandbox.policy import SAFE_BUILTIN_NAMES, check_script
from engine.sandbox.protocol import FrameTooLarge, encode, json_problem, read_frame

SCRIPT_FILE = "<script>"
CODE_CACHE_SIZE = 256

SAFE_BUILTINS = {name: getattr(builtins, name) for name in SAFE_BUILTIN_NAMES}

_SKIPPED_TYPES = (types.FunctionType, types.BuiltinFunctionType, types.ModuleType, types.MethodType)


class Worker:
    """Answers requests: re-checks the policy, compiles, runs with safe builtins, checks the result."""

    def __init__(self, functions: ScriptFunctions, memory_mb: int, time_limit: float) -> None:
        self.functions = functions
        self.memory_mb = memory_mb
        self.time_limit = time_limit
        self._code: dict[tuple[str, str], types.CodeType] = {}

    def handle(self, request: dict) -> dict:
        """The reply to one request."""
        mode = "eval" if request.get("op") == "eval" else "exec"
        source = request["source"]
        context = request.get("context") or {}
        external = request.get("external") or {}
        code = self._compile(source, mode)
        if isinstance(code, dict):
            return code
        namespace = {**external, **context}
        namespace["__builtins__"] = {**SAFE_BUILTINS, **self.functions.bind(datetime.fromisoformat(request["now"]))}
        self._limit_cpu()
        try:
            result = eval(code, namespace)
        except MemoryError as exc:
            return _failure(f"script exceeded the memory limit ({self.memory_mb} MiB)", exc)
        except RecursionError as exc:
            return _failure("RecursionError: maximum recursion depth exceeded", exc)
        except Exception as exc:
            return _failure(describe(exc), exc)
        if mode == "eval":
            problem = json_problem(result)
            if problem:
                return {"ok": False, "error": f"the expression's value is not JSON data ({problem})"}
            return {"ok": True, "result": result}
        variables = {}
        for name, value in namespace.items():
            if name in external and name not in context:
                continue
            if name.startswith("__") and name not in context:
                # Made by Python, not the script (which may not name it): __builtins__, __annotations__.
                continue
            if isinstance(value, _SKIPPED_TYPES):
                continue
            problem = json_problem(value)
            if problem:
                return {"ok": False, "error": f"variable '{name}' is not JSON data ({problem})"}
            variables[name] = value
        return {"ok": True, "context": variables}

    def _compile(self, source: str, mode: str) -> types.CodeType | dict:
        key = (mode, source)
        code = self._code.get(key)
        if code is None:
            violations = check_script(source, mode)
            if violations:
                return {"ok": False, "error": violations[0].message, "line": violations[0].line}
            try:
                code = compile(source, SCRIPT_FILE, mode, dont_inherit=True)
            except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
                return {"ok": False, "error": f"cannot compile the script: {exc}"}
            if len(self._code) >= CODE_CACHE_SIZE:
                self._code.pop(next(iter(self._code)))
            self._code[key] = code
        return code

    def _limit_cpu(self) -> None:
        # A backstop for the server's wall-clock timeout: if the server dies mid-script,
        # the kernel still stops a busy loop (SIGXCPU) instead of leaving an orphan spinning.
        usage = resource.getrusage(resource.RUSAGE_SELF)
        used = usage.ru_utime + usage.ru_stime
        _, hard = resource.getrlimit(resource.RLIMIT_CPU)
        soft = int(used + self.time_limit) + 2
        if hard != resource.RLIM_INFINITY:
            soft = min(soft, hard)
        resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def _failure(message: str, exc: BaseException) -> dict:
    reply = {"ok": False, "error": message}
    line = _script_line(exc)
    if line:
        reply["line"] = line
    return reply


def _script_line(exc: BaseException) -> int | None:
    # Walk the traceback by hand: traceback.extract_tb would open source files, and the
    # worker may no longer open files.
    line = None
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == SCRIPT_FILE:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _limit_resources(memory_mb: int) -> None:
    memory = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    # No new descriptors at all: everything the worker needs is open by now.
    highest = max(int(fd) for fd in os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else 8
    resource.setrlimit(resource.RLIMIT_NOFILE, (highest + 1, highest + 1))
    # No forking (the kernel does not apply this to root).
    resource.setrlimit(resource.RLIMIT_NPROC, (0, 0))


def _take_stdio():
    """Keep private copies of stdin/stdout for frames; point fds 0 and 1 away from them."""
    reader = os.fdopen(os.dup(0), "rb")
    writer = os.fdopen(os.dup(1), "wb")
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(2, 1)
    os.close(devnull)
    return reader, writer


def _send(writer, message: dict) -> None:
    try:
        frame = encode(message)
    except FrameTooLarge as exc:
        frame = encode({"ok": False, "error": f"the script's result is too large ({exc})"})
    except (UnicodeError, ValueError, TypeError) as exc:
        # The reply cannot be framed (text that is not valid Unicode): say so instead of dying.
        frame = encode({"ok": False, "error": f"the script's result cannot be sent back ({type(exc).__name__})"})
    writer.write(frame)
    writer.flush()


def main(argv: list[str] | None = None) -> int:
    """Start the worker and serve until stdin closes."""
    parser = argparse.ArgumentParser(prog="engine.sandbox.worker")
    parser.add_argument("--memory-mb", type=int, default=512)
    parser.add_argument("--time-limit", type=float, default=2.0)
    parser.add_argument("--arrangements-stdin", action="store_true")
    args = parser.parse_args(argv)
    reader, writer = _take_stdio()
    try:
        if args.arrangements_stdin:
            given = read_frame(reader)["arrangements"]
            calendar = WorkingCalendar({a["year"]: Arrangement.from_dict(a) for a in given})
        else:
            calendar = WorkingCalendar.load()
        rules = load_rules()
        # Build a few years now, so nothing is imported or read after the limits are set.
        this_year = date.today().year
        for year in range(this_year - 1, this_year + 3):
            calendar.add_working_days(date(year, 1, 1), 1)
        worker = Worker(ScriptFunctions(calendar, rules), args.memory_mb, args.time_limit)
        workdir = tempfile.mkdtemp(prefix="pdw-sandbox-")
        os.chdir(workdir)
        os.rmdir(workdir)
        _limit_resources(args.memory_mb)
    except Exception as exc:
        _send(writer, {"ok": False, "error": f"worker failed to start: {type(exc).__name__}: {exc}"})
        return 1
    _send(writer, {"ok": True, "ready": True, "pid": os.getpid()})
    while True:
        try:
            request = read_frame(reader)
        except (EOFError, FrameTooLarge, ValueError) as exc:
            _send(writer, {"ok": False, "error": f"bad request: {exc}"})
            return 1
        if request is None:
            return 0
        try:
            reply = worker.handle(request)
        except MemoryError:
            reply = {"ok": False, "error": f"script exceeded the memory limit ({args.memory_mb} MiB)"}
        try:
            _send(writer, reply)
        except MemoryError:
            _send(writer, {"ok": False, "error": f"script exceeded the memory limit ({args.memory_mb} MiB)"})


if __name__ == "__main__":
    sys.exit(main())
