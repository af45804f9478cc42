"""WAL pages per application on SQLite, by table and index: PDW against the fair baseline.

Throughput on a shared machine swings by a tenth from run to run; the pages a commit writes do
not. SQLite appends every page a transaction changed to the write-ahead log (one 4 KiB frame
each, two writes), and the log's copy back into the database file (a checkpoint, with its
fsyncs) grows with it, so these counts are the write volume an SQLite deployment pays per
application. Checkpoints are turned off for the count; each frame's header names its page, and
SQLite's `dbstat` table names the table or index that page belongs to.

    .venv/bin/python bench/sqlite_wal_pages.py [--instances 200]
"""
from __future__ import annotations

import argparse
import sqlite3
import struct
import tempfile
from collections import Counter
from pathlib import Path

from sqlalchemy import event

import engine_throughput as bench

WAL_HEADER, FRAME_HEADER = 32, 24


def _frames(wal: Path, page_size: int) -> Counter:
    """How many frames of the log at `wal` hold each page number."""
    data = wal.read_bytes()
    pages: Counter = Counter()
    for offset in range(WAL_HEADER, len(data) - FRAME_HEADER + 1, FRAME_HEADER + page_size):
        pages[struct.unpack(">I", data[offset:offset + 4])[0]] += 1
    return pages


def _by_owner(path: Path, pages: Counter) -> Counter:
    """The frames of `pages` summed by the table or index each page belongs to."""
    with sqlite3.connect(path) as connection:
        owner = dict((page, name) for name, page in connection.execute("SELECT name, pageno FROM dbstat"))
    counted: Counter = Counter()
    for page, frames in pages.items():
        counted[owner.get(page, "(file header)" if page == 1 else "(free pages)")] += frames
    return counted


def _count(path: Path, one, instances: int) -> Counter:
    """Frames per table or index while `one()` runs `instances` times with no checkpoint."""
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page_size = connection.execute("PRAGMA page_size").fetchone()[0]
    for _ in range(instances):
        one()
    return _by_owner(path, _frames(Path(f"{path}-wal"), page_size))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        pdw_path, fair_path = Path(tmp) / "pdw.sqlite3", Path(tmp) / "fair.sqlite3"
        engine = bench.pdw_engine(f"sqlite:///{pdw_path}")
        for sa_engine in (engine.db.write_engine, engine.db.engine):
            sa_engine.pool.dispose()
            event.listen(sa_engine, "connect", lambda connection, _record: connection.execute(
                "PRAGMA wal_autocheckpoint=0"))
        engine.db.checkpointer.close()  # the count needs every frame still in the log
        workload = bench.TwoReviews(engine)
        for _ in range(10):
            workload.one()
        pdw = _count(pdw_path, workload.one, args.instances)
        engine.close()
        fair = bench.FairSqlite(str(fair_path), bench.Model.two_reviews())
        fair.conn.execute("PRAGMA wal_autocheckpoint=0")
        for _ in range(10):
            fair.one()
        baseline = _count(fair_path, fair.one, args.instances)
        fair.close()
    n = args.instances
    print(f"WAL pages per two_reviews application on SQLite ({n} applications, checkpoints off)")
    print(f"  PDW {sum(pdw.values()) / n:6.1f}   fair baseline {sum(baseline.values()) / n:6.1f}   "
          f"ratio fair/PDW {sum(baseline.values()) / max(1, sum(pdw.values())):.2f}")
    print("  PDW, by table or index:")
    for name, frames in pdw.most_common():
        print(f"    {frames / n:6.2f}  {name}")


if __name__ == "__main__":
    main()
