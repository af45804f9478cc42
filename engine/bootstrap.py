"""Wiring: the one place that builds the engine's collaborators and hands them out."""
from __future__ import annotations

import os
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

from engine.bpmn.operations import OPERATIONS
from engine.bpmn.script_engine import PdwScriptEngine
from engine.bpmn.serializer import WorkflowStore
from engine.calendar import Rule, WorkingCalendar, load_rules
from engine.clock import Clock
from engine.forms import compile_form
from engine.persistence.database import Database, connect
from engine.persistence.unit_of_work import UnitOfWork
from engine.sandbox import Sandbox, SandboxEnvironment

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Config:
    """Settings, read from the environment by `from_env`."""

    database_url: str = f"sqlite:///{PROJECT_ROOT / 'instance' / 'pdw.sqlite3'}"
    forms_dir: Path = PROJECT_ROOT / "forms"
    workflows_dir: Path = PROJECT_ROOT / "workflows"
    max_bpmn_bytes: int = 5 * 1024 * 1024
    script_time_limit: float = 2.0
    script_memory_mb: int = 512
    environ: dict = field(default_factory=dict)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> "Config":
        """Read PDW_DATABASE_URL, PDW_FORMS_DIR, PDW_WORKFLOWS_DIR and PDW_MAX_BPMN_BYTES."""
        env = dict(os.environ if environ is None else environ)
        defaults = cls()
        return cls(
            database_url=env.get("PDW_DATABASE_URL") or defaults.database_url,
            forms_dir=Path(env.get("PDW_FORMS_DIR") or defaults.forms_dir),
            workflows_dir=Path(env.get("PDW_WORKFLOWS_DIR") or defaults.workflows_dir),
            max_bpmn_bytes=int(env.get("PDW_MAX_BPMN_BYTES") or defaults.max_bpmn_bytes),
            environ=env,
        )


class SpecCache:
    """Restored process specs and forms by definition id; both are frozen once deployed."""

    def __init__(self, store: WorkflowStore, capacity: int = 64) -> None:
        self._store = store
        self._capacity = capacity
        self._specs: OrderedDict[int, tuple] = OrderedDict()
        self._forms: dict[int, dict] = {}
        self._lock = threading.Lock()

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
    calendar: WorkingCalendar
    rules: dict[str, Rule]
    store: WorkflowStore
    sandbox: Sandbox
    script_engine: PdwScriptEngine
    specs: SpecCache

    def writing(self) -> UnitOfWork:
        """A unit of work that will write."""
        return UnitOfWork(self.db.writer)

    def reading(self) -> UnitOfWork:
        """A unit of work that only reads."""
        return UnitOfWork(self.db.reader)

    def close(self) -> None:
        """Stop the sandbox worker and close database connections."""
        self.sandbox.close()
        self.db.dispose()


def build_engine(config: Config | None = None, clock: Clock | None = None) -> Engine:
    """Build the engine from `config` (default: the environment)."""
    config = config or Config.from_env()
    clock = clock or Clock.from_env(config.environ or None)
    if config.database_url.startswith("sqlite:///"):
        Path(config.database_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    store = WorkflowStore()
    sandbox = Sandbox(time_limit=config.script_time_limit, memory_limit_mb=config.script_memory_mb)
    return Engine(
        config=config,
        db=connect(config.database_url),
        clock=clock,
        calendar=WorkingCalendar.load(),
        rules=load_rules(),
        store=store,
        sandbox=sandbox,
        script_engine=PdwScriptEngine(SandboxEnvironment(sandbox, clock), clock, OPERATIONS),
        specs=SpecCache(store),
    )
