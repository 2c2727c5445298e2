"""Figures (matplotlib). Each function returns a Figure and never shows it (figures are
built without pyplot, so nothing is displayed or kept open behind the caller's back).

All figures share one style (:data:`COLORS`, :func:`new_figure`, :func:`style_axes`):
10 inches wide, constrained layout, light grid behind the data, rates drawn in %.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator, PercentFormatter

from simcc.catalogue import KPIS
from simcc.catalogue import direction as kpi_direction

if TYPE_CHECKING:
    from simcc.experiment.result import Result

PANELS = ("offered_per_day", "abandon_rate", "asa_s", "service_level")
"""Backtest panels: offered contacts per day, then three KPIs (labels from the catalogue)."""

# ----------------------------------------------------------------------------- style

FIG_WIDTH = 10.0
"""Width of every figure (inches): readable when a report shows it 9-10 inches wide."""

GRID_ALPHA = 0.3

COLORS = {
    "observed": "black",
    "simulated": "tab:blue",
    "offered": "#9ecae1",
    "staffed": "tab:orange",
    "service_level": "tab:blue",
    "target": "tab:red",
    "theory": "tab:orange",
}
"""Colors of the recurring series; channels take :func:`series_color` in scenario order."""

HEATMAP_CMAP = "viridis"

def series_color(index: int) -> Any:
    """The color of the ``index``-th series of a figure (channels, groups): tab10."""
    return colormaps["tab10"](index % 10)


def style_axes(ax: Axes, grid: str = "both") -> Axes:
    """Apply the common axes style: a light grid (``grid``: "both", "x" or "y") drawn
    behind the data."""
    ax.grid(True, axis=grid, alpha=GRID_ALPHA)
    ax.set_axisbelow(True)
    return ax


def new_figure(nrows: int = 1, ncols: int = 1, height: float = 5.0,
               **subplots: Any) -> tuple[Figure, Any]:
    """A ``FIG_WIDTH`` x ``height`` inch figure (constrained layout, no pyplot) and its
    axes from ``fig.subplots(nrows, ncols, **subplots)``."""
    fig = Figure(figsize=(FIG_WIDTH, height), layout="constrained")
    return fig, fig.subplots(nrows, ncols, **subplots)


def kpi_label(kpi: str) -> tuple[str, float]:
    """Axis label (with unit) and value scale of a KPI (:mod:`simcc.catalogue`); rates are
    shown in %. Names outside the catalogue get a label from their suffix."""
    if kpi in KPIS:
        entry = KPIS[kpi]
        return entry.axis_label, entry.scale
    if kpi.endswith("_rate"):
        return f"{kpi.replace('_', ' ')} (%)", 100.0
    if kpi.endswith("_s"):
        return f"{kpi[:-2].replace('_', ' ')} (s)", 1.0
    return kpi.replace("_", " "), 1.0


# ----------------------------------------------------------------------------- backtest

def backtest_figure(table: pd.DataFrame, title: str = "backtest",
                    min_per_day: float = 1.0) -> Figure:
    """Observed vs simulated KPIs by hour of the day (a backtest table).

    Rates and waits are drawn only for hours with at least ``min_per_day`` observed
    contacts per day (a handful of night calls would dominate the scales).
    """
    hours = table.drop(index="all", errors="ignore")
    hours = hours.set_axis(hours.index.astype(int))
    quiet = hours["offered_per_day_obs"].fillna(0) < min_per_day
    x = hours.index
    fig, axes = new_figure(2, 2, height=6.5, sharex=True)
    for ax, metric in zip(axes.flat, PANELS, strict=True):
        label, scale = (("offered contacts per day", 1.0) if metric == "offered_per_day"
                        else kpi_label(metric))
        shown = hours if metric == "offered_per_day" else hours.mask(quiet)
        ax.plot(x, shown[f"{metric}_obs"] * scale, "o-", color=COLORS["observed"],
                label="observed")
        ax.plot(x, shown[f"{metric}_sim"] * scale, "s--", color=COLORS["simulated"],
                label="simulated")
        ax.set_ylabel(label)
        style_axes(ax)
    for ax in axes[1]:
        ax.set_xlabel("hour of day")
        ax.set_xticks(range(0, 24, 2))
    axes[0, 0].legend(loc="upper left")
    fig.suptitle(title)
    return fig


# ----------------------------------------------------------------------------- helpers

TICK_STEPS_S = (900, 1800, 3600, 7200, 10800, 14400, 21600, 28800, 43200, 86400, 172800,
                604800)
"""Candidate spacings of the time-axis labels (s): 15 min to a week."""

DAY_S = 86400.0


def _interval_bins(result: Result) -> pd.DataFrame:
    """The reported intervals (those of ``result.intervals``) in order: interval,
    start_s (simulated time, s) and clock (HH:MM of the day)."""
    return (result.intervals[["interval", "start_s", "clock"]]
            .drop_duplicates("interval").sort_values("interval", ignore_index=True))


def _channel_rows(result: Result, bins: pd.DataFrame, channel: str) -> pd.DataFrame:
    """The interval rows of ``channel`` in the order of ``bins`` (NaN rows where the
    channel has none)."""
    table = result.intervals
    return (table[table["channel"].astype(str) == channel].set_index("interval")
            .reindex(bins["interval"]))


def _duration_label(seconds: float) -> str:
    """``1800`` -> ``"30 min"``, ``3600`` -> ``"1 h"``, ``45`` -> ``"45 s"``."""
    if seconds % 3600 == 0:
        return f"{seconds / 3600:g} h"
    if seconds % 60 == 0:
        return f"{seconds / 60:g} min"
    return f"{seconds:g} s"


def day_and_clock(result: Result, bins: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    """Day of the horizon (1 = the day the horizon starts) and clock time (HH:MM) of the
    start of each bin."""
    at = result.scenario.horizon.start + bins["start_s"].to_numpy(dtype=float)
    return (np.floor(at / DAY_S).astype(int) + 1), list(bins["clock"])


def time_labels(result: Result, bins: pd.DataFrame) -> list[str]:
    """Label of every bin: ``"09:30"`` when the counted period lies within one day,
    else ``"day 2 09:30"``."""
    days, clocks = day_and_clock(result, bins)
    if len(days) == 0 or days.min() == days.max():
        return clocks
    return [f"day {d} {c}" for d, c in zip(days, clocks, strict=True)]


def _time_axis(ax: Axes, result: Result, bins: pd.DataFrame, max_labels: int = 13) -> None:
    """Label bin positions ``0..n-1`` with their start time: clock times on whole
    multiples of a round spacing (:data:`TICK_STEPS_S`), at most ``max_labels`` of them;
    on a multi-day horizon each label also names the day (``"day 2\\n09:00"``), day
    changes are dotted vertical lines and the axis label says so."""
    days, clocks = day_and_clock(result, bins)
    n = len(clocks)
    multi = n > 0 and days.min() != days.max()
    if multi:
        max_labels = min(max_labels, 9)
    at = result.scenario.horizon.start + bins["start_s"].to_numpy(dtype=float)
    ticks: list[int] = []
    for step in TICK_STEPS_S:
        ticks = [i for i in range(n) if round(at[i]) % step == 0]
        if ticks and len(ticks) <= max_labels:
            break
    if not ticks or len(ticks) > max_labels:
        ticks = list(range(0, n, max(1, math.ceil(n / max_labels))))
    labels = [f"day {days[i]}\n{clocks[i]}" if multi else clocks[i] for i in ticks]
    ax.set_xticks(ticks, labels)
    ax.set_xlim(-0.5, n - 0.5)
    if multi:
        for i in np.flatnonzero(np.diff(days)) + 1:
            ax.axvline(i - 0.5, color="0.4", ls=":", lw=1.0, zorder=1)
        ax.set_xlabel("interval start (day of the horizon, clock time HH:MM)")
    else:
        ax.set_xlabel("interval start (clock time, HH:MM)")


def _nan_ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """``num / den`` where ``den > 0``, NaN elsewhere."""
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


TITLE_WIDTH = 95
"""Characters per line of a figure title before it wraps (long scenario names)."""


def suptitle(fig: Figure, text: str) -> None:
    """The figure title, wrapped at :data:`TITLE_WIDTH` characters (existing line
    breaks kept) so that a long name is never cut off at the figure edge."""
    lines = [textwrap.fill(line, TITLE_WIDTH) for line in text.split("\n")]
    fig.suptitle("\n".join(lines))


def plain(text: object) -> str:
    """User text (a name) shown literally by matplotlib: ``$`` would start mathtext."""
    return str(text).replace("$", r"\$")


# ----------------------------------------------------------------------------- intraday

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
    bins = _interval_bins(result)
    fig, (top, bottom) = new_figure(2, 1, height=6.5, sharex=True, height_ratios=(3, 2))
    top.set_ylabel(f"offered (contacts per {_duration_label(scenario.horizon.interval)})")
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
    _time_axis(bottom, result, bins)
    suptitle(fig, f"{plain(scenario.name)}: intraday profile, {shown} "
                  f"(mean of {result.replications} replications)")
    return fig


def _legend_above(ax: Axes, handles: list, ncols: int = 2) -> None:
    """A legend above the axes: it never hides data."""
    ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(0.0, 1.0), ncols=ncols,
              frameon=False, borderaxespad=0.1)


def _target_label(result: Result, channel: str) -> str:
    spec = result.scenario.channels[channel].service_level
    return f"target {spec.target:.0%} within {_duration_label(spec.threshold)}"


def _channel_intraday(result: Result, bins: pd.DataFrame, channel: str, top: Axes,
                      bottom: Axes) -> None:
    rows = _channel_rows(result, bins, channel)
    offered = rows["offered"].to_numpy(dtype=float)
    staffed = rows["staffed_agents"].to_numpy(dtype=float)
    x = np.arange(len(bins))
    top.bar(x, offered, width=0.8, color=COLORS["offered"], edgecolor="white",
            label="offered contacts")
    twin = top.twinx()
    twin.plot(x, staffed, _marker(x), ms=3, color=COLORS["staffed"],
              label=f"staffed agents (groups serving {plain(channel)})")
    twin.set_ylabel("staffed agents (agents)")
    top.set_ylim(0, np.nanmax(offered, initial=0.0) * 1.15 or 1.0)
    twin.set_ylim(0, np.nanmax(staffed, initial=0.0) * 1.15 or 1.0)
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
        rows = _channel_rows(result, bins, name)
        offered = np.nan_to_num(rows["offered"].to_numpy(dtype=float))
        color = series_color(i)
        top.bar(x, offered, bottom=below, width=0.8, color=color, edgecolor="white",
                label=f"{plain(name)} (SL {_target_label(result, name)})")
        below = below + offered
        bottom.plot(x, rows["service_level"].to_numpy(dtype=float) * 100.0, _marker(x),
                    ms=3, color=color)
        target = result.scenario.channels[name].service_level.target
        bottom.axhline(target * 100.0, ls="--", lw=1.2, color=color)
    top.set_ylim(0, below.max(initial=0.0) * 1.15 or 1.0)
    _legend_above(top, top.get_legend_handles_labels()[0], ncols=2)
    bottom.set_title("service level per channel (color as above); dashed: the channel's "
                     "target", fontsize=9)


def _marker(x: np.ndarray) -> str:
    """Line style of a per-interval series: with point markers up to 48 intervals."""
    return "o-" if len(x) <= 48 else "-"


# ----------------------------------------------------------------------------- wait CDF

def _wait_unit(threshold_s: float) -> tuple[str, float]:
    """Unit of a channel's wait axis from its service-level threshold: s, min or h."""
    if threshold_s >= 7200:
        return "h", 3600.0
    if threshold_s >= 600:
        return "min", 60.0
    return "s", 1.0


def wait_cdf_figure(result: Result, contacts: pd.DataFrame | None = None,
                    note: str | None = None) -> Figure:
    """Empirical CDF of the wait of answered contacts: one panel per channel, each on
    its own wait axis (s, min or h after the channel's threshold), since thresholds of
    different channels (20 s for voice, 24 h for email) cannot share one axis.

    Counted contacts only (arrival in ``[warmup, horizon)``), all replications pooled.
    The channel's service-level threshold is a vertical dashed line; the legend gives
    the share of answered contacts within it (a share of *answered* contacts, not the
    service level, which divides by offered). Each x axis stops at the channel's 99th
    percentile wait (or just past its threshold, if further); the lines are not cut.

    Parameters
    ----------
    result : Result
        A simulation result (scenario, horizon).
    contacts : pandas.DataFrame, optional
        The contact records to draw (default ``result.contacts``), e.g. a sample
        (:mod:`simcc.report.sample`).
    note : str, optional
        Appended to the title (e.g. which sample the records are).

    Returns
    -------
    Figure
        One axes per channel (scenario order): wait (in the panel's unit) vs cumulative
        share of answered contacts (%; stored as a fraction 0-1); one solid line (the
        CDF, waits in the panel's unit) and one dashed line (threshold) per panel.

    Raises
    ------
    ValueError
        If there are no contact records.
    """
    contacts = result.contacts if contacts is None else contacts
    if contacts.empty:
        raise ValueError("no contact records: simulate with records='all' or 'sample'")
    scenario = result.scenario
    horizon = scenario.horizon
    answered = contacts[(contacts["arrival_s"] >= horizon.warmup)
                        & (contacts["arrival_s"] < horizon.length_s)
                        & contacts["answered"].astype(bool)]
    names = list(scenario.channels)
    ncols = min(len(names), 2)
    nrows = math.ceil(len(names) / ncols)
    fig, axes = new_figure(nrows, ncols, squeeze=False, sharey=True,
                           height=1.0 + 3.6 * nrows)
    for ax in axes.flat[len(names):]:
        ax.remove()
    channel = answered["channel"].astype(str).to_numpy()
    for i, (ax, name) in enumerate(zip(axes.flat, names, strict=False)):
        waits = np.sort(answered.loc[channel == name, "wait_s"].to_numpy(float))
        _wait_panel(ax, name, waits, scenario.channels[name].service_level.threshold,
                    series_color(i))
    for ax in axes[:, 0]:
        ax.set_ylabel("answered contacts with wait ≤ x (%)")
    title = f"{plain(scenario.name)}: wait of answered contacts by channel"
    suptitle(fig, title + (f"\n{plain(note)}" if note else
                           f" ({result.replications} replications pooled)"))
    return fig


def _wait_panel(ax: Axes, name: str, waits: np.ndarray, threshold: float, color) -> None:
    """One channel's CDF panel; ``waits`` sorted, in seconds."""
    unit, scale = _wait_unit(threshold)
    n = len(waits)
    p99 = float(np.quantile(waits, 0.99)) if n else 0.0
    right = max(p99, 1.05 * threshold, 1.0) / scale
    if n:
        within = np.searchsorted(waits, threshold, side="right") / n
        ax.plot(np.r_[0.0, waits] / scale, np.r_[0.0, np.arange(1, n + 1) / n],
                drawstyle="steps-post", color=color, lw=2,
                label=f"{within:.0%} of {n:,} answered within {_duration_label(threshold)}")
    else:
        ax.plot([], [], color=color, lw=2, label="no answered contact")
    ax.axvline(threshold / scale, ls="--", lw=1.2, color=color,
               label=f"SL threshold ({_duration_label(threshold)})")
    ax.set_xlim(-0.01 * right, right)  # the jump at 0 (answered at once) stays visible
    ax.set_ylim(0, 1.02)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0, symbol=""))
    ax.set_xlabel(f"wait before answer ({unit}); axis cut at the 99th percentile")
    ax.set_title(plain(name), fontsize=10)
    ax.legend(loc="lower right", fontsize=8)
    style_axes(ax)


# ----------------------------------------------------------------------------- occupancy

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
    bins = _interval_bins(result)
    names = list(scenario.channels)
    values = np.vstack([_channel_rows(result, bins, name)["occupancy"].to_numpy(dtype=float)
                        for name in names]) * 100.0
    n_rows, n_bins = values.shape
    fig, ax = new_figure(1, 1, height=max(2.8, 1.9 + 0.55 * n_rows))
    cmap = colormaps[HEATMAP_CMAP].with_extremes(bad="white")
    image = ax.imshow(values, aspect="auto", cmap=cmap, vmin=0.0, vmax=100.0,
                      interpolation="nearest")
    fig.colorbar(image, ax=ax, label="occupancy (%)", pad=0.01)
    if n_bins <= 30:
        for (row, col), value in np.ndenumerate(values):
            if np.isfinite(value):
                ax.text(col, row, f"{value:.0f}", ha="center", va="center", fontsize=8,
                        color="white" if value < 60 else "black")
    ax.set_yticks(range(n_rows), [plain(name) for name in names])
    _time_axis(ax, result, bins)
    ax.set_ylabel("agents serving the channel")
    suptitle(fig, f"{plain(scenario.name)}: occupancy of the agents serving each channel "
                  f"(mean of {result.replications} replications; blank: nobody logged in)")
    return fig

# ----------------------------------------------------------------------------- sweep

def staffing_sweep_figure(sweep: pd.DataFrame, theory: pd.DataFrame | None = None,
                          title: str = "staffing sweep") -> Figure:
    """Simulated KPIs (mean and 95% CI) against the number of agents.

    One panel per KPI present in ``sweep`` (order of first appearance, at most three
    per row); rates are drawn in %, waits in seconds (see :func:`kpi_label`).

    Parameters
    ----------
    sweep : pandas.DataFrame
        Columns ``agents`` (count), ``kpi`` (e.g. service_level, abandon_rate, asa_s),
        ``mean``, ``ci_low``, ``ci_high`` (KPI units: fractions for rates, seconds for
        waits). A missing CI (NaN, fewer than two replications) draws no error bar.
    theory : pandas.DataFrame, optional
        Columns ``agents``, ``kpi``, ``value`` (same units), e.g. Erlang A values from
        :mod:`simcc.theory`; drawn as a dashed "Erlang A" line on the KPI's panel.
    title : str
        Figure title.

    Returns
    -------
    Figure
        One axes per KPI, each with one errorbar container (simulated) and, when
        ``theory`` has that KPI, one "Erlang A" line.

    Raises
    ------
    ValueError
        If ``sweep`` is empty or misses a column.
    """
    missing = {"agents", "kpi", "mean", "ci_low", "ci_high"} - set(sweep.columns)
    if missing:
        raise ValueError(f"sweep misses columns {sorted(missing)}")
    if sweep.empty:
        raise ValueError("sweep is empty")
    kpis = list(dict.fromkeys(sweep["kpi"]))
    ncols = min(len(kpis), 3)
    nrows = math.ceil(len(kpis) / ncols)
    fig, axes = new_figure(nrows, ncols, height=0.6 + 3.6 * nrows, squeeze=False)
    for ax in axes.flat[len(kpis):]:
        ax.remove()
    for ax, kpi in zip(axes.flat, kpis, strict=False):
        label, scale = kpi_label(kpi)
        part = sweep[sweep["kpi"] == kpi].sort_values("agents")
        mean = part["mean"].to_numpy(dtype=float)
        below = (mean - part["ci_low"].to_numpy(dtype=float)) * scale
        above = (part["ci_high"].to_numpy(dtype=float) - mean) * scale
        yerr = np.clip(np.nan_to_num(np.vstack([below, above])), 0.0, None)
        ax.errorbar(part["agents"], mean * scale, yerr=yerr, fmt="o-", capsize=3,
                    color=COLORS["simulated"], label="simulated (mean, 95% CI)")
        if theory is not None:
            line = theory[theory["kpi"] == kpi].sort_values("agents")
            if not line.empty:
                ax.plot(line["agents"], line["value"].to_numpy(dtype=float) * scale, "--",
                        color=COLORS["theory"], lw=2, zorder=3, label="Erlang A")
        ax.set_xlabel("agents (count)")
        ax.set_ylabel(label)
        ax.set_title(label.rsplit(" (", 1)[0])
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        style_axes(ax)
    handles: dict[str, Any] = {}
    for ax in axes.flat[:len(kpis)]:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            handles.setdefault(label, handle)
    fig.legend(handles.values(), handles.keys(), loc="outside lower center",
               ncols=len(handles), frameon=False)  # one legend, clear of the data
    fig.suptitle(title)
    return fig


# ----------------------------------------------------------------------------- comparison

COMPARISON_KPIS = ("service_level", "asa_s", "abandon_rate", "occupancy", "fcr",
                   "transfer_rate")
"""KPIs drawn by :func:`comparison_figure` by default (those present, in this order)."""

DIFF_STYLES: dict[str, tuple[Any, str, str]] = {
    "better": ("tab:green", "o", "better (95% CI excludes 0)"),
    "worse": ("tab:red", "o", "worse (95% CI excludes 0)"),
    "not significant": ("tab:gray", "o", "not significant (95% CI includes 0)"),
    "changed": ("dimgray", "D", "changed, no better/worse (e.g. occupancy)"),
    "no CI": ("tab:gray", "s", "no CI (fewer than 2 replications)"),
}
"""Verdict on a difference -> (color, marker, legend label) in :func:`comparison_figure`;
"not significant" and "no CI" markers are hollow."""

_DIFF_COLUMNS = ("variant", "scope", "key", "kpi", "diff_mean", "diff_ci_low",
                 "diff_ci_high")


def _diff_verdict(kpi: str, low: float, high: float) -> str:
    """Verdict on a difference (variant - baseline) with 95% CI ``[low, high]``: "better",
    "worse", "changed" (significant, neutral KPI), "not significant" or "no CI"."""
    if not (np.isfinite(low) and np.isfinite(high)):
        return "no CI"
    if low <= 0.0 <= high:
        return "not significant"
    direction = kpi_direction(kpi)
    if direction == 0:
        return "changed"
    return "better" if (low > 0.0) == (direction > 0) else "worse"


def _diff_label(kpi: str) -> tuple[str, str, float]:
    """KPI name (no unit), unit of its differences ("pp" for rates) and value scale."""
    label, scale = kpi_label(kpi)
    name, _, unit = label.rpartition(" (")
    if not name:
        return label, "", scale
    unit = unit.rstrip(")")
    return name, "pp" if unit == "%" else unit, scale


def comparison_figure(differences: pd.DataFrame, kpis: Sequence[str] | None = None,
                      scope: str = "overall", key: str = "all",
                      title: str = "variants vs baseline") -> Figure:
    """Forest plot of the paired differences between variants and the baseline.

    One panel per KPI (at most three per row, sharing the y axis), one row per variant
    (top to bottom in order of first appearance): a point at the mean difference
    (variant - baseline) with its 95% CI as a horizontal bar, and a vertical line at 0.
    Rates are drawn in percentage points (pp), waits in seconds. The color tells the
    verdict (:data:`DIFF_STYLES`): green "better" or red "worse" when the CI excludes 0,
    in the KPI's direction (:mod:`simcc.catalogue`: higher is better for service_level
    and fcr, lower for waits, abandonment, transfers, repeats); gray when the CI includes 0
    (hollow marker) or when the KPI has no better/worse direction (occupancy: a filled
    dark-gray diamond when the change is significant). A missing CI (NaN, n < 2) draws
    no bar and a hollow square. Panel titles give the baseline mean when all variants
    share it.

    Parameters
    ----------
    differences : pandas.DataFrame
        Columns ``variant``, ``scope``, ``key``, ``kpi``, ``diff_mean``, ``diff_ci_low``,
        ``diff_ci_high`` (KPI units: fractions for rates, seconds for waits); optional
        ``baseline_mean``, ``variant_mean``, ``n``.
    kpis : sequence of str, optional
        KPIs to draw, in panel order. Default: those present among
        :data:`COMPARISON_KPIS` (service_level, asa_s, abandon_rate, occupancy, fcr,
        transfer_rate).
    scope, key : str
        Rows drawn: those with this scope and key (default: overall, all).
    title : str
        Figure title.

    Returns
    -------
    Figure
        One axes per KPI; y ticks at ``0..n_variants-1`` labelled with the variant names
        (y axis inverted: the first variant on top); per drawn difference one errorbar
        container labelled with its verdict.

    Raises
    ------
    ValueError
        If a column is missing, no row has this scope and key, no default KPI is present,
        or a requested KPI has no row.
    """
    missing = set(_DIFF_COLUMNS) - set(differences.columns)
    if missing:
        raise ValueError(f"differences misses columns {sorted(missing)}")
    rows = differences[(differences["scope"].astype(str) == scope)
                       & (differences["key"].astype(str) == key)]
    if rows.empty:
        pairs = sorted({(str(s), str(k)) for s, k in
                        zip(differences["scope"], differences["key"], strict=True)})
        raise ValueError(f"no differences with scope={scope!r} and key={key!r}; "
                         f"available (scope, key): {pairs[:20]}")
    present = list(dict.fromkeys(rows["kpi"].astype(str)))
    if kpis is None:
        kpis = [kpi for kpi in COMPARISON_KPIS if kpi in present]
        if not kpis:
            raise ValueError(f"none of the default KPIs {list(COMPARISON_KPIS)} in the "
                             f"differences for {scope}/{key}; present: {present}")
    else:
        kpis = list(kpis)
        absent = [kpi for kpi in kpis if kpi not in present]
        if not kpis or absent:
            raise ValueError(f"no differences for KPIs {absent or 'none requested'} "
                             f"({scope}/{key}); present: {present}")
    variants = list(dict.fromkeys(rows["variant"].astype(str)))
    n_var = len(variants)
    ncols = min(len(kpis), 3)
    nrows = math.ceil(len(kpis) / ncols)
    fig, axes = new_figure(nrows, ncols, squeeze=False, sharey=True,
                           height=0.9 + nrows * max(2.2, 1.0 + 0.42 * n_var))
    for ax in axes.flat[len(kpis):]:
        ax.remove()
    seen: set[str] = set()
    for ax, kpi in zip(axes.flat, kpis, strict=False):
        name, unit, scale = _diff_label(kpi)
        part = rows[rows["kpi"].astype(str) == kpi]
        extent = [0.0]
        for variant, row in zip(part["variant"].astype(str), part.itertuples(), strict=True):
            y = variants.index(variant)
            mean = float(row.diff_mean)
            low, high = float(row.diff_ci_low), float(row.diff_ci_high)
            verdict = _diff_verdict(kpi, low, high)
            seen.add(verdict)
            color, marker, _ = DIFF_STYLES[verdict]
            hollow = verdict in ("not significant", "no CI")
            xerr = None
            if verdict != "no CI":
                xerr = [[max(mean - low, 0.0) * scale], [max(high - mean, 0.0) * scale]]
                extent += [low * scale, high * scale]
            extent.append(mean * scale)
            ax.errorbar([mean * scale], [y], xerr=xerr, fmt=marker, color=color,
                        ms=7, mfc="white" if hollow else color, mew=1.5, capsize=4,
                        elinewidth=2, label=verdict, zorder=3)
        ax.axvline(0.0, color="black", lw=1.0, zorder=2)
        lo, hi = np.nanmin(extent), np.nanmax(extent)
        pad = 0.12 * (hi - lo) if hi > lo else 1.0
        ax.set_xlim(lo - pad, hi + pad)
        ax.set_yticks(range(n_var), [plain(v) for v in variants])
        ax.set_ylim(n_var - 0.5, -0.5)
        direction = {1: "higher is better", -1: "lower is better"}.get(
            kpi_direction(kpi), "neutral")
        panel_title = f"{name}\n{direction}"
        if "baseline_mean" in part.columns:
            base = part["baseline_mean"].to_numpy(dtype=float) * scale
            if len(base) and np.all(np.isfinite(base)) and np.allclose(base, base[0]):
                shown = "%" if unit == "pp" else f" {unit}" if unit else ""
                panel_title += f"; baseline {base[0]:.3g}{shown}"
        ax.set_title(panel_title, fontsize=10)
        ax.set_xlabel(f"variant − baseline ({unit})" if unit else "variant − baseline")
        style_axes(ax, grid="x")
    for ax in axes[:, 0]:
        ax.set_ylabel("variant")
    handles = [Line2D([], [], ls="none", marker=DIFF_STYLES[v][1], color=DIFF_STYLES[v][0],
                      mfc="white" if v in ("not significant", "no CI") else DIFF_STYLES[v][0],
                      mew=1.5, ms=7, label=DIFF_STYLES[v][2])
               for v in DIFF_STYLES if v in seen]
    fig.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 3),
               frameon=False)
    fig.suptitle(f"{plain(title)} ({plain(scope)}: {plain(key)}; paired differences, "
                 "mean and 95% CI)")
    return fig


# ----------------------------------------------------------------------------- journeys

_CONTACT_COLUMNS = ("replication", "issue_id", "contact_id", "channel", "arrival_s")
_LEG_COLUMNS = ("replication", "contact_id", "leg", "group", "answered_s")


def _levels(values: pd.Series) -> list[str]:
    """Distinct values as strings: category order (those present) for a categorical
    column, else sorted."""
    present = set(values.astype(str))
    if isinstance(values.dtype, pd.CategoricalDtype):
        return [str(c) for c in values.cat.categories if str(c) in present]
    return sorted(present)


def _transitions(frame: pd.DataFrame, by: Sequence[str], order: Sequence[str],
                 column: str, levels: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Counts of ``column`` values at the start of each ``by`` group (vector over
    ``levels``) and of consecutive pairs within a group (matrix from x to), rows sorted
    by ``by`` then ``order``."""
    frame = frame.sort_values([*by, *order], kind="stable")
    code = pd.Categorical(frame[column].astype(str), categories=levels).codes
    keys = frame[list(by)].to_numpy()
    same = np.zeros(len(frame), dtype=bool)
    if len(frame) > 1:
        same[1:] = np.all(keys[1:] == keys[:-1], axis=1)
    n = len(levels)
    first = np.bincount(code[~same], minlength=n)
    after = np.flatnonzero(same)
    pairs = np.bincount(code[after - 1] * n + code[after], minlength=n * n).reshape(n, n)
    return first, pairs


def _count_heatmap(ax: Axes, counts: np.ndarray, rows: Sequence[str],
                   cols: Sequence[str]) -> None:
    """``counts`` as a heatmap (log color scale, zero cells blank) with every count
    printed in its cell."""
    cmap = colormaps[HEATMAP_CMAP].with_extremes(bad="white")
    vmax = max(float(counts.max(initial=0)), 2.0)
    norm = LogNorm(vmin=1.0, vmax=vmax)
    ax.imshow(np.ma.masked_less(counts.astype(float), 1.0), cmap=cmap, norm=norm,
              aspect="auto", interpolation="nearest")
    fontsize = 10 if counts.size <= 36 else 8
    for (row, col), value in np.ndenumerate(counts):
        dark = value >= 1 and norm(value) < 0.6
        ax.text(col, row, f"{value:,}", ha="center", va="center", fontsize=fontsize,
                color="white" if dark else ("black" if value else "0.6"))
    ax.set_xticks(range(len(cols)), [plain(c) for c in cols])
    if max(map(len, cols), default=0) * len(cols) > 45:  # long names would overlap
        ax.tick_params(axis="x", labelrotation=30)
        for label in ax.get_xticklabels():
            label.set_horizontalalignment("right")
    ax.set_yticks(range(len(rows)), [plain(r) for r in rows])
    ax.tick_params(length=0)
    ax.set_xticks(np.arange(len(cols) + 1) - 0.5, minor=True)
    ax.set_yticks(np.arange(len(rows) + 1) - 0.5, minor=True)
    ax.grid(True, which="minor", color="white", lw=1.5)
    ax.tick_params(which="minor", length=0)


def journey_figure(contacts: pd.DataFrame, legs: pd.DataFrame | None = None,
                   note: str | None = None) -> Figure:
    """How issues move across channels, and contacts across agent groups.

    Left panel, channel journeys: the contacts of an issue (same replication and
    ``issue_id``; later ones are repeat contacts) in order of arrival. Rows = channel
    of a contact ("from"), columns = channel of the issue's next contact ("to"); the
    extra top row "first contact" counts the issues starting on each channel. Every
    contact of ``contacts`` counts, answered or not (filter the rows to count only,
    e.g., the counted period).

    Right panel (when ``legs`` is given), transfers: rows = agent group of a leg,
    columns = group of the next leg of the same contact. Without any transfer the
    panel only shows the note "no transfers in these records".

    Cells show counts summed over replications (log color scale; zero cells blank).
    Channels and groups are in category order for categorical columns, else sorted.

    Parameters
    ----------
    contacts : pandas.DataFrame
        Columns ``replication``, ``contact_id``, ``issue_id``, ``channel``,
        ``arrival_s`` (e.g. ``result.contacts``).
    legs : pandas.DataFrame, optional
        Columns ``replication``, ``contact_id``, ``leg``, ``group``, ``answered_s``
        (e.g. ``result.legs``).
    note : str, optional
        A second title line (e.g. which sample the records are).

    Returns
    -------
    Figure
        One axes (channels) or two (channels, transfers). The channel image array has
        shape ``(1 + n_channels, n_channels)``: row 0 "first contact", then one row per
        "from" channel; the transfer image array is ``n_groups x n_groups``. Zero
        cells are masked in the arrays; every cell's count is also a text annotation.

    Raises
    ------
    ValueError
        If ``contacts`` is empty or a column is missing from ``contacts`` or ``legs``.
    """
    missing = set(_CONTACT_COLUMNS) - set(contacts.columns)
    if missing:
        raise ValueError(f"contacts misses columns {sorted(missing)}")
    if contacts.empty:
        raise ValueError("contacts is empty: simulate with records='all'")
    if legs is not None:
        missing = set(_LEG_COLUMNS) - set(legs.columns)
        if missing:
            raise ValueError(f"legs misses columns {sorted(missing)}")
    channels = _levels(contacts["channel"])
    first, pairs = _transitions(contacts, ("replication", "issue_id"),
                                ("arrival_s", "contact_id"), "channel", channels)
    matrix = np.vstack([first, pairs])
    n_ch = len(channels)
    n_groups = 0 if legs is None else len(_levels(legs["group"]))
    size = max(n_ch, n_groups)
    fig, axes = new_figure(1, 1 if legs is None else 2, squeeze=False,
                           height=max(3.8, 1.8 + 0.5 * (size + 1)))
    ax = axes[0, 0]
    _count_heatmap(ax, matrix, ["first contact", *channels], channels)
    ax.axhline(0.5, color="black", lw=2)  # first contacts | transitions
    ax.set_xlabel("to: channel of the issue's next (or first) contact")
    ax.set_ylabel("from: channel of the previous contact")
    repeats = int(pairs.sum())
    ax.set_title(f"channel journeys: {int(first.sum()):,} issues, {repeats:,} repeat "
                 "contacts", fontsize=10)
    if legs is not None:
        ax = axes[0, 1]
        groups = _levels(legs["group"])
        _, moves = _transitions(legs, ("replication", "contact_id"), ("leg", "answered_s"),
                                "group", groups)
        n_moves = int(moves.sum())
        if n_moves:
            _count_heatmap(ax, moves, groups, groups)
            ax.set_xlabel("to: agent group of the next leg")
            ax.set_ylabel("from: agent group of the leg")
        else:
            ax.set_xticks([])
            ax.set_yticks([])
            ax.text(0.5, 0.5, "no transfers in these records", ha="center", va="center",
                    transform=ax.transAxes, fontsize=11, color="0.35")
        ax.set_title(f"transfers between agent groups: {n_moves:,}", fontsize=10)
    n_rep = contacts["replication"].nunique()
    fig.suptitle(f"customer journeys (counts summed over {n_rep} "
                 f"replication{'s' if n_rep != 1 else ''})"
                 + (f"\n{plain(note)}" if note else ""))
    return fig
