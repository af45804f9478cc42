"""`pdw catalog`: import and list the public data catalog."""
from __future__ import annotations


import click

from engine.cli.common import emit, friendly, new_uow, read_text_file, require_role, say, warn_all


@click.group("catalog")
def group() -> None:
    """The public data catalog (Art. 13, 19, 25)."""


@group.command("import")
@click.argument("file")
@click.option("--as", "actor", required=True, help="An admin who imports (audit log).")
@friendly
def import_command(file: str, actor: str) -> None:
    """Import FILE.csv; a file with any error imports nothing and every error is listed."""
    from engine.services.catalog import import_csv
    from engine.services.supervision import empty_groups_of_catalog

    path, text = read_text_file(file)
    require_role(actor, "catalog")
    report = import_csv(new_uow(), text, actor=actor, file_name=path.name)
    say("done.catalog_imported", added=report.added, updated=report.updated)
    warn_all(empty_groups_of_catalog(new_uow()))


@group.command("list")
@click.option("--json", "as_json", is_flag=True)
@friendly
def list_command(as_json: bool) -> None:
    """List catalog items."""
    from engine.services.catalog import list_items

    emit(list_items(new_uow()), as_json, lambda rows: "\n".join(
        f"{r['code']}\t{r['name']}\t{r['source_unit']}\t{r['share_attribute']}\t{r['open_attribute']}"
        for r in rows) or "(empty)")
