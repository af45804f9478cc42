"""Throughput of the working-day calendar against a naive day-by-day walk, measured in one run.

Run: .venv/bin/python bench/calendar_bench.py [--count 100000]
"""
from __future__ import annotations

import argparse
import random
import time
from datetime import date, timedelta

import holidays

from engine.calendar import WorkingCalendar, load_rules

TARGET_PER_SECOND = 200_000


def make_cases(count: int, seed: int = 20260226) -> list[tuple[str, date, object]]:
    """Mixed cases: working-day periods, calendar-day periods and rules, receipts in 2025..2027."""
    rng = random.Random(seed)
    rules = list(load_rules().values())
    first = date(2025, 1, 1).toordinal()
    span = date(2027, 12, 31).toordinal() - first
    cases: list[tuple[str, date, object]] = []
    for _ in range(count):
        received = date.fromordinal(first + rng.randint(0, span))
        kind = rng.choice(("working_days", "days", "rule"))
        if kind == "working_days":
            cases.append((kind, received, rng.randint(1, 20)))
        elif kind == "days":
            cases.append((kind, received, rng.randint(1, 60)))
        else:
            cases.append((kind, received, rng.choice(rules)))
    return cases


def run_direct(calendar: WorkingCalendar, cases: list) -> None:
    """add_working_days / add_days directly; a rule is resolved by hand (extension on top of its base)."""
    rules = calendar.rules
    for kind, received, value in cases:
        if kind == "working_days":
            calendar.add_working_days(received, value)
        elif kind == "days":
            calendar.add_days(received, value)
        else:
            _rule_due(calendar, received, value, rules)


def _rule_due(calendar: WorkingCalendar, received: date, rule, rules) -> date:
    start = _rule_due(calendar, received, rules[rule.extends], rules) if rule.extends else received
    if rule.unit == "working_days":
        return calendar.add_working_days(start, rule.period)
    return calendar.add_days(start, rule.period)


def run_deadline(calendar: WorkingCalendar, cases: list) -> None:
    """The full WorkingCalendar.deadline(): due date, due instant, provisional flag and basis."""
    rules = calendar.rules
    for kind, received, value in cases:
        if kind == "working_days":
            calendar.deadline(received, working_days=value)
        elif kind == "days":
            calendar.deadline(received, days=value)
        else:
            calendar.deadline(received, rule=value, rules=rules)


def run_naive(package: holidays.HolidayBase, cases: list, rules) -> None:
    """The baseline: walk day by day asking the holidays package."""

    def add_working_days(start: date, n: int) -> date:
        day = start
        while n:
            day += timedelta(days=1)
            if package.is_working_day(day):
                n -= 1
        return day

    def add_days(start: date, n: int) -> date:
        day = start + timedelta(days=n)
        return day if package.is_working_day(day) else add_working_days(day, 1)

    def rule_due(received: date, rule) -> date:
        start = rule_due(received, rules[rule.extends]) if rule.extends else received
        return (add_working_days if rule.unit == "working_days" else add_days)(start, rule.period)

    for kind, received, value in cases:
        if kind == "working_days":
            add_working_days(received, value)
        elif kind == "days":
            add_days(received, value)
        else:
            rule_due(received, value)


def per_second(run, count: int) -> float:
    """Best of three runs, in cases per second."""
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - started)
    return count / best


def main() -> None:
    """Measure and print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--naive-count", type=int, default=10_000, help="cases for the slow baseline")
    args = parser.parse_args()

    cases = make_cases(args.count)
    calendar = WorkingCalendar.load()
    started = time.perf_counter()
    run_direct(calendar, cases[:1000])  # builds the per-year tables once, as a long-running process would
    warm_up = time.perf_counter() - started
    package = holidays.China(years=range(2025, 2030))
    rules = calendar.rules
    naive_cases = cases[: args.naive_count]
    run_naive(package, naive_cases[:1000], rules)

    direct = per_second(lambda: run_direct(calendar, cases), len(cases))
    full = per_second(lambda: run_deadline(calendar, cases), len(cases))
    naive = per_second(lambda: run_naive(package, naive_cases, rules), len(naive_cases))

    verdict = "met" if direct >= TARGET_PER_SECOND else "NOT met"
    print(f"cases: {len(cases):,} mixed (working-day, calendar-day, rule; receipts 2025-2027); "
          f"naive baseline on the first {len(naive_cases):,}; per-year tables built in {warm_up * 1000:.0f} ms")
    print(f"calendar: {direct:,.0f} deadlines/s; naive day-walk: {naive:,.0f}/s; ratio {direct / naive:.1f}x; "
          f"target >= {TARGET_PER_SECOND:,}/s: {verdict}")
    print(f"WorkingCalendar.deadline() (with due_at, provisional, basis): {full:,.0f} deadlines/s; "
          f"ratio {full / naive:.1f}x against the naive day-walk")


if __name__ == "__main__":
    main()
