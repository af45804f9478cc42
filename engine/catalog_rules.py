"""What a catalog item must be, as data with its article (Art. 12, 13, 18, 19, 24, 25).

Every path that changes the live catalog (an import, a demand's outcome, an edit, a sub-catalog,
an assessment) proposes its change item by item; `check` reads the change against these rules.
A *hard* rule broken refuses the proposal at once, naming the article and the field; a *soft*
finding holds it for the authority's review with the finding shown beside it. The engine never
decides by matching a message: each finding is a `Problem` with a stable code.
"""
from __future__ import annotations

from dataclasses import dataclass

from engine.errors import Problem

SHARE_ATTRIBUTES = ("无条件共享", "有条件共享", "不予共享")
OPEN_ATTRIBUTES = ("无条件开放", "有条件开放", "不予开放")

# The attributes of a catalog item a proposal may change, in the order they are shown.
ATTRIBUTES = ("name", "source_unit", "data_format", "data_type", "sensitivity_level", "share_attribute",
              "share_reason", "share_conditions", "share_basis", "legal_bar", "open_attribute", "open_conditions",
              "update_frequency", "contact")

# How each attribute is called, for the reviewer's page and the command line.
LABELS = {
    "name": {"zh": "名称", "en": "name"}, "source_unit": {"zh": "数源单位", "en": "source unit"},
    "data_format": {"zh": "格式", "en": "format"}, "data_type": {"zh": "类型", "en": "type"},
    "sensitivity_level": {"zh": "敏感级别", "en": "sensitivity level"},
    "share_attribute": {"zh": "共享属性", "en": "share attribute"}, "share_reason": {"zh": "共享理由", "en": "reason"},
    "share_conditions": {"zh": "共享条件", "en": "conditions of sharing"},
    "share_basis": {"zh": "不予共享依据", "en": "legal basis"},
    "legal_bar": {"zh": "禁止共享的法律依据", "en": "law barring sharing"},
    "open_attribute": {"zh": "开放属性", "en": "open attribute"},
    "open_conditions": {"zh": "开放条件", "en": "conditions of opening"},
    "update_frequency": {"zh": "更新频率", "en": "update frequency"},
    "contact": {"zh": "联系人及联系方式", "en": "contact"},
}

@dataclass(frozen=True)
class Field:
    """A basic item of information Art. 13 para. 1 requires of every catalog item."""

    name: str
    zh: str
    en: str


# Art. 13 para. 1: 名称、格式、属性、类型、条件、更新频率、敏感级别、数源单位及联系人、联系方式.
# (条件 is required where an attribute is conditional: see CONDITIONAL below.)
ART13_FIELDS = (
    Field("name", "名称", "name"),
    Field("data_format", "格式", "format"),
    Field("share_attribute", "共享属性", "share attribute"),
    Field("open_attribute", "开放属性", "open attribute"),
    Field("data_type", "类型", "type"),
    Field("update_frequency", "更新频率", "update frequency"),
    Field("sensitivity_level", "敏感级别", "sensitivity level"),
    Field("source_unit", "数源单位", "source unit"),
    Field("contact", "联系人及联系方式", "contact person and details"),
)
ART13 = {"zh": "第十三条第一款", "en": "Art. 13(1)"}


@dataclass(frozen=True)
class Level:
    """One grade of the classification and grading scheme (Art. 12)."""

    name: str
    grade: int
    en: str
    # Personal or otherwise sensitive data: moving it towards opening needs a release record.
    protected: bool
    # Never listed 无条件开放 (Art. 24 para. 3).
    never_unconditionally_open: bool


# Art. 12: 公共数据实行分类分级管理. The city's grading rules are still to be issued by the
# operator (Art. 12 para. 1); until then PDW grades by this fixed vocabulary, and a free-text
# level is refused. Old free-text levels were migrated to 敏感 (migration 0019), never loosened.
LEVELS = (
    Level("公开", 1, "public", False, False),
    Level("一般", 2, "general", False, False),
    Level("敏感", 3, "sensitive", True, False),
    Level("个人信息", 3, "personal information", True, True),
    Level("重要数据", 4, "important data", True, True),
)
LEVEL_NAMES = tuple(level.name for level in LEVELS)
ART12 = {"zh": "第十二条", "en": "Art. 12"}
PERSONAL_INFORMATION = "个人信息"


def level(name: str | None) -> Level | None:
    """The grade named `name`, or None."""
    return next((lv for lv in LEVELS if lv.name == name), None)


# Art. 19 para. 2 (and 25 for opening): what an attribute must carry.
_REASON = {"zh": "理由", "en": "reason"}
CONDITIONAL = {
    "有条件共享": (("share_reason", _REASON), ("share_conditions", {"zh": "共享条件", "en": "conditions of sharing"})),
    # Its reason is its legal basis: Art. 19(2) asks 不予共享 for the law, not for more words.
    "不予共享": (("share_basis", {"zh": "明确的法律法规规章或者国家有关规定", "en": "legal basis"}),),
    "有条件开放": (("open_conditions", {"zh": "开放条件", "en": "conditions of opening"}),),
}
ART19 = {"zh": "第十九条第二款", "en": "Art. 19(2)"}
ART18 = {"zh": "第十八条第一款", "en": "Art. 18(1)"}
ART24_25 = {"zh": "第二十四条第三款、第二十五条", "en": "Art. 24(3), 25"}

# How open each attribute is: a change to a higher rank shares or opens more.
_RANK = {"不予共享": 0, "有条件共享": 1, "无条件共享": 2, "不予开放": 0, "有条件开放": 1, "无条件开放": 2}

# The record that lets protected data move towards opening (Art. 24 para. 3, 25).
RELEASE_FIELDS = ("desensitisation", "consent_holders", "consent_date", "consent_evidence")

# Where a change comes from. A legal bar is never overridden by a demand, an import or a
# sub-catalog: only the authority's own edit may propose lifting it, and that is held for review.
SOURCES = ("import", "demand", "edit", "sub_catalog", "assessment", "initial")
_MAY_LIFT_BAR = frozenset({"edit"})


def changes_of(old: dict | None, new: dict) -> dict[str, list]:
    """Attribute by attribute, `[old, new]` where `new` differs from `old` (all of `new` for a new item)."""
    old = old or {}
    return {a: [old.get(a), new.get(a)] for a in ATTRIBUTES
            if a in new and (old.get(a) or None) != (new.get(a) or None)}


def _blank(value) -> bool:
    return value is None or not str(value).strip()


def check(old: dict | None, new: dict, *, source: str, departments: set[str],
          release: dict | None = None) -> tuple[list[Problem], list[Problem]]:
    """Read a proposed item against the rules.

    Args:
        old: the live item's attributes, or None for a new item.
        new: the item as it would be once the change is made (every attribute).
        source: where the change comes from (one of SOURCES).
        departments: the codes of the known departments.
        release: the desensitisation and consent record given with the change, if any.

    Returns:
        (hard, soft): problems that refuse the proposal at once, and findings held for review.
    """
    hard: list[Problem] = []
    soft: list[Problem] = []
    for f in ART13_FIELDS:
        if _blank(new.get(f.name)):
            hard.append(Problem("catalog.art13_missing", {"label": {"zh": f.zh, "en": f.en}, "article": ART13},
                                field=f.name))
    share, opening = new.get("share_attribute"), new.get("open_attribute")
    if not _blank(share) and share not in SHARE_ATTRIBUTES:
        hard.append(Problem("catalog.attribute_unknown", {"value": share, "allowed": list(SHARE_ATTRIBUTES)},
                            field="share_attribute"))
    if not _blank(opening) and opening not in OPEN_ATTRIBUTES:
        hard.append(Problem("catalog.attribute_unknown", {"value": opening, "allowed": list(OPEN_ATTRIBUTES)},
                            field="open_attribute"))
    grade = level(new.get("sensitivity_level"))
    if not _blank(new.get("sensitivity_level")) and grade is None:
        hard.append(Problem("catalog.level_unknown", {"value": new.get("sensitivity_level"),
                                                      "allowed": list(LEVEL_NAMES), "article": ART12},
                            field="sensitivity_level"))
    for attribute in (share, opening):
        for name, label in CONDITIONAL.get(attribute, ()):
            if _blank(new.get(name)):
                hard.append(Problem("catalog.attribute_needs", {"attribute": attribute, "label": label,
                                                                "article": ART19}, field=name))
    unit = new.get("source_unit")
    if not _blank(unit) and unit not in departments:
        hard.append(Problem("catalog.source_unit_unknown", {"unit": unit}, field="source_unit"))
    hard += _legal_bar(old, new, source)
    if grade is not None and grade.never_unconditionally_open and opening == "无条件开放":
        hard.append(Problem("catalog.personal_information_open", {"level": grade.name}, field="open_attribute"))
    elif needs_release(old, new):
        missing = [name for name in RELEASE_FIELDS if _blank((release or {}).get(name))]
        params = {"item": new.get("code") or "", "level": new.get("sensitivity_level") or "", "article": ART24_25}
        hard += [Problem("catalog.release_missing", params, field=name) for name in missing]
    soft += _findings(old, new, source)
    return hard, soft


def _legal_bar(old: dict | None, new: dict, source: str) -> list[Problem]:
    """Art. 18: data a law bars from sharing stays 不予共享 and 不予开放, whatever a demand or an
    import says; the bar itself goes only by the authority's edit."""
    problems = []
    bar = (old or {}).get("legal_bar")
    if bar and source not in _MAY_LIFT_BAR and (new.get("legal_bar") or None) != bar:
        problems.append(Problem("catalog.legal_bar_kept", {"law": bar, "article": ART18}, field="legal_bar"))
    effective = new.get("legal_bar") if (source in _MAY_LIFT_BAR or not bar) else bar
    if effective:
        if new.get("share_attribute") != "不予共享":
            problems.append(Problem("catalog.legal_bar", {"law": effective, "article": ART18,
                                                          "value": new.get("share_attribute")},
                                    field="share_attribute"))
        if new.get("open_attribute") != "不予开放":
            problems.append(Problem("catalog.legal_bar", {"law": effective, "article": ART18,
                                                          "value": new.get("open_attribute")},
                                    field="open_attribute"))
    return problems


def needs_release(old: dict | None, new: dict) -> bool:
    """True when the change moves data towards opening that needs a desensitisation and consent
    record: data listed 不予开放, or personal or sensitive data opened further (Art. 24 para. 3, 25)."""
    before = (old or {}).get("open_attribute")
    after = new.get("open_attribute")
    if after not in _RANK or after == "不予开放":
        return False
    # A level lowered in the same change does not lift the protection of the level it had.
    protected = any(lv is not None and lv.protected
                    for lv in (level(new.get("sensitivity_level")), level((old or {}).get("sensitivity_level"))))
    if old is None:
        return protected
    if before == "不予开放":
        return True
    return protected and _RANK.get(after, 0) > _RANK.get(before, 0)


def _findings(old: dict | None, new: dict, source: str) -> list[Problem]:
    """Soft findings: what the reviewer should weigh before approving."""
    if old is None:
        return []
    found = []
    for name in ("share_attribute", "open_attribute"):
        before, after = old.get(name), new.get(name)
        if before in _RANK and after in _RANK and _RANK[after] > _RANK[before]:
            found.append(Problem("catalog.loosened", {"before": before, "after": after}, field=name))
    before, after = level(old.get("sensitivity_level")), level(new.get("sensitivity_level"))
    if before and after and after.grade < before.grade:
        found.append(Problem("catalog.level_lowered", {"before": before.name, "after": after.name, "article": ART12},
                             field="sensitivity_level"))
    if old.get("legal_bar") and not new.get("legal_bar") and source in _MAY_LIFT_BAR:
        found.append(Problem("catalog.legal_bar_lifted", {"law": old["legal_bar"], "article": ART18},
                             field="legal_bar"))
    if old.get("source_unit") and new.get("source_unit") != old.get("source_unit"):
        found.append(Problem("catalog.source_unit_changed", {"before": old["source_unit"],
                                                             "after": new.get("source_unit")}, field="source_unit"))
    return found
