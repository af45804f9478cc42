"""Files offered as downloads: tables as CSV or Excel (.xlsx) with the engine's Chinese headers,
and any named file, each with its name in the standard Content-Disposition encoding."""
from __future__ import annotations

import io
import re

from flask import Response, send_file

from engine.services import exports

FORMATS = ("csv", "xlsx")
MIMETYPES = {"csv": "text/csv; charset=utf-8",
             "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
# Control characters (CR and LF split a header, NUL ends it early) have no place in a file name.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def download(columns: list[tuple[str, str]], rows: list[dict], fmt: str, name: str, title: str,
             heading: str | None = None, chart: tuple[str, list[str]] | None = None) -> Response:
    """`rows` as the file `name`.`fmt` (one of FORMATS), the worksheet titled `title`, under a
    title row `heading` (the report, its period and scope) when given."""
    content = exports.csv_bytes(columns, rows, heading=heading) if fmt == "csv" else \
        exports.xlsx_bytes(columns, rows, title=title, heading=heading, chart=chart)
    return send_bytes(content, f"{name}.{fmt}", MIMETYPES[fmt])


def send_bytes(content: bytes, name: str, mimetype: str) -> Response:
    """`content` downloaded as the file `name`.

    The header is werkzeug's (RFC 6266: a quoted `filename`, and RFC 5987's `filename*` for a
    name that is not ASCII), never string formatting, so a quote or a semicolon in `name` stays
    inside the quoted value; control characters are dropped first, since werkzeug refuses a
    header holding CR or LF.
    """
    cleaned = _CONTROL.sub("", name).strip() or "download"
    return send_file(io.BytesIO(content), mimetype=mimetype, as_attachment=True, download_name=cleaned, max_age=0)
