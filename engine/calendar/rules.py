"""Load the statutory period rules from rules.toml."""
from __future__ import annotations

import tomllib
from pathlib import Path

from engine.calendar.model import UNITS, CalendarError, Rule

RULES_PATH = Path(__file__).with_name("rules.toml")

_REQUIRED_TEXT = ("id", "article", "title_zh", "title_en")


def load_rules(path: Path | None = None) -> dict[str, Rule]:
    """Read and validate period rules.

    Args:
        path: a rules TOML file; the shipped rules.toml when None.

    Returns:
        The rules keyed by id, in file order.

    Raises:
        CalendarError: the file is not valid TOML, a field is missing or wrong, an id repeats,
            or `extends` names no rule (or forms a cycle).
    """
    path = Path(path) if path is not None else RULES_PATH
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except OSError as exc:
        raise CalendarError("calendar.file_invalid", detail=f"{path.name}: cannot read rules ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise CalendarError("calendar.file_invalid", detail=f"{path.name}: not valid TOML ({exc})") from None
    rules: dict[str, Rule] = {}
    for index, raw in enumerate(data.get("rules", []), start=1):
        rule = _parse_rule(raw, f"{path.name}: rule #{index}")
        if rule.id in rules:
            raise CalendarError("calendar.file_invalid", detail=f"{path.name}: rule id {rule.id!r} appears twice")
        rules[rule.id] = rule
    for rule in rules.values():
        _check_extends(rule, rules, path.name)
    return rules


def _parse_rule(raw: dict, where: str) -> Rule:
    for key in _REQUIRED_TEXT:
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise CalendarError("calendar.file_invalid", detail=f"{where}: {key} must be a non-empty string")
    where = f"{where} ({raw['id']})"
    period = raw.get("period")
    if not isinstance(period, int) or isinstance(period, bool) or period < 1:
        raise CalendarError("calendar.file_invalid", detail=f"{where}: period must be a whole number of at least 1")
    if raw.get("unit") not in UNITS:
        raise CalendarError("calendar.file_invalid", detail=f"{where}: unit must be one of {', '.join(UNITS)}")
    extends = raw.get("extends")
    if extends is not None and not isinstance(extends, str):
        raise CalendarError("calendar.file_invalid", detail=f"{where}: extends must be a rule id")
    statutory = raw.get("statutory", True)
    if not isinstance(statutory, bool):
        raise CalendarError("calendar.file_invalid", detail=f"{where}: statutory must be true or false")
    counts_from = raw.get("counts_from", "receipt")
    if counts_from not in ("receipt", "task"):
        raise CalendarError("calendar.file_invalid", detail=f"{where}: counts_from must be 'receipt' or 'task'")
    if counts_from == "task" and extends is not None:
        raise CalendarError("calendar.file_invalid", detail=f"{where}: a rule that extends another counts from its deadline, not from the task")
    unknown = set(raw) - {*_REQUIRED_TEXT, "period", "unit", "extends", "statutory", "counts_from"}
    if unknown:
        raise CalendarError("calendar.file_invalid", detail=f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
    return Rule(raw["id"], period, raw["unit"], raw["article"], raw["title_zh"], raw["title_en"], extends, statutory,
                counts_from)


def _check_extends(rule: Rule, rules: dict[str, Rule], file_name: str) -> None:
    seen = {rule.id}
    current = rule
    while current.extends is not None:
        if current.extends not in rules:
            raise CalendarError("calendar.file_invalid", detail=f"{file_name}: rule {current.id!r} extends unknown rule {current.extends!r}")
        if current.extends in seen:
            raise CalendarError("calendar.file_invalid", detail=f"{file_name}: rule {rule.id!r} extends itself through a cycle")
        seen.add(current.extends)
        current = rules[current.extends]
