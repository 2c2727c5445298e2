"""Figures of a run's per-interval totals (``result.intervals``: the same numbers
whatever records were kept): the intraday profile and the occupancy heatmap."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from simcc.report.figures.style import (
    COLORS,
    bar_style,
    heatmap_cmap,
    new_figure,
    plain,
    series_color,
    style_axes,
    suptitle,
)
from simcc.report.figures.timeaxis import channel_rows, duration_label, interval_bins, time_axis

if TYPE_CHECKING:
    from simcc.experiment.result import Result


def intraday_figure(result: Result, channel: str | None = None) -> Figure:
    """Offered contacts, staffing and service level per interval, from the run's
    accumulated interval table (``result.intervals``: the same numbers whatever
    records were kept).

    With a ``channel``: top panel, mean offered contacts per interval of arrival (bars,
    left axis) and mean agents logged in of the groups serving the channel (line, right
    axis); bottom panel, the channel's service level per interval (%) with its target
    as a dashed line. Without (None, default): top panel, offered contacts per interval
    stacked by channel; bottom panel, each channel's service level (%) with its own
    target (dashed, same color): channels are never pooled, since each counts "within
    its own threshold". The x axis is the start of each reported interval (day and
    clock time on multi-day horizons).

    Returns
    -------
    Figure
        With a channel, three axes: offered (contacts per interval), service level
        (%), staffed agents (agents; twin of the first). Without, two axes: offered
        (one bar container per channel, scenario order) and service level (one solid
        line and one dashed target line per channel).

    Raises
    ------
    ValueError
        If ``channel`` is not a channel of the scenario.
    """
    scenario = result.scenario
    if channel is not None and channel not in scenario.channels:
        raise ValueError(f"unknown channel {channel!r}; channels: {list(scenario.channels)}")
    bins = interval_bins(result)
    fig, (top, bottom) = new_figure(2, 1, height=6.5, sharex=True, height_ratios=(3, 2))
    top.set_ylabel(f"offered (contacts per {duration_label(scenario.horizon.interval)})")
    style_axes(top, grid="y")
    if channel is None:
        _pooled_intraday(result, bins, top, bottom)
        shown = "all channels"
    else:
        _channel_intraday(result, bins, channel, top, bottom)
        shown = plain(channel)
    bottom.set_ylim(0, 105)
    bottom.set_ylabel("service level (%)")
    style_axes(bottom)
    time_axis(bottom, result, bins)
    suptitle(fig, f"{plain(scenario.name)}: intraday profile, {shown} "
                  f"(mean of {result.replications} replications)")
    return fig


def _legend_above(ax: Axes, handles: list, ncols: int = 2) -> None:
    """A legend above the axes: it never hides data."""
    ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(0.0, 1.0), ncols=ncols,
              frameon=False, borderaxespad=0.1)


def _headroom(ax: Axes, values: np.ndarray) -> None:
    """The y axis from 0 to 15% above the largest value (NaN ignored; 0 to 1 when
    there is none above 0)."""
    ax.set_ylim(0, np.nanmax(values, initial=0.0) * 1.15 or 1.0)


def _target_label(result: Result, channel: str) -> str:
    spec = result.scenario.channels[channel].service_level
    return f"target {spec.target:.0%} within {duration_label(spec.threshold)}"


def _channel_intraday(result: Result, bins: pd.DataFrame, channel: str, top: Axes,
                      bottom: Axes) -> None:
    rows = channel_rows(result, bins, channel)
    offered = rows["offered"].to_numpy(dtype=float)
    staffed = rows["staffed_agents"].to_numpy(dtype=float)
    x = np.arange(len(bins))
    top.bar(x, offered, color=COLORS["offered"], label="offered contacts",
            **bar_style(len(x)))
    twin = top.twinx()
    twin.plot(x, staffed, _marker(x), ms=3, color=COLORS["staffed"],
              label=f"staffed agents (groups serving {plain(channel)})")
    twin.set_ylabel("staffed agents (agents)")
    _headroom(top, offered)
    _headroom(twin, staffed)
    _legend_above(top, top.get_legend_handles_labels()[0]
                  + twin.get_legend_handles_labels()[0])
    bottom.plot(x, rows["service_level"].to_numpy(dtype=float) * 100.0, _marker(x), ms=3,
                color=COLORS["service_level"], label="service level")
    target = result.scenario.channels[channel].service_level.target
    bottom.axhline(target * 100.0, ls="--", color=COLORS["target"],
                   label=_target_label(result, channel))
    bottom.set_title(f"service level per interval; dashed: {_target_label(result, channel)}",
                     fontsize=9)  # a title, not a legend: nothing hides the line


def _pooled_intraday(result: Result, bins: pd.DataFrame, top: Axes, bottom: Axes) -> None:
    x = np.arange(len(bins))
    below = np.zeros(len(bins))
    for i, name in enumerate(result.scenario.channels):
        rows = channel_rows(result, bins, name)
        offered = np.nan_to_num(rows["offered"].to_numpy(dtype=float))
        color = series_color(i)
        top.bar(x, offered, bottom=below, color=color,
                label=f"{plain(name)} (SL {_target_label(result, name)})",
                **bar_style(len(x)))
        below = below + offered
        bottom.plot(x, rows["service_level"].to_numpy(dtype=float) * 100.0, _marker(x),
                    ms=3, color=color)
        target = result.scenario.channels[name].service_level.target
        bottom.axhline(target * 100.0, ls="--", lw=1.2, color=color)
    _headroom(top, below)
    _legend_above(top, top.get_legend_handles_labels()[0], ncols=2)
    bottom.set_title("service level per channel (color as above); dashed: the channel's "
                     "target", fontsize=9)


def _marker(x: np.ndarray) -> str:
    """Line style of a per-interval series: with point markers up to 48 intervals."""
    return "o-" if len(x) <= 48 else "-"


def occupancy_heatmap(result: Result) -> Figure:
    """Occupancy per interval of the agents serving each channel (rows) in %, from the
    run's accumulated interval table: each cell is ``result.intervals["occupancy"]``
    (busy / logged-in agent time of the groups serving the channel within the counted
    part of the interval; a conversation on a channel of concurrency c counts 1/c; mean
    over replications). The same numbers whatever records were kept.

    Cells where nobody was logged in are blank; cell values are printed when there are
    at most 30 intervals.

    Returns
    -------
    Figure
        Two axes: the heatmap (image array: channels x intervals, in %, rows in
        scenario order) and its colorbar (0-100 %).
    """
    scenario = result.scenario
    bins = interval_bins(result)
    names = list(scenario.channels)
    values = np.vstack([channel_rows(result, bins, name)["occupancy"].to_numpy(dtype=float)
                        for name in names]) * 100.0
    n_rows, n_bins = values.shape
    fig, ax = new_figure(1, 1, height=max(2.8, 1.9 + 0.55 * n_rows))
    image = ax.imshow(values, aspect="auto", cmap=heatmap_cmap(), vmin=0.0, vmax=100.0,
                      interpolation="nearest")
    fig.colorbar(image, ax=ax, label="occupancy (%)", pad=0.01)
    if n_bins <= 30:
        for (row, col), value in np.ndenumerate(values):
            if np.isfinite(value):
                ax.text(col, row, f"{value:.0f}", ha="center", va="center", fontsize=8,
                        color="white" if value < 60 else "black")
    ax.set_yticks(range(n_rows), [plain(name) for name in names])
    time_axis(ax, result, bins)
    ax.set_ylabel("agents serving the channel")
    suptitle(fig, f"{plain(scenario.name)}: occupancy of the agents serving each channel "
                  f"(mean of {result.replications} replications; blank: nobody logged in)")
    return fig
