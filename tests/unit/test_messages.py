"""Every error code the engine raises has a Chinese and an English text that its raiser can fill."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from engine import messages
from engine.errors import Conflict, InvalidInput, PdwError, Problem
from engine.forms import _KEYWORDS
from webapp import bad_input

ENGINE = Path(messages.__file__).parent
WEBAPP = Path(bad_input.__file__).parent
CODE_PREFIXES = {code.split(".")[0] for code in messages.MESSAGES}
# The web app raises only the codes of requests refused for their form (webapp.bad_input); its
# other dotted strings are endpoints (`auth.login`), not codes.
WEBAPP_PREFIXES = {"request", "http"}


def _raise_sites() -> list[tuple[str, int, str, set[str] | None]]:
    """(file, line, code, parameter names or None when they are spread from a dict) of every call
    in the engine (and, for its own codes, the web app) whose first or second argument is a
    string naming an error code."""
    sites = []
    paths = [(p, CODE_PREFIXES) for p in sorted(ENGINE.rglob("*.py"))] + \
        [(p, WEBAPP_PREFIXES) for p in sorted(WEBAPP.rglob("*.py"))]
    for path, prefixes in paths:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            for position, arg in enumerate(node.args[:2]):
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and "." in arg.value \
                        and arg.value.split(".")[0] in prefixes and " " not in arg.value:
                    names: set[str] | None = {k.arg for k in node.keywords if k.arg}
                    if any(k.arg is None for k in node.keywords):
                        names = None
                    rest = node.args[position + 1:]
                    if rest and isinstance(rest[0], ast.Dict):
                        names = (names or set()) | {k.value for k in rest[0].keys if isinstance(k, ast.Constant)}
                    elif rest and not isinstance(rest[0], (ast.List, ast.ListComp)):
                        names = None
                    sites.append((path.relative_to(ENGINE.parent).as_posix(), node.lineno, arg.value, names))
                    break
    return sites


SITES = _raise_sites()


def test_the_scan_finds_the_raise_sites_it_is_meant_to_check():
    codes = {code for _, _, code, _ in SITES}
    assert {"task.already_claimed", "bpmn.flow_dangling", "catalog.art13_missing", "form.reserved"} <= codes
    assert len(SITES) > 60


@pytest.mark.parametrize("where, line, code, names", SITES, ids=[f"{s[0]}:{s[1]}" for s in SITES])
def test_every_raised_code_has_a_text_its_raiser_can_fill(where, line, code, names):
    assert code in messages.MESSAGES, f"{where}:{line} raises {code}, which has no text"
    if names is not None:
        zh, en = messages.MESSAGES[code]
        missing = (messages.placeholders(zh) | messages.placeholders(en)) - names
        assert not missing, f"{where}:{line} raises {code} without {', '.join(sorted(missing))}"


@pytest.mark.parametrize("code", sorted(messages.MESSAGES))
def test_every_text_is_bilingual_and_the_chinese_one_needs_nothing_the_english_one_lacks(code):
    zh, en = messages.MESSAGES[code]
    assert zh.strip() and en.strip()
    assert messages.placeholders(zh) <= messages.placeholders(en)


def test_every_code_in_the_catalog_is_raised_somewhere():
    raised = {code for _, _, code, _ in SITES} | {f"form.{k}" for k in _KEYWORDS} | {"form.invalid"} \
        | set(bad_input.HTTP_CODES)
    assert sorted(set(messages.MESSAGES) - raised) == []


def test_an_error_reads_in_either_language_with_its_params_filled_and_lists_joined():
    err = Conflict("task.already_claimed", task=7, holder="wang.wu")
    assert err.code == "task.already_claimed" and err.params == {"task": 7, "holder": "wang.wu"}
    assert err.text("zh") == "该任务已被 wang.wu 认领，请刷新后选择其他任务。"
    assert str(err) == "task 7 is already claimed by wang.wu"
    unknown = PdwError("user.roles_unknown", roles=["boss", "king"], known=["applicant"])
    assert unknown.text("zh") == "未知角色：boss、king（可选：applicant）。"
    assert unknown.text("en") == "unknown role(s) boss, king; roles are applicant"


def test_an_invalid_input_carries_each_problem_with_its_place_as_data():
    problem = Problem("bpmn.rule_unknown", {"rule": "x", "known": ["a"]}, element="review", file="p.bpmn", line=12)
    err = InvalidInput("bpmn.not_deployed", [problem], count=1)
    assert problem.where == "p.bpmn:12 element 'review'"
    assert err.to_dict()["problems"] == [{"code": "bpmn.rule_unknown", "params": {"rule": "x", "known": ["a"]},
                                          "message": "unknown deadline rule 'x' (known: a)", "element": "review",
                                          "file": "p.bpmn", "line": 12}]
    assert str(err) == "nothing deployed (1 problem(s)): p.bpmn:12 element 'review': unknown deadline rule 'x' " \
                       "(known: a)"
