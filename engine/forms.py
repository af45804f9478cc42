"""JSON Schema forms: loading them from `forms/` and checking submissions field by field."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import SchemaError

MAX_FORM_BYTES = 256 * 1024


class FormError(ValueError):
    """A form file is missing, outside the forms folder, or not a valid JSON Schema."""


@dataclass(frozen=True)
class FieldError:
    """One field of a submission that failed its form, in English and Chinese."""

    field: str
    message: str
    message_zh: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


def load_form(forms_dir: Path, name: str) -> dict:
    """Read and check the JSON Schema form `name` (a path relative to `forms_dir`).

    Raises:
        FormError: the file is missing, escapes the folder, or is not a valid schema.
    """
    base = forms_dir.resolve()
    path = (base / name).resolve()
    if base not in path.parents:
        raise FormError(f"form '{name}' is outside the forms folder")
    if not path.is_file():
        raise FormError(f"form '{name}' does not exist in the forms folder")
    if path.stat().st_size > MAX_FORM_BYTES:
        raise FormError(f"form '{name}' is larger than {MAX_FORM_BYTES:,} bytes")
    try:
        schema = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise FormError(f"form '{name}' is not valid JSON: {err}") from None
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as err:
        raise FormError(f"form '{name}' is not a valid JSON Schema: {err.message}") from None
    if schema.get("type") != "object":
        raise FormError(f"form '{name}' must describe an object (\"type\": \"object\")")
    return schema


_ZH = {
    "required": "此项为必填项",
    "type": "类型不正确",
    "enum": "取值不在允许范围内",
    "const": "取值不正确",
    "minLength": "内容过短",
    "maxLength": "内容过长",
    "pattern": "格式不正确",
    "format": "格式不正确",
    "minimum": "数值过小",
    "maximum": "数值过大",
    "additionalProperties": "包含表单未定义的字段",
    "minItems": "选择项过少",
    "maxItems": "选择项过多",
}


def _field_of(error) -> str:
    path = [str(p) for p in error.absolute_path]
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else ""
        path.append(missing)
    elif error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = set(error.schema.get("properties", {}))
        path.append(",".join(sorted(k for k in error.instance if k not in known)))
    return ".".join(path) or "(form)"


def compile_form(schema: dict) -> Draft202012Validator:
    """A reusable validator for a form (building one costs more than using it)."""
    return Draft202012Validator(schema, format_checker=FormatChecker())


def check_submission(form: dict | Draft202012Validator, data: object) -> list[FieldError]:
    """Every way `data` fails the form (a schema, or a validator from `compile_form`), one error
    per field, sorted by field."""
    if not isinstance(data, dict):
        return [FieldError("(form)", "the submission must be a JSON object", "提交内容必须是 JSON 对象")]
    validator = form if isinstance(form, Draft202012Validator) else compile_form(form)
    schema = validator.schema
    errors = {}
    for error in validator.iter_errors(data):
        name = _field_of(error)
        if name not in errors:
            title = _title(schema, name)
            zh = _ZH.get(error.validator, "填写不正确")
            if error.validator == "enum":
                zh += "（可选：" + "、".join(map(str, error.validator_value)) + "）"
            errors[name] = FieldError(name, error.message, f"{title}：{zh}" if title else zh)
    return [errors[k] for k in sorted(errors)]


def _title(schema: dict, field_path: str) -> str:
    node = schema
    for part in field_path.split("."):
        node = (node.get("properties") or {}).get(part, {}) if isinstance(node, dict) else {}
    return node.get("title", "") if isinstance(node, dict) else ""
