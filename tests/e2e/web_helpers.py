"""Helpers of the web tests: engines at chosen instants, the app, signing in, reading pages."""
from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from engine import demo
from engine.config import PROJECT_ROOT
from engine_factory import EngineFactory
from engine.services import accounts, definitions, users
from webapp import create_app
from engine.services.users import SYSTEM

WEB_FIXTURES = Path(__file__).parent / "fixtures"
PASSWORD = "correct horse 1"
PEOPLE = [("zhang.san", "gaj", ["applicant"]), ("zhou.ba", "fgw", ["applicant"]),
          ("li.si", "sjj", ["reviewer"]), ("wang.wu", "sjj", ["reviewer"]), ("zhao.liu", "sjj", ["supervisor"])]


class Engines(EngineFactory):
    """The engine on one database at chosen instants, with the web tests' forms."""

    def __init__(self, url: str, sandbox=None) -> None:
        super().__init__(url, WEB_FIXTURES / "forms", sandbox)
        # Documents up to 1 MiB (production: 10), so the size limit is tried with a small upload.
        self.config = replace(self.config, attachment_max_mb=1)


class DemoEngines(EngineFactory):
    """The engine with the shipped forms and procedures, on a database holding the demo data."""

    def __init__(self, url: str, sandbox=None) -> None:
        super().__init__(url, PROJECT_ROOT / "forms", sandbox)


def seed_demo(url: str) -> None:
    """Load the demo data (departments, one person per role, the catalog, every procedure) at `url`."""
    factory = DemoEngines(url)
    demo.load(factory.at())
    factory.close()


def prepare(engine) -> None:
    """Deploy the test procedure and add the people, each with PASSWORD."""
    definitions.deploy(engine.uow(), [("web_share.bpmn", (WEB_FIXTURES / "web_share.bpmn").read_bytes())], actor=SYSTEM)
    for name, department, roles in PEOPLE:
        users.add_user(engine.uow(), name, department=department, roles=roles, actor=SYSTEM)
        accounts.set_password(engine.uow(), name, PASSWORD, actor=SYSTEM)


def make_app(engine, **config):
    """The web app on `engine`, CSRF on as in production."""
    return create_app({"PDW_ENGINE": engine, "SECRET_KEY": "test-secret", "TESTING": True, **config})


def csrf_token(html: str) -> str:
    """The CSRF token of the first form on a page."""
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


class AuthActions:
    """Signing in and out, and posting forms with the page's CSRF token."""

    def __init__(self, client) -> None:
        self._client = client

    def login(self, name: str = "li.si", password: str = PASSWORD):
        token = csrf_token(self._client.get("/auth/login").text)
        return self._client.post("/auth/login", data={"username": name, "password": password, "csrf_token": token})

    def logout(self):
        return self.post("/portal/", "/auth/logout")

    def post(self, page: str, url: str, data: dict | None = None, **kwargs):
        """POST `data` to `url` with the CSRF token found on `page`."""
        token = csrf_token(self._client.get(page).text)
        return self._client.post(url, data={**(data or {}), "csrf_token": token}, **kwargs)


def flashes(html: str) -> list[str]:
    """The flashed messages on a page."""
    return [m.strip() for m in re.findall(r'<div class="flash flash-\w+" role="\w+">([^<]*)</div>', html)]


def field_errors(html: str) -> list[str]:
    """The per-field error messages on a page."""
    return re.findall(r'<p class="error" id="[^"]+">([^<]*)</p>', html)


_CJK = re.compile(r"[\u3400-\u9fff\u3000-\u303f\uff00-\uffef]+")


def stray_chinese(html: str, user_data: tuple[str, ...] = ()) -> list[str]:
    """Chinese text on an English page, apart from the language switch's own name (简体中文)
    and the `user_data` people entered (names, reasons, catalog entries)."""
    html = re.sub(r'<nav aria-label="Language".*?</nav>', "", html, flags=re.S)
    for value in sorted(user_data, key=len, reverse=True):
        html = html.replace(value, "")
    return _CJK.findall(html)
