"""The ``calendar:`` section: which date simulated time 0 is, and how days differ.

Without a calendar every simulated day is the scenario's typical day. With one,
``start_date`` is the date at simulated time 0 (the clock then is ``horizon.start``), so
each moment of the horizon has a date and a weekday; ``weekdays`` and ``dates`` give a
:class:`DayRule` for the days that differ from the typical day (a date rule wins over its
weekday's rule). Shifts can be limited to weekdays (``shifts[].days``).
:mod:`simcc.model.days` turns simulated times into dates and weekdays.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from simcc.scenario.types import Name, Spec

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""Weekday names, Monday first (index = ``date.weekday()``)."""
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
MAX_DATES = 3660
"""Most dated rules (ten years of days)."""


class DayRule(Spec):
    """How one day differs from the typical day."""

    volume: float = Field(default=1.0, ge=0.0, le=1000.0,
                          description="multiplies every demand's arrival rate that day")
    profile: Name | None = Field(
        default=None, description="profile that replaces the demands' profiles that day")


class Calendar(Spec):
    """Dates of the simulated days and the rules of the days that differ."""

    start_date: dt.date = Field(description="date at simulated time 0 (YYYY-MM-DD)")
    weekdays: dict[Weekday, DayRule] = Field(
        default_factory=dict, description="rules per weekday (mon ... sun)")
    dates: dict[dt.date, DayRule] = Field(
        default_factory=dict, max_length=MAX_DATES,
        description="rules per date (holidays, special days); win over weekdays")

    def rule(self, date: dt.date) -> DayRule | None:
        """The rule of ``date`` (its date rule, else its weekday's), None: typical."""
        if date in self.dates:
            return self.dates[date]
        return self.weekdays.get(WEEKDAYS[date.weekday()])
