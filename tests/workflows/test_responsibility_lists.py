"""responsibility_lists: Art. 21 and 26 — the authority organises a round of compiling the share
and open responsibility lists; every source unit compiles its own at the same time, and the
authority publishes the whole; on a frozen clock, on SQLite and PostgreSQL."""
from __future__ import annotations

import pytest

from engine.errors import InvalidInput, PermissionDenied
from engine.services import instances, portal, tasks
from engine.services.users import SYSTEM, add_user

PROCESS_ID = "responsibility_lists"

ROUND = {"round_name": "2026年度", "list_kind": "both", "requirements": "按照省数据局关于编制责任清单的通知",
         "due_on": "2026-04-30"}
HANDLERS = {"source_unit_handler@gaj": "wang.wu", "source_unit_handler@scjgj": "zhou.jiu",
            "source_unit_handler@zrzyj": "wu.shi", "source_unit_handler@wjw": "zheng.yi"}


def test_every_source_unit_compiles_its_list_at_once_and_the_authority_publishes(procedure):
    instance_id = procedure.start(actor="li.si", **ROUND)
    open_steps = [t for t in procedure.show(instance_id)["tasks"] if t["state"] == "open"]
    groups = sorted(t["candidate_groups"][0] for t in open_steps)
    assert groups == sorted(f"source_unit_handler@{u}" for u in procedure.show(instance_id)["data"]["units"])
    assert {t["task_name"] for t in open_steps} == {"compile_list"}

    for number, task in enumerate(open_steps):
        actor = HANDLERS[task["candidate_groups"][0]]
        tasks.claim(procedure.engine.uow(), task["id"], actor=actor)
        data = {"outcome": "unchanged", "items_listed": 3} if number else \
            {"outcome": "updated", "items_listed": 5, "changes": "新增不动产登记信息"}
        tasks.complete(procedure.engine.uow(), task["id"], actor=actor, data=data)
        procedure.assert_round_trips(instance_id)
    assert set(procedure.open_tasks(instance_id)) == {"publish"}
    first = open_steps[0]["candidate_groups"][0].removeprefix("source_unit_handler@")
    assert procedure.show(instance_id)["data"]["unit_returns"] == {
        unit: "updated" if unit == first else "unchanged" for unit in procedure.show(instance_id)["data"]["units"]}
    done = procedure.complete(instance_id, "publish", "li.si", published_on="2026-05-08",
                              document_ref="达数发〔2026〕5号", summary="共享责任清单 120 项，开放责任清单 45 项")
    assert done["instance_status"] == "completed"


def test_an_updated_list_says_what_changed(procedure):
    instance_id = procedure.start(actor="li.si", **ROUND)
    task = next(t for t in procedure.show(instance_id)["tasks"] if t["candidate_groups"] == ["source_unit_handler@gaj"])
    tasks.claim(procedure.engine.uow(), task["id"], actor="wang.wu")
    with pytest.raises(InvalidInput) as refused:
        tasks.complete(procedure.engine.uow(), task["id"], actor="wang.wu",
                       data={"outcome": "updated", "items_listed": 4})
    assert [p.field for p in refused.value.problems] == ["changes"]


@pytest.mark.parametrize("actor, code", [("zhang.san", "process.not_startable"), ("wang.wu", "process.not_startable"),
                                         ("zhou.reviewer", "process.authority_only")])
def test_only_the_authority_s_reviewers_start_a_round(procedure, actor, code):
    # zhou.reviewer is a reviewer too, of the market regulator (scjgj), not of the authority (sjj).
    add_user(procedure.engine.uow(), "zhou.reviewer", department="scjgj", roles=["reviewer"], actor=SYSTEM)
    with pytest.raises(PermissionDenied) as refused:
        instances.start(procedure.engine.uow(), PROCESS_ID, actor=actor, data=ROUND)
    assert refused.value.code == code
    names = {p["process_id"] for p in portal.overview(procedure.engine.uow(), actor)["procedures"]}
    assert PROCESS_ID not in names and PROCESS_ID in {
        p["process_id"] for p in portal.overview(procedure.engine.uow(), "li.si")["procedures"]}
