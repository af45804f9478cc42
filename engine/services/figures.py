"""The supervision figures, each defined once, with the article it serves.

Art. 49 makes these figures the basis of 考核评价, so every place a person reads them (the
on-time page and its chart, the downloads, the API, `pdw report`, the Art. 49 assessment) counts
through `tally` here, and a test reconciles them on the same data.

An application enters the figures once its statutory clock is recorded (`statutory_due_date`, set
on receipt from the procedure's `statutoryRule`; engine.services.statutory), and never leaves
them: every status it can reach is one of the outcomes below.

- **On time (按期答复)**: the reply was given on or before the statutory deadline (Art. 20
  para. 2, Art. 16 para. 2, Art. 28 para. 2, as the procedure's rule says). The reply's time is
  the clock of record, `replied_at`: when the engine completed the step that gives the reply,
  never a date typed in a form (engine.forms `x-actDate`). Counted in the period of the reply.
- **Late (逾期答复)**: a reply given after the deadline (`replied_late_days` > 0). Counted in the
  period of the reply.
- **Open overdue (逾期未答复)**: no reply, the application still pending (running or errored),
  and its deadline ended before today. Counted in the period its deadline ended in.
- **Ended without a reply (未答复即办结)**: the application ended (completed, or cancelled by the
  authority) and no reply was recorded. The applicant was owed one, so it counts against the
  rate like an overdue case. Counted in the period its deadline ends in.
- **Ended by the authority (主管部门终止)**: of the above (replied or not), those a supervisor
  cancelled (`instances cancel`); shown beside them, counted as what they are, never removed.
- **Withdrawn (申请人撤回)**: the applicant withdrew before any reply (Art. 20's reply is owed to
  an application that stands); shown, outside the rate. Counted in the period its deadline ends in.
- **On-time rate (按期率)** = on time / (on time + late + open overdue + ended without a reply):
  an overdue or unanswered case lowers the rate, so no 100 % stands beside overdue cases.
- **Promised vs statutory (承诺时限)**: a department may publish a shorter 承诺时限 (never a longer
  one: engine.services.supervision.set_promise); replies given within it are `kept_promise` of
  `promised`, beside, never instead of, the statutory figures.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import Date, and_, case, cast, func, or_, select

from engine.persistence.models import DepartmentPromise, HumanTask, ProcessInstance
from engine.services.organisation import city, departments_by_level

_i = ProcessInstance.__table__
_p = DepartmentPromise.__table__
_t = HumanTask.__table__

PENDING = ("running", "errored")
ENDED = ("completed", "cancelled")
CANCELLED = "cancelled"
WITHDRAWN = "withdrawn"

# The words a person reads for each figure (exports, pages), with the article behind it.
NAMES = {
    "on_time": "按期答复", "late": "逾期答复", "open_overdue": "逾期未答复", "ended_unanswered": "未答复即办结",
    "ended_by_authority": "其中主管部门终止", "withdrawn": "申请人撤回", "on_time_rate": "按期率",
    "promised": "适用承诺时限", "kept_promise": "承诺时限内答复",
}


@dataclass
class Tally:
    """The figures of one group (a procedure, a department, a month) over one period."""

    on_time: int = 0
    late: int = 0
    open_overdue: int = 0
    ended_unanswered: int = 0
    ended_by_authority: int = 0
    withdrawn: int = 0
    promised: int = 0
    kept_promise: int = 0
    received: int = 0  # received in the period (with `tally(received=True)`)
    still_open: int = 0  # of those, still awaiting their reply
    days: list = field(default_factory=list)  # (working days from receipt to reply, how many)

    @property
    def answered(self) -> int:
        """Replies given in the period, on time or late."""
        return self.on_time + self.late

    @property
    def counted(self) -> int:
        """The cases the rate is over: answered, open overdue and ended without a reply."""
        return self.answered + self.open_overdue + self.ended_unanswered

    @property
    def rate(self) -> float | None:
        """On time over every counted case (None when nothing is counted)."""
        return rate(self.on_time, self.counted)


def rate(on_time: int, counted: int) -> float | None:
    """The on-time rate as a fraction rounded to 4 places; None when nothing is counted."""
    return round(on_time / counted, 4) if counted else None


def reply_day(dialect: str):
    """The Beijing date of the reply (replied_at is stored in UTC)."""
    if dialect == "postgresql":
        return cast(func.timezone("Asia/Shanghai", _i.c.replied_at), Date)
    return func.date(_i.c.replied_at, "+8 hours")


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def units_of(session, instance_ids: set[int]) -> dict[int, str]:
    """The unit answering for each application that names no department: the unit its first step
    was asked of (`role@UNIT`, as engine.access.step_unit reads a step), e.g. the source unit
    that verifies a correction request."""
    units: dict[int, str] = {}
    if not instance_ids:
        return units
    for r in session.execute(select(_t.c.instance_id, _t.c.candidate_groups)
                             .where(_t.c.instance_id.in_(instance_ids)).order_by(_t.c.instance_id, _t.c.id)):
        if r.instance_id not in units:
            unit = next((g.split("@", 1)[1] for g in r.candidate_groups or [] if "@" in g), None)
            if unit:
                units[r.instance_id] = unit
    return units


def tally(session, engine, *, start: date, end: date, by: str | None = None, scope: frozenset[str] | None = None,
          today: date, received: bool = False) -> dict[str | None, Tally]:
    """The figures from `start` to `end` (Beijing days, both included) per procedure, department,
    level or month (`by`; None: one group ""), for the departments of `scope` (None: all).

    Each application counts for one department: the one it names (the competent unit), else
    the unit its first step was asked of (`units_of`); so no application sits under no
    department, and `scope` keeps those its departments answer for. By level, each counts for
    its department's level (the city's for a unit no level names), so the levels' figures add
    up to the whole city's.

    Args:
        session: an open session of a unit of work.
        engine: the engine (its calendar counts working days).
        today: the engine's today; a deadline counts as overdue once it ended before today.
        received: also count the applications received in the period and still open.
    """
    from engine.services.reports import start_of  # one definition of a day's start

    day = reply_day(session.get_bind().dialect.name).label("day")
    tallies: dict[str | None, Tally] = defaultdict(Tally)
    # Applications naming no department are read one by one (grouped by id) to be placed.
    unplaced = case((_i.c.department.is_(None), _i.c.id), else_=None).label("unplaced")
    # Each expression built once, so GROUP BY repeats the very bind parameters SELECT uses.
    late, cancelled = (_i.c.replied_late_days > 0).label("late"), (_i.c.status == CANCELLED).label("cancelled")
    placed = _i.c.department.in_(sorted(scope)) | _i.c.department.is_(None) if scope is not None else None
    levels = departments_by_level(session) if by == "level" else {}
    top = city(session) if by == "level" else None

    def read(query):
        query = query.where(placed) if placed is not None else query
        rows = session.execute(query).all()
        units = units_of(session, {r.unplaced for r in rows if r.unplaced is not None})
        for r in rows:
            department = r.department or units.get(r.unplaced)
            if scope is None or department in scope:
                yield department, r

    def key(r, department, on: date | None):
        if by == "month":
            return on.strftime("%Y-%m")
        if by == "level":
            return levels.get(department) or (top.code if top else "")
        return {"procedure": r.process_id, "department": department}.get(by, "")

    replied = (select(_i.c.process_id, _i.c.department, unplaced, _i.c.received_on, day, late, cancelled,
                      func.count().label("n"))
               .where(_i.c.replied_at >= start_of(start), _i.c.replied_at < start_of(end + timedelta(days=1)),
                      _i.c.statutory_due_date.is_not(None))
               .group_by(_i.c.process_id, _i.c.department, unplaced, _i.c.received_on, day, late, cancelled))
    last_due = min(end, today - timedelta(days=1))
    unanswered = (select(_i.c.process_id, _i.c.department, unplaced, _i.c.status, _i.c.statutory_due_date,
                         func.count().label("n"))
                  .where(_i.c.replied_at.is_(None), _i.c.statutory_due_date >= start, _i.c.statutory_due_date <= end,
                         or_(_i.c.status.not_in(PENDING), _i.c.statutory_due_date <= last_due))
                  .group_by(_i.c.process_id, _i.c.department, unplaced, _i.c.status, _i.c.statutory_due_date))
    promises = {(p.department, p.process_id): p.working_days for p in session.execute(select(_p))}
    spans: dict[tuple[date, date], int] = {}
    for department, r in read(replied):
        on = _as_date(r.day)
        t = tallies[key(r, department, on)]
        if r.late:
            t.late += r.n
        else:
            t.on_time += r.n
        if r.cancelled:
            t.ended_by_authority += r.n
        span = (r.received_on, on)
        if span not in spans:
            spans[span] = max(0, engine.calendar.working_days_between(*span))
        t.days.append((spans[span], r.n))
        promised = promises.get((department, r.process_id))
        if promised:
            t.promised += r.n
            if on <= engine.calendar.add_working_days(r.received_on, promised):
                t.kept_promise += r.n
    for department, r in read(unanswered):
        t = tallies[key(r, department, r.statutory_due_date)]
        if r.status in PENDING:
            t.open_overdue += r.n
        elif r.status == WITHDRAWN:
            t.withdrawn += r.n
        else:
            t.ended_unanswered += r.n
            if r.status == CANCELLED:
                t.ended_by_authority += r.n
    if received:
        still_open = and_(_i.c.replied_at.is_(None), _i.c.status.in_(PENDING)).label("still_open")
        got = (select(_i.c.process_id, _i.c.department, unplaced, _i.c.received_on, still_open,
                      func.count().label("n"))
               .where(_i.c.received_on >= start, _i.c.received_on <= end)
               .group_by(_i.c.process_id, _i.c.department, unplaced, _i.c.received_on, still_open))
        for department, r in read(got):
            t = tallies[key(r, department, r.received_on)]
            t.received += r.n
            if r.still_open:
                t.still_open += r.n
    return tallies


__all__ = ["Tally", "tally", "units_of", "rate", "reply_day", "NAMES", "PENDING", "ENDED", "CANCELLED", "WITHDRAWN"]
