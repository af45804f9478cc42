"""The calendar of record: installing a year's State Council holiday notice, and reading the calendar.

Notices live in `calendar_arrangements`, one current row per year. `pdw db upgrade` installs
the shipped files (and PDW_ARRANGEMENTS_DIR's) for years the database has none for; an
administrator installs a new year's notice the day it is published. An install is checked
whole, refused with every problem or written in one transaction: the notice, the calendar
version, the deadlines it moves (engine.services.recount) and an audit entry.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import select

from engine.calendar import CalendarError, Notice, WorkingCalendar
from engine.calendar.arrangements import SHIPPED_DIR, Arrangement, check_arrangement
from engine.calendar.model import MIN_YEAR, SOURCE_PROVISIONAL
from engine.calendar_sync import arrangement_of, arrangements_of
from engine.errors import InvalidInput, PermissionDenied, Problem
from engine.persistence.models import CalendarArrangement
from engine.persistence.repositories import ArrangementRow
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import recount
from engine.services.recount import DeadlineChange, SkippedTimer
from engine.services.users import require_user

ADMIN = "admin"
SEED_ACTOR = "pdw db upgrade"


@dataclass(frozen=True)
class InstallReport:
    """What installing a notice did (or, in a dry run, would do)."""

    notice: Notice
    file_name: str
    dry_run: bool
    unchanged: bool = False  # the same notice is installed already: nothing to do
    replaced: Notice | None = None
    version: int | None = None  # the calendar version the install made (None in a dry run)
    changes: list[DeadlineChange] = field(default_factory=list)
    skipped: list[SkippedTimer] = field(default_factory=list)

    @property
    def year(self) -> int:
        """The year of the notice."""
        return self.notice.year

    def to_dict(self) -> dict:
        """JSON-able form."""
        return {"year": self.year, "notice": self.notice.to_dict(), "file": self.file_name, "dry_run": self.dry_run,
                "unchanged": self.unchanged, "replaced": self.replaced.to_dict() if self.replaced else None,
                "version": self.version, "changes": [c.to_dict() for c in self.changes],
                "skipped": [s.to_dict() for s in self.skipped]}


def install(uow: UnitOfWork, text: str, *, file_name: str, actor: str, replace: bool = False,
            reason: str | None = None, dry_run: bool = False) -> InstallReport:
    """Install the holiday notice in `text` (TOML) as the calendar of record for its year, and
    re-count every open deadline it moves.

    Args:
        text: the arrangement file's contents.
        file_name: its name, kept with it and used in problems.
        actor: an administrator.
        replace: replace the notice already installed for the year (needs `reason`).
        reason: why a year's notice is replaced.
        dry_run: only report what would change; nothing is written.

    Returns:
        The notice, the notice it replaced, and every deadline moved (or that would move).

    Raises:
        NotFound: no such user.
        PermissionDenied: the user is not an administrator (`calendar.admin_only`).
        InvalidInput: the file has problems, or the year has a notice and no --replace with a
            reason was given (`calendar.not_installed`, one Problem each); nothing is changed.
        Conflict: an application changed meanwhile (`calendar.install_conflict`); nothing is changed.
    """
    arrangement, problems = check_arrangement(text, file_name)
    reason = (reason or "").strip() or None
    with uow.read() if dry_run else uow:
        user = require_user(uow.session, actor)
        if ADMIN not in user.roles:
            raise PermissionDenied("calendar.admin_only", user=actor)
        report = _install(uow, arrangement, problems, text, file_name, actor=actor, replace=replace, reason=reason,
                          dry_run=dry_run)
        if report.dry_run or report.unchanged:
            return report
        arrangements = arrangements_of(uow.calendar.current())
        uow.commit()
    # This process counts by the new notice at once; others when they next read the version.
    uow.engine.calendar.use(report.version, arrangements)
    return report


def seed(uow: UnitOfWork, folders: list[Path] | None = None, *, actor: str = SEED_ACTOR) -> list[InstallReport]:
    """Install the notices of the shipped files and of `folders` for every year the database has
    none for (a later folder's file replaces an earlier one's for the same year), in one transaction.

    Raises:
        CalendarError: a folder does not exist.
        InvalidInput: a file has problems (`calendar.not_installed`); nothing is installed.
    """
    files: dict[int, tuple[Arrangement, str, str]] = {}
    for folder in [SHIPPED_DIR, *(folders or [])]:
        if not Path(folder).is_dir():
            raise CalendarError("calendar.folder_missing", folder=str(folder))
        for path in sorted(Path(folder).glob("*.toml")):
            text = path.read_text(encoding="utf-8")
            arrangement, problems = check_arrangement(text, path.name)
            if problems:
                raise InvalidInput("calendar.not_installed", problems, file=path.name, count=len(problems))
            files[arrangement.year] = (arrangement, text, path.name)
    reports = []
    with uow:
        installed = {row.year for row in uow.calendar.current()}
        for year in sorted(files.keys() - installed):
            arrangement, text, name = files[year]
            reports.append(_install(uow, arrangement, [], text, name, actor=actor, replace=False, reason=None,
                                    dry_run=False))
        if not reports:
            return reports
        arrangements = arrangements_of(uow.calendar.current())
        uow.commit()
    uow.engine.calendar.use(reports[-1].version, arrangements)
    return reports


def _install(uow: UnitOfWork, arrangement: Arrangement | None, problems: list[Problem], text: str, file_name: str,
             *, actor: str, replace: bool, reason: str | None, dry_run: bool) -> InstallReport:
    engine = uow.engine
    now = engine.clock.now()
    # Raising the version first takes the head row's lock: installs queue up behind each other.
    version = None if dry_run else uow.calendar.bump(now)
    rows = {row.year: row for row in uow.calendar.current()}
    existing = rows.get(arrangement.year) if arrangement is not None else None
    if existing is not None:
        if existing.fingerprint == arrangement.fingerprint():
            return InstallReport(_notice_of(existing), existing.file_name, dry_run, unchanged=True)
        if not replace:
            problems.append(Problem("calendar.year_installed",
                                    {"year": existing.year, "notice": existing.notice,
                                     "installed_at": existing.installed_at.isoformat(timespec="minutes")},
                                    field="year", file=file_name))
        elif reason is None:
            problems.append(Problem("calendar.reason_missing", field="reason"))
    if problems:
        raise InvalidInput("calendar.not_installed", problems, file=file_name, count=len(problems))

    year = arrangement.year
    new = arrangement.with_source(f"installed:{file_name}", now)
    old = arrangements_of(rows.values())
    arrangements = {**old, year: new}
    calendar = WorkingCalendar(arrangements, engine.rules)
    since = recount.first_affected_day(new, old.get(year))
    planned = recount.plan(uow, calendar, arrangements, since, now)
    replaced = _notice_of(existing) if existing is not None else None
    report = InstallReport(new.notice, file_name, dry_run, replaced=replaced, version=version,
                           changes=planned.changes, skipped=planned.skipped)
    if dry_run:
        return report

    if existing is not None:
        uow.calendar.supersede(existing.id, now)
    uow.calendar.add({"year": year, "notice": new.notice.notice, "title": new.notice.title,
                      "published": new.notice.published, "days": new.to_dict(), "file_name": file_name,
                      "file_text": text, "fingerprint": arrangement.fingerprint(), "calendar_version": version,
                      "installed_at": now, "installed_by": actor, "reason": reason})
    recount.apply(uow, planned, actor=actor, notice=new.notice.notice, now=now)
    uow.audit.append(at=now, actor=actor, action="calendar.install", before=_audited(existing),
                     after={"year": year, "notice": new.notice.notice, "title": new.notice.title,
                            "published": new.notice.published.isoformat(), "file": file_name,
                            "fingerprint": arrangement.fingerprint(), "calendar_version": version,
                            "reason": reason, "changed": len(planned.changes),
                            "skipped": [s.to_dict() for s in planned.skipped]})
    return report


def _notice_of(row: ArrangementRow) -> Notice:
    return arrangement_of(row.days, row.installed_at).notice


def _audited(row: ArrangementRow | None) -> dict | None:
    if row is None:
        return None
    return {"year": row.year, "notice": row.notice, "file": row.file_name, "fingerprint": row.fingerprint,
            "installed_at": row.installed_at.isoformat(), "installed_by": row.installed_by}


@dataclass(frozen=True)
class RecountReport:
    """What re-counting open deadlines by the calendar of record changed (or would change)."""

    version: int
    since: date
    dry_run: bool
    changes: list[DeadlineChange] = field(default_factory=list)
    skipped: list[SkippedTimer] = field(default_factory=list)

    def to_dict(self) -> dict:
        """JSON-able form."""
        return {"version": self.version, "since": self.since.isoformat(), "dry_run": self.dry_run,
                "changes": [c.to_dict() for c in self.changes], "skipped": [s.to_dict() for s in self.skipped]}


def recount_open(uow: UnitOfWork, *, actor: str, since: date | None = None, dry_run: bool = False) -> RecountReport:
    """Re-count every open deadline due on or after `since` (every one when None) by the calendar
    of record, as an install does: for deadlines written by a process that had not yet noticed
    a new notice, or to check that none is out of step.

    Raises:
        NotFound: no such user.
        PermissionDenied: the user is not an administrator (`calendar.admin_only`).
    """
    with uow.read() if dry_run else uow:
        user = require_user(uow.session, actor)
        if ADMIN not in user.roles:
            raise PermissionDenied("calendar.admin_only", user=actor)
        report = _recount(uow, actor=actor, since=since or date(MIN_YEAR, 1, 1), dry_run=dry_run)
        if not dry_run:
            uow.commit()
    return report


def recount_after(uow: UnitOfWork, version: int, *, actor: str) -> RecountReport | None:
    """Re-count the open deadlines that the notices installed after calendar version `version`
    may move (a scheduler does this a while after it notices a change); None when none was.
    """
    with uow:
        years = uow.session.scalars(select(CalendarArrangement.year)
                                    .where(CalendarArrangement.calendar_version > version)).all()
        if not years:
            return None
        # A notice moves days at most into December of the year before.
        report = _recount(uow, actor=actor, since=date(min(years) - 1, 12, 1), dry_run=False)
        uow.commit()
    return report


def _recount(uow: UnitOfWork, *, actor: str, since: date, dry_run: bool) -> RecountReport:
    engine = uow.engine
    now = engine.clock.now()
    version = uow.calendar.version()
    arrangements = arrangements_of(uow.calendar.current())
    planned = recount.plan(uow, WorkingCalendar(arrangements, engine.rules), arrangements, since, now)
    if not dry_run:
        recount.apply(uow, planned, actor=actor, notice=None, now=now)
    return RecountReport(version, since, dry_run, planned.changes, planned.skipped)


def counted(uow: UnitOfWork) -> WorkingCalendar:
    """The calendar of record as it stands now (read from the database if it changed)."""
    with uow.read():
        return uow.engine.calendar.current


def year_view(uow: UnitOfWork, year: int) -> dict:
    """A year of the calendar of record: which notice it comes from, when and by whom it was
    installed (with the notices it replaced), and its days off and make-up working days.

    Raises:
        CalendarError: the year is outside 1950..2200.
    """
    with uow.read():
        calendar = uow.engine.calendar.current
        notice = calendar.notice(year)
        entries = calendar.year_entries(year)
        history = uow.session.scalars(select(CalendarArrangement).where(CalendarArrangement.year == year)
                                      .order_by(CalendarArrangement.id.desc())).all()
    return {
        "year": year,
        "status": "provisional" if notice.source == SOURCE_PROVISIONAL else "official",
        "notice": notice.to_dict(),
        "installs": [{"notice": row.notice, "title": row.title, "published": row.published.isoformat(),
                      "file": row.file_name, "installed_at": row.installed_at.isoformat(),
                      "installed_by": row.installed_by, "reason": row.reason, "calendar_version": row.calendar_version,
                      "current": row.superseded_at is None,
                      "superseded_at": row.superseded_at.isoformat() if row.superseded_at else None}
                     for row in history],
        "entries": [entry.to_dict() for entry in entries],
    }


def installed_years(uow: UnitOfWork) -> list[dict]:
    """Every year with an installed notice: year, notice, title, file, installed_at, installed_by."""
    with uow.read():
        return [{"year": row.year, "notice": row.notice, "title": row.title, "published": row.published.isoformat(),
                 "file": row.file_name, "installed_at": row.installed_at.isoformat(),
                 "installed_by": row.installed_by} for row in uow.calendar.current()]


__all__ = ["InstallReport", "RecountReport", "install", "seed", "recount_open", "recount_after", "counted",
           "year_view", "installed_years", "DeadlineChange", "SkippedTimer"]
