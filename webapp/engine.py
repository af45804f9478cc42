"""The one engine this web process uses, built when the app is created."""
from __future__ import annotations

from flask import Flask, current_app

from engine.bootstrap import Engine, build_engine
from engine.persistence.unit_of_work import UnitOfWork


def get_engine() -> Engine:
    """The engine of the current app."""
    return current_app.extensions["pdw_engine"]


def new_uow() -> UnitOfWork:
    """A unit of work on the app's engine, for the one use case a request runs."""
    return get_engine().uow()


def init_app(app: Flask) -> None:
    """Build the engine from the app's Config (PDW_CONFIG), or use `PDW_ENGINE` (tests hand one in)."""
    engine = app.config.get("PDW_ENGINE") or build_engine(app.config["PDW_CONFIG"])
    app.extensions["pdw_engine"] = engine
