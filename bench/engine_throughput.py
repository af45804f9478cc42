"""Throughput of PDW against fair baselines, measured side by side in one interleaved run.

Workloads, each a whole application:
- two_reviews (the tests' fixture): start, then two decisions, through the engine's services;
- conditional_share (a shipped procedure, catalog item GA-001), through the API's use cases as
  the API calls them: each request authenticates its bearer token, then applies (instances.start),
  claims the review (tasks.claim) or decides it (tasks.complete).

Baselines, each on the workload's own BPMN model, parsed by SpiffWorkflow's own parser
(SpiffBpmnParser) and stored by its own serializer, with nothing of PDW imported:
- bare: SpiffWorkflow in memory, serializing to JSON and back at each wait state;
- fair (PostgreSQL and SQLite): the same, storing the JSON in one row, and at each step reading it
  under a lock and committing durably (the least any durable engine must do). On PostgreSQL it
  sends its BEGIN, read, write and COMMIT in psycopg's pipeline mode: one round trip to start,
  two per decision.
Both drive the path PDW's workload drives: two_reviews starts and takes two decisions;
conditional_share starts with SHARE_APPLICATION (GA-001 is conditionally shared, so it waits at
the review) and takes one decision, SHARE_APPROVAL (claiming has no engine step in bare Spiff).

conditional_share needs what PDW's engine gives it; its baseline gets the cheapest stand-in that
still runs every element on the path (ShareEnvironment, Spiff's own in-process TaskDataEnvironment
with no sandbox, so the baseline stays a lower bound of the cost):
- `deadline_at(rule, receipt_date)`, the review's boundary timer (timeDate): returns one fixed
  instant, 24:00 Beijing time seven days after the bench started (a working week's deadline,
  in the future, so Spiff's timer, which reads the system clock, waits as PDW's does);
- service task `pdw.catalog_item` (lookup_item): returns fixed JSON with only the catalog
  attributes the model reads: share_attribute (the gateway, "有条件共享" as GA-001's is),
  share_basis (the refusal script) and source_unit (a candidate group, which only PDW
  evaluates), as in the demo catalog;
- service task `pdw.record_grant` (grant): returns {"grant_id": 1}, writing nothing;
- the data PDW adds at the start that the model's expressions read: receipt_date (the bench's
  day), applicant and applicant_department (the grant's grantee); receipt_number and
  competent_department are not added (only PDW's candidate groups read the latter, and bare
  Spiff evaluates no candidate groups, forms or statutory clock).
Spiff's own serializer stores the spec with each state (PDW stores it once per version): the
JSON per step and the spec's part of it are printed, as that part is work PDW does not do, so
it makes both baselines slower than a durable engine that kept the spec apart need be.

Rounds alternate between the contenders so that a busy moment of the machine slows all alike;
each figure is the best round. Printed: instances per second, ratios against the targets, round
trips per step on PostgreSQL, statements and commits per instance on SQLite, throughput with
1, 2, 4 and 8 worker processes on PostgreSQL (with, for each, the CPU an instance cost the
workers and the whole machine, and how often a backend in a transaction waited for another's
lock), what this machine's CPU costs cold (bare SpiffWorkflow after a pause against back to back),
and where PDW's time goes: its profile by bucket,
and on PostgreSQL the CPU one instance costs this process and the server's backends (read from
/proc when the server runs on this machine), against the fair baseline's. PDW runs with the
production settings, which include polling for the database's answer for up to 1 ms while the
CPU is spare (PDW_DATABASE_SPIN_SECONDS); its profile and CPU figures are taken without it, as
polling spends only idle CPU and a writer does not poll with every core busy.

    .venv/bin/python bench/engine_throughput.py [--instances 200] [--rounds 3] [--postgres URL]
        [--processes 1,2,4,8] [--process-seconds 4]
"""
from __future__ import annotations

import argparse
import atexit
import cProfile
import json
import multiprocessing
import os
import pstats
import shutil
import sqlite3
import tempfile
import threading
import time
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import event

from _support import postgres_schema

from engine import demo
from engine.bootstrap import Config, build_engine, settle_heap
from engine.clock import Clock
from engine.persistence.migrate import upgrade
from engine.persistence.round_trips import counting
from engine.services import definitions, instances, tasks, tokens
from engine.services.users import SYSTEM, add_user

ROOT = Path(__file__).resolve().parent.parent
BPMN = ROOT / "tests" / "fixtures" / "bpmn" / "two_reviews.bpmn"
SHARE_BPMN = ROOT / "workflows" / "conditional_share.bpmn"
FORMS = (ROOT / "tests" / "fixtures" / "forms", ROOT / "forms")  # the fixture's, the procedures'
APPLICATION = {"subject": "人口基础信息共享"}
DECISION = {"decision": "approve", "reason": "符合共享条件"}
SHARE_APPLICATION = {"catalog_item": "GA-001", "request_reason": "办理户籍业务需核验人口信息",
                     "request_basis": "《户口登记条例》", "purpose": "户籍登记",
                     "requested_scope": "姓名、身份证号、户籍地址", "requested_until": "2026-12-31"}
SHARE_APPROVAL = {"decision": "approve", "granted_scope": "姓名、户籍地址", "granted_until": "2026-09-30"}
NOW = "2026-03-02T09:00:00+08:00"
# The catalog attributes conditional_share's expressions read, as the demo catalog has GA-001.
SHARE_CATALOG = {"share_attribute": "有条件共享", "share_basis": "", "source_unit": "gaj"}
# Issue 25's targets, PDW against each baseline: on PostgreSQL two_reviews and conditional_share
# against the fair baseline; on SQLite both procedures against the fair baseline and bare Spiff.
POSTGRES_TARGETS = (0.75, 0.6)
SQLITE_TARGETS = (0.5, 0.5)
BARE_TARGET = 0.45
BEIJING = timezone(timedelta(hours=8))  # the baseline's own, so it imports nothing of PDW


# --- baselines -----------------------------------------------------------------------------

class ShareEnvironment(TaskDataEnvironment):
    """conditional_share's stand-ins for PDW's machinery, as cheap as can be (see the docstring
    at the top): Spiff's own in-process environment with `deadline_at` returning one fixed
    instant, and service tasks answering with fixed JSON."""

    def __init__(self, due: str) -> None:
        super().__init__({"deadline_at": lambda _rule, _received: due})
        self.results = {"pdw.catalog_item": json.dumps(SHARE_CATALOG, ensure_ascii=False),
                        "pdw.record_grant": json.dumps({"grant_id": 1})}

    def call_service(self, context, operation_name=None, operation_params=None, **kwargs) -> str:
        return self.results[operation_name]


class Model:
    """A BPMN model parsed by SpiffWorkflow's own parser, its serializer, and the data the bench
    gives its start and each of its decisions."""

    def __init__(self, bpmn: Path, process_id: str, application: dict, decision: dict,
                 script_engine: PythonScriptEngine | None = None) -> None:
        parser = SpiffBpmnParser()
        parser.add_bpmn_file(str(bpmn))
        self.spec = parser.get_spec(process_id)
        self.subprocess_specs = parser.get_subprocess_specs(process_id)
        self.serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
        self.application, self.decision = application, decision
        self.script_engine = script_engine

    @classmethod
    def two_reviews(cls) -> "Model":
        """The fixture: plain SpiffWorkflow, nothing to stand in for."""
        return cls(BPMN, "two_reviews", APPLICATION, DECISION)

    @classmethod
    def conditional_share(cls) -> "Model":
        """The shipped procedure with ShareEnvironment's stand-ins; receipt date and deadline are
        fixed from today, so the review's timer waits under the system clock."""
        today = datetime.now(BEIJING).date()
        due = datetime.combine(today + timedelta(days=8), datetime.min.time(), BEIJING).isoformat()
        application = {**SHARE_APPLICATION, "receipt_date": today.isoformat(), "applicant": "zhang.san",
                       "applicant_department": "gaj"}
        return cls(SHARE_BPMN, "conditional_share", application, SHARE_APPROVAL,
                   PythonScriptEngine(environment=ShareEnvironment(due)))

    def _restore(self, state: str) -> BpmnWorkflow:
        workflow = self.serializer.deserialize_json(state)
        if self.script_engine is not None:
            workflow.script_engine = self.script_engine
        return workflow

    def start(self) -> str:
        workflow = BpmnWorkflow(self.spec, self.subprocess_specs, script_engine=self.script_engine)
        for task in workflow.get_tasks(state=TaskState.READY):
            task.data.update(self.application)
        workflow.do_engine_steps()
        return self.serializer.serialize_json(workflow)

    def decide(self, state: str) -> tuple[str, bool]:
        workflow = self._restore(state)
        task = workflow.get_tasks(state=TaskState.READY, manual=True)[0]
        task.data.update(self.decision)
        task.run()
        workflow.do_engine_steps()
        return self.serializer.serialize_json(workflow), workflow.is_completed()

    def sizes(self) -> tuple[int, int]:
        """Characters of the JSON stored after the start, and of the spec within it."""
        state = self.start()
        return len(state), len(json.dumps(json.loads(state)["spec"]))

    def check(self) -> str:
        """The elements one instance completes, in order, and the timers it set and cancelled (a
        stand-in that skipped an element, or a timer that fired, would show here)."""
        state, done = self.start(), False
        while not done:
            state, done = self.decide(state)
        tasks = self._restore(state).get_tasks()
        path = " > ".join(t.task_spec.bpmn_id for t in tasks if t.state == TaskState.COMPLETED and t.task_spec.bpmn_id)
        timers = ", ".join(f"{t.task_spec.bpmn_id} set for {t.internal_data['event_value']}" for t in tasks
                           if t.state == TaskState.CANCELLED and "event_value" in t.internal_data)
        return path + (f" (timer {timers}, cancelled)" if timers else "")


def bare_round(model: Model, n: int) -> float:
    """Instances per second of SpiffWorkflow alone, with a JSON round trip at each wait state."""
    started = time.perf_counter()
    for _ in range(n):
        state, done = model.start(), False
        while not done:
            state, done = model.decide(state)
    return n / (time.perf_counter() - started)


class FairPostgres:
    """SpiffWorkflow's JSON in one PostgreSQL row: each step reads it under a lock and commits."""

    def __init__(self, url: str, model: Model) -> None:
        import psycopg

        self.model = model
        self.conn = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)
        self.conn.execute("CREATE TABLE IF NOT EXISTS bench_fair (id bigserial PRIMARY KEY, state text NOT NULL)")

    def one(self) -> None:
        conn, model = self.conn, self.model
        with conn.pipeline():
            conn.execute("BEGIN ISOLATION LEVEL READ COMMITTED")
            row_id = conn.execute("INSERT INTO bench_fair (state) VALUES (%s) RETURNING id", (model.start(),))
            conn.execute("COMMIT")
        row_id = row_id.fetchone()[0]
        done = False
        while not done:
            with conn.pipeline() as pipeline:
                conn.execute("BEGIN ISOLATION LEVEL READ COMMITTED")
                state = conn.execute("SELECT state FROM bench_fair WHERE id = %s FOR UPDATE", (row_id,)).fetchone()[0]
                state, done = model.decide(state)
                conn.execute("UPDATE bench_fair SET state = %s WHERE id = %s", (state, row_id))
                conn.execute("COMMIT")
                pipeline.sync()

    def close(self) -> None:
        self.conn.close()


class FairSqlite:
    """The same on SQLite, with PDW's settings (WAL, synchronous=NORMAL, BEGIN IMMEDIATE)."""

    def __init__(self, path: str, model: Model) -> None:
        self.model = model
        self.conn = sqlite3.connect(path, isolation_level=None)
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=30000"):
            self.conn.execute(f"PRAGMA {pragma}")
        self.conn.execute("CREATE TABLE IF NOT EXISTS bench_fair (id INTEGER PRIMARY KEY, state TEXT NOT NULL)")

    def one(self) -> None:
        conn, model = self.conn, self.model
        conn.execute("BEGIN IMMEDIATE")
        row_id = conn.execute("INSERT INTO bench_fair (state) VALUES (?)", (model.start(),)).lastrowid
        conn.execute("COMMIT")
        done = False
        while not done:
            conn.execute("BEGIN IMMEDIATE")
            state = conn.execute("SELECT state FROM bench_fair WHERE id = ?", (row_id,)).fetchone()[0]
            state, done = model.decide(state)
            conn.execute("UPDATE bench_fair SET state = ? WHERE id = ?", (state, row_id))
            conn.execute("COMMIT")

    def close(self) -> None:
        self.conn.close()


# --- PDW -----------------------------------------------------------------------------------

def forms_dir() -> Path:
    """One folder holding the fixture's forms and the procedures' (made once per process, its own:
    two benches copying into one shared folder at once would read each other's half-written files)."""
    folder = Path(tempfile.gettempdir()) / f"pdw_bench_forms_{os.getpid()}"
    if not folder.exists():
        for source in FORMS:
            shutil.copytree(source, folder, dirs_exist_ok=True)
        atexit.register(shutil.rmtree, folder, True)
    return folder


def pdw_engine(url: str, *, setup: bool = True, spin_seconds: float | None = None):
    """An engine on `url` (production settings) with both procedures deployed, the demo users and
    catalog; with `setup` False the database is taken as set up already. `spin_seconds` replaces
    the production setting of how long a writer polls for an answer (PDW_DATABASE_SPIN_SECONDS)."""
    config = replace(Config(), database_url=url, forms_dir=forms_dir(), workflows_dir=ROOT / "workflows",
                     password_hash_cost=4)
    if spin_seconds is not None:
        config = replace(config, database_spin_seconds=spin_seconds)
    engine = build_engine(config, Clock(datetime.fromisoformat(NOW)))
    if setup:
        upgrade(engine.db)
        demo.load(engine)  # the demo departments, users and catalog, and the shipped procedures
        add_user(engine.uow(), "bench_applicant", department="gaj", roles=["applicant"], actor=SYSTEM)
        add_user(engine.uow(), "bench_reviewer", department="sjj", roles=["reviewer", "supervisor"], actor=SYSTEM)
        definitions.deploy(engine.uow(), [(BPMN.name, BPMN.read_bytes())], actor=SYSTEM)
    settle_heap()  # as every long-running PDW process does once it has started
    return engine


class TwoReviews:
    """The fixture through the engine's services: start, then each decision."""

    steps = ("apply", "first review", "second review")

    def __init__(self, engine) -> None:
        self.engine = engine

    def one(self, each_step=None) -> None:
        engine = self.engine
        step = each_step or (lambda _name, work: work())
        opened = step("apply", lambda: instances.start(engine.uow(), "two_reviews", actor="bench_applicant",
                                                       data=APPLICATION).opened_task_ids)
        names = iter(self.steps[1:])
        while opened:
            opened = step(next(names), lambda: tasks.complete(engine.uow(), opened[0], actor="bench_reviewer",
                                                              data=DECISION)["opened_task_ids"])


class ConditionalShare:
    """conditional_share through the API's use cases, each request authenticating its token."""

    steps = ("apply", "claim the review", "decide the review")

    def __init__(self, engine) -> None:
        self.engine = engine
        self.applicant = "Bearer " + tokens.create(engine.uow(), "zhang.san", actor="admin").secret
        self.reviewer = "Bearer " + tokens.create(engine.uow(), "li.si", actor="admin").secret

    def one(self, each_step=None) -> None:
        engine = self.engine
        step = each_step or (lambda _name, work: work())

        def apply():
            user = tokens.authenticate(engine.uow(), self.applicant)
            return instances.start(engine.uow(), "conditional_share", actor=user.name, data=SHARE_APPLICATION)

        started = step("apply", apply)
        assert started.error is None, started.error
        review = started.opened_task_ids[0]

        def claim():
            user = tokens.authenticate(engine.uow(), self.reviewer)
            return tasks.claim(engine.uow(), review, actor=user.name)

        def decide():
            user = tokens.authenticate(engine.uow(), self.reviewer)
            return tasks.complete(engine.uow(), review, actor=user.name, data=SHARE_APPROVAL)

        step("claim the review", claim)
        done = step("decide the review", decide)
        assert done["error"] is None and not done["opened_task_ids"], done


def rate(one, n: int) -> float:
    started = time.perf_counter()
    for _ in range(n):
        one()
    return n / (time.perf_counter() - started)


def round_trips_per_step(workload, tries: int = 3) -> dict[str, int]:
    """Each step's round trips in the steady state: the fewest over `tries` instances. psycopg
    prepares a statement on a connection the fifth time it runs there (its prepare_threshold),
    which costs that one execution a round trip more; counted once, it lands on a step by chance."""
    found: dict[str, int] = {}

    def step(name, work):
        with counting(workload.engine.db.write_engine) as writer, counting(workload.engine.db.engine) as reader:
            result = work()
        found[name] = min(found.get(name, writer.count + reader.count), writer.count + reader.count)
        return result

    for _ in range(tries):
        workload.one(step)
    return found


class SqliteCounter:
    """Statements SQLite executes for the engine (transaction control excluded) and commits."""

    def __init__(self, engine) -> None:
        self.statements = self.commits = 0
        self._last = None
        self._engines = [engine.db.write_engine, engine.db.engine]
        for sa_engine in self._engines:
            sa_engine.pool.dispose()
            event.listen(sa_engine, "connect", self._trace)
        event.listen(engine.db.write_engine, "commit", self._commit)

    def _trace(self, dbapi_connection, _record) -> None:
        dbapi_connection.set_trace_callback(self._statement)

    def _statement(self, statement: str) -> None:
        # A trigger's statements are reported again, and an FTS index's own work: nothing sent.
        if statement.startswith("--") or "_fts_" in statement:
            return
        repeat, self._last = statement == self._last, statement
        if not repeat and not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA")):
            self.statements += 1

    def _commit(self, _conn) -> None:
        self.commits += 1

    def stop(self) -> None:
        for sa_engine in self._engines:
            event.remove(sa_engine, "connect", self._trace)
            sa_engine.pool.dispose()
        event.remove(self._engines[0], "commit", self._commit)


# --- where the time goes -------------------------------------------------------------------

BUCKETS = (
    # psycopg's wait loop and its pipeline's socket reads and writes; SQLite's own work (in its C
    # library, which has no network to wait on).
    ("waiting on the server (socket I/O; SQLite: the library)",
     ("psycopg/connection.py wait", "_communicate_gen", "_fetch_gen", "psycopg/waiting", "wait_c", "select.select",
      "select.poll", "selectors", "sqlite3.Connection", "sqlite3.Cursor")),
    ("serialization (JSON)", ("json/", "_json", "SpiffWorkflow/bpmn/serializer", "SpiffWorkflow/serializer")),
    ("SpiffWorkflow", ("SpiffWorkflow",)),
    ("SQL on the client (psycopg, SQLAlchemy)", ("psycopg", "sqlalchemy")),
    ("scripts (sandbox worker, waited for)", ("engine/sandbox", "multiprocessing", "connection.py")),
    ("PDW's own code", ("engine/",)),
)


def _bucket(where: str) -> str | None:
    return next((name for name, marks in BUCKETS if any(m in where for m in marks)), None)


def where_time_goes(one, n: int) -> list[tuple[str, float]]:
    """Each bucket's share of the time `n` instances take, from the profiler's own times.

    A built-in or standard-library function (a dict's items(), uuid, copy) is charged to the
    buckets of the functions that called it, in proportion to the time each call took: its time
    is spent for them. What is left (called from nothing in a bucket) is "other".
    """
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(n):
        one()
    profile.disable()
    stats = pstats.Stats(profile).stats
    totals: dict[str, float] = {}
    for (filename, _line, function), (_cc, _nc, own, _cum, callers) in stats.items():
        bucket = _bucket(f"{filename} {function}")
        if bucket is not None:
            totals[bucket] = totals.get(bucket, 0.0) + own
            continue
        spent = {}
        for (c_file, _c_line, c_function), caller in callers.items():
            c_bucket = _bucket(f"{c_file} {c_function}") or "other (Python, stdlib)"
            spent[c_bucket] = spent.get(c_bucket, 0.0) + caller[2]
        whole = sum(spent.values())
        if not whole:
            spent, whole = {"other (Python, stdlib)": 1.0}, 1.0
        for c_bucket, share in spent.items():
            totals[c_bucket] = totals.get(c_bucket, 0.0) + own * share / whole
    whole = sum(totals.values())
    return sorted(((name, share / whole) for name, share in totals.items()), key=lambda x: -x[1])


def _cpu_seconds(pids) -> float:
    """User and system CPU seconds of processes `pids` so far (Linux /proc)."""
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def cpu_per_instance(one, n: int, backends) -> tuple[float, float] | None:
    """Milliseconds of CPU one instance costs this process and the PostgreSQL backends it used
    (`backends()`: their process ids); None when the server's processes are not visible here
    (a server on another machine or in another container)."""
    try:
        server = _cpu_seconds(backends())
    except OSError:
        return None
    client = time.process_time()
    for _ in range(n):
        one()
    client = time.process_time() - client
    server = _cpu_seconds(backends()) - server
    return 1000 * client / n, 1000 * server / n


# --- processes -----------------------------------------------------------------------------

WARM_UP = 10  # instances each worker runs before the window: past psycopg's prepare threshold (5)


def _worker(kind: str, url: str, seconds: float, ready, go, start_at, results) -> None:
    if kind == "pdw":
        engine = pdw_engine(url, setup=False)
        one, close = TwoReviews(engine).one, engine.close
    else:
        fair = FairPostgres(url, Model.two_reviews())
        one, close = fair.one, fair.close
    for _ in range(WARM_UP):
        one()
    ready.put(True)
    go.wait()
    while time.time() < start_at.value:
        time.sleep(0.005)
    done, cpu = 0, time.process_time()
    end = start_at.value + seconds
    while time.time() < end:
        one()
        done += 1
    results.put((done, time.process_time() - cpu))
    close()


@dataclass
class Processes:
    """What `count` worker processes did together in one window."""

    count: int
    rate: float  # instances per second
    workers_cpu: float  # ms of the workers' own CPU per instance
    machine_cpu: float  # ms of every core's busy time per instance (workers, server, kernel)
    lock_waits: float  # share of the samples of backends in a transaction that waited for a lock


def _machine_busy() -> float:
    """Seconds every core of this machine has spent busy so far (Linux /proc/stat)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle, iowait = fields[3], fields[4]
    return (sum(fields[:8]) - idle - iowait) / os.sysconf("SC_CLK_TCK")


class LockWaits:
    """Samples, every 20 ms on a connection of its own, what the database's other backends in
    a transaction wait for: the share that waits for a lock another transaction holds (a row,
    a sequence, a transaction) is what a single row every write takes would show."""

    def __init__(self, url: str) -> None:
        import psycopg

        self._conn = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)
        self._stop = threading.Event()
        self.waiting = self.samples = 0
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        query = ("SELECT count(*) FILTER (WHERE wait_event_type = 'Lock'), count(*) FROM pg_stat_activity "
                 "WHERE datname = current_database() AND pid <> pg_backend_pid() AND xact_start IS NOT NULL")
        while not self._stop.wait(0.02):
            waiting, busy = self._conn.execute(query).fetchone()
            self.waiting, self.samples = self.waiting + waiting, self.samples + busy

    def __enter__(self) -> "LockWaits":
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        self._thread.join()
        self._conn.close()

    def share(self) -> float:
        return self.waiting / self.samples if self.samples else 0.0


def processes_rate(kind: str, url: str, processes: int, seconds: float) -> Processes:
    """What `processes` worker processes do together (two_reviews), counted from a moment set
    once every worker has connected and warmed up (on a busy machine that can take longer than
    any fixed allowance, which would shorten the late workers' share of the window)."""
    context = multiprocessing.get_context("spawn")
    ready, results, go = context.Queue(), context.Queue(), context.Event()
    start_at = context.Value("d", 0.0)
    workers = [context.Process(target=_worker, args=(kind, url, seconds, ready, go, start_at, results))
               for _ in range(processes)]
    for worker in workers:
        worker.start()
    for _ in workers:
        ready.get(timeout=300)  # a worker that failed to start raises here rather than hanging the run
    start_at.value = time.time() + 0.2
    go.set()
    with LockWaits(url) as locks:
        time.sleep(max(0.0, start_at.value - time.time()))
        busy = _machine_busy()
        time.sleep(seconds)
        busy = _machine_busy() - busy
    done = [results.get() for _ in workers]
    for worker in workers:
        worker.join()
    instances = sum(count for count, _cpu in done) or 1
    return Processes(processes, instances / seconds, 1000 * sum(cpu for _count, cpu in done) / instances,
                     1000 * busy / instances, locks.share())


def cold_cpu(model: Model, seconds: float = 1.5) -> tuple[float, float]:
    """Milliseconds of CPU one bare SpiffWorkflow instance costs this process back to back, and
    after a 25 ms pause each (the core idle, its caches gone cold): what a process sharing a core
    with many others pays, as each time it runs it finds the caches filled by the others."""
    found = []
    for pause in (0.0, 0.025):
        done, cpu, end = 0, time.process_time(), time.time() + seconds
        while time.time() < end:
            bare_round(model, 1)
            done += 1
            if pause:
                time.sleep(pause)
        found.append(1000 * (time.process_time() - cpu) / done)
    return found[0], found[1]


# --- the run -------------------------------------------------------------------------------

def verdict(value: float, target: float) -> str:
    return f"{value:.2f} (target >= {target}: {'met' if value >= target else 'NOT met'})"


def sqlite_part(args, tmp: str, models: dict[str, Model]) -> dict:
    engine = pdw_engine(f"sqlite:///{tmp}/bench.sqlite3")
    fixture, share = TwoReviews(engine), ConditionalShare(engine)
    fair = FairSqlite(f"{tmp}/fair.sqlite3", models["two_reviews"])
    fair_share = FairSqlite(f"{tmp}/fair_share.sqlite3", models["conditional_share"])
    for warm in (fixture.one, share.one, fair.one, fair_share.one):
        warm()
    counter = SqliteCounter(engine)
    fixture.one()
    counted = (counter.statements, counter.commits)
    counter.stop()
    rates: dict[str, list[float]] = {"bare": [], "fair": [], "fixture": [], "bare_share": [], "fair_share": [],
                                     "share": []}
    for _ in range(args.rounds):
        rates["bare"].append(bare_round(models["two_reviews"], args.instances))
        rates["fair"].append(rate(fair.one, args.instances))
        rates["fixture"].append(rate(fixture.one, args.instances))
        rates["bare_share"].append(bare_round(models["conditional_share"], args.instances))
        rates["fair_share"].append(rate(fair_share.one, args.instances))
        rates["share"].append(rate(share.one, args.instances // 2))
    profile = where_time_goes(fixture.one, max(20, args.instances // 5))
    fair.close()
    fair_share.close()
    engine.close()
    return {"rates": {k: max(v) for k, v in rates.items()}, "counted": counted, "profile": profile}


def postgres_part(args, url: str, models: dict[str, Model]) -> dict:
    engine = pdw_engine(url)
    fixture, share = TwoReviews(engine), ConditionalShare(engine)
    fair = FairPostgres(url, models["two_reviews"])
    fair_share = FairPostgres(url, models["conditional_share"])
    for warm in (fixture.one, share.one, fair.one, fair_share.one, fixture.one, share.one):
        warm()
    trips = {"two_reviews": round_trips_per_step(fixture), "conditional_share": round_trips_per_step(share)}
    rates: dict[str, list[float]] = {"fair": [], "fixture": [], "fair_share": [], "share": []}
    for _ in range(args.rounds):
        rates["fair"].append(rate(fair.one, args.instances))
        rates["fixture"].append(rate(fixture.one, args.instances))
        rates["fair_share"].append(rate(fair_share.one, args.instances))
        rates["share"].append(rate(share.one, args.instances // 2))
    # Where the time goes and what CPU an instance costs are measured without polling for answers
    # (PDW_DATABASE_SPIN_SECONDS=0): polling spends idle CPU on waiting, and with every core busy,
    # which the CPU figures stand for, a writer does not poll.
    engine.close()
    engine = pdw_engine(url, setup=False, spin_seconds=0.0)
    fixture, share = TwoReviews(engine), ConditionalShare(engine)
    for warm in (fixture.one, share.one):
        warm()
    profiles = {"two_reviews": where_time_goes(fixture.one, max(20, args.instances // 5)),
                "conditional_share": where_time_goes(share.one, max(10, args.instances // 10))}
    backends: set[int] = set()

    def note_backend(connection, _record, _proxy) -> None:
        backends.add(connection.info.backend_pid)

    for sa_engine in (engine.db.write_engine, engine.db.engine):
        sa_engine.pool.dispose()
        event.listen(sa_engine, "checkout", note_backend)
    fixture.one()
    cpu = {"fair two_reviews": cpu_per_instance(fair.one, args.instances, lambda: {fair.conn.info.backend_pid}),
           "two_reviews": cpu_per_instance(fixture.one, args.instances, lambda: backends),
           "fair conditional_share": cpu_per_instance(fair_share.one, args.instances // 2,
                                                      lambda: {fair_share.conn.info.backend_pid}),
           "conditional_share": cpu_per_instance(share.one, args.instances // 2, lambda: backends)}
    fair.close()
    fair_share.close()
    engine.close()
    scaling: dict[int, tuple[Processes, Processes]] = {}
    for _ in range(args.rounds):
        for count in args.processes:
            # Alternating: the baseline, then PDW, at each number of processes, round after round;
            # each figure is the best round, as above.
            fair_run, pdw_run = (processes_rate("fair", url, count, args.process_seconds),
                                 processes_rate("pdw", url, count, args.process_seconds))
            best = scaling.get(count)
            scaling[count] = (fair_run if best is None or fair_run.rate > best[0].rate else best[0],
                              pdw_run if best is None or pdw_run.rate > best[1].rate else best[1])
    cold = cold_cpu(models["two_reviews"]) if scaling else None
    return {"rates": {k: max(v) for k, v in rates.items()}, "trips": trips, "profiles": profiles,
            "cpu": cpu, "scaling": scaling, "cold": cold}


def print_rates(database: str, r: dict, fair: str, targets: tuple[float, float], *first: str) -> None:
    print(f"{database} (instances/s, best round of interleaved rounds)")
    for line in first:
        print(line)
    print(f"  fair {database} baseline (JSON in one row, {fair}): two_reviews {r['fair']:8.1f}"
          f"   conditional_share {r['fair_share']:8.1f}")
    print(f"  PDW two_reviews: {r['fixture']:8.1f}   PDW conditional_share via the API's use cases: {r['share']:8.1f}")
    print(f"  PDW/fair {database} on two_reviews: {verdict(r['fixture'] / r['fair'], targets[0])}")
    print(f"  PDW/fair {database} on conditional_share: {verdict(r['share'] / r['fair_share'], targets[1])}")


def print_profile(title: str, profile: list[tuple[str, float]]) -> None:
    print(f"  where PDW's time goes ({title}, profiled): " +
          ", ".join(f"{name} {share:.0%}" for name, share in profile))

def _processes(run: Processes) -> str:
    return (f"{run.rate:7.1f} ({run.workers_cpu:.2f} / {run.machine_cpu:.2f} ms, "
            f"locks {run.lock_waits:.1%})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=200, help="instances per round (best of the rounds)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--postgres", default=None, help="also measure on this PostgreSQL URL (in a private schema)")
    parser.add_argument("--processes", default="1,2,4,8", help="worker processes to measure on PostgreSQL")
    parser.add_argument("--process-seconds", type=float, default=4.0)
    args = parser.parse_args()
    args.processes = [int(p) for p in args.processes.split(",") if p]
    models = {"two_reviews": Model.two_reviews(), "conditional_share": Model.conditional_share()}
    print("the baselines' models, as bare SpiffWorkflow runs them (elements completed; JSON stored per step, "
          "of which Spiff's copy of the spec):")
    for name, model in models.items():
        size, spec = model.sizes()
        print(f"  {name}: {model.check()}; {size} characters, spec {spec}")
    with tempfile.TemporaryDirectory() as tmp:
        lite = sqlite_part(args, tmp, models)
    r = lite["rates"]
    print_rates("SQLite", r, "BEGIN IMMEDIATE, commit per step", SQLITE_TARGETS,
                f"  bare SpiffWorkflow (in memory, JSON at each wait state): two_reviews {r['bare']:8.1f}"
                f"   conditional_share {r['bare_share']:8.1f}")
    print(f"  PDW/bare on two_reviews: {verdict(r['fixture'] / r['bare'], BARE_TARGET)}")
    print(f"  PDW/bare on conditional_share: {verdict(r['share'] / r['bare_share'], BARE_TARGET)}")
    statements, commits = lite["counted"]
    print(f"  per two_reviews instance: {statements} SQL statements, {commits} commits")
    print_profile("SQLite, two_reviews", lite["profile"])
    if not args.postgres:
        return
    with postgres_schema(args.postgres, "pdw_bench_throughput") as url:
        pg = postgres_part(args, url, models)
    r = pg["rates"]
    print_rates("PostgreSQL", r, "locked read, durable commit per step", POSTGRES_TARGETS)
    for name, steps in pg["trips"].items():
        print(f"  round trips per step, {name}: " + ", ".join(f"{step} {count}" for step, count in steps.items())
              + f" (total {sum(steps.values())}; the fair baseline: 1 to start, 2 per decision)")
    for name, profile in pg["profiles"].items():
        print_profile(f"PostgreSQL, {name}", profile)
    if all(pg["cpu"].values()):
        print("  CPU per instance, this process / the PostgreSQL server's backends (ms; PDW not polling for "
              "answers, as with every core busy): " +
              ", ".join(f"{name} {client:.2f} / {server:.2f}" for name, (client, server) in pg["cpu"].items()))
        for name in ("two_reviews", "conditional_share"):
            fair_cpu = sum(pg["cpu"][f"fair {name}"])
            print(f"  fair baseline's CPU / PDW's on {name}: {fair_cpu / sum(pg['cpu'][name]):.2f}"
                  f" (once every core is busy, as with more worker processes than cores, throughput follows it)")
    if pg["scaling"]:
        print("  worker processes (two_reviews, instances/s, best of interleaved rounds, fair baseline then PDW; "
              "in that round, CPU per instance in ms, the workers' own (PDW's with 1 process includes polling "
              "for answers) / all cores' busy time, and the share of backends in a transaction found waiting "
              "for another's lock):")
        for count, (fair_run, pdw_run) in pg["scaling"].items():
            print(f"    {count}: fair {_processes(fair_run)}   PDW {_processes(pdw_run)}   "
                  f"ratio {pdw_run.rate / fair_run.rate:.2f}")
        if 4 in pg["scaling"]:
            fair_run, pdw_run = pg["scaling"][4]
            print(f"  PDW/fair at 4 processes: {verdict(pdw_run.rate / fair_run.rate, 0.6)}")
        if 2 in pg["scaling"] and 8 in pg["scaling"]:
            two, eight = pg["scaling"][2], pg["scaling"][8]
            print(f"  PDW from 2 to 8 processes: {two[1].rate:.1f} -> {eight[1].rate:.1f} "
                  f"({'does not fall' if eight[1].rate >= 0.95 * two[1].rate else 'FALLS'}; within 5% counts as "
                  f"not falling); the fair baseline {two[0].rate:.1f} -> {eight[0].rate:.1f} "
                  f"({eight[0].rate / two[0].rate - 1:+.0%})")
        back_to_back, after_pause = pg["cold"]
        print(f"  this machine: bare SpiffWorkflow costs {back_to_back:.2f} ms of CPU per two_reviews instance back "
              f"to back, {after_pause:.2f} ms with a 25 ms pause before each (caches gone cold); a process that "
              f"shares its core with others finds it so each time it runs, so with more processes than cores "
              f"the CPU per instance rises")


if __name__ == "__main__":
    main()
