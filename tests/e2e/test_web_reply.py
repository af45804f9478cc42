"""The formal reply page over HTTP, on the shipped procedures and the demo data, on a frozen clock."""
from __future__ import annotations

import re
import zlib

import pytest

from engine import demo
from engine.bootstrap import PROJECT_ROOT
from engine.services import instances, tasks
from engine_factory import EngineFactory
from web_helpers import AuthActions, make_app

SHARE = {"request_reason": "办理户籍业务需核验人口信息", "request_basis": "《户口登记条例》", "purpose": "户籍登记",
         "requested_scope": "姓名、户籍地址", "requested_until": "2026-12-31"}


def _seed(url: str) -> None:
    factory = EngineFactory(url, PROJECT_ROOT / "forms")
    demo.load(factory.at())
    factory.close()


@pytest.fixture
def demo_engines(database_kind, templates, tmp_path, sandbox):
    """The engine on a database holding the demo departments, users, catalog and procedures."""
    factory = EngineFactory(templates.fresh(database_kind, "demo-web", _seed, tmp_path), PROJECT_ROOT / "forms",
                            sandbox)
    yield factory
    factory.close()


def _pdf_objects(pdf: bytes) -> bytes:
    """A PDF's object streams unpacked: where the names of the fonts it embeds are."""
    unpacked = [pdf]
    for stream in re.finditer(rb"stream\r?\n(.*?)endstream", pdf, re.S):
        try:
            unpacked.append(zlib.decompress(stream.group(1)))
        except zlib.error:
            continue  # an image or a font program that is not one inflatable stream
    return b"".join(unpacked)


def _client(engine, name: str, password: str):
    client = make_app(engine).test_client()
    AuthActions(client).login(name, password)
    return client


def _refused_at_once(demo_engines):
    """zhang.san's application for GA-002 (不予共享 in the catalog), refused at receipt; the engine
    and zhang.san's signed-in client."""
    engine = demo_engines.at()
    started = instances.start(engine.uow(), "conditional_share", actor="zhang.san",
                              data={"catalog_item": "GA-002", **SHARE})
    return started, engine, _client(engine, "zhang.san", "scjgj-applicant-demo")


def test_an_automatic_refusal_gives_the_applicant_a_printable_reply(demo_engines):
    started, _, client = _refused_at_once(demo_engines)

    page = client.get(f"/portal/applications/{started.instance_id}/reply").text

    for expected in ("达州市数据局", "有条件共享数据申请答复书", started.receipt_number, "不予共享",
                     "所申请数据在公共数据目录中列为不予共享类（第十九条）",
                     "《中华人民共和国居民身份证法》第六条及公安机关内部管理规定", "2026-03-02 09:00",
                     "2026-03-09 24:00", "第二十条第二款", "在法定期限内答复", "reply.css", "reply.js"):
        assert expected in page, expected
    overview = client.get(f"/portal/applications/{started.instance_id}").text
    assert f"/portal/applications/{started.instance_id}/reply" in overview and "尚未答复" not in overview
    # The status says what it was answered, as the letter words it.
    assert 'data-status="answered">已答复</dd>' in overview
    assert '<dt>答复结果</dt><dd class="reply-outcome">不予共享</dd>' in overview


def _extended(demo_engines):
    """An application for GA-001 whose review was extended on Friday 2026-03-06; the engine then."""
    started = instances.start(demo_engines.at().uow(), "conditional_share", actor="zhang.san",
                              data={"catalog_item": "GA-001", **SHARE})
    engine = demo_engines.at("2026-03-06T10:00:00+08:00")
    [review] = tasks.of_instance(engine.uow(), started.instance_id)
    tasks.complete(engine.uow(), review["id"], actor="li.si",
                   data={"decision": "extend", "extension_reason": "需征求市公安局意见"})
    return started, engine


def test_an_extension_is_notified_to_the_applicant_with_its_reason(demo_engines):
    started, engine = _extended(demo_engines)

    page = _client(engine, "zhang.san", "scjgj-applicant-demo").get(f"/portal/applications/{started.instance_id}/reply").text

    assert "延期答复告知" in page and "需征求市公安局意见" in page
    assert "答复期限由 2026-03-09 延长至 2026-03-16" in page
    assert "尚未作出答复" in page


def test_another_applicant_cannot_read_the_reply(demo_engines):
    engine = demo_engines.at()
    started = instances.start(engine.uow(), "conditional_share", actor="zhang.san",
                              data={"catalog_item": "GA-002", **SHARE})

    response = _client(engine, "feng.ba", "dzsw-applicant-demo").get(f"/portal/applications/{started.instance_id}/reply")

    assert response.status_code == 404


def test_the_reviewer_sees_the_application_s_statutory_deadline_whichever_step_is_open(demo_engines):
    started, engine = _extended(demo_engines)
    [opinion] = tasks.of_instance(engine.uow(), started.instance_id)

    page = _client(engine, "wang.wu", "gaj-source-unit-handler-demo").get(f"/inbox/tasks/{opinion['id']}").text

    assert "申请的法定答复期限" in page and "2026-03-16" in page and "由 2026-03-09 延长" in page


def test_a_replied_applicant_is_offered_a_dispute_that_names_the_application_and_may_bring_it(demo_engines):
    started, engine, client = _refused_at_once(demo_engines)

    page = client.get(f"/portal/applications/{started.instance_id}/reply").text
    link = f"/portal/apply/dispute_coordination?related_receipt={started.receipt_number}"
    assert "对答复有争议的，可以提请公共数据主管部门协调解决（第四十七条第二款）" in page and link in page
    form = client.get(link).text
    assert 'name="related_receipt"' in form and f'value="{started.receipt_number}"' in form

    sent = AuthActions(client).post(link, "/portal/apply/dispute_coordination", data={
        "dispute_area": "sharing", "counterparty": "达州市公安局", "related_receipt": started.receipt_number,
        "data_name": "居民身份证信息", "matters": "目录将该数据列为不予共享，本局认为应有条件共享",
        "request": "请协调数源单位重新评估共享属性"})
    assert sent.status_code == 302
    [dispute] = [i for i in instances.list_instances(engine.uow(), actor="admin", process_id="dispute_coordination")]
    assert instances.read_stored(engine.uow(), dispute["id"])["data"]["related_receipt"] == started.receipt_number


def test_no_dispute_is_offered_before_a_reply_nor_on_the_dispute_s_own_reply(demo_engines):
    started, engine = _extended(demo_engines)
    client = _client(engine, "zhang.san", "scjgj-applicant-demo")
    assert "dispute_coordination" not in client.get(f"/portal/applications/{started.instance_id}/reply").text

    dispute = instances.start(engine.uow(), "dispute_coordination", actor="zhang.san", data={
        "dispute_area": "use", "counterparty": "某公司", "data_name": "企业登记信息", "matters": "超范围使用",
        "request": "请协调停止超范围使用"})
    [accept] = tasks.of_instance(engine.uow(), dispute.instance_id)
    tasks.claim(engine.uow(), accept["id"], actor="li.si")
    tasks.complete(engine.uow(), accept["id"], actor="li.si",
                   data={"decision": "decline", "reason": "不属于本办法所称争议", "basis": "第四十七条第二款"})
    page = client.get(f"/portal/applications/{dispute.instance_id}/reply").text
    assert "不予受理" in page and "对答复有争议的" not in page


def test_a_citation_written_in_a_template_follows_each_reader_s_language(demo_engines):
    # Jinja folds a filter over a literal into a constant when it compiles the template, in the
    # language of the first reader, unless the filter takes the context (webapp.terms).
    started, _, client = _refused_at_once(demo_engines)
    reply = f"/portal/applications/{started.instance_id}/reply"
    assert "协调解决（第四十七条第二款）" in client.get(reply).text
    client.get("/lang/en?next=/portal/")
    assert "coordinate a resolution (Art. 47(2))" in client.get(reply).text


def test_the_start_form_says_the_reply_period_or_that_the_measures_set_none(demo_engines):
    client = _client(demo_engines.at(), "zhang.san", "scjgj-applicant-demo")
    for procedure, told in (("conditional_share", "法定答复期限为自受理之日起 5 个工作日（第二十条第二款）"),
                            ("correction_request", "法定答复期限为自受理之日起 30 日（第十六条第二款），最后一日为休息日的"),
                            ("dispute_coordination", "《办法》对该事项未规定办理期限（第四十七条第二款）")):
        assert told in client.get(f"/portal/apply/{procedure}").text, procedure
    client.get("/lang/en?next=/portal/")
    assert "5 working days from the day of receipt (Art. 20(2))" in client.get("/portal/apply/conditional_share").text


def test_an_application_ended_by_the_authority_reads_as_ended_with_its_reason_in_its_reply(demo_engines):
    engine = demo_engines.at()
    started = instances.start(engine.uow(), "conditional_share", actor="zhang.san",
                              data={"catalog_item": "GA-001", **SHARE})
    instances.cancel(engine.uow(), started.instance_id, actor="zhao.liu", reason="申请人重复提交，已并入另一申请")
    client = _client(engine, "zhang.san", "scjgj-applicant-demo")

    page = client.get(f"/portal/applications/{started.instance_id}").text
    assert 'data-status="ended">已由主管部门终止办理' in page and "申请人重复提交，已并入另一申请" in page
    assert "撤回理由" not in page  # nothing left to withdraw
    letter = client.get(f"/portal/applications/{started.instance_id}/reply").text
    assert "已由主管部门终止办理" in letter and "申请人重复提交，已并入另一申请" in letter
    assert "尚未作出答复" not in letter
    listing = client.get("/portal/").text
    assert 'data-status="ended">已由主管部门终止办理' in listing


def test_an_extended_application_shows_the_new_statutory_date_and_the_notice_and_may_be_withdrawn(demo_engines):
    engine = demo_engines.at()
    started = instances.start(engine.uow(), "conditional_share", actor="zhang.san",
                              data={"catalog_item": "GA-001", **SHARE})
    review = [t for t in tasks.of_instance(engine.uow(), started.instance_id) if t["task_name"] == "review"][0]
    tasks.claim(engine.uow(), review["id"], actor="li.si")
    tasks.complete(engine.uow(), review["id"], actor="li.si",
                   data={"decision": "extend", "extension_reason": "需征求公安局意见"})
    client = _client(engine, "zhang.san", "scjgj-applicant-demo")

    page = client.get(f"/portal/applications/{started.instance_id}").text
    assert 'data-status="extended">已延期答复' in page
    assert "延期答复告知" in page and "需征求公安局意见" in page and "2026-03-16" in page
    assert "撤回理由" in page


def test_the_reply_is_offered_as_a_pdf_with_a_font_that_carries_chinese(demo_engines):
    started, _, client = _refused_at_once(demo_engines)

    response = client.get(f"/portal/applications/{started.instance_id}/reply.pdf")

    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-") and b"WenQuanYi" in _pdf_objects(response.data)
    assert f"/portal/applications/{started.instance_id}/reply.pdf" in \
        client.get(f"/portal/applications/{started.instance_id}/reply").text
    other = _client(demo_engines.at(), "feng.ba", "dzsw-applicant-demo")
    assert other.get(f"/portal/applications/{started.instance_id}/reply.pdf").status_code == 404
