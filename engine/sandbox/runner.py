"""The server's side of the sandbox: one worker process, asked over pipes, with a wall clock.

The server never runs designer code itself. `Sandbox` checks the policy, sends the code and
its variables to the worker, and waits at most `time_limit` seconds for the answer; a worker
that overruns is killed and a fresh one starts on the next call.
"""
from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime
from functools import lru_cache
from typing import Any

from engine.calendar import WorkingCalendar, load_rules
from engine.calendar.arrangements import Arrangement
from engine.sandbox.errors import ScriptError
from engine.sandbox.functions import ScriptFunctions
from engine.sandbox.policy import Violation, check_script
from engine.sandbox.protocol import HEADER, MAX_FRAME_BYTES, FrameTooLarge, decode, encode

WORKER_MODULE = "engine.sandbox.worker"
STARTUP_TIMEOUT = 30.0
MIN_MEMORY_MB = 64
# Not a PDW setting: the process's time zone, passed on so the worker's local time agrees with
# the server's. The worker's settings travel as arguments.
PASSED_ENVIRONMENT = ("TZ",)


class Sandbox:
    """Runs untrusted scripts and expressions in a separate, resource-limited worker process.

    Thread-safe: callers share one worker, one request at a time. Start is lazy; `close()`
    (or leaving a `with` block) stops the worker.

    Args:
        time_limit: wall-clock seconds one script may run.
        memory_limit_mb: the worker's address-space limit (RLIMIT_AS), at least 64.
        python: the interpreter to start the worker with; sys.executable when None.
        arrangements: the holiday arrangements the worker counts by (as
            `Arrangement.to_dict()` gives them), so its calendar is the server's; None for the
            shipped files. `use_arrangements` changes them.
    """

    def __init__(self, time_limit: float = 2.0, memory_limit_mb: int = 512, *, python: str | None = None,
                 arrangements: list[dict] | None = None) -> None:
        if not time_limit > 0:
            raise ValueError("time_limit must be a positive number of seconds")
        if memory_limit_mb < MIN_MEMORY_MB:
            raise ValueError(f"memory_limit_mb must be at least {MIN_MEMORY_MB}")
        self.time_limit = float(time_limit)
        self.memory_limit_mb = int(memory_limit_mb)
        self._python = python or sys.executable
        self._arrangements = arrangements
        self._lock = threading.Lock()
        self._process: subprocess.Popen | None = None
        self._owner_pid = os.getpid()
        self._buffer = bytearray()
        # The script functions over the worker's calendar, for expressions evaluated in this
        # process, with the arrangements they were built from.
        self._functions: tuple[list[dict] | None, ScriptFunctions] | None = None

    def __enter__(self) -> "Sandbox":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    @property
    def worker_pid(self) -> int | None:
        """The process id of the running worker, None before it starts or after it stops."""
        process = self._process
        return process.pid if process is not None else None

    def evaluate(self, expression: str, context: dict, now: datetime, *, external: dict | None = None) -> Any:
        """The value of `expression` over the variables in `context`.

        Args:
            expression: an untrusted Python expression (a condition, a timer, ...).
            context: the task data, JSON data keyed by variable name.
            now: the engine's current instant (timezone-aware), what now() and today() return.
            external: further read-only variables (JSON data), shadowed by `context`.

        Returns:
            The value, JSON data.

        Raises:
            ScriptError: the expression is refused by the policy, fails, overruns the time or
                memory limit, kills the worker, or its value is not JSON data.
        """
        return self._run("eval", expression, context, now, external)["result"]

    def execute(self, script: str, context: dict, now: datetime, *, external: dict | None = None) -> dict:
        """Run `script` over the variables in `context`; return the variables afterwards.

        `context` itself is not changed. Functions the script defines are left out of the
        result, and so are `external` variables the task data does not hold.

        Raises:
            ScriptError: as for `evaluate`, or a variable is not JSON data.
        """
        return self._run("exec", script, context, now, external)["context"]

    def use_arrangements(self, arrangements: list[dict] | None) -> None:
        """Count by `arrangements` from the next script on: a worker started with others is
        stopped, and the next call starts one with these (the worker reads its calendar once)."""
        with self._lock:
            if arrangements == self._arrangements:
                return
            self._arrangements = arrangements
            self._stop(gently=True)

    def script_functions(self) -> ScriptFunctions:
        """The functions scripts call, counting by the calendar the worker counts by (built as the
        worker builds it, again when `use_arrangements` changes it), for use in this process."""
        arrangements, cached = self._arrangements, self._functions
        if cached is None or cached[0] is not arrangements:
            if arrangements is None:
                calendar = WorkingCalendar.load()
            else:
                calendar = WorkingCalendar({a["year"]: Arrangement.from_dict(a) for a in arrangements})
            cached = self._functions = (arrangements, ScriptFunctions(calendar, load_rules()))
        return cached[1]

    def close(self) -> None:
        """Stop the worker (it exits when its stdin closes; it is killed if it does not)."""
        with self._lock:
            self._stop(gently=True)

    def _run(self, op: str, source: str, context: dict, now: datetime, external: dict | None) -> dict:
        if not isinstance(source, str):
            raise ScriptError(f"the script must be text, not {type(source).__name__}")
        violations = _check(source, "eval" if op == "eval" else "exec")
        if violations:
            first = violations[0]
            more = f" (and {len(violations) - 1} more)" if len(violations) > 1 else ""
            raise ScriptError(first.message + more, line=first.line)
        if now.tzinfo is None:
            raise ValueError("now must be a timezone-aware datetime")
        if "__builtins__" in context:
            raise ScriptError("the variable name '__builtins__' is reserved")
        request = {"op": op, "source": source, "context": context, "external": external or {},
                   "now": now.isoformat()}
        frame = _encode_request(request)
        with self._lock:
            reply = self._exchange(frame)
        if not reply.get("ok"):
            raise ScriptError(str(reply.get("error")), line=reply.get("line"))
        return reply

    def _exchange(self, frame: bytes) -> dict:
        timeout_message = f"script ran longer than {self.time_limit} s and was stopped"
        try:
            return self._attempt(frame, timeout_message)
        except _WorkerDied as died:
            # Scripts have no effects outside their reply, so running one again is safe. The
            # worker may have died before it read the request (killed from outside while idle).
            if died.status == -signal.SIGXCPU:
                raise ScriptError(timeout_message) from None
        try:
            return self._attempt(frame, timeout_message)
        except _WorkerDied as died:
            raise self._death_error(died.status) from None

    def _attempt(self, frame: bytes, timeout_message: str) -> dict:
        self._start()
        try:
            self._write(frame)
        except BrokenPipeError:
            raise self._died() from None
        return self._read(self.time_limit, timeout_message)

    def _start(self) -> None:
        if self._owner_pid != os.getpid():
            # A forked server process must not share its parent's worker pipes.
            self._process, self._owner_pid = None, os.getpid()
        if self._process is not None:
            return
        env = {name: os.environ[name] for name in PASSED_ENVIRONMENT if name in os.environ}
        command = [self._python, "-I", "-m", WORKER_MODULE,
                   "--memory-mb", str(self.memory_limit_mb), "--time-limit", str(self.time_limit)]
        if self._arrangements is not None:
            command += ["--arrangements-stdin"]
        self._buffer.clear()
        self._process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0, env=env, close_fds=True,
        )
        try:
            if self._arrangements is not None:
                try:
                    self._write(encode({"arrangements": self._arrangements}))
                except BrokenPipeError:
                    pass  # the worker died at start: reading its greeting says so
            hello = self._read(STARTUP_TIMEOUT, timeout_message="the script worker did not start in time")
        except _WorkerDied as died:
            raise RuntimeError(f"the script worker exited at start (exit status {died.status})") from None
        if not hello.get("ready"):
            self._stop(gently=False)
            raise RuntimeError(f"the script worker did not start: {hello.get('error')}")

    def _write(self, frame: bytes) -> None:
        fd = self._process.stdin.fileno()
        view = memoryview(frame)
        while view:
            view = view[os.write(fd, view):]

    def _read(self, timeout: float, timeout_message: str) -> dict:
        fd = self._process.stdout.fileno()
        deadline = time.monotonic() + timeout
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        needed = HEADER.size
        while True:
            if len(self._buffer) >= HEADER.size:
                (length,) = HEADER.unpack_from(self._buffer)
                if length > MAX_FRAME_BYTES:
                    self._stop(gently=False)
                    raise ScriptError(f"the script worker sent {length:,} bytes; the limit is {MAX_FRAME_BYTES:,}")
                needed = HEADER.size + length
                if len(self._buffer) >= needed:
                    body = bytes(self._buffer[HEADER.size:needed])
                    del self._buffer[:needed]
                    try:
                        reply = decode(body)
                    except (ValueError, RecursionError):
                        reply = None
                    if not isinstance(reply, dict):
                        self._stop(gently=False)
                        raise ScriptError("the script worker sent a malformed reply and was restarted")
                    return reply
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not poller.poll(remaining * 1000):
                self._stop(gently=False)
                raise ScriptError(timeout_message)
            chunk = os.read(fd, max(65536, needed - len(self._buffer)))
            if not chunk:
                raise self._died()
            self._buffer += chunk

    def _died(self) -> "_WorkerDied":
        process = self._process
        self._stop(gently=False)
        return _WorkerDied(process.returncode)

    def _death_error(self, status: int) -> ScriptError:
        if status == -signal.SIGXCPU:
            return ScriptError(f"script ran longer than {self.time_limit} s and was stopped")
        if status == -signal.SIGKILL:
            return ScriptError("the script worker was killed (out of memory?) and will be restarted")
        return ScriptError(f"the script worker stopped unexpectedly (exit status {status}) and will be restarted")

    def _stop(self, gently: bool) -> None:
        process, self._process = self._process, None
        self._buffer.clear()
        if process is None:
            return
        if gently:
            process.stdin.close()
            try:
                process.wait(timeout=1.0)
            except subprocess.TimeoutExpired:
                pass
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stdout.close()
        if not process.stdin.closed:
            try:
                process.stdin.close()
            except BrokenPipeError:
                pass


class _WorkerDied(Exception):
    """The worker's stdout closed: it exited or was killed."""

    def __init__(self, status: int | None) -> None:
        super().__init__(status)
        self.status = status


@lru_cache(maxsize=256)
def _cached_check(source: str, mode: str) -> tuple[Violation, ...]:
    return tuple(check_script(source, mode))


def _check(source: str, mode: str) -> tuple[Violation, ...]:
    # Gateways evaluate the same few conditions over and over; remember their verdicts.
    return _cached_check(source, mode) if len(source) <= 4096 else tuple(check_script(source, mode))


def _encode_request(request: dict) -> bytes:
    try:
        return encode(request)
    except FrameTooLarge as exc:
        raise ScriptError(f"the variables are too large to pass to a script ({exc})") from None
    except (TypeError, ValueError, RecursionError):
        for field in ("context", "external"):
            for name, value in (request[field] or {}).items():
                try:
                    json.dumps(value, allow_nan=False, ensure_ascii=False).encode("utf-8")
                except UnicodeEncodeError:
                    raise ScriptError(f"variable '{name}' holds text that is not valid Unicode") from None
                except (TypeError, ValueError, RecursionError) as exc:
                    raise ScriptError(f"variable '{name}' is not JSON data ({exc})") from None
        raise
