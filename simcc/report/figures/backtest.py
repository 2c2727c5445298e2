"""The backtest figure: observed vs simulated KPIs by hour of the day
(:mod:`simcc.calibrate`, docs/calibration.md)."""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from simcc.report.figures.style import COLORS, kpi_label, new_figure, style_axes

PANELS = ("offered_per_day", "abandon_rate", "asa_s", "service_level")
"""Backtest panels: offered contacts per day, then three KPIs (labels from the catalogue)."""


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
