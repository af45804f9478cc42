"""The password rule: zxcvbn's estimate, which knows common passwords and the user's own name."""
from __future__ import annotations

import pytest

from engine import messages
from engine.passwords import MIN_LENGTH, problems


@pytest.mark.parametrize("password, personal, code", [
    ("short", (), "password.too_short"),
    ("12345678", (), "password.common"),
    ("password", (), "password.common"),
    ("zhangsan", ("zhang.san", "张三"), "password.personal"),
    ("zhangsan-demo", ("zhang.san", "张三"), "password.personal"),
    ("aaaaaaaaaaaa", (), "password.repeated"),
    ("abcdefghijkl", (), "password.sequence"),
    ("19840101", (), "password.date"),
    ("zxcvbnm,./", (), "password.keyboard"),
])
def test_a_weak_password_is_refused_with_the_reason_as_a_code(password, personal, code):
    [problem] = problems(password, personal)
    assert (problem.code, problem.field) == (code, "password")
    assert problem.text("zh") != problem.text("en")
    assert problem.text("zh") == messages.render(code, problem.params, "zh")


@pytest.mark.parametrize("password", ["correct horse 1", "another horse 2", "sjj-reviewer-demo", "dsjzx-admin-demo",
                                      "经济 数据 共享 2026"])
def test_a_strong_password_passes(password):
    assert problems(password, ("li.si", "李四")) == []


def test_the_users_own_name_makes_an_otherwise_fair_password_weak():
    assert problems("wangxiaoming88", ()) == []
    assert [p.code for p in problems("wangxiaoming88", ("wang.xiaoming",))] == ["password.personal"]


def test_the_length_floor_is_still_eight():
    assert MIN_LENGTH == 8 and [p.code for p in problems("a" * 7)] == ["password.too_short"]
