"""What an operator watches the web app with: a request id on every response (the
`X-Request-ID` header, the error pages, every log line of the request) and `/metrics` for
Prometheus: request latency by endpoint, and the engine's figures (engine.services.metrics).

Who may read /metrics: whoever sends `Authorization: Bearer <PDW_METRICS_TOKEN>`. Without that
setting, or with another token, it answers 404 like a page that does not exist, so it neither
serves nor reveals anything. The figures are counts by department code and scheduler name:
nothing personal. The address a request comes from is not trusted (behind a reverse proxy every
request comes from it)."""
from __future__ import annotations

import hmac
import re
import time
import uuid

from flask import Blueprint, Flask, Response, abort, current_app, g, request
from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from engine import logs
from engine.services import metrics
from webapp.engine import get_engine

bp = Blueprint("observability", __name__)

# An id a proxy in front already gave the request is kept when it is plainly an id.
_GIVEN_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")


class _EngineFigures:
    """Reads the figures at each scrape (a custom collector: nothing is cached between scrapes)."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def collect(self):
        with self.app.app_context():
            found = metrics.figures(get_engine().uow())
        open_steps = GaugeMetricFamily("pdw_open_steps", "Open human tasks, by handling department",
                                       labels=["department"])
        overdue = GaugeMetricFamily("pdw_overdue_steps", "Open human tasks past their deadline, by handling department",
                                    labels=["department"])
        for department in sorted(set(found.open_steps) | set(found.overdue_steps)):
            open_steps.add_metric([department], found.open_steps.get(department, 0))
            overdue.add_metric([department], found.overdue_steps.get(department, 0))
        sweeps = GaugeMetricFamily("pdw_scheduler_last_sweep_timestamp_seconds",
                                   "When each scheduler last finished a sweep without error", labels=["worker"])
        for worker, at in sorted(found.last_sweeps.items()):
            sweeps.add_metric([worker], at)
        yield open_steps
        yield overdue
        yield sweeps
        yield GaugeMetricFamily("pdw_timers_due", "BPMN timers due and not yet fired", value=found.timers_due)
        yield GaugeMetricFamily("pdw_scheduler_lag_seconds", "How long the oldest due timer has waited",
                                value=found.scheduler_lag_seconds)
        yield GaugeMetricFamily("pdw_mails_pending", "Notifications waiting to be e-mailed", value=found.mails_pending)
        yield GaugeMetricFamily("pdw_mails_failed", "Notifications not e-mailed within a day (given up)",
                                value=found.mails_failed)
        yield GaugeMetricFamily("pdw_audit_entries", "Entries in the audit chains", value=found.audit_entries)


def init_app(app: Flask) -> None:
    """Give every request an id and time it; register /metrics."""
    registry = CollectorRegistry()
    latency = Histogram("pdw_request_duration_seconds", "Time to answer a request, by endpoint",
                        ["method", "endpoint", "status"], registry=registry,
                        buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
    registry.register(_EngineFigures(app))
    app.extensions["pdw_metrics"] = registry

    @app.before_request
    def start() -> None:
        given = request.headers.get("X-Request-ID", "")
        g.request_id = given if _GIVEN_ID.fullmatch(given) else uuid.uuid4().hex
        g.request_token = logs.request_id.set(g.request_id)
        g.request_started = time.perf_counter()

    @app.after_request
    def finish(response: Response) -> Response:
        response.headers["X-Request-ID"] = g.get("request_id", "")
        if "request_started" in g:
            # By endpoint (the route's name), never by path: paths hold ids and names.
            latency.labels(request.method, request.endpoint or "unmatched", str(response.status_code)) \
                .observe(time.perf_counter() - g.request_started)
        return response

    @app.teardown_request
    def forget(_exc) -> None:
        token = g.pop("request_token", None)
        if token is not None:
            logs.request_id.reset(token)

    app.register_blueprint(bp)


@bp.route("/metrics")
def scrape():
    """The figures in Prometheus' text format, to the holder of PDW_METRICS_TOKEN only."""
    expected = current_app.config["PDW_CONFIG"].metrics_token
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        abort(404)
    return Response(generate_latest(current_app.extensions["pdw_metrics"]), content_type=CONTENT_TYPE_LATEST)
