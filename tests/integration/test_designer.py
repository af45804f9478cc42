"""Designers' use cases on SQLite and PostgreSQL: drafts, deploys, diffs, migration, the diagram."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import select

from engine.bpmn.validation import BPMN_NS
from engine.errors import InvalidInput, NotFound, PermissionDenied
from engine.forms import FormError
from engine.persistence.models import AuditEntry, HumanTask, Timer
from engine.services import changes, designer, diagram, instances, tasks, versions
from engine.services.users import SYSTEM, add_user

FIXTURES = Path(__file__).parent.parent / "fixtures" / "bpmn"
ESCALATION = (FIXTURES / "deadline_escalation.bpmn").read_text()
# A timer counted from when it starts, so re-reading it on another day would move it (and so not
# the statutory deadline, which validation holds to the step's deadlineRule).
TIMED = ESCALATION.replace('<bpmn:timeDate>deadline_at("art20_share_reply", receipt_date)</bpmn:timeDate>',
                           "<bpmn:timeDuration>\"P10D\"</bpmn:timeDuration>").replace(
    'name="deadlineRule" value="art20_share_reply"', 'name="deadlineRule" value="internal_source_opinion"').encode()
RENAMED = TIMED.replace("督办逾期申请".encode(), "督办逾期的申请".encode())


def _without_review(content: bytes) -> bytes:
    """The process with its review and the review's escalation taken out: the start goes to the decision."""
    root = etree.fromstring(content)
    for element in list(root.iter()):
        if element.get("id") in ("review", "overdue", "escalation", "escalation_done", "f2", "f4", "f5"):
            element.getparent().remove(element)
        elif element.get("id") == "f1":
            element.set("targetRef", "decided")
    for ref in root.iter(f"{{{BPMN_NS}}}incoming"):
        if ref.text == "f2":
            ref.text = "f1"
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


WITHOUT_REVIEW = _without_review(TIMED)


@pytest.fixture
def people(engine):
    add_user(engine.uow(), "alice", department="gaj", roles=["applicant"], actor=SYSTEM)
    add_user(engine.uow(), "rita", department="sjj", roles=["reviewer"], actor=SYSTEM)
    add_user(engine.uow(), "dora", department="sjj", roles=["designer"], actor=SYSTEM)
    add_user(engine.uow(), "hana", department="sjj", roles=["department_head"], actor=SYSTEM)
    return engine


def go_live(engine, file_name: str, content: bytes, forms: dict | None = None):
    """Dora proposes the file; Hana, the authority's department head, approves it."""
    proposed = designer.deploy(engine.uow(), "dora", file_name, content, forms)
    for d in proposed:
        if d.created:
            changes.approve(engine.uow(), "hana", d.process_id, d.version)
    return proposed


def migrate(engine, process_id: str, old: int, new: int, instance_ids: list[int]) -> list[dict]:
    """Dora proposes moving the instances; Hana approves, which moves them."""
    proposal = changes.propose_migration(engine.uow(), "dora", process_id, old, new, instance_ids)
    return changes.approve_migration(engine.uow(), "hana", proposal["id"])


def actions(engine, action: str) -> list[AuditEntry]:
    with engine.uow().read() as uow:
        return uow.session.scalars(select(AuditEntry).where(AuditEntry.action == action)
                                   .order_by(AuditEntry.id)).all()


def test_only_designers_save_deploy_or_migrate(people):
    engine = people
    with pytest.raises(PermissionDenied) as denied:
        designer.save_draft(engine.uow(), "rita", "x.bpmn", TIMED)
    assert denied.value.code == "designer.forbidden"
    with pytest.raises(PermissionDenied):
        designer.deploy(engine.uow(), "rita", "x.bpmn", TIMED)
    with pytest.raises(PermissionDenied):
        changes.propose_migration(engine.uow(), "rita", "deadline_escalation", 1, 2, [])
    assert actions(engine, "definition.propose") == [] and actions(engine, "definition.draft") == []


def test_a_draft_is_kept_with_its_problems_and_audited_and_deploying_it_removes_it(people):
    engine = people
    broken = TIMED.replace(b'<spiffworkflow:property name="formJsonSchemaFilename" value="test/decision.json"/>',
                           b"", 1)
    saved = designer.save_draft(engine.uow(), "dora", "escalation.bpmn", broken)
    assert saved["process_id"] == "deadline_escalation"
    opened = designer.open_file(engine.uow(), "dora", "deadline_escalation")
    assert opened["version"] is None and opened["xml"].encode() == broken
    found = designer.check(engine.uow(), "dora", "escalation.bpmn", broken)
    assert [(p.code, p.element) for p in found["problems"]] == [("bpmn.user_task_no_form", "review")]
    with pytest.raises(InvalidInput):
        go_live(engine, "escalation.bpmn", broken)
    [deployed] = designer.deploy(engine.uow(), "dora", "escalation.bpmn", TIMED)
    assert (deployed.process_id, deployed.version, deployed.created) == ("deadline_escalation", 1, True)
    [listed] = designer.processes(engine.uow(), "dora")
    assert listed["draft"] is None
    assert [(v["version"], v["deployed_by"], v["running"], v["status"]) for v in listed["versions"]] == [
        (1, "dora", 0, "proposed")]
    assert [a.after["process"] for a in actions(engine, "definition.draft")] == ["deadline_escalation"]
    assert [a.actor for a in actions(engine, "definition.propose")] == ["dora"]


def test_a_draft_form_stands_in_for_the_forms_folder_when_validating_and_deploying(people):
    engine = people
    content = TIMED.replace(b'value="test/decision.json"', b'value="test/new_decision.json"', 1)
    assert [p.code for p in designer.check(engine.uow(), "dora", "x.bpmn", content)["problems"]] == ["form.missing"]
    form = {"type": "object", "properties": {"decision": {"type": "string", "enum": ["approve", "refuse"]}},
            "required": ["decision"]}
    assert designer.check(engine.uow(), "dora", "x.bpmn", content, {"test/new_decision.json": form})["problems"] == []
    with pytest.raises(InvalidInput) as refused:
        designer.check(engine.uow(), "dora", "x.bpmn", content, {"test/new_decision.json": {"type": "string"}})
    assert [(p.code, p.field) for p in refused.value.problems] == [("form.not_object_schema", "test/new_decision.json")]
    go_live(engine, "x.bpmn", content, {"test/new_decision.json": form})
    assert designer.version_forms(engine.uow(), "dora", "deadline_escalation")["test/new_decision.json"] == form


def test_the_diff_lists_elements_added_removed_and_changed_by_name(people):
    engine = people
    go_live(engine, "x.bpmn", TIMED)
    go_live(engine, "x.bpmn", RENAMED)
    go_live(engine, "x.bpmn", WITHOUT_REVIEW)
    renamed = versions.diff(engine.uow(), "dora", "deadline_escalation", 1, 2)
    assert renamed["added"] == [] and renamed["removed"] == []
    assert [(c["id"], c["name"], "bpmn_name" in c["fields"]) for c in renamed["changed"]] == [
        ("escalation", "督办逾期申请", True)]
    removed = versions.diff(engine.uow(), "dora", "deadline_escalation", 2, 3)
    # What the start no longer reaches is not in the new version's spec: the review and its escalation.
    assert {e["id"] for e in removed["removed"]} == {"review", "overdue", "escalation", "escalation_done"}
    assert removed["old_xml"].encode() == RENAMED and removed["new_xml"].encode() == WITHOUT_REVIEW


def start(engine) -> int:
    return instances.start(engine.uow(), "deadline_escalation", actor="alice", data={}).instance_id


def test_migrating_moves_the_instance_and_its_running_deadlines_keep_their_dates(people, engines):
    engine = people
    go_live(engine, "x.bpmn", TIMED)
    first = start(engine)
    go_live(engine, "x.bpmn", RENAMED)
    with engine.uow().read() as uow:
        before_task = uow.session.scalars(select(HumanTask).where(HumanTask.instance_id == first)).one()
        before_timer = uow.session.scalars(select(Timer).where(Timer.instance_id == first)).one()
    # Three days later the ten-day timer, read again, would end three days later than it does.
    later = engines.at("2026-03-05T10:00:00+08:00")
    [planned] = versions.plan(later.uow(), "dora", "deadline_escalation", 1, 2)
    assert (planned["instance_id"], planned["can_move"], planned["problems"]) == (first, True, [])
    moved = migrate(later, "deadline_escalation", 1, 2, [first])
    assert [m["instance_id"] for m in moved] == [first]
    assert instances.read_stored(later.uow(), first)["version"] == 2
    with later.uow().read() as uow:
        task = uow.session.scalars(select(HumanTask).where(HumanTask.instance_id == first)).one()
        timer = uow.session.scalars(select(Timer).where(Timer.instance_id == first)).one()
    assert (task.id, task.state, task.due_date, task.due_at) == (before_task.id, "open", before_task.due_date,
                                                                 before_task.due_at)
    assert (timer.spiff_task_id, timer.due_at) == (before_timer.spiff_task_id, before_timer.due_at)
    assert [a.instance_id for a in actions(engine, "instance.migrate")] == [first]
    assert actions(engine, "definition.migrate")[0].after["instances"] == [first]
    # The escalation the timer opens is the new version's.
    tasks.claim(later.uow(), task.id, actor="rita")
    done = tasks.complete(later.uow(), task.id, actor="rita", data={"decision": "approve"})
    assert done["error"] is None
    assert instances.read_stored(later.uow(), first)["status"] == "completed"


def test_the_dry_run_says_why_an_instance_cannot_move_and_migrating_it_moves_nothing(people):
    engine = people
    go_live(engine, "x.bpmn", TIMED)
    first = start(engine)
    go_live(engine, "x.bpmn", WITHOUT_REVIEW)
    [planned] = versions.plan(engine.uow(), "dora", "deadline_escalation", 1, 2)
    assert planned["can_move"] is False
    assert sorted((p.code, p.element) for p in planned["problems"]) == [
        ("migration.step_removed", "overdue"), ("migration.step_removed", "review")]
    assert "审核" in [p for p in planned["problems"] if p.element == "review"][0].text("zh")
    with pytest.raises(InvalidInput) as refused:
        migrate(engine, "deadline_escalation", 1, 2, [first])
    assert {p.field for p in refused.value.problems} == {str(first)}
    assert instances.read_stored(engine.uow(), first)["version"] == 1
    assert actions(engine, "definition.migrate") == []


def test_the_diagram_marks_the_steps_done_and_the_open_step_with_its_deadline(people):
    engine = people
    go_live(engine, "x.bpmn", TIMED)
    first = start(engine)
    shown = diagram.progress(engine.uow(), "alice", first)
    assert shown["done"] == ["start"]
    # The timer that opens the supervisors' 督办 is internal: not on the applicant's diagram.
    assert shown["active"] == ["review"]
    assert set(diagram.progress(engine.uow(), "rita", first)["active"]) == {"review", "overdue"}
    [step] = shown["open"]
    # Opened Monday 2026-03-02: the internal three working days end on Thursday 2026-03-05.
    assert (step["element"], step["deadline"]["due_date"], step["deadline"]["working_days_left"]) == (
        "review", "2026-03-05", 3)
    assert step["deadline"]["article"].startswith("第二十条")
    assert set(step) == {"element", "title", "deadline"} and "rule" not in step["deadline"]
    # The ten-day timer set at 09:00 Beijing time on 2026-03-02 falls due at 09:00 on 2026-03-12.
    assert shown["timers"] == []
    assert [(t["element"], t["due_on"]) for t in diagram.progress(engine.uow(), "rita", first)["timers"]] == [
        ("overdue", "2026-03-12")]
    # The applicant's copy is the drawing alone, without the 督办 branch; the reviewer's is the file as deployed.
    assert "candidateGroups" not in shown["xml"] and "P10D" not in shown["xml"] and 'decision == "approve"' \
        not in shown["xml"] and "督办逾期申请" not in shown["xml"] and 'id="overdue"' not in shown["xml"]
    assert 'id="review"' in shown["xml"]
    assert diagram.progress(engine.uow(), "rita", first)["xml"].encode() == TIMED
    add_user(engine.uow(), "bob", department="fgw", roles=["applicant"], actor=SYSTEM)
    with pytest.raises(NotFound) as absent:  # the same answer as for an application that does not exist
        diagram.progress(engine.uow(), "bob", first)
    with pytest.raises(NotFound) as missing:
        diagram.progress(engine.uow(), "bob", 999)
    assert absent.value.code == missing.value.code == "application.not_found"


EMBEDDED = (FIXTURES / "modelers" / "embedded_subprocess.bpmn").read_bytes()


def start_embedded(engine):
    """Deploy the modeler's file with an embedded subprocess and start an application of it."""
    go_live(engine, "embedded_subprocess.bpmn", EMBEDDED)
    return EMBEDDED, instances.start(engine.uow(), "embedded_review", actor="alice", data={"subject": "人口数据"})


def test_an_embedded_subprocess_written_by_a_modeler_deploys_and_runs_to_completion(people):
    engine = people
    content, started = start_embedded(engine)
    [task] = tasks.of_instance(engine.uow(), started.instance_id)
    assert task["task_name"] == "decide"
    tasks.claim(engine.uow(), task["id"], actor="rita")
    assert tasks.complete(engine.uow(), task["id"], actor="rita", data={"decision": "approve"})["error"] is None
    shown = instances.read_stored(engine.uow(), started.instance_id)
    assert shown["status"] == "completed"
    assert shown["data"]["reviewed"] is True


def test_an_edited_form_is_kept_in_a_draft_begun_from_the_newest_version_until_discarded(people):
    engine = people
    go_live(engine, "x.bpmn", TIMED)
    original = designer.form_schema(engine.uow(), "dora", "deadline_escalation", "test/decision.json")
    assert original["type"] == "object"
    edited = {**original, "title": "审核（修订）"}
    with pytest.raises(FormError):
        designer.save_form(engine.uow(), "dora", "deadline_escalation", "test/decision.json", "{not json")
    designer.save_form(engine.uow(), "dora", "deadline_escalation", "test/decision.json", json.dumps(edited))
    draft = designer.open_file(engine.uow(), "dora", "deadline_escalation")
    assert (draft["version"], draft["base_version"], draft["xml"].encode()) == (None, 1, TIMED)
    assert draft["forms"] == {"test/decision.json": edited}
    assert designer.form_schema(engine.uow(), "dora", "deadline_escalation", "test/decision.json") == edited
    [deployed] = go_live(engine, "x.bpmn", TIMED, draft["forms"])
    assert deployed.version == 2
    assert designer.version_forms(engine.uow(), "dora", "deadline_escalation", 2)["test/decision.json"] == edited
    assert designer.version_forms(engine.uow(), "dora", "deadline_escalation", 1)["test/decision.json"] == original
    designer.save_draft(engine.uow(), "dora", "x.bpmn", RENAMED)
    designer.discard_draft(engine.uow(), "dora", "deadline_escalation")
    assert designer.open_file(engine.uow(), "dora", "deadline_escalation")["version"] == 2
    assert [a.actor for a in actions(engine, "definition.draft_discard")] == ["dora"]


def test_an_instance_waiting_inside_an_embedded_subprocess_migrates_and_runs_to_completion(people):
    engine = people
    content, started = start_embedded(engine)
    [before] = tasks.of_instance(engine.uow(), started.instance_id)
    renamed = content.replace("审核决定".encode(), "审核并决定".encode()).replace(b"reviewed = True",
                                                                             b"reviewed = 'v2'")
    go_live(engine, "embedded_subprocess.bpmn", renamed)
    changed = versions.diff(engine.uow(), "dora", "embedded_review", 1, 2)["changed"]
    assert {c["id"] for c in changed} == {"decide", "note"}
    migrate(engine, "embedded_review", 1, 2, [started.instance_id])
    [after] = tasks.of_instance(engine.uow(), started.instance_id)
    assert (after["id"], after["title"]) == (before["id"], "审核决定")  # the open row keeps its title
    tasks.claim(engine.uow(), after["id"], actor="rita")
    assert tasks.complete(engine.uow(), after["id"], actor="rita", data={"decision": "approve"})["error"] is None
    shown = instances.read_stored(engine.uow(), started.instance_id)
    assert (shown["status"], shown["version"], shown["data"]["reviewed"]) == ("completed", 2, "v2")


def test_a_draft_whose_file_name_holds_a_control_character_is_refused(people):
    with pytest.raises(InvalidInput) as refused:
        designer.save_draft(people.uow(), "dora", "x\r\nContent-Type: text/html.bpmn", TIMED)
    assert [(p.code, p.field) for p in refused.value.problems] == [("bpmn.file_name_control", "file_name")]


MANUAL = b'''<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="D" targetNamespace="x">
  <bpmn:process id="manual" name="\xe7\xba\xb8\xe8\xb4\xa8\xe6\x9d\x90\xe6\x96\x99" isExecutable="true">
    <bpmn:startEvent id="s"/>
    <bpmn:manualTask id="file_paper" name="\xe5\xbd\x92\xe6\xa1\xa3">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="candidateGroups" value="reviewer"/>
      </spiffworkflow:properties></bpmn:extensionElements>
    </bpmn:manualTask>
    <bpmn:endEvent id="e"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="file_paper"/>
    <bpmn:sequenceFlow id="f2" sourceRef="file_paper" targetRef="e"/>
  </bpmn:process>
</bpmn:definitions>'''


def test_a_spiffarena_manual_task_without_a_form_deploys_and_is_done_with_no_data(people):
    engine = people
    go_live(engine, "manual.bpmn", MANUAL)
    started = instances.start(engine.uow(), "manual", actor="alice", data={})
    [task_id] = started.opened_task_ids
    tasks.claim(engine.uow(), task_id, actor="rita")
    done = tasks.complete(engine.uow(), task_id, actor="rita", data={})
    assert done["error"] is None and instances.read_stored(engine.uow(), started.instance_id)["status"] == "completed"
