"""engine.access: where each user stands to an application, and which fields each audience reads."""
from __future__ import annotations

import pytest

from engine.access import (Audience, Case, Step, Viewer, audience_of, concerns, field_readers, may_open_task,
                           project_history, readable, validate_readers)

# A correction request decided by 卫健委 (wjw), its source-unit opinion asked of 公安局 (gaj).
CASE = Case(started_by="chen.shi", department="wjw",
            steps=(Step(("reviewer@wjw",), assignee="wei.yi"), Step(("source_unit_handler@gaj",)),
                   Step(("supervisor",))),
            unit_of={"wei.yi": "wjw"})


def viewer(name, department, *roles, kind="department"):
    return Viewer(name, department, roles, kind)


@pytest.mark.parametrize("user, expected", [
    (viewer("chen.shi", None, "applicant"), Audience.APPLICANT),
    (viewer("wei.yi", "wjw", "reviewer"), Audience.DECIDING_UNIT),
    (viewer("wei.er", "wjw", "reviewer"), Audience.DECIDING_UNIT),  # a candidate of the review
    (viewer("gong.an", "gaj", "source_unit_handler"), Audience.CONSULTED_UNIT),
    (viewer("sup.wjw", "wjw", "supervisor"), Audience.SUPERVISOR),  # the deciding unit's own supervisor
    (viewer("sup.gaj", "gaj", "supervisor"), Audience.SUPERVISOR),  # gaj is asked a step: it concerns gaj
    (viewer("sup.fgw", "fgw", "supervisor"), None),  # another department's supervisor: a stranger
    (viewer("sup.sjj", "sjj", "supervisor", kind="authority"), Audience.SUPERVISOR),  # the authority's
    (viewer("rev.fgw", "fgw", "reviewer"), None),
    (viewer("zhang.san", "gaj", "applicant"), None),  # another applicant
    (viewer("sun.qi", "sjj", "designer"), Audience.DESIGNER),
    (viewer("root", "dsjzx", "admin"), Audience.ADMIN),
])
def test_each_user_stands_where_the_one_rule_places_them(user, expected):
    assert audience_of(user, CASE) == expected


def test_a_departments_supervisor_is_no_candidate_of_the_authoritys_escalation_steps():
    escalation_only = Case("chen.shi", "wjw", (Step(("supervisor",)),))
    assert audience_of(viewer("sup.gaj", "gaj", "supervisor"), escalation_only) is None
    assert audience_of(viewer("sup.sjj", "sjj", "supervisor", kind="authority"), escalation_only) == \
        Audience.SUPERVISOR


def test_an_official_who_started_a_round_and_works_its_steps_reads_it_as_an_official():
    round_ = Case("li.si", "sjj", (Step(("reviewer@sjj",)),))
    assert audience_of(viewer("li.si", "sjj", "reviewer"), round_) == Audience.DECIDING_UNIT
    own_step = Case("zhang.san", "sjj", (Step(("user:zhang.san",)),))
    assert audience_of(viewer("zhang.san", "gaj", "applicant"), own_step) == Audience.APPLICANT


def test_work_held_by_a_departments_people_concerns_that_department():
    held = Case("chen.shi", "wjw", (Step(("reviewer",), assignee="gong.an"),), unit_of={"gong.an": "gaj"})
    assert concerns(held, "gaj") and not concerns(held, "fgw")


def test_the_applicant_opens_only_their_own_steps_and_overseers_every_step():
    review, commitment = Step(("reviewer@wjw",)), Step(("user:chen.shi",))
    applicant = viewer("chen.shi", None, "applicant")
    assert not may_open_task(applicant, Audience.APPLICANT, review)
    assert may_open_task(applicant, Audience.APPLICANT, commitment)
    assert may_open_task(viewer("sup.wjw", "wjw", "supervisor"), Audience.SUPERVISOR, review)
    assert not may_open_task(viewer("gong.an", "gaj", "source_unit_handler"), Audience.CONSULTED_UNIT, review)


REVIEW = {"x-audience": "applicant", "properties": {
    "decision": {"type": "string"}, "reason": {"type": "string"},
    "internal_note": {"type": "string", "x-internal": True},
    "comment": {"type": "string", "x-internal": True, "x-readers": ["deciding_unit", "supervisor"]}}}
OPINION = {"properties": {"opinion": {"type": "string"}, "opinion_reasons": {"type": "string"}}}
RESULT = {"decision": "refuse", "reason": "无依据", "internal_note": "内部", "comment": "仅承办单位"}


@pytest.mark.parametrize("audience, fields", [
    (Audience.APPLICANT, ["decision", "reason"]),
    (Audience.CONSULTED_UNIT, ["decision", "reason", "internal_note"]),
    (Audience.DECIDING_UNIT, ["decision", "reason", "internal_note", "comment"]),
    (Audience.SUPERVISOR, ["decision", "reason", "internal_note", "comment"]),
    (Audience.ADMIN, ["decision", "reason", "internal_note", "comment"]),
    (Audience.DESIGNER, []),
])
def test_each_audience_reads_the_fields_its_form_gives_it(audience, fields):
    assert list(readable(REVIEW, RESULT, audience)) == fields


def test_a_form_that_is_no_reply_is_the_officials_alone():
    assert field_readers(OPINION, "opinion_reasons") >= {Audience.DECIDING_UNIT, Audience.CONSULTED_UNIT}
    assert Audience.APPLICANT not in field_readers(OPINION, "opinion_reasons")


def test_an_unknown_reader_in_a_form_is_named():
    assert validate_readers({"properties": {"a": {"x-readers": ["deciding_unit"]},
                                            "b": {"x-readers": ["everyone"]}, "c": {"x-readers": "supervisor"}}}) \
        == ["b", "c"]


class _Entry:
    def __init__(self, **kw):
        self.__dict__.update(kw)


def test_officials_other_than_overseers_read_the_trail_without_its_form_data():
    from datetime import datetime, timezone
    entry = _Entry(id=1, at=datetime(2026, 3, 2, tzinfo=timezone.utc), actor="wei.yi", action="task.complete",
                   task_id=7, before={"assignee": None}, after={"task": "review", "data": {"comment": "x"}})
    [shown] = project_history([entry], Audience.CONSULTED_UNIT, "chen.shi")
    assert shown["after"] == {"task": "review"} and shown["before"] is None
    [whole] = project_history([entry], Audience.SUPERVISOR, "chen.shi")
    assert whole["after"]["data"] == {"comment": "x"}


def test_a_form_naming_an_audience_that_does_not_exist_is_refused_with_the_field():
    from engine.forms import FormError, check_form

    with pytest.raises(FormError) as refused:
        check_form("review.json", {"type": "object", "properties": {"comment": {"type": "string",
                                                                               "x-readers": ["boss"]}}})
    assert refused.value.code == "form.readers_unknown" and refused.value.params["fields"] == "comment"
