"""Catalog change review over HTTP on the demo data: an import is held, the authority reads each
proposal old -> new per attribute and approves or refuses it; English shows no stray Chinese."""
from __future__ import annotations

import re

from engine.services import catalog
from web_helpers import AuthActions, flashes, make_app, stray_chinese

PASSWORDS = {"li.si": "sjj-reviewer-demo", "zhang.san": "scjgj-applicant-demo", "admin": "dsjzx-admin-demo"}
HEADER = ",".join(catalog.COLUMNS)
SC_002 = ("SC-002,行政处罚信息,scjgj,无条件共享,,,有条件开放,申请人须说明用途并签订数据利用承诺书,{freq},"
          "市市场监管局信息中心 0818-2000002,文件,结构化,一般,,")


def _signed_in(engine, name: str):
    client = make_app(engine).test_client()
    auth = AuthActions(client)
    auth.login(name, PASSWORDS[name])
    return client, auth


def _held(engine, freq: str) -> int:
    [line] = catalog.import_csv(engine.uow(), "\n".join([HEADER, SC_002.format(freq=freq)]), actor="admin").lines
    assert line.status == "held"
    return line.proposal


def _frequency(engine) -> str:
    return {i["code"]: i for i in catalog.list_items(engine.uow())}["SC-002"]["update_frequency"]


def test_the_authority_reviews_each_catalog_change_old_to_new_and_approves_it(demo_engines):
    engine = demo_engines.at()
    proposal = _held(engine, "每日")
    reviewer, auth = _signed_in(engine, "li.si")

    page = reviewer.get("/catalog/proposals").text
    assert 'href="/catalog/proposals"' in page  # in the main navigation
    card = re.search(rf'<section class="card proposal" data-proposal="{proposal}">(.*?)</section>', page, re.S).group(1)
    assert re.search(r"更新频率.*?<td>每周</td><td>每日</td>", card, re.S)
    assert "catalog.csv:2" in card and "admin" in card

    done = auth.post("/catalog/proposals", f"/catalog/proposals/{proposal}/approve", {"reason": "已核实"},
                     follow_redirects=True)
    assert f"已批准目录变更 {proposal}，已生效。" in flashes(done.text)
    assert _frequency(engine) == "每日"
    decided = reviewer.get("/catalog/proposals?status=approved").text
    assert "已核实" in decided and "li.si" in decided


def test_a_refusal_needs_a_reason_and_changes_nothing(demo_engines):
    engine = demo_engines.at()
    proposal = _held(engine, "每月")
    reviewer, auth = _signed_in(engine, "li.si")

    blank = auth.post("/catalog/proposals", f"/catalog/proposals/{proposal}/refuse", {"reason": " "},
                      follow_redirects=True)
    assert any("请填写理由" in f for f in flashes(blank.text))
    done = auth.post("/catalog/proposals", f"/catalog/proposals/{proposal}/refuse", {"reason": "与数源单位核实不符"},
                     follow_redirects=True)
    assert f"已不予批准目录变更 {proposal}，目录未变。" in flashes(done.text)
    assert _frequency(engine) == "每周"


def test_the_proposer_cannot_approve_their_own_change(demo_engines):
    engine = demo_engines.at()
    proposal = _held(engine, "每日")
    admin, auth = _signed_in(engine, "admin")

    done = auth.post("/catalog/proposals", f"/catalog/proposals/{proposal}/approve", follow_redirects=True)
    assert any("不能审核自己提出的目录变更申请" in f for f in flashes(done.text))
    assert _frequency(engine) == "每周"


def test_the_review_page_in_english_shows_no_chinese_but_the_catalog_data(demo_engines):
    engine = demo_engines.at()
    _held(engine, "每日")
    reviewer, _ = _signed_in(engine, "li.si")
    reviewer.get("/lang/en")

    page = reviewer.get("/catalog/proposals").text
    assert "Review of catalog changes" in page and "update frequency" in page
    assert stray_chinese(page, ("李四", "行政处罚信息", "每周", "每日")) == []  # his name, the data
