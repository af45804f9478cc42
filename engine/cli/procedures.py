"""`pdw procedures show`: what a procedure's start form asks for, with a payload it accepts."""
from __future__ import annotations

import json

import click

from engine.cli.common import emit, friendly, new_uow


@click.group("procedures")
def group() -> None:
    """The procedures one may apply through."""


def field_line(f: dict) -> str:
    """One form field as `tasks show` and `procedures show` print it: name, type, whether required."""
    allowed = f" one of: {', '.join(map(str, f['choices']))}" if f["choices"] else ""
    kind = f["type"] + (f" ({f['format']})" if f["format"] else "")
    if f["required"]:
        need = "required"
    elif f.get("required_when"):
        need = "required if " + " or ".join(f["required_when"])
    else:
        need = "optional"
    return f"  {f['name']}\t{kind}\t{need}\t{f['title']}{allowed}"


@group.command("show")
@click.argument("process_id")
@click.option("--as", "actor", required=True, help="Who would apply: the form as this user may start it.")
@click.option("--json", "as_json", is_flag=True)
@friendly
def show_command(process_id: str, actor: str, as_json: bool) -> None:
    """Show a procedure's start form: each field with its type and whether it is required, and an
    example payload for `pdw instances start --data`."""
    from engine.services.procedures import describe

    def text(d: dict) -> str:
        lines = [f"{d['process_id']}\t{d['name']}", "fields:", *map(field_line, d["fields"]),
                 "example --data:", "  " + json.dumps(d["example"], ensure_ascii=False)]
        return "\n".join(lines)

    emit(describe(new_uow(), process_id, actor=actor), as_json, text)
