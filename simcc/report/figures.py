"""Figures (matplotlib). Each function returns a Figure and never shows it (figures are
built without pyplot, so nothing is displayed or kept open behind the caller's back).

All figures share one style (:data:`COLORS`, :func:`new_figure`, :func:`style_axes`):
10 inches wide, constrained layout, light grid behind the data, rates drawn in %.
"""

from __future__ import annotations

import math
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
from simcc.metrics.timeweighted import overlap_per_bin

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

def _interval_bins(result: Result) -> pd.DataFrame:
    """The reported intervals (those of ``result.intervals``) in order: interval,
    start_s, clock, and ``lo``/``hi``, their bounds clipped to the counted period (s)."""
    horizon = result.scenario.horizon
    bins = (result.intervals[["interval", "start_s", "clock"]]
            .drop_duplicates("interval").sort_values("interval", ignore_index=True))
    start = bins["start_s"].to_numpy(dtype=float)
    bins["lo"] = np.clip(start, horizon.warmup, horizon.length_s)
    bins["hi"] = np.clip(start + horizon.interval, horizon.warmup, horizon.length_s)
    return bins


def _edges(bins: pd.DataFrame) -> np.ndarray:
    """Contiguous bin edges (s) of consecutive intervals, for ``overlap_per_bin``."""
    return np.append(bins["lo"].to_numpy(), bins["hi"].to_numpy()[-1:])


def _duration_label(seconds: float) -> str:
    """``1800`` -> ``"30 min"``, ``3600`` -> ``"1 h"``, ``45`` -> ``"45 s"``."""
    if seconds % 3600 == 0:
        return f"{seconds / 3600:g} h"
    if seconds % 60 == 0:
        return f"{seconds / 60:g} min"
    return f"{seconds:g} s"


def _clock_axis(ax: Axes, clocks: Sequence[str], max_labels: int = 13) -> None:
    """Label positions ``0..n-1`` with clock times, thinned to at most ``max_labels``."""
    n = len(clocks)
    step = max(1, math.ceil(n / max_labels))
    ticks = list(range(0, n, step))
    ax.set_xticks(ticks, [clocks[i] for i in ticks])
    ax.set_xlim(-0.5, n - 0.5)


def _nan_ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """``num / den`` where ``den > 0``, NaN elsewhere."""
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def _need_records(result: Result, *names: str) -> None:
    for name in names:
        if getattr(result, name).empty:
            raise ValueError(f"the result has no {name} records: simulate with "
                             "records='all'")


# ----------------------------------------------------------------------------- intraday

def intraday_figure(result: Result, channel: str | None = None) -> Figure:
    """Offered contacts, staffing and service level per interval of the day.

    Top panel: mean offered contacts per interval of arrival (bars, left axis) and mean
    staffed agents (line, right axis); bottom panel: service level per interval (%) with
    the channel's target as a dashed line. The x axis is the clock time at the start of
    each reported interval (those overlapping the counted period).

    Parameters
    ----------
    result : Result
        A simulation result; uses ``result.intervals`` (and ``result.agents`` when
        ``channel`` is None).
    channel : str, optional
        Channel to draw. None (default) pools all channels: offered contacts are summed,
        the service level is the offered-weighted mean of the channels' service levels
        (contacts answered within their own channel's threshold / offered), staffed
        agents are all agents logged in (any group; from ``result.agents`` when records
        were kept, else the best-staffed channel), and the dashed target is the **first
        channel's** target (scenario order).

    Returns
    -------
    Figure
        Three axes: offered (contacts per interval), its twin staffed agents (agents),
        service level (%).

    Raises
    ------
    ValueError
        If ``channel`` is not a channel of the scenario.
    """
    scenario = result.scenario
    if channel is not None and channel not in scenario.channels:
        raise ValueError(f"unknown channel {channel!r}; channels: {list(scenario.channels)}")
    bins = _interval_bins(result)
    table = result.intervals
    if channel is not None:
        rows = table[table["channel"] == channel].set_index("interval").reindex(bins["interval"])
        offered = rows["offered"].to_numpy(dtype=float)
        staffed = rows["staffed_agents"].to_numpy(dtype=float)
        service_level = rows["service_level"].to_numpy(dtype=float)
        target_channel = channel
    else:
        by = table.groupby("interval")
        offered = by["offered"].sum().reindex(bins["interval"]).to_numpy(dtype=float)
        in_sl = (table["service_level"].fillna(0.0) * table["offered"]).groupby(
            table["interval"]).sum().reindex(bins["interval"]).to_numpy(dtype=float)
        service_level = _nan_ratio(in_sl, offered)
        if result.agents.empty:
            staffed = by["staffed_agents"].max().reindex(bins["interval"]).to_numpy(float)
        else:
            logged = overlap_per_bin(result.agents["start_s"], result.agents["end_s"],
                                     _edges(bins))
            staffed = _nan_ratio(logged, (bins["hi"] - bins["lo"]).to_numpy()
                                 * result.replications)
        target_channel = next(iter(scenario.channels))
    sl_spec = scenario.channels[target_channel].service_level
    clocks = list(bins["clock"])
    x = np.arange(len(clocks))

    fig, (top, bottom) = new_figure(2, 1, height=6.5, sharex=True, height_ratios=(3, 2))
    top.bar(x, offered, width=0.8, color=COLORS["offered"], edgecolor="white",
            label="offered contacts")
    top.set_ylabel(f"offered (contacts per {_duration_label(scenario.horizon.interval)})")
    style_axes(top, grid="y")
    twin = top.twinx()
    serving = "all groups" if channel is None else f"groups serving {channel}"
    twin.plot(x, staffed, "o-", color=COLORS["staffed"], label=f"staffed agents ({serving})")
    twin.set_ylabel("staffed agents (agents)")
    top.set_ylim(0, np.nanmax(offered, initial=0.0) * 1.15 or 1.0)
    twin.set_ylim(0, np.nanmax(staffed, initial=0.0) * 1.15 or 1.0)
    handles = top.get_legend_handles_labels()[0] + twin.get_legend_handles_labels()[0]
    top.legend(handles=handles, loc="lower left", bbox_to_anchor=(0.0, 1.0), ncols=2,
               frameon=False, borderaxespad=0.1)  # above the bars: never hides data

    bottom.plot(x, service_level * 100.0, "o-", color=COLORS["service_level"],
                label="service level")
    who = "" if channel is not None or len(scenario.channels) == 1 else f" ({target_channel})"
    bottom.axhline(sl_spec.target * 100.0, ls="--", color=COLORS["target"],
                   label=f"target{who}: {sl_spec.target:.0%} within "
                         f"{_duration_label(sl_spec.threshold)}")
    bottom.set_ylim(0, 105)
    bottom.set_ylabel("service level (%)")
    bottom.set_xlabel("interval start (clock time, HH:MM)")
    bottom.legend(loc="best", ncols=2)
    style_axes(bottom)
    _clock_axis(bottom, clocks)
    shown = channel if channel is not None else "all channels"
    fig.suptitle(f"{scenario.name}: intraday profile, {shown} "
                 f"(mean of {result.replications} replications)")
    return fig


# ----------------------------------------------------------------------------- wait CDF

def wait_cdf_figure(result: Result) -> Figure:
    """Empirical CDF of the wait of answered contacts, one line per channel.

    Counted contacts only (arrival in ``[warmup, horizon)``), all replications pooled.
    Each channel's service-level threshold is a vertical dashed line in the channel's
    color; the legend gives the share of answered contacts within it. The x axis stops
    at the 99th percentile of all waits (or just past the largest threshold, if
    further) so that a long tail does not squash the curves; the lines themselves are
    not cut and end at 1.

    Parameters
    ----------
    result : Result
        A simulation result with records (``result.contacts``).

    Returns
    -------
    Figure
        One axes: wait (s) vs cumulative share of answered contacts (%; stored as a
        fraction 0-1, ticks formatted in %).
    """
    _need_records(result, "contacts")
    scenario = result.scenario
    horizon = scenario.horizon
    contacts = result.contacts
    answered = contacts[(contacts["arrival_s"] >= horizon.warmup)
                        & (contacts["arrival_s"] < horizon.length_s)
                        & contacts["answered"].astype(bool)]
    all_waits = answered["wait_s"].to_numpy(dtype=float)
    p99 = float(np.quantile(all_waits, 0.99)) if len(all_waits) else 0.0
    thresholds = [ch.service_level.threshold for ch in scenario.channels.values()]
    right = max(p99, 1.05 * max(thresholds), 1.0)

    fig, ax = new_figure(1, 1, height=5.0)
    for i, (name, spec) in enumerate(scenario.channels.items()):
        color = series_color(i)
        threshold = spec.service_level.threshold
        waits = np.sort(answered.loc[answered["channel"] == name, "wait_s"].to_numpy(float))
        n = len(waits)
        if n:
            within = np.searchsorted(waits, threshold, side="right") / n
            ax.plot(np.r_[0.0, waits], np.r_[0.0, np.arange(1, n + 1) / n],
                    drawstyle="steps-post", color=color, lw=2,
                    label=f"{name}: {within:.0%} of {n:,} answered within "
                          f"{_duration_label(threshold)}")
        else:
            ax.plot([], [], color=color, lw=2, label=f"{name}: no answered contact")
        ax.axvline(threshold, ls="--", lw=1.2, color=color,
                   label=f"{name} SL threshold ({_duration_label(threshold)})")
    ax.set_xlim(-0.01 * right, right)  # the jump at 0 (answered at once) stays visible
    ax.set_ylim(0, 1.02)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0, symbol=""))
    ax.set_xlabel(f"wait before answer (s); axis cut at the 99th percentile, {p99:.0f} s")
    ax.set_ylabel("answered contacts with wait ≤ x (%)")
    ax.legend(loc="lower right")
    style_axes(ax)
    fig.suptitle(f"{scenario.name}: wait of answered contacts "
                 f"(counted period, {result.replications} replications pooled)")
    return fig


# ----------------------------------------------------------------------------- occupancy

def _group_occupancy(result: Result, bins: pd.DataFrame,
                     groups: Sequence[str]) -> np.ndarray:
    """Occupancy (fraction) per group x interval, the mean over replications of busy /
    logged-in time in the counted part of each interval; NaN when nobody was logged in
    in any replication."""
    edges = _edges(bins)
    agents, legs = result.agents, result.legs
    total = np.zeros((len(groups), len(bins)))
    count = np.zeros((len(groups), len(bins)))
    for rep in np.unique(agents["replication"]):
        rep_agents = agents[agents["replication"] == rep]
        rep_legs = legs[legs["replication"] == rep]
        for row, group in enumerate(groups):
            sessions = rep_agents[rep_agents["group"] == group]
            work = rep_legs[rep_legs["group"] == group]
            staffed = overlap_per_bin(sessions["start_s"], sessions["end_s"], edges)
            busy = overlap_per_bin(work["answered_s"], work["end_s"], edges)
            occupancy = _nan_ratio(busy, staffed)
            seen = ~np.isnan(occupancy)
            total[row] += np.where(seen, occupancy, 0.0)
            count[row] += seen
    return _nan_ratio(total, count)


def occupancy_heatmap(result: Result) -> Figure:
    """Occupancy by agent group (rows) and interval (columns), in %.

    Occupancy is busy time (answer to end of wrap-up, from ``result.legs``) / logged-in
    time (``result.agents`` sessions) within the counted part of each interval,
    computed per replication and averaged over the replications where the group had
    someone logged in. Cells where nobody was logged in are blank; cell values are
    printed when there are at most 30 intervals.

    Parameters
    ----------
    result : Result
        A simulation result with records (``result.legs``, ``result.agents``).

    Returns
    -------
    Figure
        Two axes: the heatmap (image array: groups x intervals, in %, rows in scenario
        order) and its colorbar (0-100 %).
    """
    _need_records(result, "agents")
    scenario = result.scenario
    bins = _interval_bins(result)
    groups = list(scenario.agents)
    values = _group_occupancy(result, bins, groups) * 100.0
    n_groups, n_bins = values.shape

    fig, ax = new_figure(1, 1, height=max(2.8, 1.6 + 0.55 * n_groups))
    cmap = colormaps[HEATMAP_CMAP].with_extremes(bad="white")
    image = ax.imshow(values, aspect="auto", cmap=cmap, vmin=0.0, vmax=100.0,
                      interpolation="nearest")
    fig.colorbar(image, ax=ax, label="occupancy (%)", pad=0.01)
    if n_bins <= 30:
        for (row, col), value in np.ndenumerate(values):
            if np.isfinite(value):
                ax.text(col, row, f"{value:.0f}", ha="center", va="center", fontsize=8,
                        color="white" if value < 60 else "black")
    ax.set_yticks(range(n_groups), groups)
    _clock_axis(ax, list(bins["clock"]))
    ax.set_xlabel("interval start (clock time, HH:MM)")
    ax.set_ylabel("agent group")
    fig.suptitle(f"{scenario.name}: occupancy by agent group "
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
        ax.set_yticks(range(n_var), variants)
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
    fig.suptitle(f"{title} ({scope}: {key}; paired differences, mean and 95% CI)")
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
    ax.set_xticks(range(len(cols)), cols)
    if max(map(len, cols), default=0) * len(cols) > 45:  # long names would overlap
        ax.tick_params(axis="x", labelrotation=30)
        for label in ax.get_xticklabels():
            label.set_horizontalalignment("right")
    ax.set_yticks(range(len(rows)), rows)
    ax.tick_params(length=0)
    ax.set_xticks(np.arange(len(cols) + 1) - 0.5, minor=True)
    ax.set_yticks(np.arange(len(rows) + 1) - 0.5, minor=True)
    ax.grid(True, which="minor", color="white", lw=1.5)
    ax.tick_params(which="minor", length=0)


def journey_figure(contacts: pd.DataFrame, legs: pd.DataFrame | None = None) -> Figure:
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
                 f"replication{'s' if n_rep != 1 else ''})")
    return fig
