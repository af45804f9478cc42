"""Bearer tokens: every API request acts as the token's user, put in `g.api_user`."""
from __future__ import annotations

from flask import g, request

from engine.services import tokens
from webapp.api import bp
from webapp.engine import new_uow


@bp.before_request
def authenticate() -> None:
    """Find the user of the request's bearer token; no session cookie counts here."""
    g.api_user = tokens.authenticate(new_uow(), request.headers.get("Authorization"))


def actor() -> str:
    """The name of the user the request acts as."""
    return g.api_user.name
