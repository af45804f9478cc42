"""Report tables as CSV and Excel (.xlsx) files with Chinese headers, for downloads and the CLI.

Every cell is data, never a formula (OWASP's CSV injection): a text that begins with a character
a spreadsheet reads as the start of a formula is written as text in .xlsx (a string cell with
Excel's quote prefix) and, in CSV, behind a single quote. Every export goes through
`csv_bytes` or `xlsx_bytes`, so none can forget it.
"""
from __future__ import annotations

import csv
import io
from datetime import date, datetime

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

# (field, Chinese header) of each table, in column order.
TASK_COLUMNS = [
    ("receipt_number", "受理编号"), ("instance_id", "申请编号"), ("process_id", "事项"), ("title", "环节"),
    ("task_name", "环节标识"), ("department", "部门"), ("holder", "办理人（或办理组）"), ("due_date", "截止日期"),
    ("working_days_overdue", "逾期工作日"), ("working_days_left", "剩余工作日"), ("article", "依据条款"),
    ("statutory_due_date", "法定答复期限"), ("promised_due_date", "承诺时限"), ("light", "状态灯"),
    ("urged", "催办次数"),
]
ONTIME_COLUMNS = [
    ("process_id", "事项"), ("department", "部门"), ("month", "月份"), ("answered", "已答复"),
    ("on_time", "按期答复"), ("late", "逾期答复"), ("open_overdue", "逾期未答复"), ("on_time_rate", "按期率"),
    ("median_working_days", "办理用时中位数（工作日）"),
]
ASSESSMENT_COLUMNS = [
    ("department", "部门代码"), ("department_name", "部门"), ("received", "收到申请"),
    ("answered_on_time", "按期答复"), ("answered_late", "逾期答复"), ("open", "未办结"), ("overdue", "逾期未办结"),
]
GRANT_COLUMNS = [
    ("id", "授权编号"), ("catalog_item", "目录编码"), ("item_name", "数据名称"), ("grantee", "被授权方代码"),
    ("grantee_name", "被授权方"), ("scope", "范围"), ("purpose", "用途"), ("expires_on", "有效期至"),
    ("granted_at", "授权时间"), ("receipt_number", "受理编号"), ("revoked_at", "终止时间"), ("revoked_by", "终止人"),
    ("revoke_reason", "终止理由"),
]
# What spreadsheet programs take for the start of a formula (OWASP, "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
LIGHTS = {"red": "红（已逾期）", "yellow": "黄（临近期限）", "green": "绿（正常）"}


def _cell(field: str, value):
    if field == "light":
        return LIGHTS.get(value, "")
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return "" if value is None else value


def formula_like(value) -> bool:
    """True for a text a spreadsheet program would run as a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def csv_text(value):
    """`value` as a CSV cell that no spreadsheet runs: a formula-like text behind a single quote."""
    return "'" + value if formula_like(value) else value


def csv_bytes(columns: list[tuple[str, str]], rows: list[dict]) -> bytes:
    """The rows as CSV in UTF-8 with a byte-order mark (so spreadsheet programs read the Chinese)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([csv_text(header) for _, header in columns])
    for row in rows:
        writer.writerow([csv_text(_cell(field, row.get(field))) for field, _ in columns])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def xlsx_bytes(columns: list[tuple[str, str]], rows: list[dict], *, title: str) -> bytes:
    """The rows as one worksheet named `title` in an .xlsx workbook, headers frozen in row 1."""
    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    sheet.append([header for _, header in columns])
    for row in rows:
        sheet.append([_cell(field, row.get(field)) for field, _ in columns])
    for line in sheet.iter_rows():
        for cell in line:
            if formula_like(cell.value):
                # openpyxl takes a text beginning with "=" for a formula; a string cell with the
                # quote prefix stays text in Excel even when the cell is edited.
                cell.data_type = "s"
                cell.quotePrefix = True
    sheet.freeze_panes = "A2"
    for index, (_, header) in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(10, 2 * len(header) + 2)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
