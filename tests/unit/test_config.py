"""Config.from_env: defaults, every variable, and bad values named by their variable."""
from __future__ import annotations

from dataclasses import fields, replace
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from engine.bootstrap import Config as BootstrapConfig
from engine.bootstrap import build_engine
from engine.calendar.arrangements import SHIPPED_DIR
from engine.config import PROJECT_ROOT, Config, ConfigError
from engine.persistence.migrate import upgrade
from engine.services import calendar

EVERY_VARIABLE = {
    "PDW_DATABASE_URL": "postgresql+psycopg://pdw@db.example/pdw",
    "PDW_FORMS_DIR": "/srv/pdw/forms",
    "PDW_WORKFLOWS_DIR": "/srv/pdw/workflows",
    "PDW_ARRANGEMENTS_DIR": "/srv/pdw/arrangements",
    "PDW_CALENDAR_CHECK_SECONDS": "0",
    "PDW_DATABASE_SPIN_SECONDS": "0",
    "PDW_DATABASE_PREPARE": "0",
    "PDW_CLOCK": "2026-03-02T09:00:00+08:00",
    "PDW_MAX_BPMN_BYTES": "1048576",
    "PDW_SCRIPT_TIME_LIMIT": "0.5",
    "PDW_SCRIPT_MEMORY_MB": "256",
    "PDW_PASSWORD_HASH_COST": "15",
    "PDW_LANG": "zh",
    "PDW_SECRET_KEY": "s3cret",
    "PDW_SESSION_IDLE_MINUTES": "10",
    "PDW_SECURE_COOKIES": "1",
    "PDW_SIGN_IN_MAX_FAILURES": "3",
    "PDW_SIGN_IN_WINDOW_MINUTES": "60",
    "PDW_ATTACHMENT_MAX_MB": "5",
    "PDW_ATTACHMENTS_PER_APPLICATION": "3",
    "PDW_MAX_ENGINE_STEPS": "50",
    "PDW_MAX_STEP_SECONDS": "3",
    "PDW_MAX_TASKS_PER_INSTANCE": "100",
    "PDW_MAX_MULTI_INSTANCE": "20",
    "PDW_MAX_LOOP_ITERATIONS": "30",
    "PDW_MAX_INSTANCE_BYTES": "1000000",
    "PDW_MAX_TIMER_YEARS": "5",
    "PDW_MIN_TIMER_CYCLE_SECONDS": "3600",
    "PDW_COMPETENT_DEPARTMENT": "sjj2",
    "PDW_APPROVING_ROLE": "supervisor",
    "PDW_SMTP_HOST": "mail.example",
    "PDW_SMTP_PORT": "587",
    "PDW_SMTP_FROM": "pdw@dazhou.example",
    "PDW_SMTP_USER": "pdw",
    "PDW_SMTP_PASSWORD": "mail-secret",
    "PDW_SMTP_STARTTLS": "yes",
    "PDW_WEB_SCHEDULER": "on",
    "PDW_LOG_FORMAT": "json",
    "PDW_METRICS_TOKEN": "a-metrics-token",
}


def test_an_empty_environment_gives_the_defaults() -> None:
    config = Config.from_env({})
    assert config == Config()
    assert config.database_url == f"sqlite:///{PROJECT_ROOT / 'instance' / 'pdw.sqlite3'}"
    assert (config.forms_dir, config.workflows_dir) == (PROJECT_ROOT / "forms", PROJECT_ROOT / "workflows")
    assert config.arrangements_dir is None
    assert config.clock == ""
    assert config.max_bpmn_bytes == 5 * 1024 * 1024
    assert (config.script_time_limit, config.script_memory_mb) == (2.0, 512)
    assert config.password_hash_cost == 14
    assert config.language == "en"
    assert config.secret_key is None
    assert (config.session_idle_minutes, config.secure_cookies) == (30, False)
    assert (config.sign_in_max_failures, config.sign_in_window_minutes) == (5, 15)
    assert config.competent_department == "sjj"
    assert config.database_spin_seconds == 0.001


def test_every_variable_is_read_into_its_field() -> None:
    assert Config.from_env(EVERY_VARIABLE) == Config(
        database_url="postgresql+psycopg://pdw@db.example/pdw",
        forms_dir=Path("/srv/pdw/forms"),
        workflows_dir=Path("/srv/pdw/workflows"),
        arrangements_dir=Path("/srv/pdw/arrangements"),
        calendar_check_seconds=0.0,
        database_spin_seconds=0.0,
        database_prepare=False,
        clock="2026-03-02T09:00:00+08:00",
        max_bpmn_bytes=1048576,
        script_time_limit=0.5,
        script_memory_mb=256,
        password_hash_cost=15,
        language="zh",
        secret_key="s3cret",
        session_idle_minutes=10,
        secure_cookies=True,
        sign_in_max_failures=3,
        sign_in_window_minutes=60,
        attachment_max_mb=5,
        attachments_per_application=3,
        max_engine_steps=50,
        max_step_seconds=3.0,
        max_tasks_per_instance=100,
        max_multi_instance=20,
        max_loop_iterations=30,
        max_instance_bytes=1000000,
        max_timer_years=5,
        min_timer_cycle_seconds=3600,
        competent_department="sjj2",
        approving_role="supervisor",
        smtp_host="mail.example",
        smtp_port=587,
        smtp_from="pdw@dazhou.example",
        smtp_user="pdw",
        smtp_password="mail-secret",
        smtp_starttls=True,
        web_scheduler="on",
        log_format="json",
        metrics_token="a-metrics-token",
    )


def test_the_web_process_runs_the_scheduler_on_the_embedded_database_unless_told_otherwise() -> None:
    assert Config().runs_web_scheduler
    on_postgres = Config(database_url="postgresql+psycopg://pdw@db.example/pdw")
    assert not on_postgres.runs_web_scheduler
    assert replace(on_postgres, web_scheduler="on").runs_web_scheduler
    assert not replace(Config(), web_scheduler="off").runs_web_scheduler
    assert "smtp_password='" not in repr(Config(smtp_password="mail-secret"))


def test_every_field_has_a_variable_that_changes_it() -> None:
    # A new field without a variable in from_env would keep its default here.
    read, default = Config.from_env(EVERY_VARIABLE), Config()
    assert [f.name for f in fields(Config) if getattr(read, f.name) == getattr(default, f.name)] == []


def test_os_environ_is_read_when_no_mapping_is_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PDW_SIGN_IN_MAX_FAILURES", "7")
    assert Config.from_env().sign_in_max_failures == 7


def test_empty_or_blank_values_mean_the_default() -> None:
    assert Config.from_env({name: " " for name in EVERY_VARIABLE}) == Config()


def test_bootstrap_re_exports_the_one_config() -> None:
    assert BootstrapConfig is Config


def test_the_secret_key_is_kept_out_of_the_repr() -> None:
    assert "s3cret" not in repr(Config.from_env({"PDW_SECRET_KEY": "s3cret"}))


@pytest.mark.parametrize(("name", "value", "message"), [
    ("PDW_MAX_BPMN_BYTES", "5MB", "PDW_MAX_BPMN_BYTES='5MB' is not a whole number"),
    ("PDW_MAX_BPMN_BYTES", "0", "PDW_MAX_BPMN_BYTES='0' must be at least 1"),
    ("PDW_SCRIPT_MEMORY_MB", "1.5", "PDW_SCRIPT_MEMORY_MB='1.5' is not a whole number"),
    ("PDW_SCRIPT_MEMORY_MB", "32", "PDW_SCRIPT_MEMORY_MB='32' must be at least 64"),
    ("PDW_PASSWORD_HASH_COST", "fourteen", "PDW_PASSWORD_HASH_COST='fourteen' is not a whole number"),
    ("PDW_PASSWORD_HASH_COST", "21", "PDW_PASSWORD_HASH_COST='21' must be between 1 and 20"),
    ("PDW_SESSION_IDLE_MINUTES", "half an hour", "PDW_SESSION_IDLE_MINUTES='half an hour' is not a whole number"),
    ("PDW_SIGN_IN_MAX_FAILURES", "-1", "PDW_SIGN_IN_MAX_FAILURES='-1' must be at least 1"),
    ("PDW_SIGN_IN_WINDOW_MINUTES", "15m", "PDW_SIGN_IN_WINDOW_MINUTES='15m' is not a whole number"),
    ("PDW_SCRIPT_TIME_LIMIT", "2s", "PDW_SCRIPT_TIME_LIMIT='2s' is not a number of seconds"),
    ("PDW_SCRIPT_TIME_LIMIT", "0", "PDW_SCRIPT_TIME_LIMIT='0' must be a positive number of seconds"),
    ("PDW_SCRIPT_TIME_LIMIT", "inf", "PDW_SCRIPT_TIME_LIMIT='inf' must be a positive number of seconds"),
    ("PDW_CALENDAR_CHECK_SECONDS", "-1", "PDW_CALENDAR_CHECK_SECONDS='-1' must be a number of seconds, 0 or more"),
    ("PDW_DATABASE_SPIN_SECONDS", "1ms", "PDW_DATABASE_SPIN_SECONDS='1ms' is not a number of seconds"),
    ("PDW_SECURE_COOKIES", "maybe", "PDW_SECURE_COOKIES='maybe' is neither 1 nor 0"),
    ("PDW_DATABASE_PREPARE", "off-ish", "PDW_DATABASE_PREPARE='off-ish' is neither 1 nor 0"),
    ("PDW_LANG", "fr", "PDW_LANG='fr' is not one of en, zh"),
    ("PDW_CLOCK", "yesterday", "PDW_CLOCK='yesterday' is not an ISO datetime"),
])
def test_a_bad_value_is_an_error_naming_its_variable(name: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        Config.from_env({name: value})
    assert str(raised.value).startswith(message)


@pytest.mark.parametrize(("value", "expected"), [("0", False), ("no", False), ("true", True), ("ON", True)])
def test_secure_cookies_takes_the_usual_spellings_of_a_flag(value: str, expected: bool) -> None:
    assert Config.from_env({"PDW_SECURE_COOKIES": value}).secure_cookies is expected


def test_the_language_is_case_insensitive() -> None:
    assert Config.from_env({"PDW_LANG": "ZH"}).language == "zh"


def test_build_engine_takes_the_clock_and_the_arrangements_from_the_config(tmp_path: Path) -> None:
    shipped = (SHIPPED_DIR / "2026.toml").read_text(encoding="utf-8")
    (tmp_path / "2026.toml").write_text(shipped + '\n[[days_off]]\ndate = 2026-03-02\nname = "本地加放"\n',
                                        encoding="utf-8")
    config = replace(Config(), database_url=f"sqlite:///{tmp_path / 'pdw.sqlite3'}", arrangements_dir=tmp_path,
                     clock="2026-02-28T10:00")
    engine = build_engine(config)
    try:
        assert engine.clock.now() == datetime(2026, 2, 28, 2, tzinfo=timezone.utc)
        # What `pdw db upgrade` does: the folder's 2026 notice takes the shipped one's place.
        upgrade(engine.db)
        calendar.seed(engine.uow(), [config.arrangements_dir])
        # 2026-03-02 is a local day off, so the first working day after 02-28 is 03-03,
        # both for the engine's calendar and for the sandbox worker's.
        assert engine.calendar.add_working_days(date(2026, 2, 28), 1) == date(2026, 3, 3)
        assert engine.sandbox.evaluate("working_days_after('2026-02-28', 1)", {}, engine.clock.now()) == "2026-03-03"
    finally:
        engine.close()


def test_a_long_bad_value_is_quoted_by_its_start_in_one_short_line() -> None:
    with pytest.raises(ConfigError) as raised:
        Config.from_env({"PDW_DATABASE_PREPARE": "1" * 5000})
    message = str(raised.value)
    assert message.startswith("PDW_DATABASE_PREPARE='111") and "(5002 characters)" in message
    assert len(message) < 160 and "\n" not in message
