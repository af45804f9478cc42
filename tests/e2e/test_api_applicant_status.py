"""The applicant's view over the API says where the application stands in the portal's words:
received, in progress, extended (the statutory date and the notice's reason), answered (the
decision as the reply words it), withdrawn, ended by the authority (its reason); on the shipped
conditional_share procedure and the demo data, on a frozen clock."""
from __future__ import annotations

import pytest

from engine.services import instances, tasks, tokens, withdrawal
from engine.services.users import SYSTEM
from web_helpers import make_app
from webapp.api import PREFIX

SHARE = {"catalog_item": "GA-001", "request_reason": "办理户籍业务需核验人口信息", "request_basis": "《户口登记条例》",
         "purpose": "户籍登记", "requested_scope": "姓名、户籍地址", "requested_until": "2026-12-31"}


@pytest.fixture
def api(demo_engines):
    """(client, the applicant zhang.san's headers) on the demo data."""
    engine = demo_engines.at()
    secret = tokens.create(engine.uow(), "zhang.san", actor=SYSTEM).secret
    return make_app(engine).test_client(), {"Authorization": f"Bearer {secret}"}


def _status(api, instance_id: int) -> dict:
    client, headers = api
    answer = client.get(f"{PREFIX}/instances/{instance_id}", headers=headers)
    assert answer.status_code == 200
    return answer.get_json()["instance"]["applicant_status"]


def _review(engine, instance_id: int, **decision) -> None:
    [review] = tasks.of_instance(engine.uow(), instance_id)
    tasks.claim(engine.uow(), review["id"], actor="li.si")
    tasks.complete(engine.uow(), review["id"], actor="li.si", data=decision)


def test_a_received_application_reads_received_with_its_statutory_date(api, demo_engines):
    started = instances.start(demo_engines.at().uow(), "conditional_share", actor="zhang.san", data=SHARE)

    shown = _status(api, started.instance_id)

    # Received Monday 2026-03-02: 5 working days (第二十条第二款) end on Monday 03-09.
    assert (shown["status"], shown["due_date"], shown["article"]) == ("received", "2026-03-09", "第二十条第二款")
    assert shown["extension"] is None and shown["outcome"] is None and shown["replied_at"] is None


def test_an_extended_application_reads_extended_with_the_new_date_and_the_reason(api, demo_engines):
    started = instances.start(demo_engines.at().uow(), "conditional_share", actor="zhang.san", data=SHARE)
    _review(demo_engines.at("2026-03-06T10:00:00+08:00"), started.instance_id, decision="extend",
            extension_reason="需征求公安局意见")

    shown = _status(api, started.instance_id)

    # Extended by 5 working days from 03-09: 03-16.
    assert (shown["status"], shown["due_date"]) == ("extended", "2026-03-16")
    assert shown["extension"] == {"reason": "需征求公安局意见", "from": "2026-03-09", "to": "2026-03-16"}


def test_an_answered_application_reads_answered_with_the_decision_as_the_reply_words_it(api, demo_engines):
    started = instances.start(demo_engines.at().uow(), "conditional_share", actor="zhang.san", data=SHARE)
    _review(demo_engines.at("2026-03-04T10:00:00+08:00"), started.instance_id, decision="refuse",
            reason="用途超出目录条件", basis="共享目录条件")

    shown = _status(api, started.instance_id)

    assert (shown["status"], shown["outcome"]) == ("answered", "不予共享")
    assert shown["replied_at"].startswith("2026-03-04T02:00:00")


def test_withdrawn_and_ended_applications_read_so_an_ending_with_its_reason(api, demo_engines):
    engine = demo_engines.at()
    withdrawn = instances.start(engine.uow(), "conditional_share", actor="zhang.san", data=SHARE).instance_id
    withdrawal.withdraw(engine.uow(), withdrawn, actor="zhang.san", reason="不再需要")
    ended = instances.start(engine.uow(), "conditional_share", actor="zhang.san", data=SHARE).instance_id
    instances.cancel(engine.uow(), ended, actor="zhao.liu", reason="重复提交")

    assert _status(api, withdrawn)["status"] == "withdrawn"
    shown = _status(api, ended)
    assert (shown["status"], shown["outcome"], shown["reason"]) == ("ended", "已由主管部门终止办理", "重复提交")


def test_the_openapi_document_describes_the_applicant_status_and_its_words(api):
    client, _ = api
    document = client.get(f"{PREFIX}/openapi.json").get_json()

    schema = document["components"]["schemas"]["ApplicantStatus"]
    assert schema["properties"]["status"]["enum"] == ["received", "in_progress", "extended", "answered", "withdrawn",
                                                      "ended"]
    assert "已延期答复" in schema["properties"]["status"]["description"]
    assert {"due_date", "extension", "outcome", "reason"} <= set(schema["properties"])
    assert "applicant_status" in document["components"]["schemas"]["Instance"]["properties"]
