"""Inbox page cost with 1,000,000 task rows (100,000 open) against 10,000 rows, on PostgreSQL.

Fills two private schemas with the same mix of tasks (10% open, a fifth of those claimed,
one or two candidate groups each out of 60, deadlines spread over six weeks), then times the
first page of the "available" tab for a reviewer in three groups: the server's planning +
execution time from EXPLAIN ANALYZE, and the wall time of `inbox.page`. Prints the ratio.

    .venv/bin/python bench/inbox_bench.py [--url postgresql+psycopg://postgres@127.0.0.1:5432/test]
"""
from __future__ import annotations

import json
import statistics
import sys
import time
from dataclasses import replace
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text  # noqa: E402

from bench._support import size_arguments, sized_schemas  # noqa: E402
from engine.bootstrap import Config, build_engine  # noqa: E402
from engine.clock import Clock  # noqa: E402
from engine.persistence.database import connect  # noqa: E402
from engine.persistence.migrate import upgrade  # noqa: E402
from engine.services import inbox  # noqa: E402

NOW = "2026-03-16T09:00:00+08:00"
GROUPS = ["reviewer@d03", "source_unit_handler@d03", "supervisor@d03"]
RUNS = 40

# One statement per table, all generated server-side; ids are the series value so rows link up.
# Deadlines and groups come from hashes of the id, not from arithmetic on it: arithmetic
# correlates them (every earliest deadline landing in the same few groups), which no real
# inbox does and which would measure the fill rather than the query.
FILL = [
    """INSERT INTO process_definitions (id, process_id, version, name, content_hash, file_name, bpmn_xml, spec,
                                        forms, properties, deployed_at, deployed_by)
       SELECT p, 'proc_' || p, 1, '事项 ' || p, md5(p::text), 'p' || p || '.bpmn', ''::bytea, '{}', '{}',
              '{"startableBy": "applicant"}', now(), 'bench'
       FROM generate_series(1, 6) AS p""",
    """INSERT INTO process_instances (id, definition_id, process_id, status, receipt_number, received_on,
                                      started_by, started_at, summary, state, waiting, serializer_version, version)
       SELECT i, 1 + i % 6, 'proc_' || (1 + i % 6), CASE WHEN i % 5 = 0 THEN 'running' ELSE 'completed' END,
              'B' || i, date '2026-02-01' + (i % 40), 'applicant' || (i % 900), now(),
              json_build_object('unit', '单位' || (i % 700), 'purpose', '业务办理用途说明 ' || i,
                                'catalog_item', 'DZ-' || (i % 300)),
              '{}', '{}', '1', 1
       FROM generate_series(1, :instances) AS i""",
    """INSERT INTO human_tasks (id, instance_id, spiff_task_id, task_name, title, process_id, form, candidate_groups,
                                assignee, state, created_at, claimed_at, completed_at, completed_by, due_date, due_at,
                                deadline_rule, deadline_article, deadline_provisional, deadline_basis)
       SELECT t, (t + 1) / 2, md5(t::text), 'review', '审核', 'proc_' || (1 + ((t + 1) / 2) % 6), 'f.json',
              '[]',
              CASE WHEN t % 10 = 0 AND t % 50 = 0 THEN 'user' || (t % 97)
                   WHEN t % 10 <> 0 THEN 'user' || (t % 97) END,
              CASE WHEN t % 10 = 0 THEN 'open' ELSE 'completed' END,
              now(), NULL,
              CASE WHEN t % 10 <> 0 THEN timestamptz '2026-01-01' + (t % 5000) * interval '1 minute' END,
              CASE WHEN t % 10 <> 0 THEN 'user' || (t % 97) END,
              date '2026-02-20' + abs(hashint4(t) % 42),
              (date '2026-02-21' + abs(hashint4(t) % 42))::timestamp AT TIME ZONE 'Asia/Shanghai',
              'art20_share_reply', '第二十条第二款', false, '[]'
       FROM generate_series(1, :tasks) AS t""",
    # Candidate rows exist only for available tasks (triggers keep it so), with their deadline.
    """INSERT INTO task_candidates (task_id, group_name, due_at)
       SELECT id, (ARRAY['reviewer', 'source_unit_handler', 'supervisor'])[1 + abs(hashint8(id) % 3)]
                  || '@d' || lpad(abs(hashint8(-id) % 20)::text, 2, '0'), due_at
       FROM human_tasks WHERE state = 'open' AND assignee IS NULL
       UNION ALL
       SELECT id, 'supervisor@d' || lpad(abs(hashint4(-id::int) % 20)::text, 2, '0'), due_at
       FROM human_tasks WHERE state = 'open' AND assignee IS NULL AND id % 5 = 0
       ON CONFLICT DO NOTHING""",
]


def fill(url: str, tasks: int) -> float:
    """Migrate an empty schema and fill it with `tasks` task rows; returns seconds taken."""
    began = time.perf_counter()
    db = connect(url)
    upgrade(db)
    with db.write_engine.begin() as c:
        for statement in FILL:
            c.execute(text(statement), {"tasks": tasks, "instances": (tasks + 1) // 2})
    # The reader's engine runs in autocommit (the writer's opens every transaction with BEGIN,
    # inside which VACUUM cannot run).
    with db.engine.connect() as c:
        c.execute(text("VACUUM ANALYZE"))
    db.dispose()
    return time.perf_counter() - began


def measure(url: str) -> dict:
    """Median server time (EXPLAIN ANALYZE planning + execution) and wall time of the first inbox page."""
    engine = build_engine(replace(Config(), database_url=url), Clock(datetime.fromisoformat(NOW)))
    try:
        query = inbox.InboxQuery(tab="available", limit=25)
        (kind, statement), *_ = inbox.page_queries(engine, GROUPS, "bench", query)
        compiled = statement.compile(dialect=engine.db.engine.dialect, compile_kwargs={"render_postcompile": True})
        server, plan_text = [], None
        with engine.db.engine.connect() as c:
            rows = c.exec_driver_sql(str(compiled), compiled.params).fetchall()
            for _ in range(RUNS):
                plan = c.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + str(compiled),
                                         compiled.params).scalar()[0]
                server.append(plan["Planning Time"] + plan["Execution Time"])
            plan_text = "\n".join(r[0] for r in c.exec_driver_sql("EXPLAIN (ANALYZE, COSTS OFF) " + str(compiled),
                                                                 compiled.params))
            # With no department a user's groups are its roles: this row is in exactly GROUPS.
            c.execute(text("INSERT INTO users (name, display_name, department, roles, active, created_at) "
                           "VALUES ('bench', 'bench', NULL, CAST(:roles AS json), true, now())"),
                      {"roles": json.dumps(GROUPS)})
            c.commit()
        wall = []
        for _ in range(RUNS):
            began = time.perf_counter()
            page = inbox.page(engine.uow(), "bench", query)
            wall.append((time.perf_counter() - began) * 1000)
        assert len(page.rows) == 25 and len(rows) == 26, (len(page.rows), len(rows))  # 26: one more tells "next page"
        return {"server_ms": statistics.median(server), "wall_ms": statistics.median(wall), "plan": plan_text}
    finally:
        engine.close()


def main() -> None:
    parser = size_arguments(__doc__)
    parser.add_argument("--plan", action="store_true", help="print the query plans")
    args = parser.parse_args()
    results = {}
    with sized_schemas(args.url, "pdw_inbox_bench", (args.small, args.large)) as schemas:
        for size, url in schemas:
            seconds = fill(url, size)
            results[size] = measure(url)
            print(f"{size:>9,} task rows ({size // 10:,} open): filled in {seconds:6.1f} s; first page "
                  f"server {results[size]['server_ms']:6.2f} ms, inbox.page wall {results[size]['wall_ms']:6.2f} ms")
            if args.plan:
                print(results[size]["plan"])
    small, large = results[args.small], results[args.large]
    print(f"ratio {args.large:,} / {args.small:,} rows: server {large['server_ms'] / small['server_ms']:.2f}x, "
          f"wall {large['wall_ms'] / small['wall_ms']:.2f}x "
          f"(targets: server <= 20 ms at {args.large:,}, ratio <= 1.3x)")


if __name__ == "__main__":
    main()
