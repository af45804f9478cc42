"""The administrative services take their actor explicitly and decide themselves who may act:
an admin (or a designer, for workflows) or the named operator SYSTEM; anyone else is refused and
nothing changes. Generated over every such service, on SQLite and PostgreSQL."""
from __future__ import annotations

import inspect
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine.errors import InvalidInput, NotFound, PermissionDenied
from engine.persistence.models import ApiToken, AuditEntry, CatalogItem, ProcessDefinition, User
from engine.services import accounts, catalog, definitions, tokens, users
from engine.services.users import SYSTEM

BPMN = Path(__file__).parent.parent / "fixtures" / "bpmn" / "catalog_lookup.bpmn"
DEMO_CATALOG = Path(catalog.__file__).parent.parent / "demo_data" / "catalog.csv"
CATALOG = "".join(DEMO_CATALOG.read_text(encoding="utf-8").splitlines(keepends=True)[:2])

# name: (call with an actor, the area it administers)
SERVICES = {
    "users.add_user": (lambda e, actor: users.add_user(e.uow(), "nina", department="gaj", roles=["applicant"],
                                                       actor=actor), "users"),
    "users.disable_user": (lambda e, actor: users.disable_user(e.uow(), "alice", actor=actor), "users"),
    "accounts.set_password": (lambda e, actor: accounts.set_password(e.uow(), "alice", "correct horse 1",
                                                                     actor=actor), "users"),
    "tokens.create": (lambda e, actor: tokens.create(e.uow(), "alice", actor=actor), "tokens"),
    "tokens.revoke": (lambda e, actor: tokens.revoke(e.uow(), 1, actor=actor), "tokens"),
    "catalog.import_csv": (lambda e, actor: catalog.import_csv(e.uow(), CATALOG, actor=actor), "catalog"),
    "definitions.deploy": (lambda e, actor: definitions.deploy(e.uow(), [(BPMN.name, BPMN.read_bytes())],
                                                               actor=actor), "workflows"),
}
FUNCTIONS = [users.add_user, users.disable_user, accounts.set_password, tokens.create, tokens.revoke,
             catalog.import_csv, definitions.deploy]


@pytest.fixture
def directory(engine):
    """An admin, a designer, a reviewer and an applicant with one API token."""
    for name, roles in (("ada", ["admin"]), ("dan", ["designer"]), ("rita", ["reviewer"]), ("alice", ["applicant"])):
        users.add_user(engine.uow(), name, department="sjj" if name != "alice" else "gaj", roles=roles, actor=SYSTEM)
    tokens.create(engine.uow(), "alice", actor=SYSTEM)
    return engine


def _state(engine) -> tuple:
    with engine.uow().read() as uow:
        return tuple(uow.session.scalar(select(func.count()).select_from(model))
                     for model in (User, ApiToken, CatalogItem, ProcessDefinition, AuditEntry)) + \
            (uow.session.scalar(select(User.password_hash).where(User.name == "alice")),
             uow.session.scalar(select(User.active).where(User.name == "alice")),
             uow.session.scalar(select(ApiToken.revoked_at).where(ApiToken.id == 1)))


@pytest.mark.parametrize("function", FUNCTIONS, ids=lambda f: f"{f.__module__.split('.')[-1]}.{f.__name__}")
def test_no_administrative_service_has_a_default_actor(function):
    actor = inspect.signature(function).parameters["actor"]
    assert actor.kind is inspect.Parameter.KEYWORD_ONLY and actor.default is inspect.Parameter.empty


def test_every_administrative_service_is_in_the_generated_cases():
    assert [f"{f.__module__.split('.')[-1]}.{f.__name__}" for f in FUNCTIONS] == list(SERVICES)


@pytest.mark.parametrize("service", SERVICES)
def test_a_user_without_the_areas_role_is_refused_by_the_service_itself_and_nothing_changes(directory, service):
    call, area = SERVICES[service]
    before = _state(directory)
    with pytest.raises(PermissionDenied) as refused:
        call(directory, "rita")
    assert refused.value.code == "command.forbidden" and refused.value.params["area"] == area
    with pytest.raises(NotFound):
        call(directory, "nobody")
    assert _state(directory) == before


@pytest.mark.parametrize("service", SERVICES)
@pytest.mark.parametrize("actor", ["ada", SYSTEM])
def test_an_admin_or_the_named_system_actor_may_and_the_audit_names_them(directory, service, actor):
    call, _ = SERVICES[service]
    call(directory, actor)
    with directory.uow().read() as uow:
        last = uow.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).one()
    assert last.actor == actor


def test_a_designer_may_deploy_but_not_add_users(directory):
    SERVICES["definitions.deploy"][0](directory, "dan")
    with pytest.raises(PermissionDenied):
        SERVICES["users.add_user"][0](directory, "dan")


def test_no_user_can_be_called_system(directory):
    with pytest.raises(InvalidInput):
        users.add_user(directory.uow(), SYSTEM, department=None, roles=["admin"], actor=SYSTEM)


def test_a_weak_password_is_refused_by_the_service_with_its_reason_and_nothing_changes(directory):
    before = _state(directory)
    with pytest.raises(InvalidInput) as refused:
        accounts.set_password(directory.uow(), "alice", "alice2026", actor="ada")
    assert [p.code for p in refused.value.problems] == ["password.personal"]
    assert _state(directory) == before
