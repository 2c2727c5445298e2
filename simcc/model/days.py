"""The one expansion of daily patterns over the simulated time line.

Demand profiles, staffing tables and shifts are given for one typical day, in clock
time; the engine needs them in simulated seconds over ``[0, length)``, where simulated
time 0 is the horizon's start clock. :func:`day_starts` gives the simulated time at
which each day's pattern starts; every daily pattern of the scenario is laid out from
it (:func:`simcc.model.demand.rate_pieces`, :func:`simcc.model.staffing.shift_events`).
"""

from __future__ import annotations

import datetime as dt
import math

from simcc.units import DAY


def day_starts(pattern_clock_s: float, horizon_clock_s: float, length_s: float) -> list[float]:
    """Simulated times at which a daily pattern that starts at clock time
    ``pattern_clock_s`` begins, one per day, from the day before simulated time 0 (its
    end may reach into the horizon) to the day after ``length_s`` seconds."""
    offset = pattern_clock_s - horizon_clock_s
    return [day * DAY + offset for day in range(-1, math.ceil(length_s / DAY) + 1)]


def date_at(start_date: dt.date, horizon_clock_s: float, time_s: float) -> dt.date:
    """The calendar date at simulated time ``time_s`` when simulated time 0 is clock
    time ``horizon_clock_s`` of ``start_date``."""
    return start_date + dt.timedelta(days=math.floor((horizon_clock_s + time_s) / DAY))


def weekday_at(start_date: dt.date, horizon_clock_s: float, time_s: float) -> int:
    """Weekday (0 = Monday) of :func:`date_at`."""
    return date_at(start_date, horizon_clock_s, time_s).weekday()
