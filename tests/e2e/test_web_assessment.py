"""An attribute assessment (Art. 19 para. 2, 25) over HTTP on the demo data: asked for by the
authority, refused field by field at the source unit, reviewed with the catalog entry in view."""
from __future__ import annotations

import re

from web_helpers import AuthActions, field_errors, make_app

OPENING = {"share_attribute": "有条件共享", "share_reason": "含个人信息", "share_conditions": "按需申请",
           "open_attribute": "有条件开放", "open_conditions": "仅限统计用途", "assessment_summary": "拟脱敏后有条件开放"}


def _signed_in(engine, name: str, password: str):
    client = make_app(engine).test_client()
    auth = AuthActions(client)
    auth.login(name, password)
    return client, auth


def _claimed(engine, name: str, password: str):
    """`name` signed in, holding the first task of their inbox; their client, auth and its path."""
    client, auth = _signed_in(engine, name, password)
    task = re.search(r"/inbox/tasks/(\d+)/claim", client.get("/inbox/").text).group(1)
    auth.post("/inbox/", f"/inbox/tasks/{task}/claim")
    return client, auth, f"/inbox/tasks/{task}"


def test_an_assessment_opening_data_not_open_is_refused_at_the_source_unit_then_reviewed(demo_engines):
    engine = demo_engines.at()
    _, authority = _signed_in(engine, "li.si", "sjj-reviewer-demo")
    sent = authority.post("/portal/apply/attribute_assessment", "/portal/apply/attribute_assessment",
                          {"catalog_item": "GA-001", "occasion": "demand"})
    assert sent.status_code == 302

    source, auth, path = _claimed(engine, "wang.wu", "gaj-source-unit-handler-demo")
    refused = auth.post(path, path, OPENING)
    assert refused.status_code == 422
    errors = " ".join(field_errors(refused.text))
    assert "须记录脱密脱敏处理情况和权利人同意" in errors  # Art. 24(3), 25: named at the fields
    assert sorted(re.findall(r'href="#f-(\w+)"', refused.text)) == [
        "consent_date", "consent_evidence", "consent_holders", "desensitisation"]
    done = auth.post(path, path, {**OPENING, "desensitisation": "去除身份证号，仅保留统计字段",
                                  "consent_holders": "相关自然人", "consent_date": "2026-02-20",
                                  "consent_evidence": "达公公告〔2026〕3号"})
    assert done.status_code == 302

    reviewer, _, review = _claimed(engine, "li.si", "sjj-reviewer-demo")
    page = reviewer.get(review).text
    assert "人口基础信息" in page and "不予开放" in page       # the catalog entry as it stands
    assert "拟脱敏后有条件开放" in page                       # the source unit's assessment
