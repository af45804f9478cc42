"""The whole hostile corpus in a separate process under a 2.5 GB memory cap and 30 s per file.

Every file is refused at deployment, or runs to a clean errored or lawful state in time, with
no traceback and an instance that still loads (the runner shows each one).
"""
from __future__ import annotations

import json
import resource
import subprocess
import sys
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent.parent / "fixtures"
HOSTILE = FIXTURES / "bpmn" / "hostile"
MEMORY_CAP = int(2.5 * 1024**3)
CLEAN = {"refused", "errored", "running", "completed"}


def _cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


@pytest.fixture
def corpus() -> list[Path]:
    files = sorted(HOSTILE.glob("*.bpmn")) + sorted((HOSTILE / "runtime").glob("*.bpmn"))
    assert len(files) > 25
    return files


def test_every_hostile_file_ends_clean_within_its_time_under_the_memory_cap(corpus, sqlite_url):
    runner = Path(__file__).with_name("hostile_runner.py")
    done = subprocess.run([sys.executable, str(runner), sqlite_url, str(FIXTURES / "forms"),
                           *map(str, corpus)],
                          capture_output=True, text=True, timeout=30 * len(corpus), preexec_fn=_cap_memory)
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    assert done.returncode == 0, done.stderr[-3000:]
    outcomes = [json.loads(line) for line in done.stdout.splitlines()]
    assert [o["file"] for o in outcomes] == [p.name for p in corpus]
    unclean = [o for o in outcomes if o["outcome"] not in CLEAN or o["seconds"] >= 30]
    assert unclean == []
    by_file = {o["file"]: o for o in outcomes}
    assert by_file["xxe_entity.bpmn"]["outcome"] == "refused"
    assert by_file["mi_collection.bpmn"]["outcome"] == "errored"
    assert by_file["typename_data.bpmn"]["outcome"] == "completed"
    assert by_file["post_script_raises.bpmn"]["complete"] == "task.post_script_failed"
