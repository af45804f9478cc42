"""Throughput of a persisted two-task instance against bare SpiffWorkflow, measured in one run.

Bare: SpiffWorkflow runs the same BPMN in memory and serializes to JSON and back at each wait
state. PDW: the engine's services start the instance and complete both tasks, each in one
transaction on a real SQLite file (and PostgreSQL with --postgres). Also counts SQL
statements (transaction control excluded) and commits per instance on SQLite, and round trips
per instance on PostgreSQL.

    .venv/bin/python bench/engine_throughput.py [--instances 300] [--postgres URL]
"""
from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from sqlalchemy import create_engine, event
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState

from _support import postgres_schema

from engine.bootstrap import Config, build_engine
from engine.clock import Clock
from engine.persistence.migrate import upgrade
from engine.persistence.round_trips import counting
from engine.services import definitions, instances, tasks
from engine.services.users import SYSTEM, add_user

ROOT = Path(__file__).resolve().parent.parent
BPMN = ROOT / "tests" / "fixtures" / "bpmn" / "two_reviews.bpmn"
FORMS = ROOT / "tests" / "fixtures" / "forms"
APPLICATION = {"subject": "人口基础信息共享"}
DECISION = {"decision": "approve", "reason": "符合共享条件"}


def bare_round(n: int) -> float:
    """Instances per second of SpiffWorkflow alone, with a JSON round trip at each wait state."""
    parser = SpiffBpmnParser()
    parser.add_bpmn_file(str(BPMN))
    spec = parser.get_spec("two_reviews")
    subprocess_specs = parser.get_subprocess_specs("two_reviews")
    serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
    started = time.perf_counter()
    for _ in range(n):
        workflow = BpmnWorkflow(spec, subprocess_specs)
        for task in workflow.get_tasks(state=TaskState.READY):
            task.data.update(APPLICATION)
        workflow.do_engine_steps()
        state = serializer.serialize_json(workflow)
        for _ in range(2):
            workflow = serializer.deserialize_json(state)
            task = workflow.get_tasks(state=TaskState.READY, manual=True)[0]
            task.data.update(DECISION)
            task.run()
            workflow.do_engine_steps()
            state = serializer.serialize_json(workflow)
        assert workflow.is_completed()
    return n / (time.perf_counter() - started)


class SqlCounter:
    """Counts the statements SQLite executes for the engine (its own trace, so statements
    sent past SQLAlchemy count too) and the commits, transaction control excluded."""

    def __init__(self, sa_engine) -> None:
        self.statements = 0
        self.commits = 0
        self._last = None
        self._engine = sa_engine
        sa_engine.pool.dispose()
        event.listen(sa_engine, "connect", self._trace)
        event.listen(sa_engine, "commit", self._commit)

    def _trace(self, dbapi_connection, _record) -> None:
        dbapi_connection.set_trace_callback(self._statement)

    def _statement(self, statement: str) -> None:
        # SQLite reports a statement again for each trigger program it runs (with its bound
        # values expanded, so the repeat is identical); that is still one statement sent.
        if statement.startswith("--") or "_fts_" in statement:
            # SQLite's own work inside a statement (a full-text index updating its shadow
            # tables, reported with a "--" prefix or on its *_fts_* tables): nothing was sent.
            return
        repeat, self._last = statement == self._last, statement
        if not repeat and not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA")):
            self.statements += 1

    def _commit(self, conn) -> None:
        self.commits += 1

    def stop(self) -> None:
        """Detach, so the timed run pays nothing for counting."""
        event.remove(self._engine, "connect", self._trace)
        event.remove(self._engine, "commit", self._commit)
        self._engine.pool.dispose()


def pdw_engine(url: str):
    """An engine on `url` with the bench's users and process deployed, and `one()`, which runs
    one instance through it (start and both decisions)."""
    config = replace(Config(), database_url=url, forms_dir=FORMS)
    engine = build_engine(config, Clock(datetime.fromisoformat("2026-03-02T09:00:00+08:00")))
    upgrade(engine.db)
    add_user(engine.uow(), "bench_applicant", department="gaj", roles=["applicant"], actor=SYSTEM)
    add_user(engine.uow(), "bench_reviewer", department="sjj", roles=["reviewer", "supervisor"], actor=SYSTEM)
    definitions.deploy(engine.uow(), [(BPMN.name, BPMN.read_bytes())], actor=SYSTEM)

    def one() -> None:
        opened = instances.start(engine.uow(), "two_reviews", actor="bench_applicant", data=APPLICATION).opened_task_ids
        while opened:
            opened = tasks.complete(engine.uow(), opened[0], actor="bench_reviewer", data=DECISION)["opened_task_ids"]

    return engine, one


def side_by_side(n: int, url: str, rounds: int = 5) -> tuple[float, float, int | None, int | None]:
    """Best instances per second of bare SpiffWorkflow and of the engine, their rounds taken in
    turn so that a busy moment of the machine slows both alike; and per instance of the engine,
    statements and commits on SQLite, or round trips (and None) on PostgreSQL."""
    engine, one = pdw_engine(url)
    one()  # warm the spec cache and the sandbox
    if engine.db.is_sqlite:
        counter = SqlCounter(engine.db.write_engine)
        one()
        statements, commits = counter.statements, counter.commits
        counter.stop()
    else:
        one()  # the statements are prepared on the connection now
        with counting(engine.db.write_engine) as trips:
            one()
        statements, commits = trips.count, None
    bare_rates, rates = [], []
    for _ in range(rounds):
        bare_rates.append(bare_round(n))
        started = time.perf_counter()
        for _ in range(n):
            one()
        rates.append(n / (time.perf_counter() - started))
    engine.close()
    return max(bare_rates), max(rates), statements, commits


def postgres_floor(url: str, n: int = 300) -> tuple[float, float]:
    """What the server alone costs, in ms: a round trip that reads (SELECT 1), and one that
    writes a row and commits it durably (BEGIN; INSERT; COMMIT in one query string)."""
    engine = create_engine(url)
    try:
        with engine.connect() as c:
            driver = c.connection.driver_connection
            driver.commit()
            driver.autocommit = True
            driver.execute("CREATE TABLE bench_floor (x integer)")
            timings = []
            for sql in ("SELECT 1", "BEGIN; INSERT INTO bench_floor VALUES (1); COMMIT"):
                started = time.perf_counter()
                for _ in range(n):
                    driver.execute(sql)
                timings.append((time.perf_counter() - started) / n * 1000)
            driver.execute("DROP TABLE bench_floor")
            driver.autocommit = False
    finally:
        engine.dispose()
    return timings[0], timings[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=300, help="instances per round (best of 5 rounds)")
    parser.add_argument("--postgres", default=None, help="also measure on this PostgreSQL URL (in a private schema)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        bare_rate, sqlite_rate, statements, commits = side_by_side(args.instances, f"sqlite:///{tmp}/bench.sqlite3")
    print(f"bare SpiffWorkflow (JSON round trip at each wait state): {bare_rate:8.1f} instances/s")
    print(f"PDW on SQLite (start + 2 completions, 1 transaction each): {sqlite_rate:8.1f} instances/s")
    ratio = sqlite_rate / bare_rate
    print(f"ratio PDW/bare: {ratio:.2f} (target >= 0.45: {'met' if ratio >= 0.45 else 'NOT met'})")
    print(f"per instance: {statements} SQL statements (target <= 22: {'met' if statements <= 22 else 'NOT met'}), "
          f"{commits} commits (target <= 3: {'met' if commits <= 3 else 'NOT met'})")
    if args.postgres:
        with postgres_schema(args.postgres, "pdw_bench_throughput") as url:
            pg_bare_rate, pg_rate, round_trips, _ = side_by_side(args.instances, url)
            read_ms, commit_ms = postgres_floor(url)
        pg_ratio = pg_rate / pg_bare_rate
        print(f"PDW on PostgreSQL: {pg_rate:8.1f} instances/s, ratio {pg_ratio:.2f} "
              f"(target >= 0.35: {'met' if pg_ratio >= 0.35 else 'NOT met'}), {round_trips} round trips per instance")
        # Each of the three steps must read its state before deciding and commit durably after:
        # what that alone costs on this server, beside what PDW spends per instance.
        floor = 3 * (read_ms + commit_ms)
        print(f"  this server: a read round trip {read_ms:.3f} ms, a durable one-row commit {commit_ms:.3f} ms; "
              f"3 steps cannot cost less than {floor:.2f} ms; per instance PDW takes {1000 / pg_rate:.2f} ms on "
              f"PostgreSQL, {1000 / sqlite_rate:.2f} ms on SQLite, and bare SpiffWorkflow {1000 / pg_bare_rate:.2f} ms")


if __name__ == "__main__":
    main()
