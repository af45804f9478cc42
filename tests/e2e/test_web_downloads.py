"""Downloads: file names in Content-Disposition only through the standard encoding (RFC 6266 with
RFC 5987's filename*), and exported tables that hold data, never formulas (OWASP CSV injection)."""
from __future__ import annotations

import csv
import io
import json
import unicodedata
import re
import zipfile

import pytest
from openpyxl import load_workbook
from werkzeug.http import parse_options_header

from engine.services import accounts, exports, users
from webapp import downloads
from web_helpers import PASSWORD, csrf_token
from engine.services.users import SYSTEM

# name: the file name a browser must be offered for it
NAMES = {
    "plain.bpmn": "plain.bpmn",
    "cr\rlf\n.bpmn": "crlf.bpmn",
    "x\r\nSet-Cookie: a=b.bpmn": "xSet-Cookie: a=b.bpmn",
    'q"; filename*=UTF-8\'\'evil.exe;.bpmn': 'q"; filename*=UTF-8\'\'evil.exe;.bpmn',
    "a;b=c.bpmn": "a;b=c.bpmn",
    "数据 共享流程.bpmn": "数据 共享流程.bpmn",
    "nul\x00byte.bpmn": "nulbyte.bpmn",
    "tab\there\x7f.bpmn": "tabhere.bpmn",
}


def _parameters(header: str) -> list[str]:
    """The names of a Content-Disposition's parameters, quoted values set aside."""
    unquoted = re.sub(r'"(?:[^"\\]|\\.)*"', '""', header)
    return re.findall(r";\s*([^=;\s]+)=", unquoted)


def _assert_offers(header: str, expected: str) -> None:
    assert "\r" not in header and "\n" not in header and "\x00" not in header
    disposition, options = parse_options_header(header)
    assert disposition == "attachment" and options["filename"] == expected
    ascii_only = expected.isascii()
    assert _parameters(header) == (["filename"] if ascii_only else ["filename", "filename*"])


@pytest.mark.parametrize("name", NAMES)
def test_the_one_helper_writes_every_name_in_the_standard_encoding(app, name):
    with app.test_request_context():
        response = downloads.send_bytes(b"<x/>", name, "application/xml")
    _assert_offers(response.headers["Content-Disposition"], NAMES[name])


@pytest.fixture
def designer_client(client, engines):
    users.add_user(engines.at().uow(), "sun.qi", department="sjj", roles=["designer"], actor=SYSTEM)
    accounts.set_password(engines.at().uow(), "sun.qi", PASSWORD, actor=SYSTEM)
    token = csrf_token(client.get("/auth/login").text)
    client.post("/auth/login", data={"username": "sun.qi", "password": PASSWORD, "csrf_token": token})
    return client


@pytest.mark.parametrize("name", [n for n in NAMES if "\x00" not in n])
def test_a_drafts_file_name_never_breaks_or_adds_to_the_downloads_header(designer_client, name):
    from web_helpers import WEB_FIXTURES

    token = csrf_token(designer_client.get("/designer/").text)
    xml = (WEB_FIXTURES / "web_share.bpmn").read_text()
    saved = designer_client.post("/designer/draft", data=json.dumps({"file_name": name, "xml": xml}),
                                 content_type="application/json", headers={"X-CSRFToken": token})
    if any(unicodedata.category(ch) == "Cc" for ch in name):
        # A name with a control character is refused when the draft is saved: it never reaches a header.
        assert saved.status_code == 422 and saved.json["problems"][0]["code"] == "bpmn.file_name_control"
        assert designer_client.get("/designer/processes/web_share/draft.bpmn").status_code == 404
        return
    assert saved.status_code == 200, saved.text
    response = designer_client.get("/designer/processes/web_share/draft.bpmn")
    assert response.status_code == 200 and response.data.decode() == xml
    _assert_offers(response.headers["Content-Disposition"], NAMES[name])


def test_a_drafts_file_name_with_a_nul_is_refused_before_it_is_saved(designer_client):
    token = csrf_token(designer_client.get("/designer/").text)
    refused = designer_client.post("/designer/draft", data=json.dumps({"file_name": "a\x00.bpmn", "xml": "<x/>"}),
                                   content_type="application/json", headers={"X-CSRFToken": token})
    assert refused.status_code == 400 and "请求中含有空字符" in refused.text


FORMULA = '=HYPERLINK("http://x","y")'
DANGEROUS = [FORMULA, "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]


@pytest.mark.parametrize("value", DANGEROUS)
def test_a_formula_like_text_is_neutralised_in_csv_and_text_in_xlsx(value):
    columns = [("purpose", "用途"), ("records", "条数")]
    rows = [{"purpose": value, "records": -3}]
    read = list(csv.reader(io.StringIO(exports.csv_bytes(columns, rows).decode("utf-8-sig"), newline="")))
    assert read[1] == ["'" + value, "-3"]
    sheet = load_workbook(io.BytesIO(exports.xlsx_bytes(columns, rows, title="t"))).active
    cell = sheet["A3"]  # under the title row and the headers
    assert (cell.value, cell.data_type, cell.quotePrefix) == (value, "s", True)
    assert (sheet["B3"].value, sheet["B3"].data_type) == (-3, "n")


def test_an_ordinary_text_is_left_as_it_is():
    rows = [{"purpose": "户籍信息核验 = 合规"}]
    assert "户籍信息核验 = 合规\r\n" in exports.csv_bytes([("purpose", "用途")], rows).decode("utf-8-sig")
    assert load_workbook(io.BytesIO(exports.xlsx_bytes([("purpose", "用途")], rows, title="t"))).active["A3"] \
        .quotePrefix is False


def _no_formula_anywhere(xlsx: bytes) -> None:
    with zipfile.ZipFile(io.BytesIO(xlsx)) as book:
        for name in book.namelist():
            if name.startswith("xl/worksheets/"):
                assert "<f>" not in book.read(name).decode("utf-8") and "<f " not in book.read(name).decode("utf-8")


def _download_urls(app) -> list[str]:
    """Every download route of the app (a rule taking a `fmt`), in each format."""
    from webapp.supervise.views import TASK_LISTS

    urls = []
    for rule in app.url_map.iter_rules():
        if "fmt" in rule.arguments:
            for fmt in downloads.FORMATS:
                names = TASK_LISTS if "name" in rule.arguments else [None]
                urls += [rule.rule.replace("<name>", name or "").replace("<fmt>", fmt) for name in names]
    return urls


def test_every_export_holds_an_applicants_formula_as_text(demo_engines):
    from engine.demo import DEMO_USERS
    from engine.services import instances, tasks
    from web_helpers import AuthActions, make_app

    engine = demo_engines.at()
    share = {"catalog_item": "GA-001", "request_reason": "核验企业法定代表人身份", "request_basis": "市场主体登记管理职责",
             "purpose": FORMULA, "requested_scope": "姓名、身份证号", "requested_until": "2026-12-31"}
    started = instances.start(engine.uow(), "conditional_share", actor="zhang.san", data=share)
    [review] = tasks.of_instance(engine.uow(), started.instance_id)
    tasks.claim(engine.uow(), review["id"], actor="li.si")
    tasks.complete(engine.uow(), review["id"], actor="li.si",
                   data={"decision": "approve", "granted_scope": "姓名、身份证号", "granted_until": "2026-12-31"})
    instances.start(engine.uow(), "conditional_share", actor="zhang.san", data={**share, "purpose": "@x"})

    later = demo_engines.at("2026-06-01T09:00:00")
    app = make_app(later)
    client = app.test_client()
    AuthActions(client).login("zhao.liu", {u.name: u.password for u in DEMO_USERS}["zhao.liu"])
    urls = _download_urls(app)
    assert len(urls) == 2 * 6
    found = 0
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        if url.endswith(".csv"):
            cells = [c for row in csv.reader(io.StringIO(response.data.decode("utf-8-sig"), newline="")) for c in row]
            assert not [c for c in cells if exports.formula_like(c)], url
            found += cells.count("'" + FORMULA)
        else:
            _no_formula_anywhere(response.data)
            sheet = load_workbook(io.BytesIO(response.data)).active
            cells = [c for row in sheet.iter_rows() for c in row]
            assert all(c.data_type == "s" and c.quotePrefix for c in cells if exports.formula_like(c.value)), url
            found += sum(c.value == FORMULA for c in cells)
    # The grant's purpose, in the register's CSV and workbook.
    assert found == 2
