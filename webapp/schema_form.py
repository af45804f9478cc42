"""JSON Schema forms as HTML fields (the engine reads posted forms back: `engine.forms.RawForm`).

Rendering covers what PDW's forms use: strings (text, textarea, date), enums (select or
radio), integers, numbers, booleans and if/then conditional requirements.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _

from engine.forms import choices
from webapp.terms import current_language, term


@dataclass
class Field:
    """One input of a rendered form."""

    name: str
    label: str
    widget: str  # text | textarea | date | select | radio | number | checkbox | multiselect | catalog
    required: bool = False
    required_when: list[str] = field(default_factory=list)
    description: str = ""
    options: list[tuple[object, str]] = field(default_factory=list)
    value: object = None
    error: str | None = None
    attrs: dict = field(default_factory=dict)
    # Controlling field -> the values under which this field applies (from if/then); empty: always.
    shown_when: dict[str, list] = field(default_factory=dict)


def _options(prop: dict) -> list[tuple[object, str]]:
    if "oneOf" in prop and all("const" in o for o in prop["oneOf"]):
        return [(o["const"], term(o.get("title", str(o["const"])))) for o in prop["oneOf"]]
    items = prop.get("items", {}) if prop.get("type") == "array" else prop
    names = items.get("enumNames") or items.get("x-enumNames") or []
    return [(v, term(names[i] if i < len(names) else str(v))) for i, v in enumerate(choices(prop))]


def label_of(schema: dict | None, name: str) -> str:
    """The title of field `name` in the session's language, or its name."""
    prop = ((schema or {}).get("properties") or {}).get(name) or {}
    return term(prop.get("title")) or name


def display(schema: dict | None, name: str, value) -> str:
    """A stored value as a person reads it: enum labels instead of codes, ✓/✗ for booleans."""
    prop = ((schema or {}).get("properties") or {}).get(name) or {}
    labels = dict((str(v), t) for v, t in _options(prop))
    if isinstance(value, bool):
        return labels.get(str(value), "✓" if value else "✗")
    if isinstance(value, list):
        return ("、" if current_language() == "zh" else ", ").join(labels.get(str(v), str(v)) for v in value)
    if value is None:
        return ""
    return labels.get(str(value), str(value))


def _conditions(schema: dict) -> dict[str, list[str]]:
    """Field name -> readable conditions under which an if/then makes it required."""
    found: dict[str, list[str]] = {}
    clauses = [schema] + list(schema.get("allOf", []))
    for clause in clauses:
        if "if" not in clause or "then" not in clause:
            continue
        parts = []
        for name, test in (clause["if"].get("properties") or {}).items():
            values = [test["const"]] if "const" in test else test.get("enum", [])
            shown = _("、").join(_("「%(value)s」", value=display(schema, name, v)) for v in values)
            parts.append(_("「%(field)s」为%(values)s", field=label_of(schema, name), values=shown))
        for name in clause["then"].get("required", []):
            found.setdefault(name, []).append(_("，").join(parts))
    return found


def _shown_when(schema: dict) -> dict[str, dict[str, list]]:
    """Field name -> {controlling field: values} for fields an if/then clause requires, so a page
    can show a decision's own fields only (approve: the scope granted; refuse: reasons and basis)."""
    found: dict[str, dict[str, list]] = {}
    for clause in [schema] + list(schema.get("allOf", [])):
        if "if" not in clause or "then" not in clause:
            continue
        tests = clause["if"].get("properties") or {}
        if len(tests) != 1:
            continue  # a field needed under a combination of answers stays shown
        (name, test), = tests.items()
        values = [test["const"]] if "const" in test else list(test.get("enum", []))
        for required in clause["then"].get("required", []):
            found.setdefault(required, {}).setdefault(name, [])
            found[required][name] += [str(v) for v in values]
    return found


def _widget(prop: dict) -> str:
    kind = prop.get("type")
    if prop.get("x-widget") == "catalog":
        return "catalog"  # a catalog code, typed or picked from the catalog by name
    if kind == "array":
        return "multiselect"
    if _options(prop):
        return "radio" if len(_options(prop)) <= 4 else "select"
    if kind == "boolean":
        return "checkbox"
    if kind in ("integer", "number"):
        return "number"
    if prop.get("format") == "date":
        return "date"
    if prop.get("format") == "textarea" or prop.get("x-widget") == "textarea" or prop.get("maxLength", 0) > 200:
        return "textarea"
    return "text"


def fields(schema: dict | None, values: dict | None = None, errors: dict[str, str] | None = None,
           catalog: list[tuple[str, str]] | None = None) -> list[Field]:
    """The inputs of `schema` in declaration order, filled with `values` and marked with `errors`;
    a catalog field offers `catalog` ((code, label) pairs) to pick from."""
    if not schema:
        return []
    values, errors = values or {}, errors or {}
    required = set(schema.get("required", []))
    conditional = _conditions(schema)
    shown_when = _shown_when(schema)
    out = []
    for name, prop in (schema.get("properties") or {}).items():
        if prop.get("readOnly"):
            continue
        attrs = {}
        for key, attr in (("minLength", "minlength"), ("maxLength", "maxlength"), ("minimum", "min"),
                          ("maximum", "max"), ("pattern", "pattern")):
            if key in prop:
                attrs[attr] = prop[key]
        if prop.get("type") == "number":
            attrs["step"] = "any"
        out.append(Field(name=name, label=label_of(schema, name), widget=_widget(prop),
                         required=name in required, required_when=conditional.get(name, []),
                         description=term(prop.get("description", "")),
                         options=list(catalog or []) if prop.get("x-widget") == "catalog" else _options(prop),
                         value=values.get(name, prop.get("default")), error=errors.get(name), attrs=attrs,
                         shown_when=shown_when.get(name, {})))
    return out
