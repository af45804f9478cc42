"""Engines on one database at chosen frozen instants, shared by every test suite."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path

from engine.bootstrap import Config, build_engine
from engine.clock import Clock

FROZEN = "2026-03-02T09:00:00+08:00"  # a Monday


class EngineFactory:
    """Builds engines on one database at chosen frozen instants, closing them afterwards."""

    def __init__(self, url: str, forms_dir: Path) -> None:
        self.config = replace(Config(), database_url=url, forms_dir=forms_dir)
        self._engines = []

    def at(self, instant: str = FROZEN):
        """An engine whose clock stands at `instant`."""
        engine = build_engine(self.config, Clock(datetime.fromisoformat(instant)))
        self._engines.append(engine)
        return engine

    def close(self) -> None:
        """Close every engine built here."""
        for engine in self._engines:
            engine.close()
