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
    first = int(period.warmup_s // interval_s)
    last = int(np.ceil(period.end_s / interval_s))
    starts = np.arange(first, last) * interval_s
    edges = np.append(starts, last * interval_s)
    clipped = np.clip(edges, period.warmup_s, period.end_s)
    if flags is None:
        flags = contact_flags(frames["contacts"], frames["legs"], period)
    flags = flags.assign(interval=flags["arrival_s"] // interval_s)
    rows = []
    for channel in sorted(period.thresholds):
        rows.append(_channel_rows(flags[flags["channel"] == channel], channel, first, starts,
                                  interval_s))
        rows[-1] = rows[-1].assign(**_staffing(frames, clipped, [
            g for g, chans in group_channels.items() if channel in chans]))
    table = pd.concat(rows, ignore_index=True)
    table["clock"] = [format_clock(start_clock_s + s) for s in table["start_s"]]
    return table[list(INTERVAL_COLUMNS)].sort_values(["interval", "channel"], ignore_index=True)


def _channel_rows(flags: pd.DataFrame, channel: str, first: int, starts: np.ndarray,
                  interval_s: float) -> pd.DataFrame:
    index = np.arange(first, first + len(starts))
    grouped = flags.groupby("interval")
    sums = grouped[["offered", "handled", "abandoned", "in_sl"]].sum().reindex(index,
                                                                               fill_value=0)
    asa = flags["wait_s"].where(flags["handled"]).groupby(flags["interval"]).mean()
    offered = sums["offered"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        sl = np.where(offered > 0, sums["in_sl"].to_numpy() / np.maximum(offered, 1), np.nan)
    return pd.DataFrame({
        "interval": index, "start_s": starts, "channel": channel, "offered": offered,
        "handled": sums["handled"].to_numpy(dtype=float),
        "abandoned": sums["abandoned"].to_numpy(dtype=float),
        "service_level": sl, "asa_s": asa.reindex(index).to_numpy(dtype=float),
    })


def _staffing(frames: dict[str, pd.DataFrame], clipped_edges: np.ndarray,
              groups: list[str]) -> dict[str, np.ndarray]:
    sessions = frames["sessions"][frames["sessions"]["group"].isin(groups)]
    legs = frames["legs"][frames["legs"]["group"].isin(groups)]
    staffed = overlap_per_bin(sessions["start_s"], sessions["end_s"], clipped_edges)
    busy = overlap_per_bin(legs["answered_s"], legs["end_s"], clipped_edges)
    length = np.diff(clipped_edges)
    with np.errstate(divide="ignore", invalid="ignore"):
        return {"staffed_agents": np.where(length > 0, staffed / np.where(length > 0, length, 1),
                                           np.nan),
                "occupancy": np.where(staffed > 0, busy / np.where(staffed > 0, staffed, 1),
                                      np.nan)}
