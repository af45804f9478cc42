"""Every PDW setting, read from the environment in this one place."""
from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from engine.clock import Clock, ClockError
from engine.errors import PdwError

PROJECT_ROOT = Path(__file__).resolve().parent.parent

LANGUAGES = ("en", "zh")
WEB_SCHEDULER_CHOICES = ("auto", "on", "off")
LOG_FORMATS = ("text", "json")
# The roles that may approve process changes at the competent department (admins always may).
APPROVING_ROLES = ("department_head", "supervisor", "reviewer")
# The sandbox refuses less: the worker's interpreter and calendar alone need about that much.
MIN_SCRIPT_MEMORY_MB = 64
# scrypt needs 128 * r * 2**cost bytes; at r=8 a cost of 20 is already 1 GiB per sign-in.
MAX_PASSWORD_HASH_COST = 20

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


class ConfigError(PdwError, ValueError):
    """Raised when an environment variable holds a value its setting cannot take; `variable` and
    `value` are among its params. A long value is shown by its start, so the message stays one
    readable line."""

    SHOWN = 60  # characters of a value the message quotes

    def __init__(self, code: str, **params) -> None:
        value = params.get("value")
        if isinstance(value, str) and len(value) > self.SHOWN:
            params["value"] = f"{value[:self.SHOWN]}… ({len(value)} characters)"
        super().__init__(code, **params)


@dataclass(frozen=True)
class Config:
    """The settings of the engine, the command line and the web app.

    `from_env` reads them from the environment; tests build one directly, usually with
    `dataclasses.replace(Config(), ...)`. Each field's variable is named beside it.
    """

    database_url: str = f"sqlite:///{PROJECT_ROOT / 'instance' / 'pdw.sqlite3'}"  # PDW_DATABASE_URL
    forms_dir: Path = PROJECT_ROOT / "forms"  # PDW_FORMS_DIR
    workflows_dir: Path = PROJECT_ROOT / "workflows"  # PDW_WORKFLOWS_DIR
    arrangements_dir: Path | None = None  # PDW_ARRANGEMENTS_DIR: more notices `pdw db upgrade` installs
    calendar_check_seconds: float = 1.0  # PDW_CALENDAR_CHECK_SECONDS: how often to look for a new notice
    # PDW_DATABASE_SPIN_SECONDS: how long a PostgreSQL writer waiting for an answer polls for it
    # before it sleeps, while its machine has a CPU to spare (engine.persistence.pipeline); 0: never.
    database_spin_seconds: float = 0.001
    # PDW_DATABASE_PREPARE: PostgreSQL statements are prepared on the server, kept per connection;
    # off behind a pooler in transaction mode that does not track them (PgBouncer before 1.21).
    database_prepare: bool = True
    clock: str = ""  # PDW_CLOCK: an ISO datetime freezing time; empty for the system clock
    max_bpmn_bytes: int = 5 * 1024 * 1024  # PDW_MAX_BPMN_BYTES
    script_time_limit: float = 2.0  # PDW_SCRIPT_TIME_LIMIT, seconds
    script_memory_mb: int = 512  # PDW_SCRIPT_MEMORY_MB
    password_hash_cost: int = 14  # PDW_PASSWORD_HASH_COST: scrypt's N is 2**cost
    language: str = "en"  # PDW_LANG: the command line's messages, "en" or "zh"
    secret_key: str | None = field(default=None, repr=False)  # PDW_SECRET_KEY; None: a key file
    session_idle_minutes: int = 30  # PDW_SESSION_IDLE_MINUTES
    secure_cookies: bool = False  # PDW_SECURE_COOKIES
    sign_in_max_failures: int = 5  # PDW_SIGN_IN_MAX_FAILURES
    sign_in_window_minutes: int = 15  # PDW_SIGN_IN_WINDOW_MINUTES
    attachment_max_mb: int = 10  # PDW_ATTACHMENT_MAX_MB: the largest supporting document, in MiB
    attachments_per_application: int = 10  # PDW_ATTACHMENTS_PER_APPLICATION
    # Budgets of one command's engine steps (engine.bpmn.budgets): a process past one is errored.
    max_engine_steps: int = 500  # PDW_MAX_ENGINE_STEPS: tasks run by the engine in one command
    max_step_seconds: float = 10.0  # PDW_MAX_STEP_SECONDS: wall-clock time of one command's steps
    max_tasks_per_instance: int = 5000  # PDW_MAX_TASKS_PER_INSTANCE
    max_multi_instance: int = 200  # PDW_MAX_MULTI_INSTANCE: items or cardinality of a multi-instance
    max_loop_iterations: int = 1000  # PDW_MAX_LOOP_ITERATIONS: of a standard loop
    max_instance_bytes: int = 4 * 1024 * 1024  # PDW_MAX_INSTANCE_BYTES: an instance's stored state
    max_timer_years: int = 100  # PDW_MAX_TIMER_YEARS: how far ahead a timer may be set
    min_timer_cycle_seconds: int = 60  # PDW_MIN_TIMER_CYCLE_SECONDS: the shortest repeating timer
    # PDW_COMPETENT_DEPARTMENT: the department code of the 公共数据主管部门, whose reviewers decide
    # the applications a process gives to the authority (Art. 20, 23, 27).
    competent_department: str = "sjj"
    # PDW_APPROVING_ROLE: beside admins, who approves a designer's proposed version or migration:
    # this role at the competent department (engine.governance.may_approve).
    approving_role: str = "department_head"
    # E-mail of notifications: off while no SMTP server is named.
    smtp_host: str = ""  # PDW_SMTP_HOST
    smtp_port: int = 25  # PDW_SMTP_PORT
    smtp_from: str = "pdw@localhost"  # PDW_SMTP_FROM
    smtp_user: str = ""  # PDW_SMTP_USER; empty: no login
    smtp_password: str = field(default="", repr=False)  # PDW_SMTP_PASSWORD
    smtp_starttls: bool = False  # PDW_SMTP_STARTTLS
    # Whether the web process runs the scheduler itself: "auto" does on SQLite (the embedded
    # default, one machine), not on PostgreSQL, where `pdw scheduler run` processes do.
    web_scheduler: str = "auto"  # PDW_WEB_SCHEDULER: auto | on | off
    log_format: str = "text"  # PDW_LOG_FORMAT: text | json (one object a line, with the request id)
    metrics_token: str = field(default="", repr=False)  # PDW_METRICS_TOKEN: bearer token of /metrics; empty: off

    @property
    def runs_web_scheduler(self) -> bool:
        """True when the web process should fire timers and watch deadlines itself."""
        if self.web_scheduler == "auto":
            return self.database_url.startswith("sqlite")
        return self.web_scheduler == "on"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Config:
        """Read every setting from `environ` (default: os.environ); unset or empty means default.

        Args:
            environ: the variables to read, e.g. a dict in tests.

        Returns:
            The settings.

        Raises:
            ConfigError: a variable is set to a value its setting cannot take; the message
                names the variable and the value.
        """
        env = _Variables(os.environ if environ is None else environ)
        default = cls()
        config = cls(
            database_url=env.text("PDW_DATABASE_URL", default.database_url),
            forms_dir=env.path("PDW_FORMS_DIR", default.forms_dir),
            workflows_dir=env.path("PDW_WORKFLOWS_DIR", default.workflows_dir),
            arrangements_dir=env.path("PDW_ARRANGEMENTS_DIR", default.arrangements_dir),
            calendar_check_seconds=env.seconds("PDW_CALENDAR_CHECK_SECONDS", default.calendar_check_seconds,
                                               zero=True),
            database_spin_seconds=env.seconds("PDW_DATABASE_SPIN_SECONDS", default.database_spin_seconds, zero=True),
            database_prepare=env.flag("PDW_DATABASE_PREPARE", default.database_prepare),
            clock=env.text("PDW_CLOCK", default.clock),
            max_bpmn_bytes=env.integer("PDW_MAX_BPMN_BYTES", default.max_bpmn_bytes, minimum=1),
            script_time_limit=env.seconds("PDW_SCRIPT_TIME_LIMIT", default.script_time_limit),
            script_memory_mb=env.integer("PDW_SCRIPT_MEMORY_MB", default.script_memory_mb,
                                         minimum=MIN_SCRIPT_MEMORY_MB),
            password_hash_cost=env.integer("PDW_PASSWORD_HASH_COST", default.password_hash_cost,
                                           minimum=1, maximum=MAX_PASSWORD_HASH_COST),
            language=env.choice("PDW_LANG", default.language, LANGUAGES),
            secret_key=env.text("PDW_SECRET_KEY", default.secret_key),
            session_idle_minutes=env.integer("PDW_SESSION_IDLE_MINUTES", default.session_idle_minutes, minimum=1),
            secure_cookies=env.flag("PDW_SECURE_COOKIES", default.secure_cookies),
            sign_in_max_failures=env.integer("PDW_SIGN_IN_MAX_FAILURES", default.sign_in_max_failures, minimum=1),
            sign_in_window_minutes=env.integer("PDW_SIGN_IN_WINDOW_MINUTES", default.sign_in_window_minutes,
                                               minimum=1),
            attachment_max_mb=env.integer("PDW_ATTACHMENT_MAX_MB", default.attachment_max_mb, minimum=1,
                                          maximum=100),
            attachments_per_application=env.integer("PDW_ATTACHMENTS_PER_APPLICATION",
                                                    default.attachments_per_application, minimum=0, maximum=100),
            max_engine_steps=env.integer("PDW_MAX_ENGINE_STEPS", default.max_engine_steps, minimum=1),
            max_step_seconds=env.seconds("PDW_MAX_STEP_SECONDS", default.max_step_seconds),
            max_tasks_per_instance=env.integer("PDW_MAX_TASKS_PER_INSTANCE", default.max_tasks_per_instance,
                                               minimum=10),
            max_multi_instance=env.integer("PDW_MAX_MULTI_INSTANCE", default.max_multi_instance, minimum=1),
            max_loop_iterations=env.integer("PDW_MAX_LOOP_ITERATIONS", default.max_loop_iterations, minimum=1),
            max_instance_bytes=env.integer("PDW_MAX_INSTANCE_BYTES", default.max_instance_bytes, minimum=64 * 1024),
            max_timer_years=env.integer("PDW_MAX_TIMER_YEARS", default.max_timer_years, minimum=1, maximum=1000),
            min_timer_cycle_seconds=env.integer("PDW_MIN_TIMER_CYCLE_SECONDS", default.min_timer_cycle_seconds,
                                                minimum=1),
            competent_department=env.text("PDW_COMPETENT_DEPARTMENT", default.competent_department),
            approving_role=env.choice("PDW_APPROVING_ROLE", default.approving_role, APPROVING_ROLES),
            smtp_host=env.text("PDW_SMTP_HOST", default.smtp_host),
            smtp_port=env.integer("PDW_SMTP_PORT", default.smtp_port, minimum=1, maximum=65535),
            smtp_from=env.text("PDW_SMTP_FROM", default.smtp_from),
            smtp_user=env.text("PDW_SMTP_USER", default.smtp_user),
            smtp_password=env.text("PDW_SMTP_PASSWORD", default.smtp_password),
            smtp_starttls=env.flag("PDW_SMTP_STARTTLS", default.smtp_starttls),
            web_scheduler=env.choice("PDW_WEB_SCHEDULER", default.web_scheduler, WEB_SCHEDULER_CHOICES),
            log_format=env.choice("PDW_LOG_FORMAT", default.log_format, LOG_FORMATS),
            metrics_token=env.text("PDW_METRICS_TOKEN", default.metrics_token),
        )
        _check_database_url(config.database_url)
        try:
            Clock.parse(config.clock)
        except ClockError:
            raise ConfigError("config.clock_invalid", variable="PDW_CLOCK", value=repr(config.clock)) from None
        return config


# The databases PDW runs on; `postgresql://` without a driver means psycopg, the one installed.
SUPPORTED_DATABASES = ("sqlite", "postgresql", "postgresql+psycopg")


def _check_database_url(url: str) -> None:
    # Only the scheme is named in the error: the rest of the URL may hold a password.
    scheme = url.split(":", 1)[0].lower() if "://" in url else ""
    if scheme not in SUPPORTED_DATABASES:
        raise ConfigError("config.database_unsupported", variable="PDW_DATABASE_URL", scheme=scheme or url[:20],
                          supported=["sqlite:///PATH", "postgresql+psycopg://USER@HOST/DB"])


class _Variables:
    """Typed reads of environment variables, each error naming its variable."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ

    def _get(self, name: str) -> str | None:
        # An empty value counts as unset, so `PDW_X= pdw ...` restores the default.
        value = self._environ.get(name, "").strip()
        return value or None

    def text(self, name: str, default: str | None) -> str | None:
        value = self._get(name)
        return default if value is None else value

    def path(self, name: str, default: Path | None) -> Path | None:
        value = self._get(name)
        return default if value is None else Path(value).expanduser()

    def integer(self, name: str, default: int, *, minimum: int, maximum: int | None = None) -> int:
        value = self._get(name)
        if value is None:
            return default
        try:
            number = int(value)
        except ValueError:
            raise ConfigError("config.not_integer", variable=name, value=repr(value)) from None
        if number < minimum or (maximum is not None and number > maximum):
            if maximum is None:
                raise ConfigError("config.too_small", variable=name, value=repr(value), min=minimum)
            raise ConfigError("config.out_of_range", variable=name, value=repr(value), min=minimum, max=maximum)
        return number

    def seconds(self, name: str, default: float, *, zero: bool = False) -> float:
        value = self._get(name)
        if value is None:
            return default
        try:
            number = float(value)
        except ValueError:
            raise ConfigError("config.not_seconds", variable=name, value=repr(value)) from None
        if not math.isfinite(number) or number < 0 or (number == 0 and not zero):
            if zero:
                raise ConfigError("config.seconds_negative", variable=name, value=repr(value))
            raise ConfigError("config.seconds_not_positive", variable=name, value=repr(value))
        return number

    def flag(self, name: str, default: bool) -> bool:
        value = self._get(name)
        if value is None:
            return default
        if value.lower() in _TRUE:
            return True
        if value.lower() in _FALSE:
            return False
        raise ConfigError("config.not_flag", variable=name, value=repr(value))

    def choice(self, name: str, default: str, choices: tuple[str, ...]) -> str:
        value = self._get(name)
        if value is None:
            return default
        if value.lower() not in choices:
            raise ConfigError("config.not_choice", variable=name, value=repr(value), allowed=list(choices))
        return value.lower()
