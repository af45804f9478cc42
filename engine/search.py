"""Words of an application as the search index keeps them, and a query in the same words.

Chinese is written without spaces, so text is cut into overlapping pairs of characters
(人口基础信息 -> 人口 口基 基础 础信 信息): any run of two or more characters in the text is
then found as all of its pairs, with no dictionary, in SQLite FTS5 and in a PostgreSQL
tsvector alike. Other words (receipt numbers, logins, codes) are kept whole, lower-cased,
and searched by prefix, as is a single Chinese character.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUNS = re.compile(rf"([{_CJK}]+)|([^\W_{_CJK}]+)")
MAX_TERMS = 16  # a query of more pairs than this is cut: the first sixteen already narrow it


@dataclass(frozen=True)
class Term:
    """One word of a query; `prefix` when it may begin a longer indexed word."""

    text: str
    prefix: bool


def _pairs(run: str) -> list[str]:
    return [run] if len(run) == 1 else [run[i:i + 2] for i in range(len(run) - 1)]


def tokens(*texts: str) -> str:
    """The indexed words of `texts`, space-separated, each once."""
    seen: dict[str, None] = {}
    for text in texts:
        for cjk, word in _RUNS.findall((text or "").lower()):
            for token in (_pairs(cjk) if cjk else [word]):
                seen.setdefault(token, None)
    return " ".join(seen)


def terms(query: str) -> list[Term]:
    """The words an application must hold to match `query` (all of them)."""
    found: dict[Term, None] = {}
    for cjk, word in _RUNS.findall((query or "").lower()):
        if word:
            found.setdefault(Term(word, True), None)
        elif len(cjk) == 1:
            found.setdefault(Term(cjk, True), None)
        else:
            for pair in _pairs(cjk):
                found.setdefault(Term(pair, False), None)
    return list(found)[:MAX_TERMS]


def fts5_query(found: list[Term]) -> str:
    """`found` as an SQLite FTS5 MATCH expression (the words hold no quotes: see _RUNS)."""
    return " AND ".join(f'"{t.text}"' + ("*" if t.prefix else "") for t in found)


def tsquery(found: list[Term]) -> str:
    """`found` as a PostgreSQL tsquery (lexemes quoted, so no parser or locale is involved)."""
    return " & ".join(f"'{t.text}'" + (":*" if t.prefix else "") for t in found)
