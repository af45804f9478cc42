"""Applying for a catalog item reads the item once in its unit of work, though admission, the
procedure's operations and the search index each ask for it."""
from __future__ import annotations

from dataclasses import replace

from sqlalchemy import event

from engine import demo
from engine.bootstrap import PROJECT_ROOT
from engine.services import instances
from engine_factory import EngineFactory

APPLICATION = {"catalog_item": "GA-001", "request_reason": "办理户籍业务需核验人口信息",
               "request_basis": "《户口登记条例》", "purpose": "户籍登记",
               "requested_scope": "姓名、身份证号、户籍地址", "requested_until": "2026-12-31"}


def test_applying_reads_the_catalog_item_once(database_url, sandbox):
    factory = EngineFactory(database_url, PROJECT_ROOT / "forms", sandbox)
    factory.config = replace(factory.config, workflows_dir=PROJECT_ROOT / "workflows")
    try:
        engine = factory.at()
        demo.load(engine)
        reads = []

        def count(_conn, _cursor, statement, *_args) -> None:
            if statement.lstrip().startswith("SELECT") and "FROM catalog_items" in statement:
                reads.append(statement)

        event.listen(engine.db.write_engine, "before_cursor_execute", count)
        started = instances.start(engine.uow(), "conditional_share", actor="zhang.san", data=APPLICATION)
        event.remove(engine.db.write_engine, "before_cursor_execute", count)
        assert started.error is None and started.opened_task_ids
        assert len(reads) == 1
    finally:
        factory.close()
