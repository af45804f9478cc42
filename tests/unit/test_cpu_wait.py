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

    def wait(self, seconds: float, share: float) -> None:
        """`seconds` pass, of which the thread waits `share` for a CPU."""
        self.now += seconds
        self.waited += seconds * share


def after_a_period(share: float) -> tuple[Scheduler, CpuWait]:
    """A thread's CpuWait sampled twice, a second apart, the thread having waited `share` of it."""
    scheduler = Scheduler()
    cpu = scheduler.cpu_wait()
    assert cpu.short() is False  # a first sample has no period to judge
    scheduler.wait(1.0, share)
    return scheduler, cpu


@pytest.mark.parametrize("share, short", [(0.0, False), (CpuWait.SHORT - 0.01, False), (CpuWait.SHORT + 0.01, True),
                                          (0.9, True)])
def test_a_thread_is_short_of_cpu_when_it_waited_more_than_the_threshold(share, short):
    _, cpu = after_a_period(share)
    assert cpu.short() is short


def test_a_judgement_stands_for_the_sample_period_and_waiting_within_it_counts_in_the_next():
    scheduler, cpu = after_a_period(0.5)
    assert cpu.short() is True
    scheduler.wait(CpuWait.SAMPLE_SECONDS / 2, 0.0)  # within the sample period: the last judgement stands
    assert cpu.short() is True
    scheduler.wait(CpuWait.SAMPLE_SECONDS, 0.0)  # a period without waiting
    assert cpu.short() is False
    scheduler.wait(CpuWait.SAMPLE_SECONDS * 0.6, 1.0)  # waited within the period: judged when it ends
    assert cpu.short() is False
    scheduler.wait(CpuWait.SAMPLE_SECONDS * 0.6, 1.0)
    assert cpu.short() is True


def test_without_scheduler_statistics_statements_are_written_at_once():
    scheduler = Scheduler()
    scheduler.waited = None
    cpu = scheduler.cpu_wait()
    for _ in range(3):
        scheduler.now += 1.0
        assert cpu.short() is False


def test_each_thread_is_judged_by_its_own_waiting():
    _, cpu = after_a_period(0.9)
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
