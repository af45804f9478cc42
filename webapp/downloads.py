"""A table offered as a download, CSV or Excel (.xlsx), with the engine's Chinese headers."""
from __future__ import annotations

from flask import Response

from engine.services import exports

FORMATS = ("csv", "xlsx")


def download(columns: list[tuple[str, str]], rows: list[dict], fmt: str, name: str, title: str) -> Response:
    """`rows` as the file `name`.`fmt` (one of FORMATS), the worksheet titled `title`."""
    if fmt == "csv":
        return Response(exports.csv_bytes(columns, rows), mimetype="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f"attachment; filename={name}.csv"})
    return Response(exports.xlsx_bytes(columns, rows, title=title),
                    mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f"attachment; filename={name}.xlsx"})
