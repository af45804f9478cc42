"""The English of procedure, step, form and department texts, and of citations of the Measures;
every text of the shipped procedures and forms has English."""
from __future__ import annotations

import json
import re
from pathlib import Path
from xml.etree import ElementTree

import pytest

from webapp.terms import article_en, chinese_number, translate

ROOT = Path(__file__).resolve().parents[2]
HAN = re.compile(r"[\u4e00-\u9fff]")


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


def _form_texts(node):
    if isinstance(node, dict):
        for key in ("title", "description"):
            if isinstance(node.get(key), str):
                yield node[key]
        yield from (name for name in node.get("x-enumNames", []) if isinstance(name, str))
        for value in node.values():
            yield from _form_texts(value)
    elif isinstance(node, list):
        for value in node:
            yield from _form_texts(value)


def test_every_text_of_the_shipped_procedures_and_forms_has_english():
    texts = set()
    for path in sorted((ROOT / "workflows").glob("*.bpmn")):
        for element in ElementTree.parse(path).getroot().iter():
            if element.get("name") and "spiffworkflow" not in element.tag:
                texts.add((path.relative_to(ROOT).as_posix(), element.get("name")))
    for path in sorted((ROOT / "forms").rglob("*.json")):
        texts.update((path.relative_to(ROOT).as_posix(), text)
                     for text in _form_texts(json.loads(path.read_text(encoding="utf-8"))))
    assert len({path for path, _ in texts}) > 1
    untranslated = sorted((path, text) for path, text in texts if HAN.search(translate(text, "en") or ""))
    assert not untranslated, f"texts without English in terms.toml: {untranslated}"
