"""How PDW processes log: INFO lines that say what happened (a timer fired, a notice sent, a
request failed) and nothing while idle, as text or as one JSON object a line (PDW_LOG_FORMAT).

The request id of the web request being served, if any, is on every line logged while serving
it; the web app sets it (webapp.observability), the engine only reads it."""
from __future__ import annotations

import contextvars
import json
import logging
from datetime import datetime, timezone

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("pdw_request_id", default=None)

# Libraries that log every scheduler tick at INFO: APScheduler ("Running job ...", "Job ...
# executed successfully") and SpiffWorkflow (a line per task state change). Their warnings and
# errors still show; what fired is said by engine.scheduler.
CHATTY = ("apscheduler", "spiff")

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class _RequestId(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC, ISO), level, logger, message, request_id, and the
    exception's traceback as one string when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
                 "level": record.levelname, "logger": record.name, "message": record.getMessage(),
                 "request_id": getattr(record, "request_id", None)}
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure(log_format: str = "text") -> None:
    """Log INFO and above to stderr in `log_format` ("text" or "json"), libraries' per-tick
    lines left out; calling it again replaces what an earlier call set up."""
    handler = logging.StreamHandler()
    handler.addFilter(_RequestId())
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "pdw", False)]:
        root.removeHandler(old)
    handler.pdw = True
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    quiet()


def quiet() -> None:
    """Raise the chatty libraries' loggers to WARNING."""
    for name in CHATTY:
        logging.getLogger(name).setLevel(logging.WARNING)
