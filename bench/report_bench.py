"""Supervision reports with 1,000,000 task rows against 10,000, on PostgreSQL.

Fills two private schemas with the same mix (two tasks per application; 10% of tasks open,
deadlines spread over six weeks, so about half the open ones are overdue; applications received
over four months, answered one to ten days later, 15% late, with their statutory clock and one
of 20 departments), then times in each:

- the overdue page: `reports.overdue` for the 主管部门's supervisor, first 100 rows, as the
  supervisor's page reads it (targets: under 300 ms at 1M, within 1.3x of 10k);
- the quarter's on-time report: `reports.ontime` for Q1 2026 by procedure (target: under 1 s
  at 1M).

Prints the median wall times in ms and their ratios.

    .venv/bin/python bench/report_bench.py [--url postgresql+psycopg://postgres@127.0.0.1:5432/test]
"""
from __future__ import annotations

import statistics
import sys
import time
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text  # noqa: E402

from bench._support import size_arguments, sized_schemas  # noqa: E402
from engine.bootstrap import Config, build_engine  # noqa: E402
from engine.clock import Clock  # noqa: E402
from engine.persistence.database import connect  # noqa: E402
from engine.persistence.migrate import upgrade  # noqa: E402
from engine.services import reports  # noqa: E402

NOW = "2026-04-01T09:00:00+08:00"
PAGE = 100
RUNS = 15

# Deadlines and departments come from hashes of the id (see bench/inbox_bench.py for why).
FILL = [
    """INSERT INTO departments (code, name, kind)
       SELECT 'd' || lpad(d::text, 2, '0'), '部门 ' || d, CASE WHEN d = 0 THEN 'authority' ELSE 'department' END
       FROM generate_series(0, 19) AS d""",
    """INSERT INTO users (name, display_name, department, roles, active, created_at)
       VALUES ('boss', 'boss', 'd00', '["supervisor"]', true, now())""",
    """INSERT INTO process_definitions (id, process_id, version, name, content_hash, file_name, bpmn_xml, spec,
                                        forms, properties, deployed_at, deployed_by)
       SELECT p, 'proc_' || p, 1, '事项 ' || p, md5(p::text), 'p' || p || '.bpmn', ''::bytea, '{}', '{}',
              '{}', now(), 'bench'
       FROM generate_series(1, 6) AS p""",
    """INSERT INTO process_instances (id, definition_id, process_id, status, receipt_number, received_on,
                                      started_by, started_at, summary, state, waiting, serializer_version, version,
                                      department, statutory_due_date, statutory_rule, statutory_article,
                                      statutory_provisional, replied_at, replied_late_days)
       SELECT i, 1 + i % 6, 'proc_' || (1 + i % 6), CASE WHEN i % 5 = 0 THEN 'running' ELSE 'completed' END,
              'B' || i, date '2025-12-01' + (i % 120), 'applicant' || (i % 900), now(), '{}', '{}', '{}', '1', 1,
              'd' || lpad(abs(hashint4(i) % 20)::text, 2, '0'),
              date '2025-12-08' + (i % 120), 'art20_share_reply', '第二十条第二款', false,
              CASE WHEN i % 5 <> 0 THEN ((date '2025-12-01' + (i % 120) + 1 + abs(hashint4(-i) % 10))::timestamp
                                          + interval '10 hours') AT TIME ZONE 'Asia/Shanghai' END,
              CASE WHEN i % 5 <> 0 THEN CASE WHEN abs(hashint4(-i) % 100) < 15 THEN 1 + i % 4 ELSE 0 END END
       FROM generate_series(1, :instances) AS i""",
    """INSERT INTO human_tasks (id, instance_id, spiff_task_id, task_name, title, process_id, form, candidate_groups,
                                assignee, state, created_at, completed_at, completed_by, due_date, due_at,
                                deadline_rule, deadline_article, deadline_provisional, deadline_basis)
       SELECT t, (t + 1) / 2, md5(t::text), 'review', '审核', 'proc_' || (1 + ((t + 1) / 2) % 6), 'f.json',
              json_build_array('reviewer@d' || lpad(abs(hashint4(t) % 20)::text, 2, '0')),
              CASE WHEN t % 10 <> 0 OR t % 30 = 0 THEN 'user' || (t % 97) END,
              CASE WHEN t % 10 = 0 THEN 'open' ELSE 'completed' END, now(),
              CASE WHEN t % 10 <> 0 THEN timestamptz '2026-01-01' + (t % 5000) * interval '1 minute' END,
              CASE WHEN t % 10 <> 0 THEN 'user' || (t % 97) END,
              date '2026-03-10' + abs(hashint4(-t) % 42),
              (date '2026-03-11' + abs(hashint4(-t) % 42))::timestamp AT TIME ZONE 'Asia/Shanghai',
              'art20_share_reply', '第二十条第二款', false, '[]'
       FROM generate_series(1, :tasks) AS t""",
    """INSERT INTO task_candidates (task_id, group_name, due_at)
       SELECT id, candidate_groups->>0, due_at FROM human_tasks WHERE state = 'open' AND assignee IS NULL""",
    """INSERT INTO users (name, display_name, department, roles, active, created_at)
       SELECT 'user' || u, 'user' || u, 'd' || lpad((u % 20)::text, 2, '0'), '["reviewer"]', true, now()
       FROM generate_series(0, 96) AS u""",
]


def fill(url: str, tasks: int) -> float:
    """Migrate an empty schema and fill it with `tasks` task rows; returns seconds taken."""
    began = time.perf_counter()
    db = connect(url)
    upgrade(db)
    # The reader's engine runs in autocommit (the writer's opens every transaction with BEGIN,
    # inside which VACUUM cannot run).
    with db.engine.connect() as c:
        for statement in FILL:
            c.execute(text(statement), {"tasks": tasks, "instances": (tasks + 1) // 2})
            # Statistics after each table, or the foreign-key checks of the next one plan for
            # an empty table and scan the million rows once per row.
            c.execute(text("ANALYZE"))
        c.execute(text("VACUUM ANALYZE"))
    db.dispose()
    return time.perf_counter() - began


def _median_ms(run) -> tuple[float, object]:
    times, result = [], None
    for _ in range(RUNS):
        began = time.perf_counter()
        result = run()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times), result


def measure(url: str) -> dict:
    """Median wall times (ms) of the overdue page and the quarter's on-time report."""
    engine = build_engine(replace(Config(), database_url=url), Clock(datetime.fromisoformat(NOW)))
    try:
        overdue_ms, page = _median_ms(lambda: reports.overdue(engine.uow(), "boss", limit=PAGE))
        ontime_ms, rows = _median_ms(lambda: reports.ontime(engine.uow(), "boss", start=date(2026, 1, 1),
                                                            end=date(2026, 3, 31), by="procedure"))
        assert len(page) == PAGE and page[0].working_days_overdue > 0, len(page)
        assert len(rows) == 6 and sum(r.answered for r in rows) > 0
        return {"overdue_ms": overdue_ms, "ontime_ms": ontime_ms, "answered": sum(r.answered for r in rows)}
    finally:
        engine.close()


def main() -> None:
    args = size_arguments(__doc__).parse_args()
    results = {}
    with sized_schemas(args.url, "pdw_report_bench", (args.small, args.large)) as schemas:
        for size, url in schemas:
            seconds = fill(url, size)
            r = results[size] = measure(url)
            print(f"{size:>9,} task rows: filled in {seconds:6.1f} s; overdue page ({PAGE} rows) "
                  f"{r['overdue_ms']:7.2f} ms; quarter on-time report ({r['answered']:,} replies) "
                  f"{r['ontime_ms']:7.2f} ms")
    small, large = results[args.small], results[args.large]
    print(f"ratio {args.large:,} / {args.small:,} rows: overdue page {large['overdue_ms'] / small['overdue_ms']:.2f}x"
          f" (target <= 1.3x, under 300 ms: {large['overdue_ms']:.1f} ms); on-time report "
          f"{large['ontime_ms'] / small['ontime_ms']:.2f}x (target under 1000 ms: {large['ontime_ms']:.1f} ms)")


if __name__ == "__main__":
    main()
