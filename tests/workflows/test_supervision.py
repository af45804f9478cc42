"""Supervision on the real conditional_share procedure and its statutory clock, on a frozen clock.

Received Monday 2026-03-02: the reply is due Monday 03-09 (第二十条第二款). On Thursday 03-12
an unanswered application is 3 working days overdue (03-10, 03-11, 03-12).
"""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from engine.errors import InvalidInput
from engine.persistence.models import Notification
from engine.services import inbox, instances, notifications, reports, supervision

PROCESS_ID = "conditional_share"

APPLICATION = {"request_reason": "办理户籍业务需核验人口信息", "request_basis": "《户口登记条例》",
               "purpose": "户籍登记", "requested_scope": "姓名、身份证号、户籍地址", "requested_until": "2026-12-31"}
APPROVAL = {"decision": "approve", "granted_scope": "姓名、户籍地址", "granted_until": "2026-09-30"}


def test_an_unanswered_application_is_overdue_with_its_governing_deadline_and_the_escalation_says_so(procedure):
    instance_id = procedure.start(catalog_item="GA-001", **APPLICATION)
    procedure.at("2026-03-12T09:00:00+08:00")
    [row] = reports.overdue(procedure.engine.uow(), "zhao.liu")
    assert (row.instance_id, row.task_name, row.department, row.due_date, row.working_days_overdue, row.article,
            row.statutory_due_date, row.statutory_article) == (
        instance_id, "review", "sjj", date(2026, 3, 9), 3, "第二十条第二款", date(2026, 3, 9), "第二十条第二款")
    procedure.sweep()
    escalation = procedure.open_tasks(instance_id)["supervise_review"]
    view = inbox.task_view(procedure.engine.uow(), escalation["id"], actor="zhao.liu")
    assert [(w.task_name, w.working_days_overdue, w.holder) for w in view["overdue_work"]] == \
        [("review", 3, "group:reviewer@sjj")]


def test_the_on_time_report_and_the_assessment_count_the_procedures_own_replies(procedure):
    on_time = procedure.start(catalog_item="GA-001", **APPLICATION)
    late = procedure.start(catalog_item="GA-001", **APPLICATION)
    procedure.start(catalog_item="GA-001", **APPLICATION)  # still unanswered
    procedure.at("2026-03-06T10:00:00+08:00")
    procedure.complete(on_time, "review", "li.si", **APPROVAL)
    procedure.at("2026-03-11T10:00:00+08:00")
    procedure.complete(late, "review", "li.si", **APPROVAL)
    engine = procedure.at("2026-03-31T10:00:00+08:00")
    [row] = reports.ontime(engine.uow(), "zhao.liu", start=date(2026, 3, 1), end=date(2026, 3, 31))
    # Handling times: 4 working days (03-06) and 7 (03-11); the median of two is their mean. The
    # unanswered application is overdue and counts: 1 on time of 3 (engine.services.figures).
    assert (row.process_id, row.answered, row.on_time, row.late, row.open_overdue, row.on_time_rate,
            row.median_working_days) == ("conditional_share", 2, 1, 1, 1, 0.3333, 5.5)
    [assessed] = reports.assessment(engine.uow(), "zhao.liu", start=date(2026, 3, 1), end=date(2026, 3, 31))
    assert (assessed.department, assessed.received, assessed.answered_on_time, assessed.answered_late,
            assessed.open, assessed.overdue) == ("sjj", 3, 1, 1, 1, 1)


def _told(procedure, instance_id: int) -> list[tuple[str, str]]:
    """(code, recipient) of every notification about the application, in order."""
    with procedure.engine.uow().read() as uow:
        return [(n.code, n.recipient_user) for n in uow.session.scalars(
            select(Notification).where(Notification.instance_id == instance_id).order_by(Notification.id))]


def test_the_reply_notice_is_written_by_the_step_that_gives_the_reply_and_only_once(procedure):
    instance_id = procedure.start(catalog_item="GA-001", **APPLICATION)
    procedure.at("2026-03-05T10:00:00+08:00")
    with pytest.raises(InvalidInput):  # a step refused writes nothing, notice included
        procedure.complete(instance_id, "review", "li.si", decision="refuse")
    assert _told(procedure, instance_id) == []

    procedure.complete(instance_id, "review", "li.si", **APPROVAL)

    assert _told(procedure, instance_id) == [("notification.replied", "zhang.san")]
    with procedure.engine.uow().read() as uow:  # committed with the reply it announces
        replied_at = uow.instances.get(instance_id).replied_at
        [created] = uow.session.scalars(select(Notification.created_at).where(Notification.instance_id == instance_id))
    assert created == replied_at
    assert supervision.watch(procedure.engine.uow()).total == 0
    assert _told(procedure, instance_id) == [("notification.replied", "zhang.san")]
    [told] = notifications.unread(procedure.engine.uow(), "zhang.san")
    assert told.text("zh") == f"您的申请 {procedure.show(instance_id)['receipt_number']} 已答复，请查看答复内容。"


def test_an_application_ended_by_the_authority_tells_its_applicant_why_once(procedure):
    instance_id = procedure.start(catalog_item="GA-001", **APPLICATION)

    instances.cancel(procedure.engine.uow(), instance_id, actor="zhao.liu", reason="重复提交")

    assert _told(procedure, instance_id) == [("notification.ended", "zhang.san")]
    [told] = notifications.unread(procedure.engine.uow(), "zhang.san")
    assert "终止办理" in told.text("zh") and "重复提交" in told.text("zh")
    assert supervision.watch(procedure.engine.uow()).total == 0


def test_a_withdrawn_application_is_neither_open_nor_overdue_in_the_reports(procedure):
    from engine.services import withdrawal

    procedure.start(catalog_item="GA-001", **APPLICATION)
    withdrawn = procedure.start(catalog_item="GA-001", **APPLICATION)
    withdrawal.withdraw(procedure.engine.uow(), withdrawn, actor="zhang.san", reason="申请有误，重新提交")
    engine = procedure.at("2026-03-31T10:00:00+08:00")
    [row] = reports.ontime(engine.uow(), "zhao.liu", start=date(2026, 3, 1), end=date(2026, 3, 31))
    assert (row.answered, row.open_overdue) == (0, 1)
    [assessed] = reports.assessment(engine.uow(), "zhao.liu", start=date(2026, 3, 1), end=date(2026, 3, 31))
    assert (assessed.received, assessed.open, assessed.overdue) == (2, 1, 1)
    assert [r.instance_id for r in reports.overdue(engine.uow(), "zhao.liu")] == [withdrawn - 1]


def test_notifications_name_people_and_groups_never_by_login_or_group_code(procedure):
    instance_id = procedure.start(catalog_item="GA-001", **APPLICATION)
    [review] = [t for t in procedure.show(instance_id)["tasks"] if t["state"] == "open"]
    supervision.urge(procedure.at("2026-03-12T10:00:00+08:00").uow(), review["id"], actor="zhao.liu", note="请加快")
    with procedure.engine.uow() as uow:  # as an older release wrote them: a login and a group code
        uow.notifications.add([{"recipient_user": "li.si", "recipient_group": None, "code": "notification.urged",
                                "params": {"receipt_number": "DZ1", "title": "审核", "days": 3, "by": "zhao.liu",
                                           "note": ""}, "instance_id": instance_id, "task_id": None,
                                "created_at": procedure.engine.clock.now()},
                               {"recipient_user": None, "recipient_group": "supervisor",
                                "code": "notification.deadline_overdue",
                                "params": {"receipt_number": "DZ1", "title": "审核", "task": review["id"],
                                           "due_date": "2026-03-09", "article": "第二十条第二款",
                                           "holder": "group:reviewer@sjj"},
                                "instance_id": instance_id, "task_id": review["id"],
                                "created_at": procedure.engine.clock.now()}])
        uow.commit()

    shown = [n.text(lang) for n in notifications.unread(procedure.engine.uow(), "li.si") for lang in ("zh", "en")]
    shown += [n.text(lang) for n, _ in notifications.listing(procedure.engine.uow(), "zhao.liu").items
              for lang in ("zh", "en")]

    assert sum("赵六" in text for text in shown) >= 4  # the 催办 written now and the older one, both languages
    assert any("达州市数据局审核人员" in text for text in shown)
    assert not any(code in text for text in shown for code in ("zhao.liu", "li.si", "reviewer@sjj", "group:"))
