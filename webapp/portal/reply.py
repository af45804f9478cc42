"""The formal reply to an application, as a page the applicant can print."""
from __future__ import annotations

from flask import g, render_template

from engine.services import replies
from webapp.engine import new_uow
from webapp.portal import bp
from webapp.security import login_required


@bp.route("/applications/<int:instance_id>/reply")
@login_required
def reply(instance_id: int):
    """The decision, reasons, basis, dates and article of an application, and any notice of extension."""
    return render_template("portal/reply.html", doc=replies.formal_reply(new_uow(), g.user.name, instance_id))
