"""What a procedure's start form asks for: its fields and a payload it accepts, for people and
systems filling it by hand (`pdw procedures show`, `GET /api/v1/procedures/{id}/form`)."""
from __future__ import annotations

from sqlalchemy import select

from engine.forms import example_of, fields_of
from engine.persistence.models import CatalogItem, ProcessDefinition
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import portal


def describe(uow: UnitOfWork, process_id: str, *, actor: str) -> dict:
    """The start form of the newest version of `process_id` as `actor` would fill it.

    Returns a dict: `process_id`, `name`, `form` (its JSON Schema), `fields` (`forms.fields_of`:
    name, title, type, required, required_when, choices, format) and `example`, a payload the form
    accepts on today's date (`pdw instances start --data`, the API's `data`).

    Raises:
        NotFound: no such user, process, or the process has no start form.
        PermissionDenied: the user may not start it.
    """
    form = portal.start_form(uow, actor, process_id)
    schema = form["schema"]
    with uow.read():
        properties = uow.session.scalar(select(ProcessDefinition.properties).where(
            ProcessDefinition.process_id == process_id).order_by(ProcessDefinition.version.desc()).limit(1)) or {}
        want_open = str(properties.get("catalogItemOpen", "")).lower() == "true"
        code = _example_item(uow.session, want_open)
    return {"process_id": form["process_id"], "name": form["name"], "form": schema, "fields": fields_of(schema),
            "example": example_of(schema, today=uow.engine.clock.today(), catalog_code=code)}


def _example_item(session, want_open: bool) -> str | None:
    # An item that goes to review (有条件…) shows the procedure's usual path; any item otherwise.
    column = CatalogItem.open_attribute if want_open else CatalogItem.share_attribute
    preferred = "有条件开放" if want_open else "有条件共享"
    code = session.scalar(select(CatalogItem.code).where(column == preferred).order_by(CatalogItem.code).limit(1))
    return code or session.scalar(select(CatalogItem.code).order_by(CatalogItem.code).limit(1))
