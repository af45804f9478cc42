"""What the throughput bench (bench/engine_throughput.py) reports is what it measures.

- The README's round trips per step are the bench's: it drives the fixture two_reviews through
  the services and the shipped conditional_share through the API's use cases, counting each
  step's round trips to PostgreSQL with the production settings; the README's table must say the
  same numbers, so a change that adds a round trip (or saves one) shows here until the README
  says so.
- Its lock-wait figure sees a wait when there is one: with worker processes it prints the share
  of backends in a transaction found waiting for another transaction's lock, and a share of 0.0%
  says that no row queues the writes only if a backend that waits is counted.
"""
from __future__ import annotations

import re
import sys
import threading
from pathlib import Path

import psycopg
import pytest

ROOT = Path(__file__).resolve().parents[2]
ROW = re.compile(r"^\| `(?P<procedure>\w+)`[^|]*\| (?P<steps>[^|]+) \| (?P<trips>[\d /]+) \|$")


@pytest.fixture
def database_kind() -> str:
    return "postgres"


@pytest.fixture
def bench():
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import engine_throughput
        yield engine_throughput
    finally:
        sys.path.remove(str(ROOT / "bench"))


def readme_round_trips() -> dict[str, list[int]]:
    """Each procedure's round trips per step, in the order of the README's table row."""
    rows = {}
    for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines():
        found = ROW.match(line)
        if found:
            rows[found["procedure"]] = [int(n) for n in found["trips"].split("/")]
    return rows


def test_the_readmes_round_trips_per_step_are_the_benchs(bench, database_url):
    engine = bench.pdw_engine(database_url)
    try:
        measured = {}
        for name, workload in (("two_reviews", bench.TwoReviews(engine)),
                               ("conditional_share", bench.ConditionalShare(engine))):
            for _ in range(2):  # past the first run's set-up reads (calendar, versions)
                workload.one()
            measured[name] = list(bench.round_trips_per_step(workload).values())
    finally:
        engine.close()
    readme = readme_round_trips()
    # The README gives two_reviews' decisions once ("each decision").
    assert readme["two_reviews"] == [measured["two_reviews"][0], *sorted(set(measured["two_reviews"][1:]))]
    assert readme["conditional_share"] == measured["conditional_share"]


def test_the_lock_wait_figure_counts_a_backend_waiting_for_a_row_lock_and_nothing_else(bench, database_url):
    plain = database_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as holder, psycopg.connect(plain, autocommit=True) as waiter:
        holder.execute("CREATE TABLE lock_probe (id integer PRIMARY KEY)")
        holder.execute("INSERT INTO lock_probe VALUES (1)")
        holder.execute("BEGIN")
        holder.execute("SELECT id FROM lock_probe WHERE id = 1 FOR UPDATE")
        with bench.LockWaits(database_url) as alone:
            threading.Event().wait(0.3)
        assert alone.samples > 0 and alone.waiting == 0  # in a transaction, waiting for nobody

        blocked = threading.Thread(target=waiter.execute, args=("UPDATE lock_probe SET id = 1 WHERE id = 1",))
        blocked.start()
        try:
            with bench.LockWaits(database_url) as queued:
                threading.Event().wait(0.3)
        finally:
            holder.execute("ROLLBACK")
            blocked.join(timeout=10)
        assert queued.share() >= 0.3  # of two backends in a transaction, one waits
