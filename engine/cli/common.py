"""What every `pdw` command shares: building the engine, printing, and one-line failures."""
from __future__ import annotations

import functools
import json
import sys
from pathlib import Path

import click

from engine.clock import ClockError
from engine.config import Config, ConfigError
from engine.access import entry_point
from engine.errors import InvalidInput, PdwError
from engine.messages import render


# Ids and version numbers are 64-bit in the database: a larger number, or one below 1, is refused
# on the command line as click refuses any bad argument, before a query could overflow.
ID = click.IntRange(min=1, max=2**63 - 1)


def get_engine():
    """The engine of this command, built once from the environment's Config."""
    from engine.bootstrap import build_engine

    ctx = click.get_current_context()
    root = ctx.find_root()
    if "engine" not in root.meta:
        root.meta["engine"] = build_engine()
        root.call_on_close(root.meta["engine"].close)
    return root.meta["engine"]


def new_uow():
    """A unit of work on this command's engine, for one use case."""
    return get_engine().uow()


def fail(message: str, code: int = 1) -> None:
    """Print `error: message` on stderr and exit non-zero."""
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def say(code: str, err: bool = False, **params) -> None:
    """Print the success message `code` of engine.messages in PDW_LANG."""
    click.echo(render(code, params, language()), err=err)


def language() -> str:
    """The language of messages: PDW_LANG ("en", or "zh" for Chinese); English if it is unreadable."""
    try:
        return Config.from_env().language
    except ConfigError:
        return "en"


def friendly(command):
    """Turn errors a user can cause into lines on stderr, in PDW_LANG, and exit status 1."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        context = click.get_current_context(silent=True)
        try:
            # The root's name is the program's ("pdw", or "main" under a test runner).
            path = context.command_path.partition(" ")[2] if context else ""
            with entry_point(f"cli pdw {path}".rstrip()):
                return command(*args, **kwargs)
        except InvalidInput as err:
            lang = language()
            click.echo(f"error: {err.text(lang)}", err=True)
            for problem in err.problems:
                where = problem.where
                click.echo(f"  {where}: {problem.text(lang)}" if where else f"  {problem.text(lang)}", err=True)
            sys.exit(1)
        except PdwError as err:
            fail(err.text(language()))
        except ClockError as err:
            fail(str(err))
        except OSError as err:
            # A file named on the command line that cannot be read or written (too long a name,
            # a folder, no permission); an OSError without a file name is no user's doing.
            if err.filename is None:
                raise
            fail(f"{_shown(str(err.filename))}: {err.strerror}")
        except Exception as err:
            found = _database_problem(err)
            if found is None:
                raise
            fail(found.text(language()))

    return wrapper


def _database_problem(err: Exception):
    # A query failed: when the cause is the database itself (unreachable, never upgraded,
    # behind this code), say so in one line; any other failure is a bug and surfaces whole.
    # Looked up in sys.modules so the light commands never import SQLAlchemy.
    if "sqlalchemy" not in sys.modules:
        return None
    from engine.persistence import health

    return health.problem(get_engine().db, err) if health.is_database_error(err) else None


def require_role(actor: str, area: str):
    """Refuse the command (one line, non-zero exit) unless `actor` holds a role `area` needs."""
    from engine.services.users import authorize

    return authorize(new_uow(), actor, area)


def users_actor(actor: str | None) -> str:
    """Who administers users for a command run `--as actor`: `actor` once the directory has an
    admin (refused unless they may; a command without --as is refused then), else the operator
    at the server, users.SYSTEM, who sets up the first admin. The services check whoever it is."""
    from engine.services.users import SYSTEM, has_admin

    if not has_admin(new_uow()):
        return SYSTEM
    if actor is None:
        fail("--as is needed: name the admin who acts (the directory has an admin)")
    require_role(actor, "users")
    return actor


def read_text_file(file: str) -> tuple[Path, str]:
    """The path and UTF-8 text of the file named on the command line; fails with one line."""
    path = Path(file)
    try:
        if path.is_dir():
            fail(f"{_shown(file)}: a folder, not a file")
        if not path.is_file():
            fail(f"{_shown(file)}: no such file")
        return path, path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        fail(f"{_shown(file)}: not UTF-8 text")
    except OSError as err:
        fail(f"{_shown(file)}: {err.strerror}")


def _shown(name: str) -> str:
    # A file name as typed can be anything (a newline, 300 characters): show it safely and short.
    text = ascii(name)[1:-1] if not name.isprintable() else name
    return text if len(text) <= 80 else text[:77] + "..."


def parse_json(value: str | None, option: str) -> dict:
    """Parse a JSON object given on the command line."""
    if value is None:
        return {}
    try:
        data = json.loads(value)
    except json.JSONDecodeError as err:
        fail(f"{option}: not valid JSON ({err.msg} at column {err.colno})")
    if not isinstance(data, dict):
        fail(f"{option}: must be a JSON object")
    return data


def emit(value, as_json: bool, text) -> None:
    """Print `value` as JSON, or through `text(value)` for people."""
    if as_json:
        click.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))
    else:
        click.echo(text(value))


def warn_all(warnings) -> None:
    """Print each warning (anything with `text(lang)`) as `warning: ...` on stderr, in PDW_LANG."""
    lang = language()
    for warning in warnings:
        click.echo(f"warning: {warning.text(lang)}", err=True)
