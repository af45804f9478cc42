"""One engine per test on its database, seen at chosen frozen instants; shared by every test suite."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path

from engine.bootstrap import Config, Engine, build_engine
from engine.clock import Clock
from engine.sandbox import Sandbox

FROZEN = "2026-03-02T09:00:00+08:00"  # a Monday
# Tests hash passwords with scrypt at N=2**4 (production: 2**14), stop runaway scripts after
# half a second (production: 2 s) and endless loops after 150 engine steps (production: 500):
# none of these is what a test is about, all cost seconds per run.
# Every unit of work reads the calendar version (production: at most once a second), so an
# engine standing for another process sees an install at once.
TEST_PASSWORD_HASH_COST = 4
TEST_SCRIPT_TIME_LIMIT = 0.5
TEST_ENGINE_STEPS = 150


def config_for_tests(url: str, forms_dir: Path) -> Config:
    """The settings tests run with."""
    return replace(Config(), database_url=url, forms_dir=forms_dir, password_hash_cost=TEST_PASSWORD_HASH_COST,
                   script_time_limit=TEST_SCRIPT_TIME_LIMIT, max_engine_steps=TEST_ENGINE_STEPS,
                   calendar_check_seconds=0, web_scheduler="off")


def production_engine(url: str, forms_dir: Path, sandbox: Sandbox | None = None, **settings) -> Engine:
    """An engine with the production settings (and `settings`), but for the password hash's cost
    and no web scheduler, its clock frozen at FROZEN: for tests of what production meets."""
    config = replace(Config(), database_url=url, forms_dir=forms_dir, web_scheduler="off",
                     password_hash_cost=TEST_PASSWORD_HASH_COST, **settings)
    return build_engine(config, Clock(datetime.fromisoformat(FROZEN)), sandbox=sandbox)


class EngineFactory:
    """One engine on one database, built on first use, seen at chosen frozen instants.

    `at(instant)` returns the engine with its clock at `instant` (`Engine.with_clock`): every
    instant shares one connection pool and the session's one script worker.
    """

    def __init__(self, url: str, forms_dir: Path, sandbox: Sandbox | None = None) -> None:
        self.config = config_for_tests(url, forms_dir)
        self._sandbox = sandbox
        self._engine: Engine | None = None

    def at(self, instant: str = FROZEN) -> Engine:
        """The engine with its clock standing at `instant`."""
        if self._engine is None:
            self._engine = build_engine(self.config, Clock(datetime.fromisoformat(FROZEN)), sandbox=self._sandbox)
        return self._engine.with_clock(Clock(datetime.fromisoformat(instant)))

    def close(self) -> None:
        """Close the engine (the shared sandbox keeps running)."""
        if self._engine is not None:
            self._engine.close()
            self._engine = None
