"""JSON Schema forms: loading them from `forms/` and checking submissions field by field.

A form is written by a designer, so it is untrusted input to the server: a form may refer only
to itself (`$ref` to `#...`), its validators are built on a `referencing` registry that
retrieves nothing, so no stored form can make the server open a URL or a file, and its
`pattern`s run on RE2, whose matching time is linear in the input, so none can hold a request.
"""
from __future__ import annotations

import json
from datetime import date
import unicodedata
from datetime import date
from functools import lru_cache
from pathlib import Path

import re2
from jsonschema import Draft202012Validator, FormatChecker, ValidationError, validators
from jsonschema.exceptions import SchemaError
from referencing import Registry
from referencing.exceptions import NoSuchResource, Unresolvable

from engine.access import Audience, validate_readers
from engine.errors import PdwError, Problem

MAX_FORM_BYTES = 256 * 1024
# The keywords whose value is a reference; only a reference into the form itself is allowed.
_REFERENCES = ("$ref", "$dynamicRef")
# Keywords that match property names with Python's backtracking `re` inside jsonschema itself
# (additionalProperties and unevaluatedProperties read them too): a form's fields are named, so
# forms have no use for them and they are refused rather than half-guarded.
_REFUSED_KEYWORDS = ("patternProperties",)


def _retrieve_nothing(uri: str):
    """What the registry does for a reference outside the form: refuse, never fetch or open."""
    raise NoSuchResource(ref=uri)


# jsonschema's default registry would retrieve `http://` and `file://` references with urllib.
NO_RETRIEVAL = Registry(retrieve=_retrieve_nothing)

_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False


@lru_cache(maxsize=512)
def _regex(pattern: str):
    return re2.compile(pattern, _RE2_OPTIONS)


def pattern_problem(pattern: str) -> str | None:
    """Why RE2 cannot run `pattern` (a backreference, a lookaround, too large a repetition), or None."""
    try:
        _regex(pattern)
    except re2.error as err:
        detail = err.args[0] if err.args else err
        return detail.decode("utf-8", "replace") if isinstance(detail, bytes) else str(detail)
    return None


def has_control_characters(text: str) -> bool:
    """True when `text` holds a control, format or line/paragraph separator character: such a
    character in a name breaks (or forges) the header, file name or e-mail it reaches."""
    return any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in text)


def _pattern(validator, pattern, instance, schema):
    if validator.is_type(instance, "string") and not _regex(pattern).search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


# Draft 2020-12 with `pattern` matched by RE2 instead of `re`.
FormValidator = validators.extend(Draft202012Validator, {"pattern": _pattern})


class FormError(PdwError):
    """A form file is missing, outside the forms folder, or not a valid JSON Schema."""


class RawForm(dict):
    """A submission as an HTML form posts it: each field name with its list of strings.

    The engine reads it against the step's form (`read_raw_form`) in the same transaction that
    checks and uses it, so an entry point needs no second read to learn the form's types.
    """


def load_form(forms_dir: Path, name: str) -> dict:
    """Read and check the JSON Schema form `name` (a path relative to `forms_dir`).

    Raises:
        FormError: the file is missing, escapes the folder, or is not a valid schema.
    """
    base = forms_dir.resolve()
    path = (base / name).resolve()
    if base not in path.parents:
        raise FormError("form.outside", form=name)
    if not path.is_file():
        raise FormError("form.missing", form=name)
    if path.stat().st_size > MAX_FORM_BYTES:
        raise FormError("form.too_large", form=name, limit=f"{MAX_FORM_BYTES:,}")
    try:
        schema = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise FormError("form.not_json", form=name, detail=str(err)) from None
    return check_form(name, schema)


def check_form(name: str, schema: object) -> dict:
    """`schema` if it is a JSON Schema of an object, as every PDW form must be.

    Raises:
        FormError: it is not a valid JSON Schema, or not one of an object.
    """
    if not isinstance(schema, dict):
        raise FormError("form.not_object_schema", form=name)
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as err:
        raise FormError("form.not_schema", form=name, detail=err.message) from None
    if schema.get("type") != "object":
        raise FormError("form.not_object_schema", form=name)
    if has_control_characters(name):
        raise FormError("form.name_control", form=name.encode("unicode_escape").decode("ascii"))
    _check_untrusted(name, schema, [])
    unknown = validate_readers(schema)
    if unknown:
        # Who reads a field is engine.access's to decide: an audience it does not know reads nothing.
        raise FormError("form.readers_unknown", form=name, fields=", ".join(unknown),
                        known=", ".join(a.value for a in Audience))
    return schema


def _check_untrusted(name: str, node: object, path: list[str]) -> None:
    """Refuse what a form may not hold, naming the form and the place (field) in it."""
    if isinstance(node, list):
        for index, item in enumerate(node):
            _check_untrusted(name, item, path + [str(index)])
        return
    if not isinstance(node, dict):
        return
    where = "/".join(path) or "(form)"
    for keyword in _REFERENCES:
        ref = node.get(keyword)
        if ref is not None and (not isinstance(ref, str) or not ref.startswith("#")):
            raise FormError("form.ref_outside", form=name, field=where, ref=str(ref)[:80])
    for keyword in _REFUSED_KEYWORDS:
        if keyword in node:
            raise FormError("form.keyword_refused", form=name, field=where, keyword=keyword)
    pattern = node.get("pattern")
    if isinstance(pattern, str) and (why := pattern_problem(pattern)) is not None:
        raise FormError("form.pattern_unsupported", form=name, field=where, pattern=pattern[:80], detail=why)
    title = node.get("title")
    if isinstance(title, str) and has_control_characters(title):
        raise FormError("form.title_control", form=name, field=where)
    for key, value in node.items():
        if key not in ("enum", "const", "default", "examples"):
            _check_untrusted(name, value, path + [str(key)])


# The keywords PDW's forms use have their own message; any other gets form.invalid.
_KEYWORDS = {"required", "type", "enum", "const", "minLength", "maxLength", "pattern", "format", "minimum",
             "maximum", "additionalProperties", "minItems", "maxItems"}


def _fields_of(error) -> list[str]:
    # Read from the schema and the data, never from jsonschema's wording: a `required` error
    # stands for every property its object lacks.
    path = [str(p) for p in error.absolute_path]
    if error.validator == "required" and isinstance(error.instance, dict):
        return [".".join(path + [str(name)]) for name in error.validator_value if name not in error.instance]
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = set(error.schema.get("properties", {}))
        path.append(",".join(sorted(k for k in error.instance if k not in known)))
    return [".".join(path) or "(form)"]


def compile_form(schema: dict) -> Draft202012Validator:
    """A reusable validator for a form (building one costs more than using it): RE2 patterns,
    and a registry that retrieves nothing, whatever the form (stored before these rules) says."""
    return FormValidator(schema, format_checker=FormatChecker(), registry=NO_RETRIEVAL)


def check_submission(form: dict | Draft202012Validator, data: object) -> list[Problem]:
    """Every way `data` fails the form (a schema, or a validator from `compile_form`), one problem
    per field, sorted by field; each names the field and carries its title as `label`."""
    if not isinstance(data, dict):
        return [Problem("form.not_object", field="(form)")]
    validator = compile_form(form) if isinstance(form, dict) else form
    schema = validator.schema
    problems: dict[str, Problem] = {}
    try:
        errors = list(validator.iter_errors(data))
    except (Unresolvable, re2.error):
        # Only a form stored before forms were checked for these can get here.
        return [Problem("form.unusable", field="(form)")]
    for error in errors:
        keyword = error.validator if error.validator in _KEYWORDS else "invalid"
        for name in _fields_of(error):
            if name in problems:
                continue
            params = {"label": _title(schema, name) or name}
            if keyword == "enum":
                params["allowed"] = [str(v) for v in error.validator_value]
            elif keyword == "type":
                params["expected"] = error.validator_value
            elif keyword in ("minLength", "maxLength", "pattern", "format", "minimum", "maximum", "minItems",
                             "maxItems"):
                params["limit"] = error.validator_value
            problems[name] = Problem(f"form.{keyword}", params, field=name)
    return [problems[k] for k in sorted(problems)]


# A field marked `"x-actDate": true` states the day the act the step records was done (a measure
# taken, a record corrected). It is data shown beside the engine's record, never the reply's time:
# the statutory clock records that when the step is completed (engine.services.statutory). So the
# stated day is only checked to be possible: not before receipt, not after the engine's today.
ACT_DATE = "x-actDate"


def act_date_problems(schema: dict | None, data: dict, *, received_on: date, today: date) -> list[Problem]:
    """A problem for every act date in `data` (fields marked `x-actDate`) before `received_on`
    or after `today`, naming the field; dates that do not parse are the format check's."""
    problems = []
    for name, prop in ((schema or {}).get("properties") or {}).items():
        if not (isinstance(prop, dict) and prop.get(ACT_DATE)) or not isinstance(data.get(name), str):
            continue
        try:
            stated = date.fromisoformat(data[name])
        except ValueError:
            continue
        label = prop.get("title") or name
        if stated < received_on:
            problems.append(Problem("form.act_date_before_receipt", {"label": label, "value": data[name],
                                                                     "received": received_on.isoformat()}, field=name))
        elif stated > today:
            problems.append(Problem("form.act_date_in_future", {"label": label, "value": data[name],
                                                                "today": today.isoformat()}, field=name))
    return problems


def act_dates(schema: dict | None, data: dict) -> dict[str, str]:
    """The act dates `data` states, by field title: what a page shows beside the recorded instant."""
    return {(prop.get("title") or name): data[name]
            for name, prop in ((schema or {}).get("properties") or {}).items()
            if isinstance(prop, dict) and prop.get(ACT_DATE) and isinstance(data.get(name), str)}


# Built once: json.dumps with an option builds an encoder per call.
_TEXT_CHECK = json.JSONEncoder(ensure_ascii=False)


def text_problems(data: object) -> list[Problem]:
    """A problem for every string in `data` (keys included) that is not valid Unicode, such as
    a lone surrogate from a JSON escape: no database can store it, and no script may see it."""
    try:
        # Encoding the whole submission at once is the quick check; only a failure is walked.
        _TEXT_CHECK.encode(data).encode("utf-8")
        return []
    except UnicodeEncodeError:
        return _text_problems(data, "")
    except (TypeError, ValueError):
        return _text_problems(data, "")


def _text_problems(data: object, path: str) -> list[Problem]:
    problems: list[Problem] = []
    if isinstance(data, str):
        try:
            data.encode("utf-8")
        except UnicodeEncodeError:
            problems.append(Problem("data.not_unicode", {"field": path or "(data)"}, field=path or "(data)"))
    elif isinstance(data, dict):
        for key, value in data.items():
            where = f"{path}.{key}" if path else str(key)
            problems += _text_problems(key, where) + _text_problems(value, where)
    elif isinstance(data, list):
        for index, value in enumerate(data):
            problems += _text_problems(value, f"{path}[{index}]")
    return problems


def read_raw_form(schema: dict | None, posted: RawForm) -> dict:
    """The posted fields as data for `schema`: empty inputs left out, numbers, booleans and
    choices typed by the schema. A number that does not parse is kept as text, so the form's own
    check names the field."""
    data: dict = {}
    for name, prop in ((schema or {}).get("properties") or {}).items():
        if prop.get("readOnly"):
            continue
        values = [v for v in posted.get(name, []) if isinstance(v, str)]
        kind = prop.get("type")
        options = {str(v): v for v in choices(prop)}
        if kind == "array":
            if values:
                data[name] = [options.get(v, v) for v in values]
        elif kind == "boolean":
            data[name] = bool(values) and values[0] in ("on", "true", "1", "yes")
        elif values and values[0].strip():
            raw = values[0].strip()
            data[name] = options[raw] if raw in options else _typed(kind, raw)
    return data


def choices(prop: dict) -> list:
    """The values a field allows (its enum, its items' enum, or its oneOf consts), in order."""
    if "oneOf" in prop and all("const" in o for o in prop["oneOf"]):
        return [o["const"] for o in prop["oneOf"]]
    items = prop.get("items", {}) if prop.get("type") == "array" else prop
    return list(items.get("enum", []))


def _typed(kind: str | None, raw: str):
    try:
        if kind == "integer":
            return int(raw)
        if kind == "number":
            return float(raw)
    except ValueError:
        pass
    return raw


def _title(schema: dict, field_path: str) -> str:
    node = schema
    for part in field_path.split("."):
        node = (node.get("properties") or {}).get(part, {}) if isinstance(node, dict) else {}
    return node.get("title", "") if isinstance(node, dict) else ""


def fields_of(schema: dict | None) -> list[dict]:
    """The top-level fields a form asks for, in order: name, title, type, required and the allowed
    values, as the command line and the API list them for someone filling the form by hand."""
    if not schema:
        return []
    required = set(schema.get("required") or [])
    when = _required_when(schema)
    return [{"name": name, "title": prop.get("title", ""), "type": prop.get("type", ""),
             "required": name in required, "required_when": when.get(name, []), "choices": choices(prop),
             "format": prop.get("format")}
            for name, prop in (schema.get("properties") or {}).items() if isinstance(prop, dict)]


def _required_when(schema: dict) -> dict[str, list[str]]:
    # `allOf: [{if: {properties: {F: {const: V}}}, then: {required: [...]}}]` makes fields required
    # for one answer only; listing them as plain "optional" sent people to a refusal.
    found: dict[str, list[str]] = {}
    for part in schema.get("allOf") or []:
        if not isinstance(part, dict) or not isinstance(part.get("if"), dict):
            continue
        conditions = [f"{field}={spec['const']}" for field, spec in (part["if"].get("properties") or {}).items()
                      if isinstance(spec, dict) and "const" in spec]
        then = part.get("then") if isinstance(part.get("then"), dict) else {}
        for name in then.get("required") or []:
            found.setdefault(name, []).extend(conditions)
    return found


def example_of(schema: dict | None, *, today: date, catalog_code: str | None = None) -> dict:
    """A payload the form accepts, for documentation: each required field (and each field required
    for the first allowed answer) with its first allowed value, a date a year from `today`, the
    catalog code given for a catalog field, or text naming the field."""
    if not schema:
        return {}
    props = {n: p for n, p in (schema.get("properties") or {}).items() if isinstance(p, dict)}
    wanted = list(schema.get("required") or [])
    payload: dict = {}
    for name in wanted:
        if name in props:
            payload[name] = _example_value(name, props[name], today, catalog_code)
    for name, conditions in _required_when(schema).items():
        if name in props and name not in payload and all(
                str(payload.get(c.partition("=")[0])) == c.partition("=")[2] for c in conditions):
            payload[name] = _example_value(name, props[name], today, catalog_code)
    return payload


def _example_value(name: str, prop: dict, today: date, catalog_code: str | None):
    if "examples" in prop and prop["examples"]:
        return prop["examples"][0]
    allowed = choices(prop)
    kind = prop.get("type")
    if allowed:
        return allowed if kind == "array" else allowed[0]
    if prop.get("x-widget") == "catalog" and catalog_code:
        return catalog_code
    if prop.get("format") == "date":
        return today.replace(year=today.year + 1, day=min(today.day, 28)).isoformat()
    if prop.get("format") == "date-time":
        return f"{today.replace(year=today.year + 1, day=min(today.day, 28)).isoformat()}T09:00:00+08:00"
    if kind == "integer":
        return max(1, int(prop.get("minimum", 1)))
    if kind == "number":
        return max(1, prop.get("minimum", 1))
    if kind == "boolean":
        return True
    if kind == "array":
        return []
    if kind == "object":
        return {}
    return prop.get("title") or name
