"""Designer pages and the JSON the modeler, the form editor and the application diagram talk to."""
from __future__ import annotations

import json

from flask import abort, flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import generate_csrf

from engine.permissions import may_design
from engine.errors import Conflict, InvalidInput, NotFound, PdwError, PermissionDenied
from engine.forms import FormError
from engine.services import changes, designer, diagram, versions
from webapp import downloads, schema_form
from webapp.designer import bp
from webapp.engine import new_uow
from webapp.errors import describe, language
from webapp.security import login_required
from webapp.terms import term


def _problems(problems) -> list[dict]:
    return [p.to_dict(language()) for p in problems]


def _refused(err: PdwError, status: int):
    body = {"error": err.to_dict(language())}
    if isinstance(err, InvalidInput):
        body["problems"] = _problems(err.problems)
    return jsonify(body), status


def _posted_file() -> tuple[str, bytes, dict | None]:
    """The file name, BPMN text and draft forms of a JSON request from the modeler."""
    body = request.get_json(silent=True) or {}
    forms = body.get("forms")
    return str(body.get("file_name") or "process.bpmn"), str(body.get("xml") or "").encode("utf-8"), \
        forms if isinstance(forms, dict) else None


@bp.route("/")
@login_required
def index():
    """Every process with its versions, instances per version and draft; upload a file."""
    return render_template("designer/index.html", processes=designer.processes(new_uow(), g.user.name))


@bp.route("/upload", methods=("POST",))
@login_required
def upload():
    """Keep an uploaded .bpmn file as its process's draft and open it in the modeler."""
    if not may_design(g.user.roles):
        # Refused before what was sent is looked at, as designer.save_draft refuses.
        abort(403)
    file = request.files.get("file")
    if file is None or not file.filename:
        flash(_("请选择要上传的 .bpmn 文件。"), "error")
        return redirect(url_for("designer.index"))
    try:
        saved = designer.save_draft(new_uow(), g.user.name, file.filename, file.read())
    except InvalidInput as err:
        flash(describe(err) + " " + "；".join(p.text(language()) for p in err.problems), "error")
        return redirect(url_for("designer.index"))
    flash(_("已上传为流程 %(process)s 的草稿。", process=saved["process_id"]), "success")
    return redirect(url_for("designer.modeler", process_id=saved["process_id"]))


@bp.route("/processes/<process_id>/edit")
@login_required
def modeler(process_id: str):
    """The modeler with PDW's properties panel, on the draft, a chosen version or the newest one."""
    version = request.args.get("version", type=int)
    opened = designer.open_file(new_uow(), g.user.name, process_id, version)
    setup = {
        "processId": process_id, "csrf": generate_csrf(), "fileName": opened["file_name"], "version": opened["version"],
        "baseVersion": opened["base_version"], "forms": opened["forms"],
        "palette": designer.palette(new_uow(), g.user.name),
        "urls": {"validate": url_for("designer.validate"), "draft": url_for("designer.save_draft"),
                 "deploy": url_for("designer.deploy"), "preview": url_for("designer.preview"),
                 "process": url_for("designer.process", process_id=process_id),
                 "form": url_for("designer.form_editor", process_id=process_id)},
    }
    return render_template("designer/modeler.html", opened=opened, setup=setup, xml=opened["xml"])


@bp.route("/processes/<process_id>")
@login_required
def process(process_id: str):
    """One process: its versions with who deployed them and their instances, its draft, compare and migrate."""
    found = [p for p in designer.processes(new_uow(), g.user.name) if p["process_id"] == process_id]
    if not found:
        return render_template("error.html", title=_("未找到"), message=_("您要找的页面或记录不存在。")), 404
    return render_template("designer/process.html", process=found[0])


@bp.route("/processes/<process_id>/versions/<int:version>.bpmn")
@bp.route("/processes/<process_id>/draft.bpmn", defaults={"version": None})
@login_required
def download(process_id: str, version: int | None):
    """A version's (or the draft's) .bpmn file."""
    opened = designer.open_file(new_uow(), g.user.name, process_id, version)
    if version is None and opened["version"] is not None:
        return render_template("error.html", title=_("未找到"), message=_("您要找的页面或记录不存在。")), 404
    name = opened["file_name"] if opened["file_name"].endswith(".bpmn") else f"{process_id}.bpmn"
    return downloads.send_bytes(opened["xml"].encode("utf-8"), name, "application/xml")


@bp.route("/validate", methods=("POST",))
@login_required
def validate():
    """Every problem and warning of the modeler's file, as JSON with element ids."""
    name, content, forms = _posted_file()
    try:
        found = designer.check(new_uow(), g.user.name, name, content, forms)
    except InvalidInput as err:
        return _refused(err, 422)
    return jsonify({"problems": _problems(found["problems"]), "warnings": _problems(found["warnings"]),
                    "processes": found["processes"]})


@bp.route("/draft", methods=("POST",))
@login_required
def save_draft():
    """Keep the modeler's file as its process's draft."""
    name, content, forms = _posted_file()
    base = (request.get_json(silent=True) or {}).get("base_version")
    try:
        saved = designer.save_draft(new_uow(), g.user.name, name, content, forms=forms,
                                    base_version=base if isinstance(base, int) else None)
    except InvalidInput as err:
        return _refused(err, 422)
    return jsonify({"process_id": saved["process_id"], "saved_at": saved["saved_at"].isoformat(),
                    "saved_by": saved["saved_by"]})


@bp.route("/deploy", methods=("POST",))
@login_required
def deploy():
    """Propose the modeler's file as a new version, live once another person approves it; the
    answer lists every problem when it is refused."""
    name, content, forms = _posted_file()
    try:
        deployed = designer.deploy(new_uow(), g.user.name, name, content, forms)
    except InvalidInput as err:
        return _refused(err, 422)
    for d in deployed:
        flash(_("已提交 %(process)s 版本 %(version)d，待审批人批准后生效。", process=d.process_id, version=d.version)
              if d.created else
              _("%(process)s 与版本 %(version)d 相同，未产生新版本。", process=d.process_id, version=d.version),
              "success")
    first = deployed[0]
    return jsonify({"deployed": [{"process_id": d.process_id, "version": d.version, "created": d.created,
                                  "status": d.status} for d in deployed],
                    "next": url_for("designer.review", process_id=first.process_id, version=first.version)})


@bp.route("/preview", methods=("POST",))
@login_required
def preview():
    """What proposing the modeler's file would change against the live version, and which running
    applications it affects, for the confirmation before proposing; changes nothing."""
    name, content, forms = _posted_file()
    try:
        shown = changes.preview(new_uow(), g.user.name, name, content, forms)
    except InvalidInput as err:
        return _refused(err, 422)
    return jsonify({"processes": shown})


@bp.route("/changes")
@login_required
def pending():
    """The proposed versions and migrations waiting for a decision."""
    return render_template("designer/changes.html", pending=changes.pending(new_uow(), g.user.name))


@bp.route("/processes/<process_id>/versions/<int:version>/review")
@login_required
def review(process_id: str, version: int):
    """A proposed version as its approver sees it: what changes, old and new values, the
    capabilities it declares, its validation and the applications running on the live version."""
    shown = changes.review(new_uow(), g.user.name, process_id, version)
    return render_template("designer/review.html", shown=shown, problems=_problems(shown["problems"]),
                           warnings=_problems(shown["warnings"]))


def _refuse_unless_own(err: PdwError) -> None:
    """A refusal is told on the review page to those who read it (designers, and approvers
    turned away from their own proposal); to anyone else it is the app's 403."""
    if isinstance(err, PermissionDenied) and not may_design(g.user.roles) and err.code != "change.own_proposal":
        raise err


def _decide(decision, success) -> None:
    """Run one decision on a proposal and flash what came of it: `success(result)` when it was
    taken, the refusal otherwise (the app's 403 to whoever may not read the review)."""
    try:
        result = decision()
    except (InvalidInput, Conflict, PermissionDenied) as err:
        _refuse_unless_own(err)
        flash(describe(err), "error")
    else:
        flash(success(result), "success")


@bp.route("/processes/<process_id>/versions/<int:version>/approve", methods=("POST",))
@login_required
def approve(process_id: str, version: int):
    """Make a proposed version live (an approver who did not propose it)."""
    _decide(lambda: changes.approve(new_uow(), g.user.name, process_id, version, request.form.get("note")),
            lambda done: _("已批准 %(process)s 版本 %(version)d，现已生效。", process=process_id, version=version))
    return redirect(url_for("designer.review", process_id=process_id, version=version)), 303


@bp.route("/processes/<process_id>/versions/<int:version>/reject", methods=("POST",))
@login_required
def reject(process_id: str, version: int):
    """Turn a proposed version down with a reason."""
    _decide(lambda: changes.reject(new_uow(), g.user.name, process_id, version, request.form.get("reason", "")),
            lambda done: _("已驳回 %(process)s 版本 %(version)d。", process=process_id, version=version))
    return redirect(url_for("designer.review", process_id=process_id, version=version)), 303


@bp.route("/migrations/<int:proposal_id>/approve", methods=("POST",))
@login_required
def approve_migration(proposal_id: int):
    """Move the applications of a migration proposal (an approver who did not propose it)."""
    _decide(lambda: changes.approve_migration(new_uow(), g.user.name, proposal_id),
            lambda moved: _("已批准迁移，%(n)d 件申请已迁移。", n=len(moved)))
    return redirect(url_for("designer.pending")), 303


@bp.route("/migrations/<int:proposal_id>/reject", methods=("POST",))
@login_required
def reject_migration(proposal_id: int):
    """Turn a migration proposal down with a reason."""
    _decide(lambda: changes.reject_migration(new_uow(), g.user.name, proposal_id, request.form.get("reason", "")),
            lambda done: _("已驳回迁移申请。"))
    return redirect(url_for("designer.pending")), 303


@bp.route("/processes/<process_id>/draft/discard", methods=("POST",))
@login_required
def discard(process_id: str):
    """Throw the process's draft away."""
    designer.discard_draft(new_uow(), g.user.name, process_id)
    flash(_("草稿已删除。"), "success")
    return redirect(url_for("designer.process", process_id=process_id))


@bp.route("/processes/<process_id>/forms")
@login_required
def form_editor(process_id: str):
    """A task's form: its JSON Schema, checked as one types, beside the form as reviewers will see it."""
    name = request.args.get("name", "")
    if not name:
        # Reached without a form named (the modeler links each task's form): the process's forms.
        names = designer.process_forms(new_uow(), g.user.name, process_id)
        return render_template("designer/forms.html", process_id=process_id, names=names)
    try:
        schema = designer.form_schema(new_uow(), g.user.name, process_id, name)
        problems = []
    except FormError as err:
        schema, problems = {"type": "object", "properties": {}}, [err.text(language())]
    text = json.dumps(schema, ensure_ascii=False, indent=2)
    setup = {"processId": process_id, "name": name, "csrf": generate_csrf(),
             "urls": {"preview": url_for("designer.form_preview"),
                      "save": url_for("designer.form_save", process_id=process_id),
                      "modeler": url_for("designer.modeler", process_id=process_id)}}
    return render_template("designer/form.html", process_id=process_id, name=name, text=text, setup=setup,
                           problems=problems, fields=schema_form.fields(schema, {}, {}))


def _posted_schema() -> tuple[str, object]:
    body = request.get_json(silent=True) or {}
    return str(body.get("name") or ""), body.get("text")


@bp.route("/forms/preview", methods=("POST",))
@login_required
def form_preview():
    """The form as reviewers will see it, or what keeps the schema from being a form."""
    name, text = _posted_schema()
    try:
        schema = designer.preview_form(new_uow(), g.user.name, name, text)
    except PermissionDenied as err:
        return _refused(err, 403)
    except FormError as err:
        return jsonify({"problems": [err.text(language())]})
    html = render_template("designer/_form_preview.html", fields=schema_form.fields(schema, {}, {}))
    return jsonify({"problems": [], "html": html})


@bp.route("/processes/<process_id>/forms", methods=("POST",))
@login_required
def form_save(process_id: str):
    """Keep the edited form in the process's draft."""
    name, text = _posted_schema()
    try:
        designer.save_form(new_uow(), g.user.name, process_id, name, text)
    except FormError as err:
        return jsonify({"problems": [err.text(language())]}), 422
    return jsonify({"problems": [], "saved": True})


@bp.route("/processes/<process_id>/compare")
@login_required
def compare(process_id: str):
    """Two versions side by side: elements added, removed and changed, listed and marked on both diagrams."""
    old, new = request.args.get("old", type=int), request.args.get("new", type=int)
    if old is None or new is None:
        return redirect(url_for("designer.process", process_id=process_id))
    found = versions.diff(new_uow(), g.user.name, process_id, old, new)
    marks = {"added": [e["id"] for e in found["added"]], "removed": [e["id"] for e in found["removed"]],
             "changed": [e["id"] for e in found["changed"]] + [e["new_id"] for e in found["changed"]]}
    return render_template("designer/compare.html", diff=found, marks=marks)


@bp.route("/processes/<process_id>/migrate", methods=("GET", "POST"))
@login_required
def migrate(process_id: str):
    """The dry run: each instance of one version, whether it can move to another and why not; POST moves the chosen."""
    source = request.values.get("old", type=int)
    target = request.values.get("new", type=int)
    if source is None or target is None:
        return redirect(url_for("designer.process", process_id=process_id))
    refused = []
    if request.method == "POST":
        chosen = [int(v) for v in request.form.getlist("instance") if v.isdigit()]
        try:
            proposed = changes.propose_migration(new_uow(), g.user.name, process_id, source, target, chosen)
        except InvalidInput as err:
            refused = [(p.field, p.text(language())) for p in err.problems]
            flash(describe(err), "error")
        except Conflict as err:
            flash(describe(err), "error")
        else:
            flash(_("已提交迁移 %(n)d 件申请到版本 %(version)d 的申请，待审批人批准后迁移。",
                    n=len(proposed["instances"]), version=target), "success")
            return redirect(url_for("designer.migrate", process_id=process_id, old=source, new=target))
    planned = versions.plan(new_uow(), g.user.name, process_id, source, target)
    return render_template("designer/migrate.html", process_id=process_id, old=source, new=target,
                           planned=planned, refused=refused, lang_code=language()), 422 if refused else 200


@bp.route("/applications/<int:instance_id>/diagram.json")
@login_required
def instance_diagram(instance_id: int):
    """An application's diagram with the steps done and the open step with its deadline."""
    try:
        shown = diagram.progress(new_uow(), g.user.name, instance_id)
    except NotFound as err:
        # The same answer whether the application is absent or not the user's to follow.
        return _refused(err, 404)
    for step in shown["open"]:
        step["title"] = term(step["title"])
    return jsonify(shown)
