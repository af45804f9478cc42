"""English for the texts procedures, forms and reference data are written in.

Procedure and step names, form titles, labels and choices, and department names are written
in Chinese where they are defined (BPMN, JSON Schema, the directory). In English they come
from webapp/translations/en/terms.toml, and citations of the Measures (第二十条第二款) are
translated by rule (Art. 20(2)); a text the table lacks stays as written.
"""
from __future__ import annotations

import re
import tomllib
from functools import cache
from pathlib import Path

from flask import Flask
from flask_babel import get_locale
from jinja2 import pass_context

TERMS_FILE = Path(__file__).resolve().parent / "translations" / "en" / "terms.toml"

_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_NUMBER = "[零一二两三四五六七八九十百]+"
_ARTICLE = re.compile(rf"第({_NUMBER})条(?:第({_NUMBER})款)?(?:第({_NUMBER})项)?")
_ARTICLES = re.compile(rf"^(?:{_ARTICLE.pattern})(?:[、，,和及](?:{_ARTICLE.pattern}))*$")
_CITED = re.compile(r"^(.*?)（([^（）]+)）$")


@cache
def catalog() -> dict[str, str]:
    """Chinese text -> English, as terms.toml lists them."""
    with TERMS_FILE.open("rb") as f:
        return tomllib.load(f)["terms"]


def chinese_number(text: str) -> int:
    """A Chinese numeral below a thousand as a number (二十 -> 20, 一百零三 -> 103)."""
    total, digit = 0, 0
    for ch in text:
        if ch == "百":
            total += (digit or 1) * 100
            digit = 0
        elif ch == "十":
            total += (digit or 1) * 10
            digit = 0
        else:
            digit = _DIGITS[ch]
    return total + digit


def article_en(text: str) -> str | None:
    """A citation such as 第二十条第二款 (or several, joined by 、) in English (Art. 20(2)); None
    when `text` is not one."""
    if not text or not _ARTICLES.match(text):
        return None
    cited = []
    for article, paragraph, item in _ARTICLE.findall(text):
        cited.append(f"Art. {chinese_number(article)}" + "".join(f"({chinese_number(p)})" for p in (paragraph, item) if p))
    return ", ".join(cited)


def translate(text: str | None, lang: str) -> str | None:
    """`text` in `lang` ("en" or Chinese): from the table, by rule for citations, else as written."""
    if not text or lang != "en":
        return text
    known = catalog().get(text)
    if known is not None:
        return known
    citation = article_en(text)
    if citation is not None:
        return citation
    cited = _CITED.match(text)
    if cited and article_en(cited.group(2)):
        return f"{translate(cited.group(1), lang)} ({article_en(cited.group(2))})"
    return text


def current_language() -> str:
    """The session's language as this module names it ("en" or "zh")."""
    return "en" if str(get_locale()).startswith("en") else "zh"


def term(text: str | None) -> str | None:
    """`text` in the session's language."""
    return translate(text, current_language())


@pass_context
def _term_filter(_context, text: str | None) -> str | None:
    # Taking the context keeps Jinja from folding `'第四十七条第二款' | term` into a constant
    # when it compiles the template, in whichever language its first reader had.
    return term(text)


def init_app(app: Flask) -> None:
    """Offer `term` to templates as a filter, and the session's language to macros (which do not
    see the request's context)."""
    app.jinja_env.filters["term"] = _term_filter
    app.jinja_env.globals["current_language"] = current_language
