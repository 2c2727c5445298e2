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

from simcc.metrics.kpis import Period, contact_flags
from simcc.metrics.timeweighted import overlap_per_bin
from simcc.units import format_clock

INTERVAL_COLUMNS = (
    "interval", "start_s", "clock", "channel", "offered", "handled", "abandoned",
    "service_level", "asa_s", "staffed_agents", "occupancy",
)


def interval_table(frames: dict[str, pd.DataFrame], period: Period, interval_s: float,
                   start_clock_s: float, group_channels: dict[str, list[str]],
                   flags: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per (interval, channel); see the module docstring for the columns.

    ``flags`` (from :func:`contact_flags`) is computed when not given.
    """
    if flags is None:
        flags = contact_flags(frames["contacts"], frames["legs"], period)
    sums = interval_sums(frames, flags, period, interval_s, group_channels)
    return interval_ratios(sums, period, interval_s, start_clock_s)


def _interval_edges(period: Period, interval_s: float) -> tuple[np.ndarray, np.ndarray]:
    """Interval numbers overlapping the counted period, and their edges clipped to it."""
    first = int(period.warmup_s // interval_s)
    last = int(np.ceil(period.end_s / interval_s))
    index = np.arange(first, last)
    edges = np.append(index, last) * interval_s
    return index, np.clip(edges, period.warmup_s, period.end_s)


def interval_sums(frames: dict[str, pd.DataFrame], flags: pd.DataFrame, period: Period,
                  interval_s: float, group_channels: dict[str, list[str]]) -> pd.DataFrame:
    """Additive totals per (channel, interval): counted contacts ``offered``,
    ``handled``, ``abandoned``, ``in_sl`` and ``wait_handled_s`` (summed wait of the
    handled) by interval of arrival; agent-seconds logged in (``staffed_s``) and in use
    (``busy_s``) of the groups serving the channel within each interval's counted part.
    Totals of disjoint sets of complete issues (and of sessions) add up."""
    index, clipped = _interval_edges(period, interval_s)
    interval = (flags["arrival_s"].to_numpy() // interval_s).astype(np.int64) - index[0] \
        if len(index) else np.zeros(len(flags), dtype=np.int64)
    channel_of = flags["channel"].astype(object).to_numpy()
    handled = flags["handled"].to_numpy()
    counted = {"offered": flags["offered"].to_numpy(), "handled": handled,
               "abandoned": flags["abandoned"].to_numpy(), "in_sl": flags["in_sl"].to_numpy(),
               "wait_handled_s": np.where(handled, flags["wait_s"].to_numpy(), 0.0)}
    parts = []
    for channel in sorted(period.thresholds):
        mine = channel_of == channel
        groups = [g for g, chans in group_channels.items() if channel in chans]
        sessions = frames["sessions"][frames["sessions"]["group"].isin(groups)]
        legs = frames["legs"][frames["legs"]["group"].isin(groups)]
        parts.append(pd.DataFrame({
            "channel": channel, "interval": index,
            **{name: np.bincount(interval[mine], weights=values[mine].astype(float),
                                 minlength=len(index))[:len(index)]
               for name, values in counted.items()},
            "staffed_s": overlap_per_bin(sessions["start_s"], sessions["end_s"], clipped),
            "busy_s": _busy_per_bin(legs, clipped, period.concurrency)}))
    return pd.concat(parts, ignore_index=True).set_index(["channel", "interval"])


def _busy_per_bin(legs: pd.DataFrame, edges: np.ndarray, concurrency: dict[str, int]
                  ) -> np.ndarray:
    """Agent-seconds of capacity in use per bin: a leg on a channel with concurrency c
    counts 1/c of its duration (as the overall occupancy does)."""
    if "channel" not in legs or not any(c > 1 for c in concurrency.values()):
        return overlap_per_bin(legs["answered_s"], legs["end_s"], edges)
    channel = legs["channel"].astype(object).to_numpy()
    busy = np.zeros(len(edges) - 1)
    for name in set(channel):
        part = legs[channel == name]
        busy += overlap_per_bin(part["answered_s"], part["end_s"], edges) / \
            concurrency.get(name, 1)
    return busy


def interval_ratios(sums: pd.DataFrame, period: Period, interval_s: float,
                    start_clock_s: float) -> pd.DataFrame:
    """The interval table from :func:`interval_sums` totals."""
    index, clipped = _interval_edges(period, interval_s)
    length = np.diff(clipped)
    table = sums.reset_index()
    position = (table["interval"].to_numpy() - index[0]) if len(index) else table["interval"]
    span = length[position]
    table["start_s"] = table["interval"] * interval_s
    with np.errstate(divide="ignore", invalid="ignore"):
        offered, handled, staffed = (table[c].to_numpy(dtype=float)
                                     for c in ("offered", "handled", "staffed_s"))
        table["service_level"] = np.where(offered > 0, table["in_sl"] / np.maximum(offered, 1),
                                          np.nan)
        table["asa_s"] = np.where(handled > 0, table["wait_handled_s"] / np.maximum(handled, 1),
                                  np.nan)
        table["staffed_agents"] = np.where(span > 0, staffed / np.where(span > 0, span, 1),
                                           np.nan)
        table["occupancy"] = np.where(staffed > 0, table["busy_s"] / np.where(
            staffed > 0, staffed, 1), np.nan)
    table["clock"] = [format_clock(start_clock_s + s) for s in table["start_s"]]
    for column in ("offered", "handled", "abandoned"):
        table[column] = table[column].astype(float)
    return table[list(INTERVAL_COLUMNS)].sort_values(["interval", "channel"], ignore_index=True)
