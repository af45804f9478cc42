"""The procedure x outcome table of replies: one row per outcome the shipped BPMN draws
(engine.services.replies.reply_paths), saying how a real application is driven there and what
its 答复书 must state. test_reply_table.py walks every row and checks that the outcomes and the
rows agree; the README's table is rendered from these rows (`python tests/workflows/reply_table.py`
rewrites it).

A new end event (or decision branch) in a procedure that answers its applicants is a new
outcome: add its Row here, then run this file to update the README.
"""
from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from engine.services import instances, withdrawal
from engine.services.replies import ENDED_OUTCOME, WITHDRAWN_OUTCOME

ROOT = Path(__file__).resolve().parents[2]
AUTHORITY, SCJGJ = "达州市数据局", "达州市市场监督管理局"
# Who applies, as the letter must name them: (name, organisation).
APPLICANTS = {"zhang.san": ("张三", SCJGJ), "qian.jiu": ("钱九", "达州数智科技有限公司")}


@dataclass(frozen=True)
class Row:
    """One outcome of one procedure: how to reach it and what the reply states there."""

    process_id: str
    key: str  # the Outcome key: "<gateway>.<flow>/<end event>", "ended" or "withdrawn"
    outcome: str  # in words, for the README
    application: dict
    drive: Callable | None  # (procedures driver, instance id) -> None; None: the reply comes at once
    words: str | None  # the decision as worded; None for a withdrawal (no reply)
    issuer: str | None = AUTHORITY
    reason: bool = False  # the Measures require a reason here
    basis: bool = False  # ... and a basis
    measure: str | None = None  # a founded objection's measure, as worded
    applicant: str = "zhang.san"
    variant: str = ""  # tells rows of one outcome apart (a founded objection's measures)

    @property
    def id(self) -> str:
        """The row's test id."""
        return f"{self.process_id}: {self.outcome}{' (' + self.variant + ')' if self.variant else ''}"


SHARE = {"request_reason": "办理户籍业务需核验人口信息", "request_basis": "《户口登记条例》", "purpose": "户籍登记",
         "requested_scope": "姓名、身份证号、户籍地址", "requested_until": "2026-12-31"}
OPEN = {"request_reason": "开展营商环境研究", "request_basis": "研究合作协议", "purpose": "统计分析"}
OPEN_APPROVAL = {"decision": "approve", "access_method": "开放平台接口", "access_time": "2026年3月10日起",
                 "requirements": "仅限统计分析，不得再次公开", "usage_scope": "行政处罚统计", "granted_until": "2026-12-31"}
COMMITMENT = {"agree": True, "security_measures": "专人专机，访问留痕", "signatory": "张三"}
CORRECTION = {"catalog_item": "SC-001", "subject_record": "某公司 注册资本", "problem": "inaccurate",
              "description": "注册资本有误", "requested_correction": "100 万元"}
OBJECTION = {"catalog_item": "SC-001", "objection_type": "error", "description": "本公司注册资本登记有误",
             "requested_measure": "correct"}
PRIVACY = {**OBJECTION, "objection_type": "privacy", "description": "开放数据含本人手机号", "requested_measure": "delete"}
CROSS_LEVEL = {"counterpart_level": "provincial", "counterpart": "四川省市场监督管理局", "data_name": "省级企业年报信息",
               "request_reason": "企业信用监管", "request_basis": "《企业信息公示暂行条例》", "purpose": "信用评价"}
SHARE_DEMAND = {"demand_type": "share", "data_name": "机动车登记信息", "description": "车辆所有人与号牌",
                "purpose": "执法核查"}
OPEN_DEMAND = {"demand_type": "open", "data_name": "医疗机构执业登记信息", "description": "机构名称、地址、科目",
               "purpose": "就医导航应用"}
# Art. 13: a new item states its format, type and sensitivity level; Art. 19(2): conditional
# sharing gives its reason and conditions.
ART13 = {"data_format": "接口", "data_type": "结构化", "sensitivity_level": "一般"}
LISTING = {"decision": "include", "catalog_item": "GA-003", "item_name": "机动车登记信息", "attribute": "有条件共享",
           "conditions": "限执法核查使用", "share_reason": "含车辆所有人信息", "update_frequency": "每日",
           "contact": "市公安局数据管理科 0818-2000001", **ART13}
OPENING = {"decision": "include", "catalog_item": "WJ-002", "item_name": "出生医学证明信息", "attribute": "有条件开放",
           "conditions": "仅开放脱敏统计数据", "update_frequency": "每月", "contact": "市卫健委规划信息科",
           "desensitisation": "去除姓名、身份证号，仅保留区县级统计", "consent_holders": "市卫健委（代表新生儿监护人）",
           "consent_date": "2026-03-01", "consent_evidence": "达卫健函〔2026〕12号"}
PROJECT = {"project_name": "达州市市场主体信用监管平台升级项目", "project_kind": "upgrade", "system_name": "信用监管平台",
           "acceptance_planned_on": "2026-06-30", "catalog_note": "新增数据项 12 项",
           "dictionary_note": "表 9 张、字段 143 个"}
DISPUTE = {"dispute_area": "sharing", "counterparty": "达州市公安局", "data_name": "人口基础信息",
           "matters": "有条件共享申请被以目录条件不符为由不予共享，本局认为符合目录条件",
           "request": "请主管部门协调数源单位重新评估共享条件"}
OPERATION = {"data_items": "SC-002", "scenario": "企业信用评估服务", "products": "信用评分接口",
             "security_conditions": "数据安全管理制度", "security_certificate": "等保三级备案 51170000-0001",
             "requested_until": "2027-12-31"}
AGREEMENT = {"decision": "agreement_signed", "agreement_no": "达数授〔2026〕1号", "signed_on": "2026-03-20",
             "valid_until": "2027-12-31", "granted_scope": "脱敏后的统计字段", "obligations": "不得超范围使用，违约即终止授权"}
SUB_CATALOG = {"sub_catalog": "code,name,source_unit,share_attribute,open_attribute,update_frequency,contact,data_format,"
                              "data_type,sensitivity_level\nSC-003,个体工商户登记信息,scjgj,无条件共享,不予开放,每日,"
                              "市市场监管局信息中心,接口,结构化,一般",
               "submission_note": "2026 年度子目录"}
INTERNAL_COMMENT = "内部意见：可以共享"
APPROVE_SHARE = {"decision": "approve", "granted_scope": "姓名、户籍地址", "granted_until": "2026-09-30",
                 "comment": INTERNAL_COMMENT}
REFUSE_SHARE = {"decision": "refuse", "reason": "申请用途超出共享条件", "basis": "目录共享条件",
                "comment": INTERNAL_COMMENT}
# Texts the forms keep from the applicant (x-internal, x-readers): a comment, an objection's finding.
INTERNAL = (INTERNAL_COMMENT, "登记数据录入错误", "内部：专家意见已采纳")


def _steps(*steps: tuple) -> Callable:
    """A driver completing `steps`, each (task name, actor, data), in order."""
    def drive(p, instance_id: int) -> None:
        for task, actor, data in steps:
            p.complete(instance_id, task, actor, **data)
    return drive


def _ended(reason: str) -> Callable:
    def drive(p, instance_id: int) -> None:
        instances.cancel(p.engine.uow(), instance_id, actor="zhao.liu", reason=reason)
    return drive


def _withdrawn(p, instance_id: int) -> None:
    withdrawal.withdraw(p.engine.uow(), instance_id, actor=p.show(instance_id)["started_by"], reason="不再需要")


def _operation_heard(decision: dict) -> Callable:
    def drive(p, instance_id: int) -> None:
        p.complete(instance_id, "security_review", "li.si", decision="eligible", review_opinion="安全条件符合要求")
        p.complete(instance_id, "source_opinion", "zhou.jiu", opinion="agree", opinion_reasons="同意")
        p.complete(instance_id, "government_decision", "li.si", **decision)
    return drive


def _operation_authorised(p, instance_id: int) -> None:
    _operation_heard({"decision": "authorise", "decision_ref": "达市府函〔2026〕8号", "decided_on": "2026-03-18"})(
        p, instance_id)
    p.complete(instance_id, "agreement", "li.si", **AGREEMENT)


def _both_endings(process_id: str, application: dict, reason: str, applicant: str = "zhang.san") -> list[Row]:
    """The outcomes every procedure that answers has: ended by the authority, withdrawn."""
    return [Row(process_id, ENDED_OUTCOME, "ended by the authority", application, _ended(reason),
                "已由主管部门终止办理", reason=True, applicant=applicant),
            Row(process_id, WITHDRAWN_OUTCOME, "withdrawn by the applicant", application, _withdrawn, None,
                issuer=None, applicant=applicant)]


_SHARE_EXTENDED = (("review", "li.si", {"decision": "extend", "extension_reason": "需征求数源单位意见"}),
                   ("source_opinion", "wang.wu", {"opinion": "agree", "opinion_reasons": "同意"}))
_CROSS_REVIEWED = (("triage", "li.si", {"concerned_unit": "scjgj", "triage_note": "会同市场监管局审核"}),
                   ("joint_opinion", "zhou.jiu", {"opinion": "agree", "opinion_reasons": "监管所需"}))
_DEMAND_SHARE = (("intake", "li.si", {"source_unit": "gaj", "intake_note": "请协商"}),
                 ("consultation", "wang.wu", {"opinion": "agree", "opinion_reasons": "可按条件共享"}))
_DEMAND_OPEN = (("intake", "li.si", {"source_unit": "wjw", "intake_note": "请协商"}),
                ("consultation", "zheng.yi", {"opinion": "agree", "opinion_reasons": "可按条件开放"}))
_SUSPENDED = (("consider_suspension", "zhou.jiu", {"suspend": True, "suspension_reason": "涉及个人信息"}),)
_FOUNDED = ("assess", "zhou.jiu", {"decision": "founded", "finding": "登记数据录入错误"})
_UNFOUNDED = ("assess", "zhou.jiu", {"decision": "unfounded", "finding": "登记数据录入错误",
                                     "reason": "开放数据与登记档案一致"})
_MEASURE = {"measure_summary": "已处理", "measure_date": "2026-03-02"}
_KEEP = ("decide_resume", "zhou.jiu", {"resume": False, "resume_reasons": "该数据集不再恢复开放"})
_RESUME = ("decide_resume", "zhou.jiu", {"resume": True, "resume_reasons": "已处理，恢复开放"})
_MEASURES = (("corrected", "更正"), ("deleted", "删除"), ("supplemented", "补充"), ("other", "其他必要措施"))

ROWS: list[Row] = [
    # conditional_share (Art. 19, 20)
    Row("conditional_share", "share_attribute.f_unconditional/end_unconditional", "unconditional item",
        {"catalog_item": "SC-001", **SHARE}, None, "已共享"),
    Row("conditional_share", "share_attribute.f_not_shareable/end_not_shareable", "不予共享 item (automatic)",
        {"catalog_item": "GA-002", **SHARE}, None, "不予共享", reason=True, basis=True),
    Row("conditional_share", "review_decision.f_approved/end_approved", "approved at the first review",
        {"catalog_item": "GA-001", **SHARE}, _steps(("review", "li.si", APPROVE_SHARE)), "同意共享"),
    Row("conditional_share", "review_decision.f_refused/end_refused", "refused at the first review",
        {"catalog_item": "GA-001", **SHARE}, _steps(("review", "li.si", REFUSE_SHARE)), "不予共享",
        reason=True, basis=True),
    Row("conditional_share", "final_decision.f_final_approved/end_approved", "extended, then approved",
        {"catalog_item": "GA-001", **SHARE}, _steps(*_SHARE_EXTENDED, ("final_review", "li.si", APPROVE_SHARE)),
        "同意共享"),
    Row("conditional_share", "final_decision.f_final_refused/end_final_refused", "extended, then refused",
        {"catalog_item": "GA-001", **SHARE}, _steps(*_SHARE_EXTENDED, ("final_review", "li.si", REFUSE_SHARE)),
        "不予共享", reason=True, basis=True),
    *_both_endings("conditional_share", {"catalog_item": "GA-001", **SHARE}, "重复提交"),
    # conditional_open (Art. 27, 29)
    Row("conditional_open", "open_attribute.f_direct/end_direct", "unconditionally open item",
        {"catalog_item": "SC-001", **OPEN}, None, "直接获取", reason=True),
    Row("conditional_open", "open_attribute.f_not_open/end_not_open", "不予开放 item (automatic)",
        {"catalog_item": "GA-001", **OPEN}, None, "不予开放", reason=True, basis=True),
    Row("conditional_open", "open_attribute.f_conditional/end_usage", "approved, access ended after use",
        {"catalog_item": "SC-002", **OPEN},
        _steps(("review", "li.si", OPEN_APPROVAL), ("commitment", "zhang.san", COMMITMENT),
               ("usage", "li.si", {"end_reason": "revoked", "note": "超范围使用"})), "同意开放"),
    Row("conditional_open", "open_attribute.f_conditional/end_refused", "refused",
        {"catalog_item": "ZR-001", **OPEN},
        _steps(("review", "li.si", {"decision": "refuse", "reason": "涉及个人财产信息", "basis": "第二十四条第三款"})),
        "不同意开放", reason=True, basis=True),
    *_both_endings("conditional_open", {"catalog_item": "SC-002", **OPEN}, "申请人已另行获取"),
    # correction_request (Art. 16)
    Row("correction_request", "verify_decision.f_correct/end_corrected", "corrected", CORRECTION,
        _steps(("verify", "zhou.jiu", {"decision": "correct", "finding": "注册资本录入错误"}),
               ("correct", "zhou.jiu", {"correction_summary": "已更正为 100 万元", "corrected_on": "2026-03-02"})),
        "数据确有问题，予以更正", SCJGJ),
    Row("correction_request", "verify_decision.f_refused/end_refused", "not corrected", CORRECTION,
        _steps(("verify", "zhou.jiu", {"decision": "refuse", "finding": "与档案一致", "reason": "登记数据与档案一致"})),
        "数据无误，不予更正", SCJGJ, reason=True),
    *_both_endings("correction_request", CORRECTION, "申请人另案办理"),
    # objection (Art. 28 para. 2)
    *[Row("objection", "assess_decision.f_founded/end", "founded", OBJECTION,
          _steps(_FOUNDED, ("measures", "zhou.jiu", {"measure": measure, **_MEASURE})), "异议成立", SCJGJ,
          measure=words, variant=words) for measure, words in _MEASURES],
    Row("objection", "assess_decision.f_unfounded/end", "unfounded", OBJECTION, _steps(_UNFOUNDED), "异议不成立",
        SCJGJ, reason=True),
    Row("objection", "assess_decision.f_founded/end_kept_suspended", "founded, opening kept suspended", PRIVACY,
        _steps(*_SUSPENDED, _FOUNDED, ("measures", "zhou.jiu", {"measure": "deleted", **_MEASURE}), _KEEP),
        "异议成立", SCJGJ, measure="删除"),
    Row("objection", "assess_decision.f_founded/end_resumed", "founded, opening resumed", PRIVACY,
        _steps(*_SUSPENDED, _FOUNDED, ("measures", "zhou.jiu", {"measure": "corrected", **_MEASURE}), _RESUME),
        "异议成立", SCJGJ, measure="更正"),
    Row("objection", "assess_decision.f_unfounded/end_kept_suspended", "unfounded, opening kept suspended",
        PRIVACY, _steps(*_SUSPENDED, _UNFOUNDED, _KEEP), "异议不成立", SCJGJ, reason=True),
    Row("objection", "assess_decision.f_unfounded/end_resumed", "unfounded, opening resumed", PRIVACY,
        _steps(*_SUSPENDED, _UNFOUNDED, _RESUME), "异议不成立", SCJGJ, reason=True),
    *_both_endings("objection", OBJECTION, "异议人已通过其他途径解决"),
    # cross_level_share (Art. 23)
    Row("cross_level_share", "decision_made.f_approved/end_coordinated", "approved and obtained", CROSS_LEVEL,
        _steps(*_CROSS_REVIEWED, ("decide", "li.si", {"decision": "approve"}),
               ("coordinate", "li.si", {"coordination_result": "obtained",
                                        "coordination_summary": "经省数据局协调，已开通接口"})), "同意，协调获取"),
    Row("cross_level_share", "decision_made.f_refused/end_refused", "refused", CROSS_LEVEL,
        _steps(*_CROSS_REVIEWED, ("decide", "li.si", {"decision": "refuse", "reason": "省级未开放该数据",
                                                      "basis": "省级共享目录：不予共享"})),
        "不同意", reason=True, basis=True),
    *_both_endings("cross_level_share", CROSS_LEVEL, "申请人已向省级部门直接申请"),
    # catalog_demand (Art. 22, 28 para. 1)
    Row("catalog_demand", "share_included.f_share_included/end_shared", "share demand listed", SHARE_DEMAND,
        _steps(*_DEMAND_SHARE, ("share_decision", "li.si", LISTING)), "同意纳入数据共享责任清单（目录变更经主管部门审核后生效）"),
    Row("catalog_demand", "share_included.f_share_declined/end_share_declined", "share demand declined",
        SHARE_DEMAND, _steps(*_DEMAND_SHARE, ("share_decision", "li.si", {"decision": "decline",
                                                                          "reason": "涉及公民个人信息"})),
        "不予纳入", reason=True),
    Row("catalog_demand", "open_included.f_open_included/end_opened", "open demand opened", OPEN_DEMAND,
        _steps(*_DEMAND_OPEN, ("open_decision", "li.si", OPENING)), "同意通过开放平台开放（目录变更经主管部门审核后生效）"),
    Row("catalog_demand", "open_included.f_open_declined/end_open_declined", "open demand declined", OPEN_DEMAND,
        _steps(*_DEMAND_OPEN, ("open_decision", "li.si", {"decision": "not_eligible", "reason": "开放类型尚待评估"})),
        "不符合开放条件", reason=True),
    *_both_endings("catalog_demand", SHARE_DEMAND, "需求已由其他途径满足"),
    # dispute_coordination (Art. 47 para. 2)
    Row("dispute_coordination", "accepted.f_declined/end_declined", "not accepted", DISPUTE,
        _steps(("accept", "li.si", {"decision": "decline", "reason": "所涉事项不属于公共数据共享开放中的争议",
                                    "basis": "《办法》第四十七条第二款"})), "不予受理", reason=True, basis=True),
    Row("dispute_coordination", "experts.f_experts/end_coordinated", "coordinated, the other party heard and "
        "the expert committee consulted", DISPUTE,
        _steps(("accept", "li.si", {"decision": "accept", "hear_counterparty": "yes", "counterparty_unit": "gaj",
                                    "consult_experts": "yes"}),
               ("statement", "wang.wu", {"statement": "该申请用途超出目录条件所列范围", "willing_to_settle": "yes"}),
               ("expert_advice", "li.si", {"expert_advice": "建议按最小必要原则限定字段后共享",
                                           "advised_on": "2026-03-10"}),
               ("coordinate", "li.si", {"decision": "settled", "reason": "双方同意限定为姓名、身份证号两项后共享",
                                        "comment": "内部：专家意见已采纳"})), "双方协商一致，争议已解决", reason=True),
    Row("dispute_coordination", "experts.f_no_experts/end_coordinated", "coordinated without the expert committee",
        DISPUTE,
        _steps(("accept", "li.si", {"decision": "accept", "hear_counterparty": "no", "consult_experts": "no"}),
               ("coordinate", "li.si", {"decision": "decided", "reason": "数源单位应于十个工作日内重新评估共享条件",
                                        "basis": "《办法》第十九条、第四十七条第二款"})),
        "主管部门提出协调处理意见", reason=True, basis=True),
    *_both_endings("dispute_coordination", DISPUTE, "双方已自行和解"),
    # project_catalog (Art. 11 para. 1)
    Row("project_catalog", "complete.f_complete/end_received", "received", PROJECT,
        _steps(("check", "li.si", {"decision": "received"})), "材料完整，予以接收"),
    *_both_endings("project_catalog", PROJECT, "项目已撤销立项"),
    # authorised_operation (Art. 30, 43 para. 2)
    Row("authorised_operation", "eligible.f_not_eligible/end_not_eligible", "refused at the security review",
        OPERATION, _steps(("security_review", "li.si", {"decision": "refuse", "review_opinion": "未提供加密存储证明",
                                                        "reason": "不具备安全条件", "basis": "第三十条",
                                                        "comment": INTERNAL_COMMENT})),
        "不具备安全条件，不予授权", reason=True, basis=True, applicant="qian.jiu"),
    Row("authorised_operation", "authorised.f_not_authorised/end_not_authorised", "not authorised by the "
        "people's government", OPERATION,
        _operation_heard({"decision": "refuse", "decision_ref": "达市府函〔2026〕9号", "decided_on": "2026-03-18",
                          "reason": "运营场景不符合公共利益", "basis": "第三十条"}),
        "不同意授权", reason=True, basis=True, applicant="qian.jiu"),
    Row("authorised_operation", "authorised.f_authorised/end_authorised", "authorised, the agreement signed",
        OPERATION, _operation_authorised, "已签订授权运营协议", applicant="qian.jiu"),
    *_both_endings("authorised_operation", OPERATION, "申请单位已注销", applicant="qian.jiu"),
    # sub_catalog (Art. 13 para. 3)
    Row("sub_catalog", "approved.f_approved/end_approved", "approved", SUB_CATALOG,
        _steps(("review", "li.si", {"decision": "approve"})), "审核通过，纳入公共数据目录"),
    Row("sub_catalog", "approved.f_refused/end_refused", "refused", SUB_CATALOG,
        _steps(("review", "li.si", {"decision": "refuse", "reason": "更新频率与实际不符", "basis": "目录编制指南",
                                    "comment": INTERNAL_COMMENT})), "审核不通过", reason=True, basis=True),
    *_both_endings("sub_catalog", SUB_CATALOG, "子目录已重新编制"),
]

README_START = "<!-- reply table: generated by tests/workflows/reply_table.py -->"
README_END = "<!-- end of the reply table -->"


def readme_table(rows: list[Row] = ROWS) -> str:
    """The README's procedure x outcome table, one line per outcome (the variants of one, such as
    a founded objection's measures, on its line), in the order of ROWS."""
    lines = ["| procedure | outcome | decision as worded | reason / basis | issued by |",
             "|---|---|---|---|---|"]
    variants: dict[tuple[str, str], list[str]] = {}
    for row in rows:
        variants.setdefault((row.process_id, row.key), []).append(row.variant)
    done = set()
    for row in rows:
        if (row.process_id, row.key) in done:
            continue
        done.add((row.process_id, row.key))
        words = row.words or "no reply: the application reads 已撤回"
        if row.measure:
            words += f" + 采取的措施 ({', '.join(v for v in variants[(row.process_id, row.key)] if v) or row.measure})"
        if row.key == WITHDRAWN_OUTCOME:
            needs, issuer = "the applicant's own reason", "—"
        elif row.key == ENDED_OUTCOME:
            needs, issuer = "the reason given", "the competent unit"
        else:
            needs = "reason and basis" if row.basis else "reason" if row.reason else "—"
            issuer = f"the source unit ({SCJGJ})" if row.issuer == SCJGJ else row.issuer
        cells = [f"`{row.process_id}`", row.outcome, words, needs, issuer]
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(lines)


def readme_section(readme: str) -> str | None:
    """The reply table as the README holds it, between its markers."""
    found = re.search(re.escape(README_START) + r"\n(.*?)\n" + re.escape(README_END), readme, re.S)
    return found.group(1) if found else None


def write_readme(path: Path = ROOT / "README.md") -> None:
    """Put the table rendered from ROWS between the README's markers."""
    readme = path.read_text(encoding="utf-8")
    current = readme_section(readme)
    if current is None:
        sys.exit(f"{path.name} has no {README_START!r} ... {README_END!r} section")
    path.write_text(readme.replace(current, readme_table()), encoding="utf-8")


if __name__ == "__main__":
    write_readme()
