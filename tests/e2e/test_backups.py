"""A backup taken while applications are being decided restores into a working system whose
audit verifies: SQLite through `pdw db backup` / `restore`, PostgreSQL through pg_dump /
pg_restore into a fresh database, as docs/deployment.md says."""
from __future__ import annotations

import subprocess
import threading
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from engine.cli import main
from engine.errors import Conflict
from engine.persistence.backup import backup
from engine.services import audit, instances, tasks
from web_helpers import DemoEngines

APPLICATION = {"catalog_item": "GA-001", "request_reason": "户籍业务核验", "request_basis": "《户口登记条例》",
               "purpose": "户籍登记", "requested_scope": "姓名、户籍地址", "requested_until": "2026-12-31"}
DECISION = {"decision": "approve", "granted_scope": "姓名", "granted_until": "2026-12-31"}


def _applications(engine, count: int) -> list[int]:
    return [instances.start(engine.uow(), "conditional_share", actor="zhang.san", data=APPLICATION).instance_id
            for _ in range(count)]


def _deciding(engine, stop: threading.Event, decided: list[int], failures: list[BaseException]):
    def run() -> None:
        try:
            while not stop.is_set():
                open_tasks = tasks.list_tasks(engine.uow(), actor="li.si")
                if not open_tasks:
                    return
                task_id = open_tasks[0]["id"]
                tasks.claim(engine.uow(), task_id, actor="li.si")
                tasks.complete(engine.uow(), task_id, actor="li.si", data=DECISION)
                decided.append(task_id)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            failures.append(exc)
    return threading.Thread(target=run)


def _works(url: str, sandbox, started: list[int]) -> None:
    restored = DemoEngines(url, sandbox)
    try:
        engine = restored.at()
        report = audit.verify(engine.uow())
        assert report.ok, report.problems
        statuses = {instances.show(engine.uow(), i, actor="li.si")["status"] for i in started}
        assert statuses <= {"running", "completed"}
        # It still decides: the restored system takes a new application and its decision.
        [new] = _applications(engine, 1)
        [task] = [t for t in tasks.list_tasks(engine.uow(), actor="li.si") if t["instance_id"] == new]
        tasks.claim(engine.uow(), task["id"], actor="li.si")
        tasks.complete(engine.uow(), task["id"], actor="li.si", data=DECISION)
        assert audit.verify(engine.uow()).ok
    finally:
        restored.close()


def _taken_while_deciding(engines, take) -> list[int]:
    engine = engines.at()
    started = _applications(engine, 12)
    stop, decided, failures = threading.Event(), [], []
    worker = _deciding(engine, stop, decided, failures)
    worker.start()
    try:
        while len(decided) < 2 and worker.is_alive():
            worker.join(0.05)
        take()
    finally:
        stop.set()
        worker.join()
    assert failures == [] and len(decided) >= 2
    return started


@pytest.mark.parametrize("database_kind", ["sqlite"], indirect=True)
def test_an_sqlite_backup_taken_while_deciding_restores_into_a_working_system(demo_engines, tmp_path, sandbox,
                                                                              monkeypatch):
    source_url = demo_engines.config.database_url
    copy = tmp_path / "backup.sqlite3"
    started = _taken_while_deciding(demo_engines, lambda: backup(source_url, copy))
    with pytest.raises(Conflict):
        backup(source_url, copy)

    restored = tmp_path / "restored.sqlite3"
    monkeypatch.setenv("PDW_DATABASE_URL", f"sqlite:///{restored}")
    runner = CliRunner()
    asked = runner.invoke(main, ["db", "restore", str(copy)])
    assert asked.exit_code == 1 and "--yes" in asked.stderr
    done = runner.invoke(main, ["db", "restore", str(copy), "--yes"])
    assert done.exit_code == 0 and done.stdout.startswith("restored ")
    assert runner.invoke(main, ["db", "upgrade"]).exit_code == 0
    assert runner.invoke(main, ["audit", "verify"]).stdout.startswith("audit log intact")
    _works(f"sqlite:///{restored}", sandbox, started)


@pytest.mark.postgres
@pytest.mark.parametrize("database_kind", ["postgres"], indirect=True)
def test_a_pg_dump_taken_while_deciding_restores_into_a_fresh_database_that_works(demo_engines, tmp_path, sandbox,
                                                                                  monkeypatch):
    source = make_url(demo_engines.config.database_url)
    schema = source.query["options"].split("=", 1)[1]
    server = source.set(query={})
    dump = tmp_path / "pdw.dump"

    def pg_dump() -> None:
        subprocess.run(["pg_dump", "--format=custom", f"--schema={schema}", f"--file={dump}",
                        server.render_as_string(hide_password=False).replace("+psycopg", "")], check=True)

    started = _taken_while_deciding(demo_engines, pg_dump)
    fresh = f"pdw_restore_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{fresh}"'))
    try:
        target = server.set(database=fresh)
        subprocess.run(["pg_restore", "--no-owner", "--exit-on-error", "--dbname",
                        target.render_as_string(hide_password=False).replace("+psycopg", ""), str(dump)], check=True)
        url = target.set(query={"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
        monkeypatch.setenv("PDW_DATABASE_URL", url)
        assert CliRunner().invoke(main, ["audit", "verify"]).stdout.startswith("audit log intact")
        _works(url, sandbox, started)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{fresh}" WITH (FORCE)'))
        admin.dispose()
