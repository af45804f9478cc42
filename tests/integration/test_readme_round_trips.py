"""The README's round trips per step are what the throughput bench measures on the real paths.

The bench (bench/engine_throughput.py) drives the fixture two_reviews through the services and the
shipped conditional_share through the API's use cases, counting each step's round trips to
PostgreSQL with the production settings; the README's table must say the same numbers, so a
change that adds a round trip (or saves one) shows here until the README says so.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

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
