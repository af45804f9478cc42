"""Report tables as CSV and Excel (.xlsx) files with Chinese headers, for downloads and the CLI.

Every cell is data, never a formula (OWASP's CSV injection): a text that begins with a character
a spreadsheet reads as the start of a formula is written as text in .xlsx (a string cell with
Excel's quote prefix) and, in CSV, behind a single quote. Every export goes through
`csv_bytes` or `xlsx_bytes`, so none can forget it.
"""
from __future__ import annotations

import csv
import io
import unicodedata
from datetime import date, datetime

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from engine.clock import SHANGHAI

# (field, Chinese header) of each table, in column order: words first, codes in a secondary column.
TASK_COLUMNS = [
    ("receipt_number", "受理编号"), ("procedure_name", "事项"), ("title", "环节"), ("department_name", "部门"),
    ("holder_name", "办理人（或办理组）"), ("due_date", "截止日期"), ("working_days_overdue", "逾期工作日"),
    ("working_days_left", "剩余工作日"), ("article", "依据条款"), ("statutory_due_date", "法定答复期限"),
    ("promised_due_date", "承诺时限"), ("light", "状态灯"), ("urged", "催办次数"), ("instance_id", "申请编号"),
    ("process_id", "事项代码"), ("task_name", "环节代码"), ("department", "部门代码"), ("holder", "办理人代码"),
]
ONTIME_COLUMNS = [
    ("name", "分组"), ("answered", "已答复"), ("on_time", "按期答复"), ("late", "逾期答复"),
    ("open_overdue", "逾期未答复"), ("ended_unanswered", "未答复即办结"), ("ended_by_authority", "其中主管部门终止"),
    ("withdrawn", "申请人撤回"), ("counted", "计入按期率"), ("on_time_rate", "按期率"), ("promised", "适用承诺时限"),
    ("kept_promise", "承诺时限内答复"), ("median_working_days", "办理用时中位数（工作日）"), ("key", "分组代码"),
]
ASSESSMENT_COLUMNS = [
    ("department_name", "部门"), ("received", "收到申请"), ("answered_on_time", "按期答复"),
    ("answered_late", "逾期答复"), ("overdue", "逾期未答复"), ("ended_unanswered", "未答复即办结"),
    ("ended_by_authority", "其中主管部门终止"), ("withdrawn", "申请人撤回"), ("on_time_rate", "按期率"),
    ("open", "收到且未办结"), ("department", "部门代码"),
]
GRANT_COLUMNS = [
    ("item_name", "数据名称"), ("grantee_name", "被授权方"), ("scope", "范围"), ("purpose", "用途"),
    ("expires_on", "有效期至"), ("granted_at", "授权时间"), ("receipt_number", "受理编号"), ("revoked_at", "终止时间"),
    ("revoked_by", "终止人"), ("revoke_reason", "终止理由"), ("id", "授权编号"), ("catalog_item", "目录编码"),
    ("grantee", "被授权方代码"),
]
# How a clerk's spreadsheet should hold a field: a date cell, a date-and-time cell in Beijing
# time, or a percentage (the value a fraction, as the engine's figures are).
DATE_FIELDS = {"due_date", "statutory_due_date", "promised_due_date", "expires_on"}
DATETIME_FIELDS = {"granted_at", "revoked_at"}
PERCENT_FIELDS = {"on_time_rate"}
DATE_FORMAT, DATETIME_FORMAT, PERCENT_FORMAT = "yyyy-mm-dd", "yyyy-mm-dd hh:mm", "0.0%"
# What spreadsheet programs take for the start of a formula (OWASP, "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
LIGHTS = {"red": "红（已逾期）", "yellow": "黄（临近期限）", "green": "绿（正常）"}


def _typed(field: str, value):
    """`value` as the cell's value: dates and Beijing date-times (naive, as spreadsheets hold
    them) for date fields, whether given as objects or ISO text."""
    if value is None or value == "":
        return None
    if field in DATETIME_FIELDS:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else value
        if moment.tzinfo is not None:
            moment = moment.astimezone(SHANGHAI)
        return moment.replace(tzinfo=None, microsecond=0)
    if field in DATE_FIELDS:
        return date.fromisoformat(value[:10]) if isinstance(value, str) else value
    return value


def _cell(field: str, value):
    if field == "light":
        return LIGHTS.get(value, "")
    value = _typed(field, value)
    return "" if value is None else value


def _text(field: str, value) -> str:
    # A CSV cell is text: dates as YYYY-MM-DD (HH:MM), rates as the page shows them.
    value = _cell(field, value)
    if field in PERCENT_FIELDS and isinstance(value, (int, float)):
        return f"{100 * value:.1f}%"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return value


def formula_like(value) -> bool:
    """True for a text a spreadsheet program would run as a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def csv_text(value):
    """`value` as a CSV cell that no spreadsheet runs: a formula-like text behind a single quote."""
    return "'" + value if formula_like(value) else value


def csv_bytes(columns: list[tuple[str, str]], rows: list[dict], *, heading: str | None = None) -> bytes:
    """The rows as CSV in UTF-8 with a byte-order mark (so spreadsheet programs read the Chinese),
    after a `heading` line (the report, its period and scope) when given."""
    out = io.StringIO()
    writer = csv.writer(out)
    if heading:
        writer.writerow([csv_text(heading)])
    writer.writerow([csv_text(header) for _, header in columns])
    for row in rows:
        writer.writerow([csv_text(_text(field, row.get(field))) for field, _ in columns])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


# The assessment's chart: per department, the counted cases by outcome (engine.services.figures).
ASSESSMENT_CHART = ("department_name", ["answered_on_time", "answered_late", "overdue", "ended_unanswered"])


def _chart(sheet, columns: list[tuple[str, str]], count: int, chart: tuple[str, list[str]]) -> None:
    fields = [field for field, _ in columns]
    label, series = chart
    bars = BarChart()
    bars.type, bars.grouping, bars.overlap = "bar", "stacked", 100
    bars.title = sheet["A1"].value
    bars.height, bars.width = max(7.5, 1.2 * count + 3), 18
    for field in series:
        column = fields.index(field) + 1
        bars.add_data(Reference(sheet, min_col=column, min_row=2, max_row=count + 2), titles_from_data=True)
    bars.set_categories(Reference(sheet, min_col=fields.index(label) + 1, min_row=3, max_row=count + 2))
    sheet.add_chart(bars, f"{get_column_letter(len(columns) + 2)}3")


def _width(value) -> int:
    # Display width: a CJK character takes two columns, as spreadsheet programs draw it.
    if isinstance(value, datetime):
        return 16
    if isinstance(value, date):
        return 10
    text = f"{100 * value:.1f}%" if isinstance(value, float) else str(value)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def xlsx_bytes(columns: list[tuple[str, str]], rows: list[dict], *, title: str, heading: str | None = None,
               chart: tuple[str, list[str]] | None = None) -> bytes:
    """The rows as one worksheet named `title` in an .xlsx workbook: a title row (`heading`, else
    `title`: the report, its period and scope), the headers frozen under it, dates as date cells
    in Beijing time, rates as percentages, and columns as wide as their contents; with `chart`
    (the label field and the count fields), a stacked bar chart of those counts beside the table."""
    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    sheet.append([heading or title])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([header for _, header in columns])
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    widths = [_width(header) for _, header in columns]
    for row in rows:
        values = [_cell(field, row.get(field)) for field, _ in columns]
        sheet.append(values)
        widths = [max(w, _width(v)) for w, v in zip(widths, values)]
    for line in sheet.iter_rows(min_row=1):
        for cell in line:
            if formula_like(cell.value):
                # openpyxl takes a text beginning with "=" for a formula; a string cell with the
                # quote prefix stays text in Excel even when the cell is edited.
                cell.data_type = "s"
                cell.quotePrefix = True
    for index, (field, _) in enumerate(columns, start=1):
        letter = get_column_letter(index)
        fmt = (DATETIME_FORMAT if field in DATETIME_FIELDS else DATE_FORMAT if field in DATE_FIELDS
               else PERCENT_FORMAT if field in PERCENT_FIELDS else None)
        if fmt:
            for (cell,) in sheet.iter_rows(min_row=3, min_col=index, max_col=index):
                cell.number_format = fmt
        sheet.column_dimensions[letter].width = min(60, max(8, widths[index - 1] + 2))
    sheet.freeze_panes = "A3"
    sheet.print_title_rows = "1:2"
    if chart and rows:
        _chart(sheet, columns, len(rows), chart)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
