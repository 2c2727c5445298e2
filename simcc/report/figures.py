"""Figures (matplotlib). Each function returns a Figure and never shows it (figures are
built without pyplot, so nothing is displayed or kept open behind the caller's back)."""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

PANELS = (
    ("offered_per_day", "offered contacts per day", 1.0),
    ("abandon_rate", "abandonment rate (%)", 100.0),
    ("asa_s", "ASA (s)", 1.0),
    ("service_level", "service level (%)", 100.0),
)


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
    fig = Figure(figsize=(10, 6.5), layout="constrained")
    axes = fig.subplots(2, 2, sharex=True)
    for ax, (metric, label, scale) in zip(axes.flat, PANELS, strict=True):
        shown = hours if metric == "offered_per_day" else hours.mask(quiet)
        ax.plot(x, shown[f"{metric}_obs"] * scale, "o-", color="black", label="observed")
        ax.plot(x, shown[f"{metric}_sim"] * scale, "s--", color="tab:blue", label="simulated")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
    for ax in axes[1]:
        ax.set_xlabel("hour of day")
        ax.set_xticks(range(0, 24, 2))
    axes[0, 0].legend(loc="upper left")
    fig.suptitle(title)
    return fig
