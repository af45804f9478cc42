"""How strong a password must be: zxcvbn's estimate of the guesses it takes, which knows common
passwords, words, names, keyboard patterns, dates and the user's own name and login.

The refusal names why, as zxcvbn's feedback does, but with a stable code whose Chinese and
English texts are in engine.messages: the code is chosen from the pattern of the longest part
zxcvbn found (the part its own feedback speaks of), never from its English text.
"""
from __future__ import annotations

import re
from typing import Iterable

from zxcvbn import zxcvbn

from engine.errors import Problem

MIN_LENGTH = 8
# zxcvbn's score 3: "safely unguessable", about 10^8 guesses or more; the usual floor for an
# account that can read personal data, behind a slow hash and a throttled sign-in.
MIN_SCORE = 3
# zxcvbn's cost grows fast with length; beyond this the estimate is of the first MAX_CHECKED
# characters (a longer password is only stronger).
MAX_CHECKED = 72

_SEPARATORS = re.compile(r"[._@\-\s]+")
# The refusal for the pattern of the part that makes a password weak, given zxcvbn's score.
_REASONS = {
    "passwords": lambda score: Problem("password.common", score, field="password"),
    "user_inputs": lambda score: Problem("password.personal", score, field="password"),
    "dictionary": lambda score: Problem("password.word", score, field="password"),
    "spatial": lambda score: Problem("password.keyboard", score, field="password"),
    "repeat": lambda score: Problem("password.repeated", score, field="password"),
    "sequence": lambda score: Problem("password.sequence", score, field="password"),
    "date": lambda score: Problem("password.date", score, field="password"),
    "regex": lambda score: Problem("password.date", score, field="password"),
    "weak": lambda score: Problem("password.weak", score, field="password"),
}


def problems(password: str, personal: Iterable[str | None] = ()) -> list[Problem]:
    """What is wrong with `password` for a user whose name, login and e-mail are `personal`;
    empty when it is strong enough.

    Returns:
        At most one Problem on the field "password": `password.too_short`, or the reason zxcvbn
        found (`password.common`, `password.personal`, `password.word`, `password.keyboard`,
        `password.repeated`, `password.sequence`, `password.date` or `password.weak`).
    """
    if len(password) < MIN_LENGTH:
        return [Problem("password.too_short", {"min": MIN_LENGTH}, field="password")]
    # The login as typed, without its dots (zhangsan for zhang.san) and in its parts.
    inputs = sorted({part for value in personal if value
                     for part in [value, _SEPARATORS.sub("", value), *_SEPARATORS.split(value)] if len(part) > 1})
    found = zxcvbn(password[:MAX_CHECKED], user_inputs=inputs, max_length=MAX_CHECKED)
    if found["score"] >= MIN_SCORE:
        return []
    longest = max(found["sequence"], key=lambda match: len(match["token"]), default={"pattern": "weak"})
    reason = longest["pattern"]
    if reason == "dictionary" and longest.get("dictionary_name") in ("passwords", "user_inputs"):
        reason = longest["dictionary_name"]
    return [_REASONS.get(reason, _REASONS["weak"])({"score": found["score"], "min_score": MIN_SCORE})]
