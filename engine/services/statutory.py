"""The application's statutory clock: the reply period the Measures set, whichever step holds the
work, its extension and the formal reply that stops it.

A procedure declares its clock as data with a citation, never as code in a view:

- the process property `statutoryRule` names the rule of `rules.toml` that governs the reply,
  counted from the day of receipt (`art20_share_reply`: 5 working days, 第二十条第二款), or a
  `[[no_period]]` entry there when the Measures set no period (the clock then has no due date);
- the process property `competentUnit` = `authority` makes the 公共数据主管部门 of the
  applicant's level (「本级」, engine.services.organisation.competent_authority: a county's
  applicant is answered by the county's authority) the unit competent to decide the application;
  it is kept on the instance and in its data as `competent_department`, for candidate groups
  such as `"reviewer@" + competent_department`;
- an element with the property `statutoryExtension` (a rule that `extends` the governing one)
  extends the deadline when the process passes it: only before the governing deadline has ended
  (Art. 20 para. 2 extends a running period, not a lapsed one), with the original due date kept;
- an element with the property `statutoryReply` marks the applicant's formal reply: when the
  process passes it the reply time is recorded, with the working days it came late (0: on time).

The clock lives in the instance's columns, so reports read it without restoring a workflow.
"""
from __future__ import annotations

from datetime import date, datetime

from engine.calendar.statute import load_statute
from engine.clock import SHANGHAI
from engine.errors import Conflict
from engine.persistence.repositories import InstanceRecord

AUTHORITY = "authority"
# Instance data the engine writes: the unit competent to decide (for candidate groups).
COMPETENT_DEPARTMENT = "competent_department"


def open_clock(engine, instance: InstanceRecord, process_properties: dict, authority: str) -> dict:
    """Start `instance`'s clock from its process's properties on the day of receipt; returns the
    data the engine puts in the instance (the competent department, when there is one).
    `authority`: the competent authority of the applicant's level."""
    if process_properties.get("competentUnit") == AUTHORITY:
        instance.department = authority
    rule_id = process_properties.get("statutoryRule")
    no_period = load_statute().no_period.get(rule_id) if rule_id else None
    if no_period is not None:
        # The Measures set no period: the clock names the article and says so, with no due date.
        instance.statutory_rule, instance.statutory_article = no_period.id, no_period.article
    elif rule_id:
        _govern(engine, instance, rule_id)
    return {COMPETENT_DEPARTMENT: instance.department} if instance.department else {}


class Marks:
    """The clock's marks the engine passed in one command: an extension and the reply."""

    __slots__ = ("extension", "reply", "element")

    def __init__(self) -> None:
        self.extension: str | None = None
        self.reply = False
        self.element: str | None = None

    def note(self, props: dict, element: str) -> None:
        """Remember what a completed element's properties say about the clock."""
        extension = props.get("statutoryExtension")
        if extension:
            self.extension, self.element = extension, element
        if props.get("statutoryReply"):
            self.reply = True


def apply(engine, instance: InstanceRecord, marks: Marks, now: datetime) -> None:
    """Move `instance`'s clock by what the command passed.

    Raises:
        Conflict: `statutory.extension_late` when the governing deadline has already ended;
            the caller's unit of work then rolls the whole command back.
    """
    today = now.astimezone(SHANGHAI).date()
    if marks.extension and instance.replied_at is None:
        _extend(engine, instance, marks.extension, today)
    if marks.reply and instance.replied_at is None:
        instance.replied_at = now
        instance.replied_late_days = late_days(engine, instance.statutory_due_date, today)


def late_days(engine, due: date | None, replied_on: date) -> int | None:
    """Working days a reply on `replied_on` came after `due` (0: on time, at least 1 when late even
    if only days off passed in between); None when no statutory period governs."""
    if due is None:
        return None
    if replied_on <= due:
        return 0
    return max(1, engine.calendar.working_days_between(due, replied_on))


def _govern(engine, instance: InstanceRecord, rule_id: str):
    rule = engine.rules[rule_id]
    deadline = engine.calendar.deadline(instance.received_on, rule=rule, rules=engine.rules)
    instance.statutory_due_date = deadline.due_date
    instance.statutory_rule = rule.id
    instance.statutory_article = rule.article
    instance.statutory_provisional = deadline.provisional
    return deadline


def _extend(engine, instance: InstanceRecord, rule_id: str, today: date) -> None:
    # Validation makes sure the rule extends the process's `statutoryRule` (bpmn.extension_unrelated).
    if today > instance.statutory_due_date:
        raise Conflict("statutory.extension_late", due=instance.statutory_due_date.isoformat(),
                       article=instance.statutory_article)
    original = instance.statutory_due_date
    _govern(engine, instance, rule_id)
    instance.statutory_extended_from = original


__all__ = ["open_clock", "apply", "late_days", "Marks", "AUTHORITY", "COMPETENT_DEPARTMENT"]
