"""Per-interval figures' time: the reported intervals of a run, their day and clock
labels, duration labels and the labelled time axis (day changes marked on multi-day
horizons)."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from simcc.units import DAY, format_clock

if TYPE_CHECKING:
    from simcc.experiment.result import Result

TICK_STEPS_S = (900, 1800, 3600, 7200, 10800, 14400, 21600, 28800, 43200, 86400, 172800,
                604800)
"""Candidate spacings of the time-axis labels (s): 15 min to a week."""


def interval_bins(result: Result) -> pd.DataFrame:
    """The reported intervals (those of ``result.intervals``) in order: interval,
    start_s (simulated time, s) and clock (HH:MM of the day)."""
    return (result.intervals[["interval", "start_s", "clock"]]
            .drop_duplicates("interval").sort_values("interval", ignore_index=True))


def channel_rows(result: Result, bins: pd.DataFrame, channel: str) -> pd.DataFrame:
    """The interval rows of ``channel`` in the order of ``bins`` (NaN rows where the
    channel has none)."""
    table = result.intervals
    return (table[table["channel"].astype(str) == channel].set_index("interval")
            .reindex(bins["interval"]))


def duration_label(seconds: float) -> str:
    """``1800`` -> ``"30 min"``, ``3600`` -> ``"1 h"``, ``45`` -> ``"45 s"``."""
    if seconds % 3600 == 0:
        return f"{seconds / 3600:g} h"
    if seconds % 60 == 0:
        return f"{seconds / 60:g} min"
    return f"{seconds:g} s"


def _bin_starts(result: Result, bins: pd.DataFrame) -> np.ndarray:
    """Start of each bin in seconds since the start of the horizon's first day."""
    return result.scenario.horizon.start + bins["start_s"].to_numpy(dtype=float)


def day_and_clock(result: Result, bins: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    """Day of the horizon (1 = the day the horizon starts) and clock time (HH:MM) of the
    start of each bin."""
    return (np.floor(_bin_starts(result, bins) / DAY).astype(int) + 1), list(bins["clock"])


def time_labels(result: Result, bins: pd.DataFrame) -> list[str]:
    """Label of every bin: ``"09:30"`` when the counted period lies within one day,
    else ``"day 2 09:30"``."""
    days, clocks = day_and_clock(result, bins)
    if len(days) == 0 or days.min() == days.max():
        return clocks
    return [f"day {d} {c}" for d, c in zip(days, clocks, strict=True)]


def round_ticks(starts_s: np.ndarray, max_labels: int) -> list[int]:
    """Positions (indexes into ``starts_s``, seconds since a midnight) to label: those
    on whole multiples of the smallest spacing of :data:`TICK_STEPS_S` that gives at
    most ``max_labels`` of them, else every k-th position."""
    n = len(starts_s)
    ticks: list[int] = []
    for step in TICK_STEPS_S:
        ticks = [i for i in range(n) if round(starts_s[i]) % step == 0]
        if ticks and len(ticks) <= max_labels:
            return ticks
    return list(range(0, n, max(1, math.ceil(n / max_labels))))


def day_lines(ax: Axes, day: np.ndarray) -> None:
    """Dotted vertical lines between positions whose ``day`` (one per position) differ."""
    for i in np.flatnonzero(np.diff(day)) + 1:
        ax.axvline(i - 0.5, color="0.4", ls=":", lw=1.0, zorder=1)


def clock_axis(ax: Axes, starts_s: np.ndarray, max_labels: int = 13,
               dates: Sequence[dt.date] = ()) -> None:
    """Label positions ``0..n-1`` with the clock time (HH:MM) of ``starts_s`` (interval
    starts, seconds since a midnight) on round spacings (:func:`round_ticks`): the axis
    of one day's intervals, such as a staffing plan's. With ``dates`` (one per day of a
    calendar plan whose starts run day after day) each label also names its date and
    day changes are dotted vertical lines."""
    starts = np.asarray(starts_s, dtype=float)
    n = len(starts)
    if not dates:
        ticks = round_ticks(starts, max_labels)
        ax.set_xticks(ticks, [format_clock(starts[i]) for i in ticks])
        ax.set_xlim(-0.5, n - 0.5)
        ax.set_xlabel("interval start (clock time, HH:MM)")
        return
    day = np.minimum(np.floor((starts - starts[0]) / DAY + 1e-9).astype(int), len(dates) - 1)
    ticks = round_ticks(starts, min(max_labels, 9))
    ax.set_xticks(ticks, [f"{dates[day[i]].isoformat()}\n{format_clock(starts[i])}"
                          for i in ticks])
    ax.set_xlim(-0.5, n - 0.5)
    day_lines(ax, day)
    ax.set_xlabel("interval start (date, clock time HH:MM)")


def time_axis(ax: Axes, result: Result, bins: pd.DataFrame, max_labels: int = 13) -> None:
    """Label bin positions ``0..n-1`` with their start time: clock times on whole
    multiples of a round spacing (:data:`TICK_STEPS_S`), at most ``max_labels`` of them;
    on a multi-day horizon each label also names the day (``"day 2\\n09:00"``), day
    changes are dotted vertical lines and the axis label says so."""
    days, clocks = day_and_clock(result, bins)
    n = len(clocks)
    multi = n > 0 and days.min() != days.max()
    if multi:
        max_labels = min(max_labels, 9)
    ticks = round_ticks(_bin_starts(result, bins), max_labels)
    labels = [f"day {days[i]}\n{clocks[i]}" if multi else clocks[i] for i in ticks]
    ax.set_xticks(ticks, labels)
    ax.set_xlim(-0.5, n - 0.5)
    if multi:
        day_lines(ax, days)
        ax.set_xlabel("interval start (day of the horizon, clock time HH:MM)")
    else:
        ax.set_xlabel("interval start (clock time, HH:MM)")
