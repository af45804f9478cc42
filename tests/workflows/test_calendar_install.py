"""Installing a year's holiday notice re-counts the deadlines it moves: conditional_share received
on 2026-12-28, before the 2027 notice, on SQLite and PostgreSQL.

Art. 20: 5 working days after Monday 2026-12-28. Provisional (2027 by weekends and the
statutory 2027-01-01 only): 12-29, 12-30, 12-31, 01-04, 01-05. By the test notice
(tests/fixtures/arrangements/2027.toml: 2026-12-31 to 2027-01-03 off): 12-29, 12-30, 01-04,
01-05, 01-06.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from SpiffWorkflow.util.task import TaskState

from engine.errors import InvalidInput, PermissionDenied
from engine.persistence.models import AuditEntry, CalendarHead, Timer
from engine.scheduler import CalendarSettler
from engine.services import audit, calendar, notifications, tasks
from engine.services.progress import load_workflow
from engine_factory import EngineFactory
from test_conditional_share import APPLICATION

PROCESS_ID = "conditional_share"
NOTICE_2027 = (Path(__file__).parent.parent / "fixtures" / "arrangements" / "2027.toml").read_text(encoding="utf-8")
NUMBER_2027 = "国办发明电〔2026〕99号"
RECEIVED = "2026-12-28T10:00:00+08:00"
INSTALLED = "2026-12-29T09:00:00+08:00"


def _install(procedure, text: str = NOTICE_2027, **options):
    return calendar.install(procedure.engine.uow(), text, file_name="2027.toml", actor="admin", **options)


def _counts(engine) -> tuple[int, int]:
    """(calendar version, audit entries)."""
    with engine.uow().read() as uow:
        return (uow.session.scalar(select(CalendarHead.version)),
                uow.session.scalar(select(func.count()).select_from(AuditEntry)))


def _received_before_the_notice(procedure) -> int:
    procedure.at(RECEIVED)
    instance_id = procedure.start(catalog_item="GA-001", **APPLICATION)
    review = procedure.open_tasks(instance_id)["review"]
    assert (review["due_date"], review["deadline_provisional"]) == ("2027-01-05", True)
    assert [(n["year"], n["source"]) for n in review["deadline_basis"]] == [
        (2026, "installed:2026.toml"), (2027, "provisional")]
    procedure.at(INSTALLED)
    return instance_id


def test_installing_the_2027_notice_makes_a_provisional_deadline_official_and_moves_its_timer(procedure):
    instance_id = _received_before_the_notice(procedure)

    report = _install(procedure)

    assert (report.year, report.notice.notice, report.dry_run, report.replaced) == (2027, NUMBER_2027, False, None)
    assert [(c.kind, c.title, c.old_due_date, c.new_due_date, c.old_provisional, c.new_provisional)
            for c in report.changes] == [("task", "审核共享申请（第二十条第二款）", date(2027, 1, 5), date(2027, 1, 6), True, False),
                                         ("timer", "review_overdue", None, None, False, False)]
    assert report.changes[1].new_due_at == datetime.fromisoformat("2027-01-07T00:00:00+08:00")
    review = procedure.open_tasks(instance_id)["review"]
    assert (review["due_date"], review["due_at"], review["deadline_provisional"]) == (
        "2027-01-06", "2027-01-06T16:00:00+00:00", False)
    assert [(n["year"], n["notice"], n["provisional"]) for n in review["deadline_basis"]] == [
        (2026, "国办发明电〔2025〕7号", False), (2027, NUMBER_2027, False)]
    assert review["deadline_basis"][1]["installed_at"] == "2026-12-29T01:00:00+00:00"
    procedure.assert_round_trips(instance_id)
    assert [a for _, a in procedure.actions(instance_id)] == ["instance.start", "deadline.recount", "timer.recount"]
    # The application's statutory clock moved with it.
    assert (procedure.show(instance_id)["statutory"]["due_date"], procedure.show(instance_id)["statutory"]["provisional"]) \
        == ("2027-01-06", False)
    # SpiffWorkflow decides by the timer's own event value, so that moved too, not only the row.
    with procedure.engine.uow().read() as uow:
        workflow = load_workflow(uow, uow.instances.get(instance_id))
        [timer] = [t for t in workflow.get_tasks(state=TaskState.WAITING) if t.task_spec.name == "review_overdue"]
        assert datetime.fromisoformat(timer._get_internal_data("event_value")) == report.changes[1].new_due_at
        assert uow.session.scalar(select(Timer.due_at).where(Timer.instance_id == instance_id)) == \
            report.changes[1].new_due_at

    # The reviewers' group is told; supervisors are not, as the new date has not passed.
    receipt = procedure.show(instance_id)["receipt_number"]
    assert [n.text() for n in notifications.unread(procedure.engine.uow(), "li.si")] == [
        f"the deadline of '审核共享申请（第二十条第二款）' ({receipt}, task {review['id']}) moved from 2027-01-05 to 2027-01-06 "
        f"under {NUMBER_2027}"]
    assert notifications.unread(procedure.engine.uow(), "zhao.liu") == []

    # The timer fires on the new date, not the old one.
    procedure.at("2027-01-06T00:00:00+08:00")
    assert procedure.sweep() == []
    procedure.at("2027-01-06T23:59:00+08:00")
    assert procedure.sweep() == []
    procedure.at("2027-01-07T00:00:00+08:00")
    assert [f.task_name for f in procedure.sweep()] == ["review_overdue"]
    assert sorted(procedure.open_tasks(instance_id)) == ["review", "supervise_review"]
    assert audit.verify(procedure.engine.uow()).ok


def test_a_dry_run_lists_what_would_change_and_changes_nothing(procedure):
    instance_id = _received_before_the_notice(procedure)
    before = _counts(procedure.engine)

    report = _install(procedure, dry_run=True)

    assert report.dry_run and report.version is None
    assert [(c.kind, c.new_due_date) for c in report.changes] == [("task", date(2027, 1, 6)), ("timer", None)]
    assert _counts(procedure.engine) == before
    assert procedure.open_tasks(instance_id)["review"]["due_date"] == "2027-01-05"
    assert calendar.counted(procedure.engine.uow()).is_provisional(2027)
    procedure.assert_round_trips(instance_id)


def test_an_engine_built_before_the_install_counts_the_new_way_after_it(procedure, project_engines):
    _received_before_the_notice(procedure)
    # Another process (a web worker or the scheduler) with its own script worker.
    other = EngineFactory(project_engines.config.database_url, project_engines.config.forms_dir)
    try:
        elsewhere = other.at(INSTALLED)
        assert calendar.counted(elsewhere.uow()).add_working_days(date(2026, 12, 28), 5) == date(2027, 1, 5)

        _install(procedure)

        assert calendar.counted(elsewhere.uow()).add_working_days(date(2026, 12, 28), 5) == date(2027, 1, 6)
        assert elsewhere.sandbox.evaluate("deadline_date('art20_share_reply', '2026-12-28')", {},
                                          elsewhere.clock.now()) == "2027-01-06"
        # And what it starts now counts by the notice, timer included.
        procedure.engine = other.at(RECEIVED)
        later = procedure.start(catalog_item="GA-001", **APPLICATION)
        review = procedure.open_tasks(later)["review"]
        assert (review["due_date"], review["deadline_provisional"]) == ("2027-01-06", False)
        with elsewhere.uow().read() as uow:
            [due] = uow.instances.get(later).waiting["timers"].values()
        assert datetime.fromisoformat(due) == datetime.fromisoformat("2027-01-07T00:00:00+08:00")
    finally:
        other.close()


def test_a_malformed_notice_is_refused_whole_and_changes_nothing(procedure):
    instance_id = _received_before_the_notice(procedure)
    before = _counts(procedure.engine)
    text = NOTICE_2027.replace('notice = "国办发明电〔2026〕99号"\n', "").replace("date = 2027-02-12", "date = 2028-02-12")
    text += '\n[[make_up_workdays]]\ndate = 2027-01-01\nname = "元旦调休上班"\n'

    with pytest.raises(InvalidInput) as refused:
        _install(procedure, text)

    assert refused.value.code == "calendar.not_installed"
    assert [(p.code, p.line) for p in refused.value.problems] == [
        ("calendar.notice_missing", None),
        ("calendar.date_outside_year", 50),
        ("calendar.date_off_and_worked", 62),
    ]
    assert _counts(procedure.engine) == before
    review = procedure.open_tasks(instance_id)["review"]
    assert (review["due_date"], review["deadline_provisional"]) == ("2027-01-05", True)


def test_an_installed_year_is_replaced_only_on_request_with_a_reason(procedure):
    _received_before_the_notice(procedure)
    first = _install(procedure)
    corrected = NOTICE_2027.replace("国办发明电〔2026〕99号", "国办发明电〔2026〕100号")

    assert _install(procedure).unchanged
    with pytest.raises(InvalidInput) as refused:
        _install(procedure, corrected)
    assert [p.code for p in refused.value.problems] == ["calendar.year_installed"]
    with pytest.raises(InvalidInput) as refused:
        _install(procedure, corrected, replace=True, reason="  ")
    assert [p.code for p in refused.value.problems] == ["calendar.reason_missing"]

    second = _install(procedure, corrected, replace=True, reason="通知文号更正")

    assert second.replaced.notice == NUMBER_2027 and second.version == first.version + 1
    # Same days, another notice: the deadline stays, its basis names the new notice.
    assert [(c.kind, c.old_due_date, c.new_due_date, c.new_notices) for c in second.changes] == [
        ("task", date(2027, 1, 6), date(2027, 1, 6), ["2026:国办发明电〔2025〕7号", "2027:国办发明电〔2026〕100号"])]
    view = calendar.year_view(procedure.engine.uow(), 2027)
    assert [(i["notice"], i["current"], i["reason"]) for i in view["installs"]] == [
        ("国办发明电〔2026〕100号", True, "通知文号更正"), (NUMBER_2027, False, None)]


def test_only_an_administrator_installs_a_notice(procedure):
    with pytest.raises(PermissionDenied):
        calendar.install(procedure.engine.uow(), NOTICE_2027, file_name="2027.toml", actor="li.si")


def test_a_deadline_moved_into_the_past_tells_the_holder_and_the_supervisors(procedure):
    instance_id = _received_before_the_notice(procedure)
    tasks.claim(procedure.engine.uow(), procedure.open_tasks(instance_id)["review"]["id"], actor="li.si")
    # A notice making Saturday 2027-01-02 a working day: 12-29, 12-30, 12-31, 01-02, 01-04.
    earlier = NOTICE_2027.replace('date = 2026-12-31\nname = "元旦"', 'date = 2027-02-13\nname = "春节"') \
        .replace('[[days_off]]\ndate = 2027-01-02\nname = "元旦"\n\n', "") \
        .replace('date = 2027-01-09\nname = "元旦调休上班"', 'date = 2027-01-02\nname = "元旦调休上班"')
    procedure.at("2027-01-05T10:00:00+08:00")

    report = _install(procedure, earlier)

    task_change = report.changes[0]
    assert (task_change.new_due_date, task_change.passed) == (date(2027, 1, 4), True)
    assert [n.code for n in notifications.unread(procedure.engine.uow(), "li.si")] == ["notification.deadline_moved"]
    assert [n.code for n in notifications.unread(procedure.engine.uow(), "wang.wu")] == []  # held by li.si
    assert [n.code for n in notifications.unread(procedure.engine.uow(), "zhao.liu")] == [
        "notification.deadline_passed"]
    # The timer moved to 2027-01-05 00:00, already past: the next sweep fires it.
    assert [f.task_name for f in procedure.sweep()] == ["review_overdue"]


def test_what_a_process_counted_by_the_old_calendar_is_re_counted_by_the_scheduler_a_while_later(procedure,
                                                                                                project_engines):
    procedure.at(INSTALLED)
    moments = [0.0]
    settler = CalendarSettler(procedure.engine, "test", settle_seconds=60, monotonic=lambda: moments[0])
    # A process that reads the calendar version once an hour, last just before the install.
    stale = EngineFactory(project_engines.config.database_url, project_engines.config.forms_dir)
    stale.config = replace(stale.config, calendar_check_seconds=3600)
    try:
        calendar.counted(stale.at(RECEIVED).uow())
        procedure.sweep()  # the scheduler's sweep reads the calendar version
        assert settler.settle() is None
        _install(procedure)
        assert settler.settle() is None  # noticed; waits for stragglers

        procedure.engine = stale.at(RECEIVED)
        instance_id = procedure.start(catalog_item="GA-001", **APPLICATION)
        assert procedure.open_tasks(instance_id)["review"]["due_date"] == "2027-01-05"  # by the old calendar
        procedure.at(INSTALLED)
        moments[0] = 30.0
        assert settler.settle() is None
        moments[0] = 61.0
        report = settler.settle()
    finally:
        stale.close()

    assert [(c.kind, c.new_due_date) for c in report.changes] == [("task", date(2027, 1, 6)), ("timer", None)]
    review = procedure.open_tasks(instance_id)["review"]
    assert (review["due_date"], review["deadline_provisional"]) == ("2027-01-06", False)
    assert procedure.actions(instance_id)[1:] == [("scheduler:test", "deadline.recount"),
                                                  ("scheduler:test", "timer.recount")]
    assert settler.settle() is None
    procedure.assert_round_trips(instance_id)


def test_recount_finds_nothing_to_change_when_every_deadline_is_in_step(procedure):
    _received_before_the_notice(procedure)
    _install(procedure)
    report = calendar.recount_open(procedure.engine.uow(), actor="admin", dry_run=True)
    assert (report.changes, report.skipped) == ([], [])
