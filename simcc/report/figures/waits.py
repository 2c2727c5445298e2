"""The wait of answered contacts: one CDF panel per channel, each on its own time axis.
Needs per-contact records (a run's records or a sample of them)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from simcc.report.figures.style import panel_grid, plain, series_color, style_axes, suptitle
from simcc.report.figures.timeaxis import duration_label

if TYPE_CHECKING:
    from simcc.experiment.result import Result


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
    fig, axes = panel_grid(len(names), 2, row_height=3.6, extra_height=1.0, sharey=True)
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
                label=f"{within:.0%} of {n:,} answered within {duration_label(threshold)}")
    else:
        ax.plot([], [], color=color, lw=2, label="no answered contact")
    ax.axvline(threshold / scale, ls="--", lw=1.2, color=color,
               label=f"SL threshold ({duration_label(threshold)})")
    ax.set_xlim(-0.01 * right, right)  # the jump at 0 (answered at once) stays visible
    ax.set_ylim(0, 1.02)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0, symbol=""))
    ax.set_xlabel(f"wait before answer ({unit}); axis cut at the 99th percentile")
    ax.set_title(plain(name), fontsize=10)
    ax.legend(loc="lower right", fontsize=8)
    style_axes(ax)
