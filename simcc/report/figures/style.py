"""The look every figure shares: colours, size, axes style, KPI axis labels, titles and
the grid of panels; and the check of the columns of a table handed to a figure.

10 inches wide, constrained layout, light grid behind the data, rates drawn in %.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Collection
from typing import Any

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.colors import Colormap
from matplotlib.figure import Figure

from simcc.catalogue import KPIS

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

TITLE_WIDTH = 95
"""Characters per line of a figure title before it wraps (long scenario names)."""


def series_color(index: int) -> Any:
    """The color of the ``index``-th series of a figure (channels, groups): tab10."""
    return colormaps["tab10"](index % 10)


def heatmap_cmap() -> Colormap:
    """The colormap of every heatmap (:data:`HEATMAP_CMAP`), masked cells white."""
    return colormaps[HEATMAP_CMAP].with_extremes(bad="white")


MAX_SPACED_BARS = 96
"""Most intervals drawn as separate bars; beyond (a week or a month of half-hours) bars
touch, because white edges between hundreds of thin bars hide the bars themselves."""


def bar_style(n: int) -> dict[str, Any]:
    """Keyword arguments of ``Axes.bar`` for ``n`` bars side by side: spaced with white
    edges up to :data:`MAX_SPACED_BARS`, touching without edges beyond."""
    if n <= MAX_SPACED_BARS:
        return {"width": 0.8, "edgecolor": "white"}
    return {"width": 1.0, "edgecolor": "none", "linewidth": 0}


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


def panel_grid(n_panels: int, max_cols: int, row_height: float, extra_height: float,
               **subplots: Any) -> tuple[Figure, np.ndarray]:
    """A figure of ``n_panels`` axes, at most ``max_cols`` per row, ``extra_height +
    row_height * rows`` inches high (titles, legends). Returns the figure and the 2-D
    array of its axes (row by row); the surplus axes of the last row are removed from
    the figure (they stay in the array, after the first ``n_panels``)."""
    ncols = min(n_panels, max_cols)
    nrows = math.ceil(n_panels / ncols)
    fig, axes = new_figure(nrows, ncols, squeeze=False,
                           height=extra_height + row_height * nrows, **subplots)
    for ax in axes.flat[n_panels:]:
        ax.remove()
    return fig, axes


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


def suptitle(fig: Figure, text: str) -> None:
    """The figure title, wrapped at :data:`TITLE_WIDTH` characters (existing line
    breaks kept) so that a long name is never cut off at the figure edge."""
    lines = [textwrap.fill(line, TITLE_WIDTH) for line in text.split("\n")]
    fig.suptitle("\n".join(lines))


def plain(text: object) -> str:
    """User text (a name) shown literally by matplotlib: ``$`` would start mathtext."""
    return str(text).replace("$", r"\$")


def require_columns(frame: pd.DataFrame, columns: Collection[str], name: str) -> None:
    """Raise ValueError ``"<name> misses columns [...]"`` (sorted) unless ``frame`` has
    every one of ``columns``."""
    missing = set(columns) - set(frame.columns)
    if missing:
        raise ValueError(f"{name} misses columns {sorted(missing)}")
