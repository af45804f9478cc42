"""Inbox search cost with 1,000,000 task rows (500,000 applications) against 10,000, on PostgreSQL.

Fills two private schemas as bench/inbox_bench.py does, plus the search words of every
application (engine.search.tokens of a receipt number, an applicant out of 900, an
organisation out of 700, a catalog entry out of 300 and a purpose), then times the first
page of the "available" tab searched by an applicant's name and by a catalog entry's name:
the server's planning + execution time from EXPLAIN ANALYZE and the wall time of
`inbox.page`. Prints the ratio.

    .venv/bin/python bench/search_bench.py [--url postgresql+psycopg://postgres@127.0.0.1:5432/test]
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

from sqlalchemy import create_engine, text  # noqa: E402

from bench.inbox_bench import GROUPS, NOW, fill  # noqa: E402
from bench._support import size_arguments, sized_schemas  # noqa: E402
from engine.bootstrap import Config, build_engine  # noqa: E402
from engine.clock import Clock  # noqa: E402
from engine.search import tokens  # noqa: E402
from engine.services import inbox  # noqa: E402

RUNS = 20
PRINT_PLANS = "--plan" in sys.argv
SURNAMES = "张王李赵刘陈杨黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建文"
DOMAINS = ["人口", "法人", "不动产", "社保", "医保", "婚姻", "车辆", "驾驶", "税务", "公积金", "教育", "就业", "卫生",
           "疫苗", "水电", "燃气", "环境", "气象", "交通", "农业"]
KINDS = ["基础信息", "登记信息", "变更记录", "缴纳记录", "许可信息", "处罚信息", "证照信息", "统计数据", "监测数据",
         "备案信息", "年报信息", "注销信息", "信用信息", "地址信息", "档案信息"]
UNITS = ["公安局", "市场监督管理局", "卫生健康委员会", "自然资源和规划局", "人力资源和社会保障局", "民政局", "税务局"]
PLACES = ["达川区", "通川区", "开江县", "宣汉县", "大竹县", "渠县", "万源市", "高新区", "经开区", "东部经开区"]


def pools() -> dict[str, list[str]]:
    """The search words of each applicant, organisation and catalog entry the fill draws from."""
    names = [s + g for s in SURNAMES for g in GIVEN][:900]
    units = [f"{p}{u}第{n}科" for p in PLACES for u in UNITS for n in range(10)][:700]
    catalog = [d + k for d in DOMAINS for k in KINDS][:300]
    return {"names": names, "units": units, "catalog": catalog}


# Drawn by hashes of the id, as bench/inbox_bench.py draws groups: arithmetic on the id would tie
# an applicant to the open or closed state of their tasks.
FILL_SEARCH = """
    INSERT INTO application_search (instance_id, tokens)
    SELECT i, 'b' || i || ' ' || (CAST(:names AS text[]))[1 + abs(hashint4(i) % 900)] || ' '
              || (CAST(:units AS text[]))[1 + abs(hashint4(-i) % 700)] || ' '
              || (CAST(:catalog AS text[]))[1 + abs(hashint8(i) % 300)]
              || ' 业务 务办 办理 理用 用途'
    FROM generate_series(1, :instances) AS i
"""


def fill_search(url: str, tasks: int) -> float:
    """Add the search words of the `tasks // 2` applications `fill` made; returns seconds taken."""
    began = time.perf_counter()
    words = {k: [tokens(v) for v in values] for k, values in pools().items()}
    engine = create_engine(url)
    with engine.begin() as c:
        c.execute(text(FILL_SEARCH), {**words, "instances": (tasks + 1) // 2})
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.execute(text("VACUUM ANALYZE application_search"))
    engine.dispose()
    return time.perf_counter() - began


def measure(url: str, search: str) -> dict:
    """Median server time and wall time of the first available page searched by `search`."""
    engine = build_engine(replace(Config(), database_url=url), Clock(datetime.fromisoformat(NOW)))
    try:
        query = inbox.InboxQuery(tab="available", limit=25, search=search)
        server = []
        with engine.db.engine.connect() as c:
            for _kind, statement in inbox.page_queries(engine, GROUPS, "bench", query)[:1]:
                compiled = statement.compile(dialect=engine.db.engine.dialect,
                                             compile_kwargs={"render_postcompile": True})
                for _ in range(RUNS):
                    plan = c.exec_driver_sql("EXPLAIN (ANALYZE, FORMAT JSON) " + str(compiled),
                                             compiled.params).scalar()[0]
                    server.append(plan["Planning Time"] + plan["Execution Time"])
                if PRINT_PLANS:
                    print("\n".join(r[0] for r in c.exec_driver_sql("EXPLAIN (ANALYZE, COSTS OFF) " + str(compiled),
                                                                     compiled.params)))
            if not c.execute(text("SELECT 1 FROM users WHERE name = 'bench'")).first():
                c.execute(text("INSERT INTO users (name, display_name, department, roles, active, created_at) "
                               "VALUES ('bench', 'bench', NULL, CAST(:roles AS json), true, now())"),
                          {"roles": json.dumps(GROUPS)})
                c.commit()
        wall, rows = [], 0
        for _ in range(RUNS):
            began = time.perf_counter()
            rows = len(inbox.page(engine.uow(), "bench", query).rows)
            wall.append((time.perf_counter() - began) * 1000)
        return {"server_ms": statistics.median(server), "wall_ms": statistics.median(wall), "rows": rows}
    finally:
        engine.close()


def main() -> None:
    args = size_arguments(__doc__).parse_args()
    pool = pools()
    searches = {"applicant's name": pool["names"][3], "catalog entry": pool["catalog"][7]}
    results: dict[tuple[int, str], dict] = {}
    with sized_schemas(args.url, "pdw_search_bench", (args.small, args.large)) as schemas:
        for size, url in schemas:
            seconds = fill(url, size) + fill_search(url, size)
            for label, needle in searches.items():
                found = results[size, label] = measure(url, needle)
                print(f"{size:>9,} task rows: filled in {seconds:6.1f} s; search by {label} ({needle}): "
                      f"{found['rows']} row(s), server {found['server_ms']:7.2f} ms, wall {found['wall_ms']:7.2f} ms")
    for label in searches:
        small, large = results[args.small, label], results[args.large, label]
        print(f"ratio {args.large:,} / {args.small:,} rows, search by {label}: "
              f"server {large['server_ms'] / small['server_ms']:.2f}x, wall {large['wall_ms'] / small['wall_ms']:.2f}x")


if __name__ == "__main__":
    main()
