"""The scheduler says what fired and nothing while idle; logs are text or JSON with the request id."""
from __future__ import annotations

import json
import logging

from engine import logs


def test_the_libraries_per_tick_lines_are_left_out_and_their_warnings_kept(capsys) -> None:
    logs.configure("text")
    try:
        logging.getLogger("apscheduler.executors.default").info('Running job "tick" (scheduled at ...)')
        logging.getLogger("spiff.task").info("State changed to COMPLETED")
        logging.getLogger("apscheduler.scheduler").warning("Run time of job was missed by 0:00:12")
        logging.getLogger("engine.scheduler").info("fired timer 7 of instance 3 (reply_due): fired")
        lines = capsys.readouterr().err.splitlines()
    finally:
        _restore()
    assert [line.split(" ", 2)[2] for line in lines] == [
        "WARNING apscheduler.scheduler: Run time of job was missed by 0:00:12",
        "INFO engine.scheduler: fired timer 7 of instance 3 (reply_due): fired"]


def test_json_logs_are_one_object_a_line_with_the_request_id(capsys) -> None:
    logs.configure("json")
    token = logs.request_id.set("5f0c2a")
    try:
        logging.getLogger("webapp").info("服务 %s", "ok")
        try:
            raise ValueError("boom")
        except ValueError:
            logging.getLogger("webapp").exception("failed")
        lines = capsys.readouterr().err.splitlines()
    finally:
        logs.request_id.reset(token)
        _restore()
    first, second = (json.loads(line) for line in lines)
    assert (first["level"], first["logger"], first["message"], first["request_id"]) == ("INFO", "webapp", "服务 ok",
                                                                                         "5f0c2a")
    assert second["exception"].splitlines()[-1] == "ValueError: boom"


def _restore() -> None:
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "pdw", False)]:
        root.removeHandler(handler)
    root.setLevel(logging.WARNING)
