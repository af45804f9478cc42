"""Issue 21, reproduced: a designer alone can neither grant data, rewrite the catalog nor take over
a statutory decision; every change goes live only with a second person's approval."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select, update

from engine.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from engine.persistence.models import AuditEntry, CatalogItem, Grant, ProcessDefinition
from engine.services import changes, designer, instances

PROCESS_ID = "conditional_share"
WORKFLOWS = Path(__file__).parent.parent.parent / "workflows"
SHARE = (WORKFLOWS / "conditional_share.bpmn").read_text(encoding="utf-8")
APPLICATION = {"request_reason": "办理户籍业务需核验人口信息", "request_basis": "《户口登记条例》",
               "purpose": "户籍登记", "requested_scope": "姓名、身份证号、户籍地址", "requested_until": "2026-12-31"}


def grab(capabilities: str | None) -> bytes:
    """sun.qi's process: started by designers, it grants GA-002 to a company until 2099 and
    makes GA-001 population data 无条件共享 at once."""
    declared = f'<spiffworkflow:property name="capabilities" value="{capabilities}"/>' if capabilities else ""
    return f'''<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="D" targetNamespace="x">
  <bpmn:process id="grab" name="快速授权" isExecutable="true">
    <bpmn:extensionElements><spiffworkflow:properties>
      <spiffworkflow:property name="startableBy" value="designer"/>{declared}
    </spiffworkflow:properties></bpmn:extensionElements>
    <bpmn:startEvent id="s"/>
    <bpmn:serviceTask id="grant" name="授权">
      <bpmn:extensionElements><spiffworkflow:serviceTaskOperator id="pdw.record_grant"><spiffworkflow:parameters>
        <spiffworkflow:parameter id="catalog_item" type="str" value='"GA-002"'/>
        <spiffworkflow:parameter id="grantee" type="str" value='"some_company"'/>
        <spiffworkflow:parameter id="scope" type="str" value='"全部"'/>
        <spiffworkflow:parameter id="purpose" type="str" value='"商业"'/>
        <spiffworkflow:parameter id="expires_on" type="str" value='"2099-12-31"'/>
      </spiffworkflow:parameters></spiffworkflow:serviceTaskOperator></bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:serviceTask id="assess" name="改目录">
      <bpmn:extensionElements><spiffworkflow:serviceTaskOperator id="pdw.apply_assessment"><spiffworkflow:parameters>
        <spiffworkflow:parameter id="catalog_item" type="str" value='"GA-001"'/>
        <spiffworkflow:parameter id="share_attribute" type="str" value='"无条件共享"'/>
        <spiffworkflow:parameter id="open_attribute" type="str" value='"不予开放"'/>
      </spiffworkflow:parameters></spiffworkflow:serviceTaskOperator></bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:endEvent id="e"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="grant"/>
    <bpmn:sequenceFlow id="f2" sourceRef="grant" targetRef="assess"/>
    <bpmn:sequenceFlow id="f3" sourceRef="assess" targetRef="e"/>
  </bpmn:process>
</bpmn:definitions>'''.encode()


def grants_of(engine, code: str) -> list[Grant]:
    with engine.uow().read() as uow:
        return uow.session.scalars(select(Grant).where(Grant.catalog_item == code)).all()


def share_attribute(engine, code: str) -> str:
    with engine.uow().read() as uow:
        return uow.session.get(CatalogItem, code).share_attribute


def test_a_process_writing_grants_or_the_catalog_without_declaring_it_is_refused(procedure):
    with pytest.raises(InvalidInput) as refused:
        designer.deploy(procedure.engine.uow(), "sun.qi", "grab.bpmn", grab(None))
    assert sorted((p.code, p.element) for p in refused.value.problems) == [
        ("bpmn.capability_undeclared", "assess"), ("bpmn.capability_undeclared", "grant")]


def test_a_designers_grant_process_takes_effect_only_after_someone_else_approves_seeing_its_capabilities(procedure):
    engine = procedure.engine
    [proposed] = designer.deploy(engine.uow(), "sun.qi", "grab.bpmn", grab("pdw.record_grant,pdw.apply_assessment"))
    assert (proposed.process_id, proposed.version, proposed.status) == ("grab", 1, "proposed")
    # Not live: nobody can start it, and nothing was granted or changed.
    with pytest.raises(NotFound):
        instances.start(engine.uow(), "grab", actor="sun.qi", data={})
    assert grants_of(engine, "GA-002") == [] and share_attribute(engine, "GA-001") == "有条件共享"
    # The proposer cannot approve their own; a designer or reviewer may not approve at all.
    with pytest.raises(PermissionDenied) as own:
        changes.approve(engine.uow(), "sun.qi", "grab", 1)
    assert own.value.code in ("change.approve_forbidden", "change.own_proposal")
    with pytest.raises(PermissionDenied) as reviewer:
        changes.approve(engine.uow(), "li.si", "grab", 1)
    assert reviewer.value.code == "change.approve_forbidden"
    # The approver sees the capabilities declared, in the review and in the changed properties.
    shown = changes.review(engine.uow(), "qian.ba", "grab", 1)
    assert shown["capabilities"] == ["pdw.apply_assessment", "pdw.record_grant"] and shown["may_decide"]
    assert {"name": "capabilities", "old": None, "new": "pdw.record_grant,pdw.apply_assessment"} in \
        shown["difference"]["properties"]
    assert shown["problems"] == []
    changes.reject(engine.uow(), "qian.ba", "grab", 1, "数据授权须经审核")
    with pytest.raises(Conflict):
        changes.approve(engine.uow(), "admin", "grab", 1)
    with pytest.raises(NotFound):
        instances.start(engine.uow(), "grab", actor="sun.qi", data={})
    assert grants_of(engine, "GA-002") == []
    with engine.uow().read() as uow:
        decided = [(e.actor, e.action) for e in uow.session.scalars(
            select(AuditEntry).where(AuditEntry.action.in_(["definition.propose", "definition.reject"]))
            .order_by(AuditEntry.id))]
    assert decided == [("sun.qi", "definition.propose"), ("qian.ba", "definition.reject")]


def test_an_approved_version_not_declaring_a_capability_cannot_use_it_at_run_time(procedure):
    engine = procedure.engine
    designer.deploy(engine.uow(), "sun.qi", "grab.bpmn", grab("pdw.record_grant,pdw.apply_assessment"))
    changes.approve(engine.uow(), "admin", "grab", 1)
    with engine.uow() as uow:
        # As if the capability had been taken out behind the approver's back.
        uow.session.execute(update(ProcessDefinition).where(ProcessDefinition.process_id == "grab")
                            .values(properties={"startableBy": "designer"}))
        uow.commit()
    started = instances.start(engine.uow(), "grab", actor="sun.qi", data={})
    assert started.status == "errored" and "pdw.record_grant" in started.error
    assert grants_of(engine, "GA-002") == [] and share_attribute(engine, "GA-001") == "有条件共享"


def test_an_approved_capability_runs_and_each_change_is_audited_with_instance_and_version(procedure):
    engine = procedure.engine
    designer.deploy(engine.uow(), "sun.qi", "grab.bpmn", grab("pdw.record_grant,pdw.apply_assessment"))
    changes.approve(engine.uow(), "admin", "grab", 1)
    started = instances.start(engine.uow(), "grab", actor="sun.qi", data={})
    assert started.status == "completed", started.error
    assert [(a, after["catalog_item"], after["version"]) for a, after in procedure.changes(started.instance_id)] == [
        ("grant.record", "GA-002", 1), ("catalog.propose", "GA-001", 1), ("catalog.change", "GA-001", 1)]


@pytest.mark.parametrize("routing", ['"user:sun.qi"', '"reviewer@" + "gaj"', 'applicant_department'])
def test_a_statutory_decision_cannot_be_taken_over_by_redeploying_conditional_share(procedure, routing):
    hijacked = SHARE.replace('''<spiffworkflow:property name="candidateGroupsExpression" value='"reviewer@" + competent_department' />
          <spiffworkflow:property name="deadlineRule" value="art20_share_reply" />''',
                             f'''<spiffworkflow:property name="candidateGroupsExpression" value='{routing}' />
          <spiffworkflow:property name="deadlineRule" value="art20_share_reply" />''')
    assert hijacked != SHARE
    with pytest.raises(InvalidInput) as refused:
        designer.deploy(procedure.engine.uow(), "sun.qi", "conditional_share.bpmn", hijacked.encode())
    [problem] = refused.value.problems
    assert (problem.code, problem.element) == ("bpmn.authority_routing", "review")
    assert "审核共享申请" in str(problem)


def test_a_change_to_conditional_share_waits_for_approval_and_the_approver_sees_the_old_and_new_values(procedure):
    engine = procedure.engine
    changed = SHARE.replace('name="candidateGroups" value="supervisor"', 'name="candidateGroups" value="admin"', 1)
    [proposed] = designer.deploy(engine.uow(), "sun.qi", "conditional_share.bpmn", changed.encode())
    assert (proposed.version, proposed.status) == (2, "proposed")
    # The next application still runs on the live version 1.
    first = procedure.start(catalog_item="GA-001", **APPLICATION)
    assert procedure.show(first)["version"] == 1
    shown = changes.review(engine.uow(), "qian.ba", PROCESS_ID, 2)
    assert shown["live_version"] == 1 and shown["running"] == [{"instance_id": first, "receipt_number":
                                                                procedure.show(first)["receipt_number"]}]
    [element] = shown["difference"]["changed"]
    assert element["id"] == "supervise_review"
    assert {"field": "extensions.properties.candidateGroups", "old": "supervisor", "new": "admin"} in element["values"]
    changes.approve(engine.uow(), "qian.ba", PROCESS_ID, 2)
    assert procedure.show(procedure.start(catalog_item="GA-001", **APPLICATION))["version"] == 2


def test_running_applications_move_only_when_someone_else_approves_the_migration(procedure):
    engine = procedure.engine
    first = procedure.start(catalog_item="GA-001", **APPLICATION)
    renamed = SHARE.replace('name="审核共享申请（第二十条第二款）"', 'name="审核共享申请"', 1)
    designer.deploy(engine.uow(), "sun.qi", "conditional_share.bpmn", renamed.encode())
    with pytest.raises(Conflict):
        changes.propose_migration(engine.uow(), "sun.qi", PROCESS_ID, 1, 2, [first])
    changes.approve(engine.uow(), "admin", PROCESS_ID, 2)
    proposal = changes.propose_migration(engine.uow(), "sun.qi", PROCESS_ID, 1, 2, [first])
    assert procedure.show(first)["version"] == 1
    with pytest.raises(PermissionDenied):
        changes.approve_migration(engine.uow(), "sun.qi", proposal["id"])
    moved = changes.approve_migration(engine.uow(), "qian.ba", proposal["id"])
    assert [m["instance_id"] for m in moved] == [first] and procedure.show(first)["version"] == 2
    with engine.uow().read() as uow:
        assert [e.actor for e in uow.session.scalars(select(AuditEntry).where(
            AuditEntry.action.in_(["migration.propose", "migration.approve"])).order_by(AuditEntry.id))] == [
            "sun.qi", "qian.ba"]


def test_an_approver_who_proposed_a_version_may_not_approve_it_but_another_approver_may(procedure):
    engine = procedure.engine
    changed = SHARE.replace('name="candidateGroups" value="supervisor"', 'name="candidateGroups" value="admin"', 1)
    designer.deploy(engine.uow(), "admin", "conditional_share.bpmn", changed.encode())
    with pytest.raises(PermissionDenied) as own:
        changes.approve(engine.uow(), "admin", PROCESS_ID, 2)
    assert own.value.code == "change.own_proposal" and "another person" in own.value.text()
    changes.approve(engine.uow(), "qian.ba", PROCESS_ID, 2)


def test_an_approved_authority_process_cannot_send_its_decision_elsewhere_whatever_its_data_says(procedure):
    engine = procedure.engine
    # Validation proves the review goes to "reviewer@" + competent_department; a script then
    # rewrites that data at run time. The engine refuses to route the decision outside the authority.
    rerouted = SHARE.replace('<bpmn:scriptTask id="refuse_not_shareable"', '''<bpmn:scriptTask id="reroute" name="改派">
      <bpmn:incoming>f_conditional</bpmn:incoming>
      <bpmn:outgoing>f_rerouted</bpmn:outgoing>
      <bpmn:script>competent_department = "gaj"</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:sequenceFlow id="f_rerouted" sourceRef="reroute" targetRef="review" />
    <bpmn:scriptTask id="refuse_not_shareable"''', 1)
    rerouted = rerouted.replace('<bpmn:sequenceFlow id="f_conditional" name="有条件共享" sourceRef="share_attribute" '
                                'targetRef="review"', '<bpmn:sequenceFlow id="f_conditional" name="有条件共享" '
                                'sourceRef="share_attribute" targetRef="reroute"', 1)
    assert 'targetRef="reroute"' in rerouted
    designer.deploy(engine.uow(), "sun.qi", "conditional_share.bpmn", rerouted.encode())
    changes.approve(engine.uow(), "qian.ba", PROCESS_ID, 2)
    started = instances.start(engine.uow(), PROCESS_ID, actor="zhang.san", data={"catalog_item": "GA-001",
                                                                                  **APPLICATION})
    assert started.status == "errored" and "reviewer@gaj" in started.error
    assert procedure.open_tasks(started.instance_id) == {}


def test_before_proposing_the_designer_sees_the_draft_against_the_live_version_and_who_is_affected(procedure):
    engine = procedure.engine
    first = procedure.start(catalog_item="GA-001", **APPLICATION)
    changed = SHARE.replace('name="candidateGroups" value="supervisor"', 'name="candidateGroups" value="admin"', 1)
    [shown] = changes.preview(engine.uow(), "sun.qi", "conditional_share.bpmn", changed.encode())
    assert (shown["live_version"], shown["unchanged"]) == (1, False)
    assert shown["running"] == [procedure.show(first)["receipt_number"]]
    [element] = shown["difference"]["changed"]
    assert {"field": "extensions.properties.candidateGroups", "old": "supervisor", "new": "admin"} in element["values"]
    [same] = changes.preview(engine.uow(), "sun.qi", "conditional_share.bpmn", SHARE.encode())
    assert same["unchanged"] and same["difference"]["changed"] == []
    with engine.uow().read() as uow:
        assert uow.session.scalar(select(AuditEntry).where(AuditEntry.action == "definition.propose")) is None
