"""Supervision reports, the deadline watch and 催办 on a real SQLite file and a real PostgreSQL server."""
from __future__ import annotations

import threading
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from engine.errors import InvalidInput, PermissionDenied
from engine.persistence.models import DeadlineNotice, Department, Notification, ProcessInstance
from engine.services import definitions, instances, reports, supervision, tasks
from engine.services.users import SYSTEM, add_user

FIXTURES = Path(__file__).parent.parent / "fixtures" / "bpmn"
# Received Thursday 2026-02-12: five working days are 02-13, the make-up Saturday 02-14, then
# (after the Spring Festival, 02-15 to 02-23) 02-24, 02-25 and 02-26.
RECEIVED = "2026-02-12T10:00:00+08:00"
ON_MARCH_2 = "2026-03-02T09:00:00+08:00"


@pytest.fixture
def city(engines):
    engine = engines.at(RECEIVED)
    with engine.uow() as uow:
        uow.session.add_all([Department(code="sjj", name="达州市数据局", kind="authority"),
                             Department(code="gaj", name="达州市公安局", kind="source_unit")])
        uow.commit()
    add_user(engine.uow(), "alice", department="gaj", roles=["applicant"], actor=SYSTEM)
    add_user(engine.uow(), "rita", department="sjj", roles=["reviewer"], actor=SYSTEM)
    add_user(engine.uow(), "sam", department="sjj", roles=["supervisor"], actor=SYSTEM)
    add_user(engine.uow(), "gus", department="gaj", roles=["supervisor"], actor=SYSTEM)
    definitions.deploy(engine.uow(), [("deadline_escalation.bpmn",
                                       (FIXTURES / "deadline_escalation.bpmn").read_bytes())], actor=SYSTEM)
    return engines


def start(engine) -> int:
    return instances.start(engine.uow(), "deadline_escalation", actor="alice", data={}).instance_id


def test_an_open_task_past_its_deadline_is_overdue_by_the_working_days_after_it(city):
    late = start(city.at(RECEIVED))
    start(city.at(ON_MARCH_2))  # due 2026-03-09: not overdue
    rows = reports.overdue(city.at(ON_MARCH_2).uow(), "sam")
    assert [(r.instance_id, r.due_date, r.working_days_overdue, r.article, r.light) for r in rows] == \
        [(late, date(2026, 2, 26), 3, "第二十条第二款", "red")]
    assert rows[0].to_dict()["holder"] == "group:reviewer" and rows[0].receipt_number == "DZ2026021200001"
    # On the last day itself it is not yet overdue; the day after, one working day.
    assert reports.overdue(city.at(ON_MARCH_2).uow(), "sam", at=date(2026, 2, 26)) == []
    assert [r.working_days_overdue for r in reports.overdue(city.at(ON_MARCH_2).uow(), "sam",
                                                            at=date(2026, 2, 27))] == [1]


def test_work_due_within_one_working_day_is_at_risk_and_yellow(city):
    instance = start(city.at(RECEIVED))
    rows = reports.at_risk(city.at("2026-02-25T09:00:00+08:00").uow(), "sam")
    assert [(r.instance_id, r.working_days_left, r.light) for r in rows] == [(instance, 1, "yellow")]
    assert reports.at_risk(city.at("2026-02-24T09:00:00+08:00").uow(), "sam") == []


def test_a_task_whose_group_has_no_active_member_is_unassignable(city):
    engine = city.at(RECEIVED)
    start(engine)
    assert reports.unassignable(engine.uow(), "sam") == []
    with engine.uow() as uow:
        uow.session.execute(update(ProcessInstance.__table__).values(department="sjj"))
        from engine.persistence.models import User
        uow.session.execute(update(User.__table__).where(User.name == "rita").values(active=False))
        uow.commit()
    rows = reports.unassignable(engine.uow(), "sam")
    assert [(r.task_name, r.groups) for r in rows] == [("review", ["reviewer"])]


def test_only_supervisors_read_reports_and_a_department_sees_its_own_work(city):
    engine = city.at(ON_MARCH_2)
    with pytest.raises(PermissionDenied):
        reports.overdue(engine.uow(), "rita")
    start(city.at(RECEIVED))
    assert len(reports.overdue(engine.uow(), "sam")) == 1  # the 主管部门 sees every department
    assert reports.overdue(engine.uow(), "gus") == []  # the task waits for no group of gaj
    with engine.uow() as uow:
        uow.session.execute(update(ProcessInstance.__table__).values(department="gaj"))
        uow.commit()
    assert len(reports.overdue(engine.uow(), "gus")) == 1


def _reply(engine, instance_id: int, *, due: str, replied: str | None, late: int | None, department="sjj",
           status: str = "running"):
    with engine.uow() as uow:
        uow.session.execute(update(ProcessInstance.__table__).where(ProcessInstance.id == instance_id).values(
            department=department, status=status, statutory_due_date=date.fromisoformat(due), statutory_rule="art20_share_reply",
            statutory_article="第二十条第二款",
            replied_at=datetime.fromisoformat(replied).astimezone(timezone.utc) if replied else None,
            replied_late_days=late))
        uow.commit()


def test_the_on_time_report_counts_replies_given_in_time_and_late_with_the_median(city):
    ids = [start(city.at(RECEIVED)) for _ in range(4)]
    _reply(city.at(RECEIVED), ids[0], due="2026-02-26", replied="2026-02-25T10:00:00+08:00", late=0)
    _reply(city.at(RECEIVED), ids[1], due="2026-02-26", replied="2026-02-26T23:00:00+08:00", late=0)
    _reply(city.at(RECEIVED), ids[2], due="2026-02-26", replied="2026-03-02T10:00:00+08:00", late=3,
           department="gaj")
    _reply(city.at(RECEIVED), ids[3], due="2026-02-26", replied=None, late=None)
    engine = city.at("2026-03-31T12:00:00+08:00")
    by_procedure = reports.ontime(engine.uow(), "sam", start=date(2026, 1, 1), end=date(2026, 3, 31))
    # Handling times: 4 (02-25), 5 (02-26), 8 (03-02) working days after receipt.
    # The open overdue case counts: 2 on time of 4 counted.
    assert [r.to_dict() for r in by_procedure] == [{
        "key": "deadline_escalation", "name": "逾期升级", "process_id": "deadline_escalation", "department": None,
        "month": None, "answered": 3, "on_time": 2, "late": 1, "open_overdue": 1, "ended_unanswered": 0,
        "ended_by_authority": 0, "withdrawn": 0, "counted": 4, "on_time_rate": 0.5, "promised": 0, "kept_promise": 0,
        "median_working_days": 5.0}]
    by_month = reports.ontime(engine.uow(), "sam", start=date(2026, 1, 1), end=date(2026, 3, 31), by="month")
    assert [(r.month, r.answered, r.on_time, r.open_overdue) for r in by_month] == \
        [("2026-02", 2, 2, 1), ("2026-03", 1, 0, 0)]
    by_department = reports.ontime(engine.uow(), "gus", start=date(2026, 1, 1), end=date(2026, 3, 31),
                                   by="department")
    assert [(r.department, r.answered, r.late) for r in by_department] == [("gaj", 1, 1)]
    with pytest.raises(InvalidInput) as refused:
        reports.ontime(engine.uow(), "sam", start=date(2026, 3, 1), end=date(2026, 2, 1))
    assert refused.value.problems[0].field == "to"


def test_the_assessment_counts_received_answered_open_and_overdue_per_department(city):
    ids = [start(city.at(RECEIVED)) for _ in range(3)]
    _reply(city.at(RECEIVED), ids[0], due="2026-02-26", replied="2026-02-25T10:00:00+08:00", late=0)
    _reply(city.at(RECEIVED), ids[1], due="2026-02-26", replied="2026-03-02T10:00:00+08:00", late=3)
    _reply(city.at(RECEIVED), ids[2], due="2026-02-26", replied=None, late=None)
    start_, end = reports.period_bounds("quarter", 2026, 1)
    assert (start_, end) == (date(2026, 1, 1), date(2026, 3, 31))
    rows = reports.assessment(city.at(ON_MARCH_2).uow(), "sam", start=start_, end=end)
    assert [r.to_dict() for r in rows] == [{"department": "sjj", "department_name": "达州市数据局", "received": 3,
                                            "answered_on_time": 1, "answered_late": 1, "open": 1, "overdue": 1,
                                            "ended_unanswered": 0, "ended_by_authority": 0, "withdrawn": 0,
                                            "on_time_rate": 0.3333}]


def test_the_watch_reminds_the_day_before_alerts_supervisors_after_and_sends_each_once(city):
    instance = start(city.at(RECEIVED))
    day_before = city.at("2026-02-25T09:00:00+08:00")
    assert supervision.watch(day_before.uow()).reminders == 1
    assert supervision.watch(day_before.uow()).total == 0
    passed = city.at(ON_MARCH_2)
    assert supervision.watch(passed.uow()).overdue == 1
    assert supervision.watch(passed.uow()).total == 0
    with passed.uow().read() as uow:
        sent = [(n.code, n.recipient_user, n.recipient_group) for n in
                uow.session.scalars(select(Notification).order_by(Notification.id))]
    assert sent == [("notification.deadline_tomorrow", None, "reviewer"),
                    ("notification.deadline_overdue", None, "supervisor")]
    # A reply is no deadline: the watch leaves its notice to the step that gave it.
    _reply(passed, instance, due="2026-02-26", replied="2026-03-02T08:00:00+08:00", late=3)
    assert supervision.watch(passed.uow()).total == 0


def test_two_watches_at_once_send_each_notice_exactly_once(city):
    for _ in range(6):
        start(city.at(RECEIVED))
    watchers = [city.at(ON_MARCH_2) for _ in range(2)]
    barrier = threading.Barrier(2)
    reports_: dict[int, supervision.WatchReport] = {}

    def run(n: int) -> None:
        barrier.wait()
        reports_[n] = supervision.watch(watchers[n].uow())

    threads = [threading.Thread(target=run, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert reports_[0].overdue + reports_[1].overdue == 6
    with watchers[0].uow().read() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Notification)) == 6
        assert uow.session.scalar(select(func.count()).select_from(DeadlineNotice)) == 6


def test_an_urge_notifies_the_holder_and_still_overdue_five_working_days_later_goes_to_the_head(city):
    instance = start(city.at(RECEIVED))
    engine = city.at(ON_MARCH_2)
    task_id = tasks.of_instance(engine.uow(), instance)[0]["id"]
    tasks.claim(engine.uow(), task_id, actor="rita")
    urged = supervision.urge(engine.uow(), task_id, actor="sam", note="请今日办结")
    assert (urged.holder, urged.working_days_overdue) == ("rita", 3)
    with pytest.raises(PermissionDenied):
        supervision.urge(engine.uow(), task_id, actor="rita")
    shown = instances.read_stored(engine.uow(), instance)
    assert [h["action"] for h in shown["history"]][-1] == "task.urge"
    assert supervision.watch(city.at("2026-03-06T09:00:00+08:00").uow()).bulletins == 0  # 4 working days
    assert supervision.watch(city.at("2026-03-09T09:00:00+08:00").uow()).bulletins == 1
    assert supervision.watch(city.at("2026-03-10T09:00:00+08:00").uow()).bulletins == 0
    with engine.uow().read() as uow:
        sent = [(n.code, n.recipient_user, n.recipient_group) for n in
                uow.session.scalars(select(Notification).order_by(Notification.id))]
    assert ("notification.urged", "rita", None) in sent
    assert ("notification.bulletin", None, "department_head@sjj") in sent


def test_a_department_promise_is_tracked_beside_the_statutory_deadline(city):
    instance = start(city.at(RECEIVED))
    engine = city.at(ON_MARCH_2)
    _reply(engine, instance, due="2026-02-26", replied=None, late=None)
    supervision.set_promise(engine.uow(), "sjj", "deadline_escalation", 3, actor="sam")
    row = reports.overdue(engine.uow(), "sam")[0]
    assert (row.due_date, row.promised_due_date) == (date(2026, 2, 26), date(2026, 2, 24))


def test_no_case_leaves_the_figures_and_every_grouping_and_the_assessment_agree(city):
    # Six applications due 2026-02-26, seen on 2026-03-02: on time, late, open overdue, cancelled
    # by the authority without a reply, cancelled with a late reply, withdrawn by the applicant.
    ids = [start(city.at(RECEIVED)) for _ in range(6)]
    _reply(city.at(RECEIVED), ids[0], due="2026-02-26", replied="2026-02-25T10:00:00+08:00", late=0)
    _reply(city.at(RECEIVED), ids[1], due="2026-02-26", replied="2026-02-27T10:00:00+08:00", late=1)
    _reply(city.at(RECEIVED), ids[2], due="2026-02-26", replied=None, late=None)
    _reply(city.at(RECEIVED), ids[3], due="2026-02-26", replied=None, late=None, status="cancelled")
    _reply(city.at(RECEIVED), ids[4], due="2026-02-26", replied="2026-02-27T11:00:00+08:00", late=1,
           status="cancelled")
    _reply(city.at(RECEIVED), ids[5], due="2026-02-26", replied=None, late=None, status="withdrawn")
    engine = city.at(ON_MARCH_2)
    period = {"start": date(2026, 2, 1), "end": date(2026, 2, 28)}

    [row] = reports.ontime(engine.uow(), "sam", by="department", **period)
    assert (row.on_time, row.late, row.open_overdue, row.ended_unanswered, row.ended_by_authority, row.withdrawn,
            row.counted, row.on_time_rate) == (1, 2, 1, 1, 2, 1, 5, 0.2)
    [by_procedure] = reports.ontime(engine.uow(), "sam", **period)
    [by_month] = reports.ontime(engine.uow(), "sam", by="month", **period)
    [assessed] = reports.assessment(engine.uow(), "sam", **period)
    for other in (by_procedure, by_month):
        assert (other.on_time, other.late, other.open_overdue, other.ended_unanswered, other.on_time_rate) == \
            (row.on_time, row.late, row.open_overdue, row.ended_unanswered, row.on_time_rate)
    assert (assessed.answered_on_time, assessed.answered_late, assessed.overdue, assessed.ended_unanswered,
            assessed.withdrawn, assessed.on_time_rate) == (1, 2, 1, 1, 1, 0.2)


def test_an_overdue_step_in_any_department_alerts_its_own_people_and_the_authoritys_supervisors(city):
    instance = start(city.at(RECEIVED))
    _reply(city.at(RECEIVED), instance, due="2026-02-26", replied=None, late=None, department="gaj")
    engine = city.at(ON_MARCH_2)
    assert supervision.watch(engine.uow()).overdue == 1
    with engine.uow().read() as uow:
        sent = sorted(n.recipient_group for n in uow.session.scalars(
            select(Notification).where(Notification.code == "notification.deadline_overdue")))
        [text] = {n.params["holder"] for n in uow.session.scalars(select(Notification))
                  if n.code == "notification.deadline_overdue"}
    assert sent == ["department_head@gaj", "supervisor", "supervisor@gaj"]
    assert text == "审核人员"  # words, not the group's code
    assert reports.silent_departments(engine.uow(), "sam") == []  # gus supervises gaj; sam is the authority's


def test_a_department_with_nobody_to_alert_is_itself_on_the_report(city):
    instance = start(city.at(RECEIVED))
    _reply(city.at(RECEIVED), instance, due="2026-02-26", replied=None, late=None, department="gaj")
    with city.at(RECEIVED).uow() as uow:
        from engine.persistence.models import User
        uow.session.execute(update(User.__table__).where(User.name == "gus").values(active=False))
        uow.commit()
    rows = reports.silent_departments(city.at(ON_MARCH_2).uow(), "sam")
    assert [(r.department, r.department_name, r.overdue) for r in rows] == [("gaj", "达州市公安局", 1)]


def test_an_application_naming_no_department_counts_for_the_unit_its_steps_were_asked_of(city):
    # The test procedure names no competent department; its step waits for reviewer@gaj.
    instance = start(city.at(RECEIVED))
    with city.at(RECEIVED).uow() as uow:
        from engine.persistence.models import HumanTask
        uow.session.execute(update(HumanTask.__table__).values(candidate_groups=["reviewer@gaj"]))
        uow.commit()
    _reply(city.at(RECEIVED), instance, due="2026-02-26", replied=None, late=None, department=None)
    engine = city.at(ON_MARCH_2)
    [row] = reports.assessment(engine.uow(), "sam", start=date(2026, 2, 1), end=date(2026, 2, 28))
    assert (row.department, row.department_name, row.received, row.overdue) == ("gaj", "达州市公安局", 1, 1)
    [own] = reports.ontime(engine.uow(), "gus", by="department", start=date(2026, 2, 1), end=date(2026, 2, 28))
    assert (own.department, own.open_overdue, own.on_time_rate) == ("gaj", 1, 0.0)
