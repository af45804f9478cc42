"""When a PostgreSQL writer's batch writes each statement at once: unless its thread has lately
waited for a CPU (engine.persistence.pipeline.CpuWait), by the share of the last sample period it
spent ready to run but not running."""
from __future__ import annotations

import sys
import threading

import pytest

from engine.persistence.pipeline import CpuWait


class Scheduler:
    """The seconds a thread has waited for a CPU, and the clock, as a test sets them."""

    def __init__(self) -> None:
        self.now = 100.0
        self.waited: float | None = 0.0

    def cpu_wait(self) -> CpuWait:
        return CpuWait(waited=lambda: self.waited, clock=lambda: self.now)


def test_a_thread_that_waited_more_than_the_threshold_is_short_of_cpu_until_the_next_sample():
    scheduler = Scheduler()
    cpu = scheduler.cpu_wait()
    assert cpu.short() is False  # a first sample has no period to judge
    scheduler.now += 0.5
    scheduler.waited += 0.5 * (CpuWait.SHORT + 0.01)
    assert cpu.short() is True
    scheduler.now += CpuWait.SAMPLE_SECONDS / 2  # within the sample period: the last judgement stands
    assert cpu.short() is True
    scheduler.now += CpuWait.SAMPLE_SECONDS  # a period without waiting
    assert cpu.short() is False
    scheduler.now += CpuWait.SAMPLE_SECONDS * 0.6
    scheduler.waited += 1.0  # waited within the period: judged when it ends
    assert cpu.short() is False
    scheduler.now += CpuWait.SAMPLE_SECONDS * 0.6
    assert cpu.short() is True


def test_a_thread_that_waited_less_than_the_threshold_is_not_short_of_cpu():
    scheduler = Scheduler()
    cpu = scheduler.cpu_wait()
    cpu.short()
    scheduler.now += 1.0
    scheduler.waited += CpuWait.SHORT - 0.01
    assert cpu.short() is False


def test_without_scheduler_statistics_statements_are_written_at_once():
    scheduler = Scheduler()
    scheduler.waited = None
    cpu = scheduler.cpu_wait()
    for _ in range(3):
        scheduler.now += 1.0
        assert cpu.short() is False


def test_each_thread_is_judged_by_its_own_waiting():
    scheduler = Scheduler()
    cpu = scheduler.cpu_wait()
    cpu.short()
    scheduler.now += 1.0
    scheduler.waited += 0.9
    assert cpu.short() is True
    seen = []
    # Another thread's first sample: it has no period of its own yet.
    other = threading.Thread(target=lambda: seen.append(cpu.short()))
    other.start()
    other.join()
    assert seen == [False]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux's per-thread scheduler statistics")
def test_on_linux_the_seconds_waited_are_read_from_the_kernel():
    waited = CpuWait._read()
    assert isinstance(waited, float) and waited >= 0.0
