"""Per-interval table: KPIs by interval of arrival and channel, with staffing.

Intervals are ``[k * interval, (k + 1) * interval)`` of simulated time, labelled with
their clock time; only those overlapping the counted period are reported. Contact
columns count counted contacts by interval of *arrival*; ``staffed_agents`` (mean
agents logged in) and ``occupancy`` (busy / logged-in time) are time-weighted over the
part of the interval inside the counted period, for the agents of the groups that
serve the channel.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simcc.metrics.columns import columns_of_frames
from simcc.metrics.flags import Flags, Period, contact_flags
from simcc.metrics.kpis import ratio, totals_by_code
from simcc.metrics.records import Columns
from simcc.metrics.timeweighted import overlap_per_bin
from simcc.units import format_clock

INTERVAL_COLUMNS = (
    "interval", "start_s", "clock", "channel", "offered", "handled", "abandoned",
    "service_level", "asa_s", "aht_s", "acw_s", "staffed_agents", "occupancy",
)
INTERVAL_SUMS = ("offered", "handled", "abandoned", "in_sl", "wait_handled_s", "work_s",
                 "wrap_s", "legs", "staffed_s", "busy_s")
"""The additive totals per (channel, interval): see :func:`interval_sums`."""


def interval_table(frames: dict[str, pd.DataFrame], period: Period, interval_s: float,
                   start_clock_s: float, group_channels: dict[str, list[str]]) -> pd.DataFrame:
    """One row per (interval, channel) of complete record tables (see
    :mod:`simcc.metrics.columns`); see the module docstring for the columns."""
    columns = columns_of_frames(frames)
    sums = interval_sums(columns, contact_flags(columns, period), period, interval_s,
                         group_channels)
    return interval_ratios(sums, period, interval_s, start_clock_s)


def _interval_edges(period: Period, interval_s: float) -> tuple[np.ndarray, np.ndarray]:
    """Interval numbers overlapping the counted period, and their edges clipped to it."""
    first = int(period.warmup_s // interval_s)
    last = int(np.ceil(period.end_s / interval_s))
    index = np.arange(first, last)
    edges = np.append(index, last) * interval_s
    return index, np.clip(edges, period.warmup_s, period.end_s)


def interval_sums(columns: Columns, flags: Flags, period: Period, interval_s: float,
                  group_channels: dict[str, list[str]]) -> np.ndarray:
    """Additive totals per (channel, interval, :data:`INTERVAL_SUMS`), channels in order
    of name: counted contacts ``offered``, ``handled``, ``abandoned``, ``in_sl``,
    ``wait_handled_s`` (summed wait of the handled), ``work_s``, ``wrap_s`` and ``legs``
    (handle + wrap-up seconds, wrap-up seconds and number of their conversation legs) by
    interval of arrival; agent-seconds logged in (``staffed_s``) and in use (``busy_s``)
    of the groups serving the channel within each interval's counted part. Totals of
    disjoint sets of complete issues (and of sessions) add up."""
    index, clipped = _interval_edges(period, interval_s)
    channels = sorted(period.thresholds)
    n_int = len(index)
    position = {name: k for k, name in enumerate(channels)}
    channel_position = np.array([position.get(name, -1) for name in columns.labels["channel"]]
                                + [-1], dtype=np.int64)[flags["channel"]]
    interval = (flags["arrival_s"] // interval_s).astype(np.int64) - (index[0] if n_int else 0)
    mine = (channel_position >= 0) & (interval >= 0) & (interval < n_int)
    every = bool(mine.all())
    cell = channel_position * n_int + interval
    handled = flags["handled"]
    counted = [flags["offered"], handled, flags["abandoned"], flags["in_sl"],
               np.where(handled, flags["wait_s"], 0.0), flags["work_s"], flags["wrap_s"],
               flags["legs"].astype(float)]
    out = np.zeros((len(channels), n_int, len(INTERVAL_SUMS)))
    width = len(counted)
    out[:, :, :width] = totals_by_code(cell if every else cell[mine], len(channels) * n_int,
                                       counted if every else [v[mine] for v in counted]
                                       ).reshape(len(channels), n_int, width)
    groups = {name: k for k, name in enumerate(columns.labels["group"])}
    for k, channel in enumerate(channels):
        serving = [groups[g] for g, chans in group_channels.items()
                   if channel in chans and g in groups]
        sessions = np.isin(columns.sessions["group"], serving)
        out[k, :, width] = overlap_per_bin(columns.sessions["start_s"][sessions],
                                           columns.sessions["end_s"][sessions], clipped)
        out[k, :, width + 1] = _busy_per_bin(columns, np.isin(columns.legs["group"], serving),
                                     clipped, period.concurrency)
    return out


def _busy_per_bin(columns: Columns, legs: np.ndarray, edges: np.ndarray,
                  concurrency: dict[str, int]) -> np.ndarray:
    """Agent-seconds of capacity in use per bin by the ``legs`` (a mask): a leg on a
    channel with concurrency c counts 1/c of its duration (as the overall occupancy
    does)."""
    start, end = columns.legs["answered_s"], columns.legs["end_s"]
    if not any(c > 1 for c in concurrency.values()):
        return overlap_per_bin(start[legs], end[legs], edges)
    names = columns.labels["channel"]
    channel = columns.legs["channel"]
    busy = np.zeros(len(edges) - 1)
    for code in np.unique(channel[legs]):
        part = legs & (channel == code)
        slots = concurrency.get(names[code], 1) if code >= 0 else 1
        busy += overlap_per_bin(start[part], end[part], edges) / slots
    return busy


def interval_ratios(sums: np.ndarray, period: Period, interval_s: float,
                    start_clock_s: float) -> pd.DataFrame:
    """The interval table from :func:`interval_sums` totals, by interval and channel."""
    index, clipped = _interval_edges(period, interval_s)
    channels = sorted(period.thresholds)
    t = {name: sums[:, :, k].T.ravel() for k, name in enumerate(INTERVAL_SUMS)}
    interval = np.repeat(index, len(channels))
    span = np.repeat(np.diff(clipped), len(channels))
    start_s = interval * interval_s
    clocks = [format_clock(start_clock_s + s) for s in index * interval_s]
    offered, handled, staffed = t["offered"], t["handled"], t["staffed_s"]
    return pd.DataFrame({
        "interval": interval.astype(np.int64), "start_s": start_s.astype(float),
        "clock": np.repeat(np.asarray(clocks, dtype=object), len(channels)),
        "channel": np.tile(np.asarray(channels, dtype=object), len(index)),
        "offered": offered, "handled": handled, "abandoned": t["abandoned"],
        "service_level": ratio(t["in_sl"], offered), "asa_s": ratio(t["wait_handled_s"], handled),
        "aht_s": ratio(t["work_s"], t["legs"]), "acw_s": ratio(t["wrap_s"], t["legs"]),
        "staffed_agents": ratio(staffed, span), "occupancy": ratio(t["busy_s"], staffed)},
        columns=list(INTERVAL_COLUMNS), copy=False)
