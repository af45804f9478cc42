"""sub_catalog: Art. 13 para. 3 — a department submits its own sub-catalog to the authority,
which reviews it; approved, each line goes into the catalog as an approved, audited change;
refused, nothing changes and the reply gives the reason; on a frozen clock, SQLite and PostgreSQL."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.errors import InvalidInput, PermissionDenied
from engine.persistence.models import AuditEntry, CatalogProposal
from engine.services import audit, catalog, instances, replies

PROCESS_ID = "sub_catalog"
HEADER = ",".join(catalog.COLUMNS)
# zhang.san applies for 达州市市场监督管理局 (scjgj): a new item, and SC-002 updated weekly -> daily.
NEW_ITEM = "SC-003,个体工商户登记信息,scjgj,无条件共享,,,不予开放,,每日,市市场监管局信息中心 0818-2000002,接口,结构化,一般,,"
SC_002 = ("SC-002,行政处罚信息,scjgj,无条件共享,,,有条件开放,申请人须说明用途并签订数据利用承诺书,每日,"
          "市市场监管局信息中心 0818-2000002,文件,结构化,一般,,")
SUBMISSION = {"sub_catalog": "\n".join([HEADER, NEW_ITEM, SC_002]), "submission_note": "2026 年度子目录，新增 1 项、更新 1 项"}


def _codes(procedure) -> dict[str, dict]:
    return {i["code"]: i for i in catalog.list_items(procedure.engine.uow())}


def test_an_approved_sub_catalog_goes_into_the_catalog_item_by_item_audited(procedure):
    instance_id = procedure.start(actor="zhang.san", **SUBMISSION)
    shown = procedure.show(instance_id)
    assert shown["statutory"]["rule"] == "art13_sub_catalog"
    assert procedure.open_tasks(instance_id)["review"]["candidate_groups"] == ["reviewer@sjj"]
    items = shown["data"]["items"]["items"]
    assert [(i["code"], i["created"]) for i in items] == [("SC-003", True), ("SC-002", False)]
    assert items[1]["changes"] == {"update_frequency": ["每周", "每日"]}
    assert "SC-003" not in _codes(procedure)  # nothing is live before the review

    done = procedure.complete(instance_id, "review", "li.si", decision="approve")

    assert done["instance_status"] == "completed"
    live = _codes(procedure)
    assert live["SC-003"]["name"] == "个体工商户登记信息" and live["SC-002"]["update_frequency"] == "每日"
    with procedure.engine.uow().read() as uow:
        proposals = uow.session.scalars(select(CatalogProposal).where(CatalogProposal.instance_id == instance_id)
                                        .order_by(CatalogProposal.id)).all()
        changes = uow.session.scalars(select(AuditEntry).where(AuditEntry.instance_id == instance_id,
                                                               AuditEntry.action == "catalog.change")).all()
    receipt = shown["receipt_number"]
    assert [(p.catalog_item, p.status, p.source_kind, p.source) for p in proposals] == [
        ("SC-003", "approved", "sub_catalog", f"{receipt}:2"), ("SC-002", "approved", "sub_catalog", f"{receipt}:3")]
    assert [c.after["catalog_item"] for c in changes] == ["SC-003", "SC-002"]
    assert changes[1].before == {"catalog_item": "SC-002", "update_frequency": "每周"}
    assert audit.verify(procedure.engine.uow()).ok
    reply = replies.formal_reply(procedure.engine.uow(), "zhang.san", instance_id)["reply"]
    assert reply["decision_label"] == "审核通过，纳入公共数据目录"


def test_a_refused_sub_catalog_changes_nothing_and_the_reply_gives_the_reason(procedure):
    instance_id = procedure.start(actor="zhang.san", **SUBMISSION)
    before = _codes(procedure)

    with pytest.raises(InvalidInput):  # a refusal states its reason
        procedure.complete(instance_id, "review", "li.si", decision="refuse")
    done = procedure.complete(instance_id, "review", "li.si", decision="refuse", reason="未按目录编制指南填写更新频率",
                              basis="目录编制指南", comment="内部备注")

    assert done["instance_status"] == "completed"
    assert _codes(procedure) == before
    reply = replies.formal_reply(procedure.engine.uow(), "zhang.san", instance_id)["reply"]
    assert (reply["decision_label"], reply["reason"], reply["basis"]) == ("审核不通过", "未按目录编制指南填写更新频率",
                                                                         "目录编制指南")
    assert "内部备注" not in repr(reply)


@pytest.mark.parametrize("line, problem", [
    ("SC-003,个体工商户登记信息,scjgj,无条件共享,,,不予开放,,每日,联系人,,结构化,一般,,",
     ("catalog.art13_missing", "line 2: sub_catalog (data_format)")),
    ("GA-009,机动车登记信息,gaj,无条件共享,,,不予开放,,每日,联系人,接口,结构化,一般,,",
     ("catalog.sub_catalog_foreign", "line 2: sub_catalog (source_unit)")),
    ("SC-003,个体工商户登记信息,scjgj,无条件共享,,,不予开放,,每日,联系人,接口,结构化,内部,,",
     ("catalog.level_unknown", "line 2: sub_catalog (sensitivity_level)")),
])
def test_a_sub_catalog_breaking_a_rule_is_refused_at_submission_naming_the_line(procedure, line, problem):
    with pytest.raises(InvalidInput) as refused:
        instances.start(procedure.engine.uow(), PROCESS_ID, actor="zhang.san",
                        data={"sub_catalog": "\n".join([HEADER, line]), "submission_note": "子目录"})
    assert [(p.code, p.where) for p in refused.value.problems] == [problem]


@pytest.mark.parametrize("actor", ["qian.jiu", "chen.shi"])
def test_only_departments_and_public_service_organisations_submit(procedure, actor):
    with pytest.raises(PermissionDenied):
        instances.start(procedure.engine.uow(), PROCESS_ID, actor=actor, data=SUBMISSION)
