"""Words of an application for the search index, and queries in the same words."""
from __future__ import annotations

from engine.search import MAX_TERMS, Term, fts5_query, terms, tokens, tsquery


def test_chinese_is_cut_into_overlapping_pairs_and_other_words_kept_whole():
    assert tokens("人口基础信息", "DZ2026030200001 zhang.san") == "人口 口基 基础 础信 信息 dz2026030200001 zhang san"


def test_a_word_is_indexed_once_however_often_it_appears():
    assert tokens("人口 人口", "人口") == "人口"


def test_a_single_chinese_character_is_a_word_of_its_own():
    assert tokens("张") == "张"


def test_a_query_needs_every_pair_of_a_chinese_run_and_a_prefix_of_other_words():
    assert terms("人口信息 dz2026") == [Term("人口", False), Term("口信", False), Term("信息", False),
                                        Term("dz2026", True)]


def test_a_single_chinese_character_searches_by_prefix():
    assert terms("张") == [Term("张", True)]


def test_query_syntax_and_punctuation_are_no_words():
    assert terms("\"*'; DROP -- NEAR( % _") == [Term("drop", True), Term("near", True)]
    assert terms("%_*\"'") == []


def test_a_long_query_is_cut_to_the_first_pairs():
    assert len(terms("达州市公共数据管理办法第二十条第二款规定的共享申请答复期限")) == MAX_TERMS


def test_the_dialects_query_expressions_quote_every_word():
    found = [Term("人口", False), Term("dz", True)]
    assert fts5_query(found) == '"人口" AND "dz"*'
    assert tsquery(found) == "'人口' & 'dz':*"
