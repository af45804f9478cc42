"""Periodic rounds (Art. 19, 21, 26, 44 「定期」): the scheduler starts each round when its period
falls due, once, on a frozen clock, with the round's deadline on every step, escalated when it
passes; on SQLite and PostgreSQL."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine.errors import InvalidInput, NotFound, PermissionDenied
from engine.persistence.models import AuditEntry, Notification, ProcessInstance, Round, RoundSchedule
from engine.scheduler import run_once
from engine.services import rounds, supervision, tasks
from engine.services.users import SYSTEM, add_user

PROCESS_ID = "risk_assessment"
RISK = {"procedure": "risk_assessment", "cycle": "quarterly", "anchor": "2026-04-01", "department": "gaj",
        "group": "source_unit_handler@gaj", "deadline_rule": "round_art44_risk_assessment",
        "data": {"round_name": "{period}", "scope": "本单位政务信息系统及其处理的公共数据"}}


def _schedule(procedure, **changes) -> rounds.ScheduleView:
    return rounds.set_schedule(procedure.engine.uow(), actor="admin", **{**RISK, **changes})


def _rounds(procedure) -> list[Round]:
    with procedure.engine.uow().read() as uow:
        return list(uow.session.scalars(select(Round).order_by(Round.id)))


def _instances(procedure, process_id=PROCESS_ID) -> int:
    with procedure.engine.uow().read() as uow:
        return uow.session.scalar(select(func.count()).select_from(ProcessInstance)
                                  .where(ProcessInstance.process_id == process_id))


def test_nothing_starts_before_the_first_period_falls_due(procedure):
    _schedule(procedure)
    assert rounds.start_due(procedure.engine.uow, worker="one") == []
    procedure.at("2026-03-31T23:59:00+08:00")
    assert rounds.start_due(procedure.engine.uow, worker="one") == []
    assert _rounds(procedure) == []


def test_past_the_cycle_boundary_one_sweep_starts_the_round_once(procedure):
    schedule = _schedule(procedure)
    assert (schedule.next_period, schedule.next_due_on) == ("2026-Q2", "2026-04-01")
    procedure.at("2026-04-01T08:00:00+08:00")
    started = rounds.start_due(procedure.engine.uow, worker="one")
    assert [(s.schedule_id, s.period, s.late, s.error) for s in started] == [(schedule.id, "2026-Q2", False, None)]
    instance_id = started[0].instance_id
    procedure.assert_round_trips(instance_id)
    shown = procedure.show(instance_id)
    assert shown["started_by"] == SYSTEM
    assert shown["data"]["round_name"] == "2026年第2季度"
    # 20 working days from Wednesday 2026-04-01, not counting it: 04-02, 04-03, (清明 04-04 to
    # 04-06 off) 04-07 to 04-10, 04-13 to 04-17, 04-20 to 04-24, 04-27 to 04-30 = 20.
    (task,) = [t for t in shown["tasks"] if t["state"] == "open"]
    assert task["task_name"] == "assess" and task["candidate_groups"] == ["source_unit_handler@gaj"]
    assert task["due_date"] == "2026-04-30"
    assert task["deadline_rule"] == "round_art44_risk_assessment"
    assert task["deadline_article"] == "第四十四条第三款（定期开展；《办法》未规定期限，内部时限）"
    assert task["deadline_provisional"] is False
    (row,) = _rounds(procedure)
    assert (row.period, row.instance_id, row.started_by, row.started_late, row.deadline_date.isoformat()) == \
        ("2026-Q2", instance_id, SYSTEM, False, "2026-04-30")

    # A second sweep, and one of another scheduler on the same database, start nothing more.
    assert rounds.start_due(procedure.engine.uow, worker="one") == []
    assert rounds.start_due(procedure.engine.uow, worker="two") == []
    run_once(procedure.engine, "three")
    assert len(_rounds(procedure)) == 1 and _instances(procedure) == 1
    with procedure.engine.uow().read() as uow:
        assert [(e.actor, e.after["period"]) for e in uow.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "round.start"))] == [(SYSTEM, "2026-Q2")]

    procedure.at("2026-07-01T00:30:00+08:00")
    assert [s.period for s in rounds.start_due(procedure.engine.uow, worker="two")] == ["2026-Q3"]


def test_the_round_runs_as_its_procedure_and_completes(procedure):
    _schedule(procedure)
    procedure.at("2026-04-01T08:00:00+08:00")
    (started,) = rounds.start_due(procedure.engine.uow, worker="one")
    add_user(procedure.engine.uow(), "gao.head", department="gaj", roles=["department_head"], actor=SYSTEM)
    instance_id = started.instance_id
    procedure.complete(instance_id, "assess", "wang.wu", risk_level="medium", findings="接口未做访问频次限制",
                       rectification="needed", measures="4 月底前增加访问频次限制，责任人王五")
    procedure.complete(instance_id, "confirm", "gao.head", decision="return", opinion="补充数据库审计情况")
    procedure.complete(instance_id, "assess", "wang.wu", risk_level="medium", findings="接口未限频；数据库审计未开启",
                       rectification="needed", measures="增加限频并开启审计")
    procedure.complete(instance_id, "confirm", "gao.head", decision="approve")
    assert set(procedure.open_tasks(instance_id)) == {"rectify"}
    done = procedure.complete(instance_id, "rectify", "wang.wu", rectified_on="2026-04-01", result="已完成整改")
    assert done["instance_status"] == "completed"
    view = rounds.overview(procedure.engine.uow(), "zhao.liu")
    assert [(r.period, r.state, r.state_name) for r in view.done] == [("2026-Q2", "done", "已完成")]
    assert view.running == [] and view.late == []


def test_a_round_missed_while_no_scheduler_ran_starts_once_for_the_latest_period_marked_late(procedure):
    _schedule(procedure)
    # No scheduler ran from March to August: the Q2 and Q3 rounds fell due meanwhile.
    procedure.at("2026-08-03T09:00:00+08:00")
    started = rounds.start_due(procedure.engine.uow, worker="one")
    assert [(s.period, s.late) for s in started] == [("2026-Q3", True)]
    assert rounds.start_due(procedure.engine.uow, worker="one") == []
    (row,) = _rounds(procedure)
    assert (row.period, row.due_on.isoformat(), row.started_late) == ("2026-Q3", "2026-07-01", True)
    view = rounds.overview(procedure.engine.uow(), "zhao.liu")
    assert [(r.period, r.started_late) for r in view.running] == [("2026-Q3", True)]


def test_a_round_past_its_deadline_shows_late_and_escalates_to_the_supervisors(procedure):
    _schedule(procedure)
    procedure.at("2026-04-01T08:00:00+08:00")
    (started,) = rounds.start_due(procedure.engine.uow, worker="one")
    view = rounds.overview(procedure.engine.uow(), "zhao.liu")
    (running,) = view.running
    assert (running.procedure_name, running.department_name, running.group_name) == \
        ("数据安全风险评估", "达州市公安局", "达州市公安局数源单位经办人")
    assert running.steps == ["开展数据安全风险评估（第四十四条第三款）"]
    assert (running.deadline_date, running.deadline_rule) == ("2026-04-30", "round_art44_risk_assessment")
    assert [r.period for r in view.due] == ["2026-Q3"]

    # 2026-04-30 ends at 24:00; on Thursday 2026-05-07 the round is late.
    procedure.at("2026-05-07T09:00:00+08:00")
    watched = supervision.watch(procedure.engine.uow())
    assert watched.overdue == 1
    with procedure.engine.uow().read() as uow:
        alerts = sorted((n.recipient_group, n.code) for n in uow.session.scalars(
            select(Notification).where(Notification.instance_id == started.instance_id)))
    # The authority's supervisors, and the department's head and its own supervisors.
    assert alerts == [("department_head@gaj", "notification.deadline_overdue"),
                      ("supervisor", "notification.deadline_overdue"),
                      ("supervisor@gaj", "notification.deadline_overdue")]
    view = rounds.overview(procedure.engine.uow(), "zhao.liu")
    assert [(r.period, r.state, r.state_name) for r in view.late] == [("2026-Q2", "late", "已逾期")]
    assert view.running == []
    # Escalated once: the next sweep sends nothing again.
    assert supervision.watch(procedure.engine.uow()).overdue == 0


def test_a_disabled_schedule_starts_nothing(procedure):
    schedule = _schedule(procedure)
    rounds.set_schedule(procedure.engine.uow(), actor="admin", schedule_id=schedule.id, enabled=False)
    procedure.at("2026-04-01T08:00:00+08:00")
    assert rounds.start_due(procedure.engine.uow, worker="one") == []
    assert _rounds(procedure) == [] and _instances(procedure) == 0
    assert rounds.overview(procedure.engine.uow(), "zhao.liu").due == []
    # Enabled again the same day, it starts the round due.
    rounds.set_schedule(procedure.engine.uow(), actor="admin", schedule_id=schedule.id, enabled=True)
    assert [s.period for s in rounds.start_due(procedure.engine.uow, worker="one")] == ["2026-Q2"]


@pytest.mark.parametrize("changes, fields", [
    ({"procedure": "risk_asessment"}, ["procedure"]),
    ({"cycle": "fortnightly"}, ["cycle"]),
    ({"cycle": "weekly", "department": "nowhere"}, ["cycle", "department"]),
    ({"anchor": "2026-13-01"}, ["anchor"]),
    ({"group": "reviewer"}, ["group"]),
    ({"group": "chief@gaj"}, ["group"]),
    ({"deadline_rule": "art99_nothing"}, ["deadline_rule"]),
    ({"data": {"round_name": "{period}"}}, ["data.scope"]),
    ({"data": {"round_name": "{period}", "scope": "x", "receipt_number": "DZ1"}}, ["data.receipt_number"]),
    ({"cycle": None}, ["cycle"]),
])
def test_bad_schedule_input_is_refused_naming_the_field_and_changes_nothing(procedure, changes, fields):
    with procedure.engine.uow().read() as uow:
        audit_before = uow.session.scalar(select(func.count()).select_from(AuditEntry))
    with pytest.raises(InvalidInput) as refused:
        rounds.set_schedule(procedure.engine.uow(), actor="admin", **{**RISK, **changes})
    assert refused.value.code == "round.schedule_refused"
    assert sorted(p.field for p in refused.value.problems) == sorted(fields)
    with procedure.engine.uow().read() as uow:
        assert uow.session.scalar(select(func.count()).select_from(RoundSchedule)) == 0
        assert uow.session.scalar(select(func.count()).select_from(AuditEntry)) == audit_before


def test_a_change_to_a_schedule_is_checked_whole_and_changes_nothing_when_refused(procedure):
    schedule = _schedule(procedure)
    with pytest.raises(InvalidInput) as refused:
        rounds.set_schedule(procedure.engine.uow(), actor="admin", schedule_id=schedule.id, cycle="daily",
                            enabled=False)
    assert [p.field for p in refused.value.problems] == ["cycle"]
    with procedure.engine.uow().read() as uow:
        row = uow.session.get(RoundSchedule, schedule.id)
        assert (row.cycle, row.enabled) == ("quarterly", True)
    with pytest.raises(NotFound):
        rounds.set_schedule(procedure.engine.uow(), actor="admin", schedule_id=999, enabled=False)


@pytest.mark.parametrize("actor", ["zhao.liu", "li.si", "wang.wu"])
def test_only_admins_change_schedules(procedure, actor):
    with pytest.raises(PermissionDenied):
        rounds.set_schedule(procedure.engine.uow(), actor=actor, **RISK)


def test_supervisors_read_the_rounds_of_what_they_oversee(procedure):
    _schedule(procedure)
    rounds.set_schedule(procedure.engine.uow(), actor="admin", procedure="responsibility_lists", cycle="yearly",
                        anchor="2027-01-15", department="sjj", group="reviewer@sjj",
                        deadline_rule="round_art21_art26_lists",
                        data={"round_name": "{period}", "list_kind": "both", "requirements": "按照国家和省相关工作要求",
                              "due_on": "{deadline}"})
    add_user(procedure.engine.uow(), "gao.sup", department="gaj", roles=["supervisor"], actor=SYSTEM)
    add_user(procedure.engine.uow(), "wei.sup", department="wjw", roles=["supervisor"], actor=SYSTEM)
    assert [s.procedure for s in rounds.overview(procedure.engine.uow(), "zhao.liu").schedules] == \
        ["risk_assessment", "responsibility_lists"]
    assert [s.procedure for s in rounds.overview(procedure.engine.uow(), "gao.sup").schedules] == ["risk_assessment"]
    assert rounds.overview(procedure.engine.uow(), "wei.sup").schedules == []
    for outsider in ("zhang.san", "li.si"):
        with pytest.raises(PermissionDenied):
            rounds.overview(procedure.engine.uow(), outsider)


def test_the_responsibility_lists_round_fills_its_period_and_deadline_into_the_start_data(drive):
    procedure = drive("responsibility_lists")
    rounds.set_schedule(procedure.engine.uow(), actor="admin", procedure="responsibility_lists", cycle="yearly",
                        anchor="2026-06-01", department="sjj", group="reviewer@sjj",
                        deadline_rule="round_art21_art26_lists",
                        data={"round_name": "{period}", "list_kind": "both", "requirements": "按照国家和省相关工作要求",
                              "due_on": "{deadline}"})
    procedure.at("2026-06-01T09:00:00+08:00")
    (started,) = rounds.start_due(procedure.engine.uow, worker="one")
    shown = procedure.show(started.instance_id)
    # 30 working days from Monday 2026-06-01: June 2-5 (4), 8-12 (9), 15-18 (13; 端午 06-19 off),
    # 22-26 (18), 29-30 (20), July 1-3 (23), 6-10 (28), 13-14 (30).
    assert shown["data"]["round_name"] == "2026年度" and shown["data"]["due_on"] == "2026-07-14"
    compile_steps = [t for t in shown["tasks"] if t["task_name"] == "compile_list"]
    assert compile_steps and {t["due_date"] for t in compile_steps} == {"2026-07-14"}
    task = compile_steps[0]
    handler = {"source_unit_handler@gaj": "wang.wu", "source_unit_handler@scjgj": "zhou.jiu",
               "source_unit_handler@zrzyj": "wu.shi", "source_unit_handler@wjw": "zheng.yi"}
    tasks.claim(procedure.engine.uow(), task["id"], actor=handler[task["candidate_groups"][0]])


def test_a_second_start_of_a_period_already_started_is_refused_by_its_key_and_leaves_nothing(procedure):
    schedule = _schedule(procedure)
    engine = procedure.at("2026-04-01T08:00:00+08:00")
    period = rounds.latest_due("quarterly", engine.clock.today(), engine.clock.today())
    assert rounds._start_one(engine.uow, schedule.id, period, worker="one") is not None
    assert rounds._start_one(engine.uow, schedule.id, period, worker="two") is None
    assert len(_rounds(procedure)) == 1 and _instances(procedure) == 1


ASSESSMENT = {"procedure": "attribute_assessment", "cycle": "yearly", "anchor": "2026-04-01", "department": "gaj",
              "group": "source_unit_handler@gaj", "deadline_rule": "round_art19_assessment"}


def test_an_art_19_round_reassesses_its_catalog_item_at_the_item_s_source_unit(drive):
    procedure = drive("attribute_assessment")
    rounds.set_schedule(procedure.engine.uow(), actor="admin", **ASSESSMENT,
                        data={"catalog_item": "GA-001", "occasion": "periodic"})
    procedure.at("2026-04-01T08:00:00+08:00")
    (started,) = rounds.start_due(procedure.engine.uow, worker="one")
    assert started.error is None
    (task,) = [t for t in procedure.show(started.instance_id)["tasks"] if t["state"] == "open"]
    # The same 20 working days as the risk assessment's from 2026-04-01 (清明 04-04 to 04-06 off).
    assert (task["task_name"], task["candidate_groups"], task["due_date"]) == \
        ("assess", ["source_unit_handler@gaj"], "2026-04-30")


def test_a_round_that_cannot_start_is_recorded_with_why_and_not_tried_again(drive):
    procedure = drive("attribute_assessment")
    # The form takes any code; the catalog has none such, which only admission finds.
    rounds.set_schedule(procedure.engine.uow(), actor="admin", **ASSESSMENT,
                        data={"catalog_item": "XX-404", "occasion": "periodic"})
    procedure.at("2026-04-01T08:00:00+08:00")
    (started,) = rounds.start_due(procedure.engine.uow, worker="one")
    assert started.instance_id is None and "catalog_item" in started.error
    assert rounds.start_due(procedure.engine.uow, worker="one") == []
    (row,) = _rounds(procedure)
    assert (row.state, row.instance_id) == ("failed", None)
    (shown,) = rounds.overview(procedure.engine.uow(), "zhao.liu").done
    assert (shown.state, shown.state_name) == ("failed", "未能发起") and "catalog_item" in shown.error
    assert _instances(procedure, "attribute_assessment") == 0
