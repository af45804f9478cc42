"""`pdw catalog`: propose changes to the public data catalog, review them, and list it."""
from __future__ import annotations

import json
import sys

import click

from engine.cli.common import ID, emit, friendly, language, new_uow, read_text_file, require_role, say, warn_all
from engine.messages import render


@click.group("catalog")
def group() -> None:
    """The public data catalog (Articles 13, 19, 25): every change a proposal the authority reviews."""


def _problem_lines(problems, lang: str, prefix: str = "    ") -> list[str]:
    return [f"{prefix}{p.field + ': ' if p.field else ''}{p.text(lang)}" for p in problems]


@group.command("import")
@click.argument("file")
@click.option("--as", "actor", required=True, help="An admin who proposes the file's changes (audit log).")
@friendly
def import_command(file: str, actor: str) -> None:
    """Propose the items of FILE.csv line by line: each is held for the authority's review or
    refused at once naming the rule it breaks; nothing is live until approved."""
    from engine.services.catalog import import_csv
    from engine.services.catalog_changes import STATUS_WORDS
    from engine.services.supervision import empty_groups_of_catalog

    path, text = read_text_file(file)
    require_role(actor, "catalog")
    report = import_csv(new_uow(), text, actor=actor, file_name=path.name)
    lang = language()
    for line in report.lines:
        say("done.catalog_proposed", where={"zh": f"第 {line.line} 行", "en": f"line {line.line}"},
            item=line.code or "-", status=STATUS_WORDS[line.status],
            proposal=f" #{line.proposal}" if line.proposal else "")
        for text_line in _problem_lines(line.problems, lang) + _problem_lines(line.findings, lang, "    ? "):
            click.echo(text_line)
    say("done.catalog_imported", held=report.count("held"), refused=report.count("refused"),
        unchanged=report.count("unchanged"))
    warn_all(empty_groups_of_catalog(new_uow()))
    if report.count("refused"):
        sys.exit(1)  # a script sees that some line changed nothing; the rest are held all the same


@group.command("list")
@click.option("--json", "as_json", is_flag=True)
@friendly
def list_command(as_json: bool) -> None:
    """List catalog items."""
    from engine.services.catalog import list_items

    emit(list_items(new_uow()), as_json, lambda rows: "\n".join(
        f"{r['code']}\t{r['name']}\t{r['source_unit']}\t{r['share_attribute']}\t{r['open_attribute']}"
        for r in rows) or "(empty)")


@group.command("proposals")
@click.option("--as", "actor", required=True, help="A reviewer or department head of the authority, or an admin.")
@click.option("--status", type=click.Choice(["held", "approved", "refused", "all"]), default="held",
              show_default=True)
@click.option("--json", "as_json", is_flag=True)
@friendly
def proposals_command(actor: str, status: str, as_json: bool) -> None:
    """List catalog change proposals, old -> new per attribute."""
    from engine.services.catalog_changes import STATUS_WORDS, proposals

    rows = proposals(new_uow(), actor, None if status == "all" else status)
    if as_json:
        click.echo(json.dumps([{**r, "problems": [p.to_dict(language()) for p in r["problems"]],
                                "findings": [p.to_dict(language()) for p in r["findings"]]} for r in rows],
                              ensure_ascii=False, indent=2, default=str))
        return
    lang = language()
    if not rows:
        click.echo("(none)")
    for r in rows:
        status_word = render("done.catalog_decided", {"proposal": r["id"], "item": r["catalog_item"],
                                                      "status": STATUS_WORDS[r["status"]]}, lang)
        click.echo(f"{status_word}  {r['source_kind']} {r['source']}  {r['proposed_by']}  "
                   f"{r['proposed_at']:%Y-%m-%d %H:%M}")
        for change in r["changes"]:
            click.echo(f"    {change['attribute']}: {change['old'] or '-'} -> {change['new'] or '-'}")
        for text_line in _problem_lines(r["problems"], lang, "    ! ") + _problem_lines(r["findings"], lang, "    ? "):
            click.echo(text_line)
        if r["decision_reason"] and r["status"] != "held":
            click.echo(f"    {r['decided_by']}: {r['decision_reason']}")


@group.command("approve")
@click.argument("proposal_id", type=ID)
@click.option("--as", "actor", required=True, help="The authority's reviewer or department head, or an admin, "
                                                   "who did not propose it.")
@click.option("--reason", default=None)
@friendly
def approve_command(proposal_id: int, actor: str, reason: str | None) -> None:
    """Approve a held proposal: its changes go live, audited."""
    from engine.services.catalog_changes import STATUS_WORDS, approve

    done = approve(new_uow(), actor, proposal_id, reason)
    say("done.catalog_decided", proposal=proposal_id, item=done["catalog_item"], status=STATUS_WORDS["approved"])


@group.command("refuse")
@click.argument("proposal_id", type=ID)
@click.option("--as", "actor", required=True, help="The authority's reviewer or department head, or an admin, "
                                                   "who did not propose it.")
@click.option("--reason", required=True)
@friendly
def refuse_command(proposal_id: int, actor: str, reason: str) -> None:
    """Refuse a held proposal with a reason; the catalog does not change."""
    from engine.services.catalog_changes import STATUS_WORDS, refuse

    done = refuse(new_uow(), actor, proposal_id, reason)
    say("done.catalog_decided", proposal=proposal_id, item=done["catalog_item"], status=STATUS_WORDS["refused"])


@group.command("edit")
@click.argument("code")
@click.option("--set", "settings", multiple=True, metavar="ATTRIBUTE=VALUE",
              help="An attribute and its new value (empty to clear); repeat for more; also the release record "
                   "(desensitisation, consent_holders, consent_date, consent_evidence).")
@click.option("--as", "actor", required=True, help="An admin who proposes the edit.")
@friendly
def edit_command(code: str, settings: tuple[str, ...], actor: str) -> None:
    """Propose changing item CODE (or adding it) for the authority's review."""
    from engine.catalog_rules import RELEASE_FIELDS
    from engine.errors import InvalidInput, Problem
    from engine.services.catalog_changes import STATUS_WORDS, edit, release_of

    values, bad = {}, []
    for setting in settings:
        name, eq, value = setting.partition("=")
        if not eq:
            bad.append(Problem("catalog.attribute_name_unknown", {"name": setting, "allowed": "ATTRIBUTE=VALUE"},
                               field="--set"))
        values[name.strip()] = value
    if bad:
        raise InvalidInput("catalog.not_proposed", bad, count=len(bad))
    release = release_of(values)
    values = {k: v for k, v in values.items() if k not in RELEASE_FIELDS}
    done = edit(new_uow(), actor, code, values, release)
    where = {"zh": "修订", "en": "edit"}
    if done["id"] is None:
        say("done.catalog_proposed", where=where, item=code, status=STATUS_WORDS["unchanged"], proposal="")
        return
    say("done.catalog_proposed", where=where, item=code, status=STATUS_WORDS[done["status"]],
        proposal=f" #{done['id']}")
    lang = language()
    for text_line in _problem_lines(done["problems"], lang) + _problem_lines(done["findings"], lang, "    ? "):
        click.echo(text_line)
