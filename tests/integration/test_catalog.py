"""The public data catalog: every change a proposal, line by line, read against the rules
(engine.catalog_rules) and live only once the authority approves it, audited."""
from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select

from engine import demo
from engine.errors import Conflict, InvalidInput, PermissionDenied
from engine.persistence.models import AuditEntry, CatalogRelease
from engine.services import audit, catalog, catalog_changes
from engine.services.users import SYSTEM

HEADER = ",".join(catalog.COLUMNS)
RELEASE_HEADER = HEADER + ",desensitisation,consent_holders,consent_date,consent_evidence"
# GA-001 人口基础信息 as the demo lists it, then relisted for opening (有条件开放).
GA_001 = ("GA-001,人口基础信息,gaj,有条件共享,仅限履行法定职责所需字段，按需申请,,{open},{conditions},每日,"
          "市公安局数据管理科 0818-2000001,接口,结构化,个人信息,含公民个人信息，仅限履行法定职责按需使用,")
RELEASE = "去除姓名、身份证号，仅保留区县级统计,辖区居民（经统计汇总）,2026-02-01,达公函〔2026〕5号"


@pytest.fixture
def loaded(engines, tmp_path):
    # Procedures are the workflow tests' business; here the demo deploys none.
    engines.config = replace(engines.config, workflows_dir=tmp_path)
    engine = engines.at()
    demo.load(engine)
    return engine


def _items(engine) -> dict[str, dict]:
    return {i["code"]: i for i in catalog.list_items(engine.uow())}


def _catalog_audit(engine) -> list[AuditEntry]:
    with engine.uow().read() as uow:
        return list(uow.session.scalars(select(AuditEntry).where(AuditEntry.action.like("catalog.%"))
                                        .order_by(AuditEntry.id)))


def test_the_demo_loads_twice_without_duplicating_anything(loaded):
    again = demo.load(loaded)
    assert again == ["catalog: 0 added, 0 changed"]
    attributes = {code: (i["share_attribute"], i["open_attribute"]) for code, i in _items(loaded).items()}
    assert set(a for a, _ in attributes.values()) == set(catalog.SHARE_ATTRIBUTES)
    assert set(o for _, o in attributes.values()) == set(catalog.OPEN_ATTRIBUTES)


def test_an_import_proposes_line_by_line_and_changes_nothing_live(loaded):
    text = "\n".join([
        HEADER,
        "NEW-1,新数据,gaj,无条件共享,,,不予开放,,每日,联系人,接口,结构化,一般,,",
        "NEW-2,缺条件,gaj,有条件共享,,,不予开放,,每日,联系人,接口,结构化,一般,,",
        "NEW-3,缺依据,nowhere,不予共享,,,随便开放,,每日,联系人,接口,结构化,一般,,",
        "NEW-1,重复,gaj,无条件共享,,,不予开放,,每日,联系人,接口,结构化,一般,,",
    ])
    report = catalog.import_csv(loaded.uow(), text, actor="admin")

    assert [(line.line, line.code, line.status) for line in report.lines] == [
        (2, "NEW-1", "held"), (3, "NEW-2", "refused"), (4, "NEW-3", "refused"), (5, "NEW-1", "refused")]
    assert [(p.code, p.field) for p in report.lines[1].problems] == [
        ("catalog.attribute_needs", "share_reason"), ("catalog.attribute_needs", "share_conditions")]
    assert [(p.code, p.field) for p in report.lines[2].problems] == [
        ("catalog.attribute_unknown", "open_attribute"), ("catalog.attribute_needs", "share_basis"),
        ("catalog.source_unit_unknown", "source_unit")]
    assert [p.code for p in report.lines[3].problems] == ["catalog.code_duplicate"]
    assert "NEW-1" not in _items(loaded)  # held: not live until approved
    held = catalog_changes.proposals(loaded.uow(), "li.si")
    assert [(p["catalog_item"], p["source"], p["proposed_by"]) for p in held] == [("NEW-1", "catalog.csv:2", "admin")]


def test_an_item_missing_an_art_13_field_is_refused_naming_the_article_and_the_field(loaded):
    text = "\n".join([HEADER, "NEW-1,新数据,gaj,无条件共享,,,不予开放,,每日,联系人,,,,,"])
    [line] = catalog.import_csv(loaded.uow(), text, actor="admin").lines

    assert line.status == "refused"
    assert [(p.code, p.field) for p in line.problems] == [
        ("catalog.art13_missing", "data_format"), ("catalog.art13_missing", "data_type"),
        ("catalog.art13_missing", "sensitivity_level")]
    assert line.problems[0].text("zh") == "目录须载明「格式」（第十三条第一款）。"
    assert line.problems[2].text("en") == "the catalog must state the item's sensitivity level (Art. 13(1))"
    assert "NEW-1" not in _items(loaded)


def test_a_free_text_sensitivity_level_is_refused_naming_the_grading_rules_of_art_12(loaded):
    text = "\n".join([HEADER, "NEW-1,新数据,gaj,无条件共享,,,不予开放,,每日,联系人,接口,结构化,比较敏感,,"])
    [line] = catalog.import_csv(loaded.uow(), text, actor="admin").lines

    assert [(p.code, p.field) for p in line.problems] == [("catalog.level_unknown", "sensitivity_level")]
    assert "第十二条" in line.problems[0].text("zh") and "个人信息" in line.problems[0].text("zh")


def test_relisting_personal_data_for_opening_without_desensitisation_and_consent_is_refused(loaded):
    text = "\n".join([HEADER, GA_001.format(open="有条件开放", conditions="脱敏后开放")])
    [line] = catalog.import_csv(loaded.uow(), text, actor="admin").lines

    assert line.status == "refused"
    assert [(p.code, p.field) for p in line.problems] == [
        ("catalog.release_missing", name) for name in ("desensitisation", "consent_holders", "consent_date",
                                                        "consent_evidence")]
    assert "第二十四条第三款、第二十五条" in line.problems[0].text("zh")
    assert "Art. 24(3), 25" in line.problems[0].text("en")
    assert _items(loaded)["GA-001"]["open_attribute"] == "不予开放"


def test_relisting_with_its_release_record_is_held_then_live_with_the_record_once_approved(loaded):
    text = "\n".join([RELEASE_HEADER, GA_001.format(open="有条件开放", conditions="脱敏后开放") + "," + RELEASE])
    [line] = catalog.import_csv(loaded.uow(), text, actor="admin").lines
    assert line.status == "held"
    assert [p.code for p in line.findings] == ["catalog.loosened"]
    [proposal] = catalog_changes.proposals(loaded.uow(), "qian.ba")
    assert proposal["changes"] == [{"attribute": "open_attribute", "old": "不予开放", "new": "有条件开放"},
                                   {"attribute": "open_conditions", "old": None, "new": "脱敏后开放"}]
    assert _items(loaded)["GA-001"]["open_attribute"] == "不予开放"

    with pytest.raises(PermissionDenied):  # the proposer never decides their own
        catalog_changes.approve(loaded.uow(), "admin", line.proposal)
    with pytest.raises(PermissionDenied):  # a source unit's handler is not the authority
        catalog_changes.approve(loaded.uow(), "wang.wu", line.proposal)
    catalog_changes.approve(loaded.uow(), "li.si", line.proposal, reason="已核实脱敏方案")

    item = _items(loaded)["GA-001"]
    assert (item["open_attribute"], item["open_conditions"]) == ("有条件开放", "脱敏后开放")
    with loaded.uow().read() as uow:
        [release] = uow.session.scalars(select(CatalogRelease).where(CatalogRelease.catalog_item == "GA-001")).all()
    assert (release.attribute, release.consent_evidence) == ("有条件开放", "达公函〔2026〕5号")
    change = _catalog_audit(loaded)[-1]
    assert (change.actor, change.action) == ("li.si", "catalog.change")
    assert change.before == {"catalog_item": "GA-001", "open_attribute": "不予开放", "open_conditions": None}
    assert (change.after["open_attribute"], change.after["source"], change.after["proposed_by"]) == (
        "有条件开放", "import catalog.csv:2", "admin")
    assert audit.verify(loaded.uow()).ok
    with pytest.raises(Conflict):  # decided once
        catalog_changes.refuse(loaded.uow(), "qian.ba", line.proposal, reason="再议")


def test_an_import_never_overrides_a_legal_bar(loaded):
    text = "\n".join([HEADER, "GA-002,居民身份证签发信息,gaj,无条件共享,,,不予开放,,实时,市公安局数据管理科 0818-2000001,"
                              "接口,结构化,个人信息,,"])
    [line] = catalog.import_csv(loaded.uow(), text, actor="admin").lines

    assert line.status == "refused"
    assert [(p.code, p.field) for p in line.problems] == [("catalog.legal_bar_kept", "legal_bar"),
                                                         ("catalog.legal_bar", "share_attribute")]
    assert "第十八条第一款" in line.problems[1].text("zh") and "居民身份证法" in line.problems[1].text("zh")
    assert _items(loaded)["GA-002"]["share_attribute"] == "不予共享"


def test_a_refused_proposal_changes_nothing(loaded):
    text = "\n".join([HEADER, "SC-002,行政处罚信息,scjgj,有条件共享,限执法使用,,有条件开放,申请人须说明用途并签订数据利用承诺书,"
                              "每周,市市场监管局信息中心 0818-2000002,文件,结构化,一般,涉及当事人权益,"])
    [line] = catalog.import_csv(loaded.uow(), text, actor="admin").lines
    assert line.status == "held"
    before = _items(loaded)["SC-002"]

    with pytest.raises(InvalidInput):
        catalog_changes.refuse(loaded.uow(), "li.si", line.proposal, reason="  ")
    catalog_changes.refuse(loaded.uow(), "li.si", line.proposal, reason="未与数源单位协商")

    assert _items(loaded)["SC-002"] == before
    [refused] = catalog_changes.proposals(loaded.uow(), "li.si", "refused")
    assert (refused["decided_by"], refused["decision_reason"]) == ("li.si", "未与数源单位协商")
    assert [e.action for e in _catalog_audit(loaded)][-1] == "catalog.refuse"
    assert audit.verify(loaded.uow()).ok


def test_an_approval_of_a_stale_proposal_is_a_conflict(loaded):
    row = "SC-001,市场主体登记信息,scjgj,无条件共享,,,无条件开放,,{freq},市市场监管局信息中心 0818-2000002,接口,结构化,公开,,"
    first, second = (catalog.import_csv(loaded.uow(), "\n".join([HEADER, row.format(freq=f)]), actor="admin").lines[0]
                     for f in ("每小时", "每周"))
    catalog_changes.approve(loaded.uow(), "li.si", first.proposal)
    with pytest.raises(Conflict):
        catalog_changes.approve(loaded.uow(), "li.si", second.proposal)
    assert _items(loaded)["SC-001"]["update_frequency"] == "每小时"


def test_a_file_missing_a_column_is_refused(loaded):
    with pytest.raises(InvalidInput, match="missing column"):
        catalog.import_csv(loaded.uow(), "code,name\nX,Y\n", actor="admin")


def test_only_the_operator_installs_an_initial_catalog(loaded):
    with pytest.raises(PermissionDenied):
        catalog.install_initial(loaded.uow(), HEADER + "\n", actor="admin")


def test_the_catalog_carries_the_art_13_fields_and_never_lists_personal_information_as_unconditionally_open(loaded):
    item = _items(loaded)["GA-001"]
    assert (item["data_format"], item["data_type"], item["sensitivity_level"]) == ("接口", "结构化", "个人信息")

    text = "\n".join([RELEASE_HEADER, "NEW-1,人员名单,gaj,无条件共享,,,无条件开放,,每日,联系人,接口,结构化,个人信息,,,"
                                      + RELEASE])
    [line] = catalog.import_csv(loaded.uow(), text, actor="admin").lines
    assert [(p.code, p.field) for p in line.problems] == [("catalog.personal_information_open", "open_attribute")]


def test_every_demo_catalog_item_sends_source_unit_work_to_someone(loaded):
    from engine.services import supervision

    assert supervision.empty_groups_of_catalog(loaded.uow()) == []
