"""The English of procedure, step, form and department texts, and of citations of the Measures."""
from __future__ import annotations

import pytest

from webapp.terms import article_en, chinese_number, translate


@pytest.mark.parametrize("text, number", [("一", 1), ("十", 10), ("十六", 16), ("二十", 20), ("二十九", 29),
                                          ("一百零三", 103), ("一百二十", 120)])
def test_chinese_numerals_are_read(text, number):
    assert chinese_number(text) == number


@pytest.mark.parametrize("text, english", [("第二十条第二款", "Art. 20(2)"), ("第十三条", "Art. 13"),
                                           ("第十九条、第二十条第二款", "Art. 19, Art. 20(2)"),
                                           ("第十六条第二款第三项", "Art. 16(2)(3)"), ("第二十条说明", None), ("", None)])
def test_citations_of_the_measures_are_translated_by_rule(text, english):
    assert article_en(text) == english


def test_a_step_name_with_its_citation_is_translated_in_two_parts():
    assert translate("审核共享申请（第二十条第二款）", "en") == "Review the sharing application (Art. 20(2))"


def test_chinese_stays_chinese_and_unknown_text_stays_as_written():
    assert translate("审核共享申请", "zh") == "审核共享申请"
    assert translate("张三的申请", "en") == "张三的申请"
    assert translate(None, "en") is None
