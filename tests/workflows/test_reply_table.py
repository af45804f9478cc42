"""The reply derived from the decision, for every procedure and outcome (README: "What the
applicant is answered"): each row is driven through the shipped procedure and its 答复书 must
state the decision, the reason and basis where the Measures require them, the measure of a
founded objection, the unit that decided (full name), the applicant's name and organisation
(never a login), the dates and the remedy, and nothing internal."""
from __future__ import annotations

import pytest

from engine.services import instances, replies, withdrawal

PROCESS_ID = "conditional_share"

SHARE = {"request_reason": "办理户籍业务需核验人口信息", "request_basis": "《户口登记条例》", "purpose": "户籍登记",
         "requested_scope": "姓名、身份证号、户籍地址", "requested_until": "2026-12-31"}
OPEN = {"request_reason": "开展营商环境研究", "request_basis": "研究合作协议", "purpose": "统计分析"}
OPEN_APPROVAL = {"decision": "approve", "access_method": "开放平台接口", "access_time": "2026年3月10日起",
                 "requirements": "仅限统计分析，不得再次公开", "usage_scope": "行政处罚统计", "granted_until": "2026-12-31"}
CORRECTION = {"catalog_item": "SC-001", "subject_record": "某公司 注册资本", "problem": "inaccurate",
              "description": "注册资本有误", "requested_correction": "100 万元"}
OBJECTION = {"catalog_item": "SC-001", "objection_type": "error", "description": "本公司注册资本登记有误",
             "requested_measure": "correct"}
AUTHORITY, SCJGJ = "达州市数据局", "达州市市场监督管理局"
# Fields the forms keep from the applicant (x-internal / x-readers): a comment, an objection's finding.
INTERNAL = ("内部意见：可以共享", "登记数据录入错误")


def _share_review(p, i, **decision):
    p.complete(i, "review", "li.si", **decision)


def _share_extended(p, i, **decision):
    p.complete(i, "review", "li.si", decision="extend", extension_reason="需征求数源单位意见")
    p.complete(i, "source_opinion", "wang.wu", opinion="agree", opinion_reasons="同意")
    p.complete(i, "final_review", "li.si", **decision)


CROSS_LEVEL = {"counterpart_level": "provincial", "counterpart": "四川省市场监督管理局", "data_name": "省级企业年报信息",
               "request_reason": "企业信用监管", "request_basis": "《企业信息公示暂行条例》", "purpose": "信用评价"}
SHARE_DEMAND = {"demand_type": "share", "data_name": "机动车登记信息", "description": "车辆所有人与号牌",
                "purpose": "执法核查"}
PROJECT = {"project_name": "达州市市场主体信用监管平台升级项目", "project_kind": "upgrade", "system_name": "信用监管平台",
           "acceptance_planned_on": "2026-06-30", "catalog_note": "新增数据项 12 项",
           "dictionary_note": "表 9 张、字段 143 个"}

SUB_CATALOG = {"sub_catalog": "code,name,source_unit,share_attribute,open_attribute,update_frequency,contact,data_format,"
                              "data_type,sensitivity_level\nSC-003,个体工商户登记信息,scjgj,无条件共享,不予开放,每日,"
                              "市市场监管局信息中心,接口,结构化,一般",
               "submission_note": "2026 年度子目录"}

def _cross_level_reviewed(p, i):
    p.complete(i, "triage", "li.si", concerned_unit="scjgj", triage_note="会同市场监管局审核")
    p.complete(i, "joint_opinion", "zhou.jiu", opinion="agree", opinion_reasons="监管所需")


APPROVE_SHARE = {"decision": "approve", "granted_scope": "姓名、户籍地址", "granted_until": "2026-09-30",
                 "comment": "内部意见：可以共享"}
REFUSE_SHARE = {"decision": "refuse", "reason": "申请用途超出共享条件", "basis": "目录共享条件",
                "comment": "内部意见：可以共享"}

# (procedure, outcome, application, how it is driven, decision words, issuing unit, reason?, basis?, measure)
OUTCOMES = [
    ("conditional_share", "approved at once (unconditional)", {"catalog_item": "SC-001", **SHARE}, None,
     "已共享", AUTHORITY, False, False, None),
    ("conditional_share", "refused automatically (not shareable)", {"catalog_item": "GA-002", **SHARE}, None,
     "不予共享", AUTHORITY, True, True, None),
    ("conditional_share", "approved with conditions", {"catalog_item": "GA-001", **SHARE},
     lambda p, i: _share_review(p, i, **APPROVE_SHARE), "同意共享", AUTHORITY, False, False, None),
    ("conditional_share", "refused", {"catalog_item": "GA-001", **SHARE},
     lambda p, i: _share_review(p, i, **REFUSE_SHARE), "不予共享", AUTHORITY, True, True, None),
    ("conditional_share", "extended then approved", {"catalog_item": "GA-001", **SHARE},
     lambda p, i: _share_extended(p, i, **APPROVE_SHARE), "同意共享", AUTHORITY, False, False, None),
    ("conditional_share", "extended then refused", {"catalog_item": "GA-001", **SHARE},
     lambda p, i: _share_extended(p, i, **REFUSE_SHARE), "不予共享", AUTHORITY, True, True, None),
    ("conditional_share", "ended by the authority", {"catalog_item": "GA-001", **SHARE},
     lambda p, i: instances.cancel(p.engine.uow(), i, actor="zhao.liu", reason="重复提交"),
     "已由主管部门终止办理", AUTHORITY, True, False, None),
    ("conditional_open", "obtained directly (unconditional)", {"catalog_item": "SC-001", **OPEN}, None,
     "直接获取", AUTHORITY, True, False, None),
    ("conditional_open", "refused automatically (not open)", {"catalog_item": "GA-001", **OPEN}, None,
     "不予开放", AUTHORITY, True, True, None),
    ("conditional_open", "approved with conditions", {"catalog_item": "SC-002", **OPEN},
     lambda p, i: p.complete(i, "review", "li.si", **OPEN_APPROVAL), "同意开放", AUTHORITY, False, False, None),
    ("conditional_open", "refused", {"catalog_item": "ZR-001", **OPEN},
     lambda p, i: p.complete(i, "review", "li.si", decision="refuse", reason="涉及个人财产信息",
                             basis="第二十四条第三款"), "不同意开放", AUTHORITY, True, True, None),
    ("conditional_open", "ended by the authority", {"catalog_item": "SC-002", **OPEN},
     lambda p, i: instances.cancel(p.engine.uow(), i, actor="zhao.liu", reason="申请人已另行获取"),
     "已由主管部门终止办理", AUTHORITY, True, False, None),
    ("correction_request", "corrected", CORRECTION,
     lambda p, i: (p.complete(i, "verify", "zhou.jiu", decision="correct", finding="注册资本录入错误"),
                   p.complete(i, "correct", "zhou.jiu", correction_summary="已更正为 100 万元",
                              corrected_on="2026-03-02")), "数据确有问题，予以更正", SCJGJ, False, False, None),
    ("correction_request", "not corrected", CORRECTION,
     lambda p, i: p.complete(i, "verify", "zhou.jiu", decision="refuse", finding="与档案一致",
                             reason="登记数据与档案一致"), "数据无误，不予更正", SCJGJ, True, False, None),
    *[("objection", f"founded, measure {measure}", OBJECTION,
       (lambda measure: lambda p, i: (
           p.complete(i, "assess", "zhou.jiu", decision="founded", finding="登记数据录入错误"),
           p.complete(i, "measures", "zhou.jiu", measure=measure, measure_summary="已处理",
                      measure_date="2026-03-02")))(measure), "异议成立", SCJGJ, False, False, words)
      for measure, words in (("corrected", "更正"), ("deleted", "删除"), ("supplemented", "补充"),
                             ("other", "其他必要措施"))],
    ("cross_level_share", "approved and obtained", CROSS_LEVEL,
     lambda p, i: (_cross_level_reviewed(p, i), p.complete(i, "decide", "li.si", decision="approve"),
                   p.complete(i, "coordinate", "li.si", coordination_result="obtained",
                              coordination_summary="经省数据局协调，已开通接口")),
     "同意，协调获取", AUTHORITY, False, False, None),
    ("cross_level_share", "refused", CROSS_LEVEL,
     lambda p, i: (_cross_level_reviewed(p, i), p.complete(i, "decide", "li.si", decision="refuse",
                                                          reason="省级未开放该数据", basis="省级共享目录：不予共享")),
     "不同意", AUTHORITY, True, True, None),
    ("catalog_demand", "share demand declined", SHARE_DEMAND,
     lambda p, i: (p.complete(i, "intake", "li.si", source_unit="gaj", intake_note="请协商"),
                   p.complete(i, "consultation", "wang.wu", opinion="disagree", opinion_reasons="涉及个人信息"),
                   p.complete(i, "share_decision", "li.si", decision="decline", reason="涉及公民个人信息")),
     "不予纳入", AUTHORITY, True, False, None),
    ("project_catalog", "received", PROJECT,
     lambda p, i: p.complete(i, "check", "li.si", decision="received"), "材料完整，予以接收", AUTHORITY,
     False, False, None),
    ("sub_catalog", "approved", SUB_CATALOG, lambda p, i: p.complete(i, "review", "li.si", decision="approve"),
     "审核通过，纳入公共数据目录", AUTHORITY, False, False, None),
    ("sub_catalog", "refused", SUB_CATALOG,
     lambda p, i: p.complete(i, "review", "li.si", decision="refuse", reason="更新频率与实际不符", basis="目录编制指南",
                             comment="内部意见：可以共享"), "审核不通过", AUTHORITY, True, True, None),
    ("objection", "unfounded", OBJECTION,
     lambda p, i: p.complete(i, "assess", "zhou.jiu", decision="unfounded", finding="登记数据录入错误",
                             reason="开放数据与登记档案一致"), "异议不成立", SCJGJ, True, False, None),
]


@pytest.mark.parametrize("process_id,outcome,application,drive_it,words,issuer,reason,basis,measure", OUTCOMES,
                         ids=[f"{row[0]}: {row[1]}" for row in OUTCOMES])
def test_every_outcome_of_every_procedure_gets_a_whole_reply(drive, process_id, outcome, application, drive_it,
                                                             words, issuer, reason, basis, measure):
    p = drive(process_id)
    instance_id = p.start(**application)
    if drive_it is not None:
        drive_it(p, instance_id)

    letter = replies.formal_reply(p.engine.uow(), "zhang.san", instance_id)

    reply = letter["reply"]
    assert reply is not None, "no reply recorded"
    assert reply["decision_label"] == words
    assert letter["authority"]["name"] == issuer
    assert (letter["application"]["applicant"], letter["application"]["organisation"]) == ("张三", SCJGJ)
    assert reply["given_at"] and letter["application"]["received_on"]
    assert letter["remedy"] == "第四十七条第二款"
    if reason:
        assert reply["reason"], "the reason is missing"
    if basis:
        assert reply["basis"], "the basis is missing"
    if measure:
        assert ("采取的措施", measure) in reply["details"]
    shown = repr(letter)
    assert "zhang.san" not in shown and "li.si" not in shown and "zhou.jiu" not in shown
    assert not any(text in shown for text in INTERNAL)


def test_a_withdrawn_application_has_no_reply_and_says_so(drive):
    p = drive("conditional_share")
    instance_id = p.start(catalog_item="GA-001", **SHARE)
    withdrawal.withdraw(p.engine.uow(), instance_id, actor="zhang.san", reason="不再需要")

    letter = replies.formal_reply(p.engine.uow(), "zhang.san", instance_id)

    assert letter["reply"] is None and letter["application"]["status"] == "withdrawn"


def test_an_organisation_refused_an_authorised_operation_is_answered_in_its_own_name(drive):
    p = drive("authorised_operation")
    instance_id = p.start(actor="qian.jiu", data_items="SC-002", scenario="企业信用评估服务", products="信用评分接口",
                          security_conditions="数据安全管理制度", security_certificate="等保三级备案 51170000-0001",
                          requested_until="2027-12-31")
    p.complete(instance_id, "security_review", "li.si", decision="refuse", review_opinion="未提供加密存储证明",
               reason="不具备安全条件", basis="第三十条", comment="内部意见：可以共享")

    letter = replies.formal_reply(p.engine.uow(), "qian.jiu", instance_id)

    assert letter["reply"]["decision_label"] == "不具备安全条件，不予授权"
    assert (letter["reply"]["reason"], letter["reply"]["basis"]) == ("不具备安全条件", "第三十条")
    assert (letter["application"]["applicant"], letter["application"]["organisation"]) == ("钱九", "达州数智科技有限公司")
    assert letter["authority"]["name"] == AUTHORITY and letter["remedy"] == "第四十七条第二款"
    assert "内部意见" not in repr(letter) and "qian.jiu" not in repr(letter)
