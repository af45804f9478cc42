"""Reviewers find applications by what people read: catalog name, applicant, organisation, receipt number."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import delete

from engine.demo import DEMO_USERS
from engine.persistence.models import ApplicationSearch
from engine.services import search
from engine_factory import FROZEN
from web_helpers import AuthActions, make_app

PASSWORDS = {u.name: u.password for u in DEMO_USERS}
APPLICATION = {"catalog_item": "GA-001", "request_reason": "核验企业法定代表人身份", "request_basis": "市场主体登记管理职责",
               "purpose": "登记审查", "requested_scope": "姓名、身份证号", "requested_until": "2026-12-31"}


def signed_in(engines, name: str):
    """A client of its own, signed in as the demo person `name`."""
    client = make_app(engines.at(FROZEN)).test_client()
    AuthActions(client).login(name, PASSWORDS[name])
    return client


@pytest.fixture
def applied(demo_engines):
    """张三 of 达州市市场监督管理局 has applied to share 人口基础信息 (GA-001); 李四, a reviewer, is signed in."""
    applicant = signed_in(demo_engines, "zhang.san")
    response = AuthActions(applicant).post("/portal/apply/conditional_share", "/portal/apply/conditional_share",
                                           APPLICATION)
    assert response.status_code == 302, response.text
    return signed_in(demo_engines, "li.si")


# The demo's own application (filed at 宣汉县, engine.demo) took the day's first receipt number.
RECEIPT = "DZ2026030200002"


def receipts(client, query: str) -> list[str]:
    return re.findall(r">(DZ\d{13})</a>", client.get("/inbox/", query_string={"q": query}).text)


@pytest.mark.parametrize("query", ["人口基础信息", "人口", "张三", "张", "市场监督管理局", "市场监管", "zhang.san",
                                   "核验企业", RECEIPT, "dz20260302", "有条件共享数据申请"])
def test_a_reviewer_finds_the_application_by_what_people_read(applied, query):
    # Not a run of the organisation's name; and never the county's application, not li.si's to see.
    expected = [] if query == "市场监管" else [RECEIPT]
    assert receipts(applied, query) == expected


@pytest.mark.parametrize("query", ["catalog_item", "request_reason", "李四", "GA-002", "'; DROP TABLE users; --",
                                   '"', "*", "人口 NEAR(", "%", "_"])
def test_field_names_other_words_and_query_syntax_match_nothing(applied, query):
    response = applied.get("/inbox/", query_string={"q": query})
    assert response.status_code == 200
    assert re.findall(r">(DZ\d{13})</a>", response.text) == []


def test_the_task_page_shows_the_catalog_entry_and_the_applicants_name_and_organisation(applied):
    task = re.search(r'/inbox/tasks/(\d+)/claim', applied.get("/inbox/").text).group(1)
    page = applied.get(f"/inbox/tasks/{task}").text
    assert "人口基础信息" in page and "仅限履行法定职责所需字段，按需申请" in page and "达州市公安局" in page
    assert "张三" in page and "达州市市场监督管理局" in page


def test_the_tabs_show_how_many_tasks_each_holds(applied):
    page = applied.get("/inbox/").text
    counts = dict(re.findall(r'tab=(\w+)[^>]*>[^<]*<span class="count">(\d+)</span>', page))
    assert counts == {"available": "1", "mine": "0", "completed": "0"}


def test_applications_made_before_the_index_are_found_once_reindexed(applied, demo_engines):
    engine = demo_engines.at(FROZEN)
    with engine.uow() as uow:
        uow.session.execute(delete(ApplicationSearch))
        uow.commit()
    assert receipts(applied, "张三") == []
    assert search.reindex_missing(engine.uow()) == 2  # zhang.san's and the demo's county application
    assert search.reindex_missing(engine.uow()) == 0
    assert receipts(applied, "张三") == [RECEIPT]


def test_the_application_form_offers_the_catalog_to_pick_from_by_name_and_source_unit(demo_engines):
    page = signed_in(demo_engines, "zhang.san").get("/portal/apply/conditional_share").text
    assert 'list="f-catalog_item-catalog"' in page
    assert '<option value="GA-001" label="人口基础信息 · 达州市公安局 · GA-001">' in page
