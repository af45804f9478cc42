"""The authority's review of catalog change proposals; each view calls one engine service."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engine import catalog_rules, governance, permissions
from engine.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from engine.services import catalog_changes
from webapp.catalog import bp
from webapp.engine import get_engine, new_uow
from webapp.errors import describe, language
from webapp.security import login_required

STATUSES = (*catalog_changes.STATUSES, "all")


def _may_decide() -> bool:
    return governance.may_decide_catalog(g.user, get_engine().config.competent_department)


@bp.app_context_processor
def _proposals_link():
    # The main navigation shows the review to those who may read proposals.
    def may_read_catalog_proposals() -> bool:
        return g.get("user") is not None and (_may_decide() or permissions.may_administer(g.user.roles, "catalog"))
    return {"may_read_catalog_proposals": may_read_catalog_proposals}


@bp.route("/proposals")
@login_required
def proposals():
    """The catalog change proposals with a status (held by default), old -> new per attribute."""
    status = request.args.get("status") if request.args.get("status") in STATUSES else catalog_changes.HELD
    rows = catalog_changes.proposals(new_uow(), g.user.name, None if status == "all" else status)
    lang = language()
    labels = {name: label[lang if lang == "zh" else "en"] for name, label in catalog_rules.LABELS.items()}
    words = {name: word[lang if lang == "zh" else "en"] for name, word in catalog_changes.STATUS_WORDS.items()}
    return render_template("catalog/proposals.html", rows=rows, status=status, labels=labels, words=words,
                           may_decide=_may_decide(), lang=lang)


@bp.route("/proposals/<int:proposal_id>/approve", methods=("POST",))
@login_required
def approve(proposal_id: int):
    """Approve one proposal: its changes go live, audited."""
    return _decide(lambda: catalog_changes.approve(new_uow(), g.user.name, proposal_id, request.form.get("reason")),
                   _("已批准目录变更 %(proposal)d，已生效。", proposal=proposal_id))


@bp.route("/proposals/<int:proposal_id>/refuse", methods=("POST",))
@login_required
def refuse(proposal_id: int):
    """Refuse one proposal with a reason; the catalog does not change."""
    return _decide(lambda: catalog_changes.refuse(new_uow(), g.user.name, proposal_id, request.form.get("reason", "")),
                   _("已不予批准目录变更 %(proposal)d，目录未变。", proposal=proposal_id))


def _decide(decision, done: str):
    """Run a decision on a proposal and flash what came of it; back to the list."""
    try:
        decision()
    except InvalidInput as err:
        flash("；".join([describe(err), *err.field_texts(language()).values()]), "error")
    except (NotFound, Conflict) as err:
        flash(describe(err), "error")
    except PermissionDenied as err:
        if not _may_decide():
            raise
        flash(describe(err), "error")  # their own proposal
    else:
        flash(done, "success")
    return redirect(url_for("catalog.proposals"))
