"""The one clock every command, scheduler job and BPMN timer reads."""
from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


class ClockError(ValueError):
    """Raised when PDW_CLOCK does not hold an ISO datetime."""


class Clock:
    """Wall-clock time, or a frozen instant for rehearsals and tests."""

    def __init__(self, frozen: datetime | None = None) -> None:
        self._frozen = _utc(frozen) if frozen is not None else None

    @classmethod
    def parse(cls, value: str) -> "Clock":
        """The clock a PDW_CLOCK setting names: frozen at its ISO datetime, or the system clock
        when it is empty.

        Raises:
            ClockError: `value` is not empty and not an ISO datetime.
        """
        value = value.strip()
        if not value:
            return cls()
        try:
            return cls(datetime.fromisoformat(value))
        except ValueError:
            raise ClockError(f"PDW_CLOCK={value!r} is not an ISO datetime such as 2026-03-02T09:00+08:00") from None

    @property
    def frozen(self) -> bool:
        """True when time stands still (at PDW_CLOCK, or where `set` put it)."""
        return self._frozen is not None

    def set(self, instant: datetime) -> None:
        """Freeze the clock at `instant`, or move a frozen clock there; naive means Beijing time."""
        self._frozen = _utc(instant)

    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""
        return self._frozen or datetime.now(timezone.utc)

    def today(self) -> date:
        """Today's date in Asia/Shanghai, the date a receipt is stamped with."""
        return self.now().astimezone(SHANGHAI).date()


def _utc(instant: datetime) -> datetime:
    if instant.tzinfo is None:
        # A bare datetime means Beijing time: that is how officials read dates.
        instant = instant.replace(tzinfo=SHANGHAI)
    return instant.astimezone(timezone.utc)
