"""Wiring: the one place that builds the engine's collaborators and hands them out."""
from __future__ import annotations

import gc
import threading
from collections import OrderedDict
from dataclasses import dataclass, replace
from pathlib import Path

from engine.bpmn.budgets import Budgets
from engine.bpmn.operations import OPERATIONS
from engine.bpmn.script_engine import PdwScriptEngine
from engine.bpmn.serializer import WorkflowStore
from engine.calendar import Rule, load_rules
from engine.calendar_sync import CalendarOfRecord
from engine.clock import Clock
from engine.config import PROJECT_ROOT, Config, ConfigError
from engine.forms import compile_form
from engine.persistence.database import Database, connect
from engine.persistence.unit_of_work import UnitOfWork
from engine.sandbox import Sandbox, SandboxEnvironment

# Config lives in engine.config so the light commands (`pdw calendar`) can read it without
# importing the engine; it is re-exported so `from engine.bootstrap import Config` still works.
__all__ = ["PROJECT_ROOT", "Config", "DefinitionFacts", "Engine", "SpecCache", "build_engine", "settle_heap"]


@dataclass(frozen=True)
class DefinitionFacts:
    """What a running step needs of the version it runs on (its operations' capability check and
    audit entries): not its BPMN, spec or forms."""

    id: int
    process_id: str
    version: int
    properties: dict


class SpecCache:
    """Restored process specs, forms and facts by definition id; all are frozen once deployed."""

    def __init__(self, store: WorkflowStore, capacity: int = 64) -> None:
        self._store = store
        self._capacity = capacity
        self._specs: OrderedDict[int, tuple] = OrderedDict()
        self._forms: dict[int, dict] = {}
        self._facts: dict[int, DefinitionFacts] = {}
        self._lock = threading.Lock()

    def facts(self, definition_id: int, load) -> DefinitionFacts | None:
        """The process id, version and properties of a definition; `load()` fetches them on a miss
        (a row with process_id, version and properties, or None: not kept, it may yet be deployed)."""
        facts = self._facts.get(definition_id)
        if facts is None:
            row = load()
            if row is None:
                return None
            facts = self._facts[definition_id] = DefinitionFacts(definition_id, row.process_id, row.version,
                                                                 row.properties or {})
        return facts

    def forms(self, definition_id: int, load) -> dict:
        """The forms of a definition as validators (`.schema` is the JSON Schema); `load()`
        fetches the schemas on a miss."""
        forms = self._forms.get(definition_id)
        if forms is None:
            forms = self._forms[definition_id] = {name: compile_form(schema) for name, schema in load().items()}
        return forms

    def get(self, definition_id: int, load_dict) -> tuple:
        """The (spec, subprocess_specs) of a definition; `load_dict()` fetches its stored form on a miss."""
        with self._lock:
            if definition_id in self._specs:
                self._specs.move_to_end(definition_id)
                return self._specs[definition_id]
        specs = self._store.load_specs(load_dict())
        with self._lock:
            self._specs[definition_id] = specs
            while len(self._specs) > self._capacity:
                self._specs.popitem(last=False)
        return specs


@dataclass
class Engine:
    """Everything a service needs, built once by `build_engine`."""

    config: Config
    db: Database
    clock: Clock
    # The holiday notices installed in the database, followed as they change.
    calendar: CalendarOfRecord
    rules: dict[str, Rule]
    store: WorkflowStore
    sandbox: Sandbox
    script_engine: PdwScriptEngine
    specs: SpecCache
    budgets: Budgets
    # False when the sandbox was handed in to share: closing the engine then leaves it running.
    owns_sandbox: bool = True

    def uow(self) -> UnitOfWork:
        """A new unit of work on this engine's database, for one use case."""
        return UnitOfWork(self.db, self)

    def with_clock(self, clock: Clock) -> "Engine":
        """This engine as seen at another time: the same database, sandbox, calendar and caches,
        its own clock (rehearsals and tests move through time with it). Close only the original."""
        return replace(self, clock=clock, owns_sandbox=False,
                       script_engine=PdwScriptEngine(SandboxEnvironment(self.sandbox, clock), clock, OPERATIONS,
                                                     self.budgets))

    def close(self) -> None:
        """Stop the sandbox worker (if this engine started it) and close database connections."""
        if self.owns_sandbox:
            self.sandbox.close()
        self.db.dispose()


def settle_heap() -> None:
    """Move what a long-running process built at start-up out of the garbage collector's reach.

    A PDW process holds some 130,000 objects that live as long as it does (modules, the
    procedures' specs, compiled statements, the calendar). Python's full collections walk every
    one of them, and a step allocates enough to set one off every few applications: about 0.3 ms
    of collection per two_reviews application, a twentieth of its CPU. Frozen, they are left out
    of every collection (garbage the work itself makes is still collected).

    Called once by each long-running entry point (the web app outside tests, the scheduler, the
    bench's worker processes, which stand for them) after the engine is built; never by a
    library call, since objects frozen while alive and later dropped in a reference cycle are
    not collected. A forking server that builds the app before it forks (gunicorn --preload)
    also keeps the frozen pages shared with its workers.
    """
    gc.collect()
    gc.freeze()


def build_engine(config: Config | None = None, clock: Clock | None = None, *,
                 sandbox: Sandbox | None = None) -> Engine:
    """Build the engine and everything it holds from one Config.

    Args:
        config: the settings; read from the environment when None.
        clock: a clock to use instead of the one `config.clock` names (tests pass their own).
        sandbox: a running script sandbox to share instead of starting one (a test session
            shares one worker process); the engine leaves it running when closed.

    Returns:
        The engine; `close()` it when done.

    Raises:
        ConfigError: config is None and an environment variable holds a bad value.
        ClockError: config.clock is not an ISO datetime.
        ConfigError: an SQLite database named in a folder that does not exist.
    """
    config = config or Config.from_env()
    clock = clock or Clock.parse(config.clock)
    if config.database_url.startswith("sqlite:///"):
        folder = Path(config.database_url.removeprefix("sqlite:///")).parent
        if config.database_url == Config().database_url:
            # The default database lives in the checkout's instance/ folder, made on first use.
            folder.mkdir(parents=True, exist_ok=True)
        elif not folder.is_dir():
            # A typo in PDW_DATABASE_URL must not silently make folders and an empty database.
            raise ConfigError("config.database_folder_missing", variable="PDW_DATABASE_URL", folder=str(folder))
    store = WorkflowStore()
    budgets = Budgets.from_config(config)
    owns_sandbox = sandbox is None
    if sandbox is None:
        sandbox = Sandbox(time_limit=config.script_time_limit, memory_limit_mb=config.script_memory_mb)
    rules = load_rules()
    return Engine(
        config=config,
        db=connect(config.database_url, spin_seconds=config.database_spin_seconds,
                   prepare=config.database_prepare),
        clock=clock,
        # Read from the database at the first unit of work; the script worker follows it.
        calendar=CalendarOfRecord(rules, check_seconds=config.calendar_check_seconds,
                                  on_change=sandbox.use_arrangements),
        rules=rules,
        store=store,
        sandbox=sandbox,
        script_engine=PdwScriptEngine(SandboxEnvironment(sandbox, clock), clock, OPERATIONS, budgets),
        budgets=budgets,
        specs=SpecCache(store),
        owns_sandbox=owns_sandbox,
    )
