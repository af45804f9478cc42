"""The formal reply to an application, as a page the applicant can print and as a PDF."""
from __future__ import annotations

from pathlib import Path

from flask import Response, g, render_template

from engine.services import replies
from webapp.engine import new_uow
from webapp.portal import bp
from webapp.security import login_required


@bp.route("/applications/<int:instance_id>/reply")
@login_required
def reply(instance_id: int):
    """The decision, reasons, basis, dates and article of an application, and any notice of extension."""
    return render_template("portal/reply.html", doc=replies.formal_reply(new_uow(), g.user.name, instance_id))


_STATIC = Path(__file__).resolve().parent.parent / "static"
# The PDF's own rules: a font that carries Chinese (Debian's fonts-wqy-zenhei, installed by
# scripts/install), A4 pages, and the print rules of the page.
_PDF_CSS = """
@page { size: A4; margin: 20mm; }
body { font-family: "WenQuanYi Zen Hei", "Noto Sans CJK SC", sans-serif; font-size: 11pt; color: #000; }
:root { --red: #000; --muted: #444; }
dl.facts { display: grid; grid-template-columns: 9em 1fr; gap: 4px 12px; }
dt { font-weight: bold; }
dd { margin: 0; }
.no-print { display: none; }
"""


def _refuse_fetch(url: str, *args, **kwargs):
    # The letter is built from the page alone: nothing is fetched, from disk or the network.
    raise ValueError(f"the reply PDF fetches nothing ({url})")


@bp.route("/applications/<int:instance_id>/reply.pdf")
@login_required
def reply_pdf(instance_id: int):
    """The formal reply as a PDF document, with the same content as the page."""
    from weasyprint import CSS, HTML  # loaded when a PDF is asked for, not with every process

    html = render_template("portal/reply_pdf.html", doc=replies.formal_reply(new_uow(), g.user.name, instance_id))
    css = (_STATIC / "reply.css").read_text(encoding="utf-8").split("@media print")[0] + _PDF_CSS
    pdf = HTML(string=html, url_fetcher=_refuse_fetch).write_pdf(stylesheets=[CSS(string=css)])
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="reply-{instance_id}.pdf"'})
