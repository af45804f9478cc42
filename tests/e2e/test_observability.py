"""What an operator watches: /metrics for its token holder only, and a request id on every answer."""
from __future__ import annotations

from dataclasses import replace

import pytest
from prometheus_client.parser import text_string_to_metric_families

from engine.scheduler import CalendarSettler, tick
from engine.services import instances
from web_helpers import make_app

APPLICATION = {"catalog_item": "GA-001", "request_reason": "户籍业务核验", "request_basis": "《户口登记条例》",
               "purpose": "户籍登记", "requested_scope": "姓名、户籍地址", "requested_until": "2026-12-31"}
TOKEN = "a-metrics-token-for-the-test"


@pytest.fixture
def engines_with_token(demo_engines):
    demo_engines.config = replace(demo_engines.config, metrics_token=TOKEN)
    return demo_engines


def _scrape(client) -> dict:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    figures = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            figures[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return figures


def test_metrics_show_open_and_overdue_steps_timers_the_sweep_and_the_audit_chain(engines_with_token):
    engines = engines_with_token
    started = instances.start(engines.at("2026-03-02T10:00:00+08:00").uow(), "conditional_share", actor="zhang.san",
                              data=APPLICATION)
    client = make_app(engines.at("2026-03-02T11:00:00+08:00")).test_client()
    assert client.get("/healthz").status_code == 200
    before = _scrape(client)
    assert before[("pdw_open_steps", (("department", "sjj"),))] == 1
    assert before[("pdw_overdue_steps", (("department", "sjj"),))] == 0
    assert before[("pdw_timers_due", ())] == 0 and before[("pdw_scheduler_lag_seconds", ())] == 0
    assert before[("pdw_audit_entries", ())] >= 1
    assert before[("pdw_request_duration_seconds_count",
                   (("endpoint", "health.healthz"), ("method", "GET"), ("status", "200")))] == 1
    assert not any(name == "pdw_scheduler_last_sweep_timestamp_seconds" for name, _ in before)

    # A month on, the review is overdue and its timer due; a sweep fires it and is recorded.
    late = engines.at("2026-04-02T09:00:00+08:00")
    client = make_app(late).test_client()
    overdue = _scrape(client)
    assert overdue[("pdw_overdue_steps", (("department", "sjj"),))] == 1
    assert overdue[("pdw_timers_due", ())] >= 1
    assert overdue[("pdw_scheduler_lag_seconds", ())] > 24 * 3600
    tick(late, "scheduler-test", CalendarSettler(late, "scheduler-test"))
    swept = _scrape(client)
    assert swept[("pdw_timers_due", ())] == 0 and swept[("pdw_scheduler_lag_seconds", ())] == 0
    assert swept[("pdw_scheduler_last_sweep_timestamp_seconds", (("worker", "scheduler-test"),))] == \
        late.clock.now().timestamp()
    assert swept[("pdw_audit_entries", ())] > overdue[("pdw_audit_entries", ())]
    assert started.receipt_number not in client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).text


def test_metrics_answer_404_without_the_token_or_with_another(engines_with_token, engines):
    client = make_app(engines_with_token.at()).test_client()
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 404


def test_every_answer_carries_a_request_id_the_error_page_shows(engines):
    client = make_app(engines.at()).test_client()
    missing = client.get("/no/such/page")
    request_id = missing.headers["X-Request-ID"]
    assert len(request_id) == 32 and request_id in missing.get_data(as_text=True)
    given = client.get("/healthz", headers={"X-Request-ID": "proxy-0001-abcdef"})
    assert given.headers["X-Request-ID"] == "proxy-0001-abcdef"
    forged = client.get("/healthz", headers={"X-Request-ID": "<script>alert(1)</script>"})
    assert forged.headers["X-Request-ID"] != "<script>alert(1)</script>" and len(forged.headers["X-Request-ID"]) == 32
