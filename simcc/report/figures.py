"""Figures (matplotlib). Each function returns a Figure and never shows it."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # files and notebooks only; no window

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

PANELS = (
    ("offered_per_day", "offered contacts per day", 1.0),
    ("abandon_rate", "abandonment rate (%)", 100.0),
    ("asa_s", "ASA (s)", 1.0),
    ("service_level", "service level (%)", 100.0),
)


def backtest_figure(table: pd.DataFrame, title: str = "backtest") -> Figure:
    """Observed vs simulated KPIs by hour of the day (a backtest table)."""
    hours = table.drop(index="all", errors="ignore")
    x = hours.index.astype(int)
    fig, axes = plt.subplots(2, 2, figsize=(10, 6.5), sharex=True, layout="constrained")
    for ax, (metric, label, scale) in zip(axes.flat, PANELS, strict=True):
        ax.plot(x, hours[f"{metric}_obs"] * scale, "o-", color="black", label="observed")
        ax.plot(x, hours[f"{metric}_sim"] * scale, "s--", color="tab:blue", label="simulated")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
    for ax in axes[1]:
        ax.set_xlabel("hour of day")
        ax.set_xticks(range(0, 24, 2))
    axes[0, 0].legend(loc="upper left")
    fig.suptitle(title)
    return fig
