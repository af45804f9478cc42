"""The shipped systemd units let two web masters share a machine."""
from __future__ import annotations

import re
from pathlib import Path

UNITS = Path(__file__).resolve().parents[2] / "docs" / "systemd"


def test_each_web_master_keeps_its_pid_file_and_control_socket_in_a_folder_named_after_its_unit() -> None:
    unit = (UNITS / "pdw-web.service").read_text(encoding="utf-8")
    command = re.search(r"^ExecStart=(.*)$", unit.replace("\\\n", " "), re.M).group(1)
    assert "RuntimeDirectory=%N" in unit.splitlines()
    assert re.search(r"--pid /run/%N/\S+", command) and re.search(r"--control-socket /run/%N/\S+", command)
    # A copy under another name (pdw-web-2.service) thereby gets paths of its own.
    assert "~/.gunicorn" not in command and "%h" not in command
