"""The roster figure of ``simcc schedule``: agents on duty per interval (bars) against
the requirement (step line), one panel per date; uncovered intervals in red."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from simcc.report.figures.style import COLORS, new_figure, style_axes


def coverage_figure(coverage: pd.DataFrame, title: str = "roster coverage") -> Figure:
    """Covered vs required agents per interval (a :class:`~simcc.planning.schedule.
    Roster` coverage table: date, start, required, covered, shortfall)."""
    dates = list(dict.fromkeys(coverage["date"]))
    fig, axes = new_figure(len(dates), 1, height=1.2 + 1.8 * len(dates), sharey=True,
                           squeeze=False)
    for ax, date in zip(axes[:, 0], dates, strict=True):
        part = coverage[coverage["date"] == date]
        x = np.arange(len(part))
        short = part["shortfall"].to_numpy() > 0
        ax.bar(x, part["covered"], width=0.9, color=np.where(short, COLORS["target"],
                                                             COLORS["offered"]),
               label="on duty (red: short)")
        ax.step(np.r_[x, x[-1] + 1] - 0.5, np.r_[part["required"], part["required"].iloc[-1]],
                where="post", color=COLORS["observed"], label="required")
        ticks = x[:: max(1, len(x) // 12)]
        ax.set_xticks(ticks, part["start"].to_numpy()[ticks])
        ax.set_ylabel("agents")
        ax.set_title(f"{title} {date}".strip(), loc="left", fontsize="medium")
        style_axes(ax, grid="y")
    axes[0, 0].legend(loc="upper right", fontsize="small")
    return fig
