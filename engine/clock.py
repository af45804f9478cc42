"""The one clock every command, scheduler job and BPMN timer reads."""
from __future__ import annotations

import os
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


class ClockError(ValueError):
    """Raised when PDW_CLOCK does not hold an ISO datetime."""


class Clock:
    """Wall-clock time, or a frozen instant for rehearsals and tests."""

    def __init__(self, frozen: datetime | None = None) -> None:
        if frozen is not None and frozen.tzinfo is None:
            # A bare PDW_CLOCK value means Beijing time: that is how officials read dates.
            frozen = frozen.replace(tzinfo=SHANGHAI)
        self._frozen = frozen.astimezone(timezone.utc) if frozen else None

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> "Clock":
        """Build the clock from PDW_CLOCK, or the system clock when it is unset.

        Raises:
            ClockError: PDW_CLOCK is set but is not an ISO datetime.
        """
        value = (environ if environ is not None else os.environ).get("PDW_CLOCK", "").strip()
        if not value:
            return cls()
        try:
            return cls(datetime.fromisoformat(value))
        except ValueError:
            raise ClockError(f"PDW_CLOCK={value!r} is not an ISO datetime such as 2026-03-02T09:00+08:00") from None

    @property
    def frozen(self) -> bool:
        """True when time stands still at PDW_CLOCK."""
        return self._frozen is not None

    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""
        return self._frozen or datetime.now(timezone.utc)

    def today(self) -> date:
        """Today's date in Asia/Shanghai, the date a receipt is stamped with."""
        return self.now().astimezone(SHANGHAI).date()
