"""Instructions per persisted instance against bare SpiffWorkflow, counted by valgrind.

Wall-clock ratios on a shared machine swing by a tenth from run to run; instruction counts do
not. Each side (bare SpiffWorkflow, the fair SQLite baseline and PDW, on two_reviews) runs in its
own process under `valgrind --tool=callgrind`, once with a few
instances and once with more; the difference divided by the extra instances is the cost of
one instance, start-up excluded. Only the server process is counted: the script worker and the
database's own disk work are not, so this complements bench/engine_throughput.py rather than
replacing it: bare SpiffWorkflow serializes its whole state to JSON text at each wait state,
while PDW's scripts and conditions run in the worker, so the ratio here is not the throughput
ratio. What it gives is a count that moves only when the code does: compare it before and after
a change. Needs Debian's valgrind; takes a few minutes.

    .venv/bin/python bench/engine_instructions.py [--few 10] [--more 60] [--sides bare,fair,pdw]
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


SIDES = ("bare", "fair", "pdw")


def _child(side: str, n: int) -> None:
    sys.path.insert(0, str(HERE))
    import engine_throughput as bench

    model = bench.Model.two_reviews()
    if side == "bare":
        bench.bare_round(model, 3)
        bench.bare_round(model, n)
        return
    with tempfile.TemporaryDirectory() as tmp:
        if side == "fair":
            fair = bench.FairSqlite(f"{tmp}/fair.sqlite3", model)
            for _ in range(3 + n):
                fair.one()
            fair.close()
            return
        engine = bench.pdw_engine(f"sqlite:///{tmp}/bench.sqlite3")
        workload = bench.TwoReviews(engine)
        for _ in range(3 + n):
            workload.one()
        engine.close()


def _instructions(side: str, n: int) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        done = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={tmp}/out",
                               sys.executable, __file__, "--child", side, str(n)],
                              capture_output=True, text=True, check=True,
                              env={**os.environ, "PYTHONHASHSEED": "0"})
    return int(re.search(r"Collected : (\d+)", done.stderr).group(1))


def per_instance(side: str, few: int, more: int) -> float:
    """Instructions one more instance costs on `side` ("bare" or "pdw")."""
    return (_instructions(side, more) - _instructions(side, few)) / (more - few)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--few", type=int, default=10)
    parser.add_argument("--more", type=int, default=60)
    parser.add_argument("--sides", default=",".join(SIDES), help="which of " + ", ".join(SIDES))
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child[0], int(args.child[1]))
        return
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed (Debian: apt-get install valgrind)")
    counts = {side: per_instance(side, args.few, args.more) for side in args.sides.split(",")}
    names = {"bare": "bare SpiffWorkflow (two_reviews, in memory)", "fair": "fair SQLite baseline (two_reviews)",
             "pdw": "PDW on SQLite, two_reviews"}
    for side, count in counts.items():
        print(f"{names[side]:44s} {count / 1e6:7.2f} M instructions per instance")
    for baseline in ("bare", "fair"):
        if baseline in counts and "pdw" in counts:
            print(f"ratio {baseline}/PDW on two_reviews: {counts[baseline] / counts['pdw']:.2f}")

if __name__ == "__main__":
    main()
