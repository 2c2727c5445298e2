"""Figures (matplotlib). Each function returns a Figure and never shows it (figures are
built without pyplot, so nothing is displayed or kept open behind the caller's back).

All figures share one style (:mod:`simcc.report.figures.style`: :data:`COLORS`,
:func:`new_figure`, :func:`style_axes`): 10 inches wide, constrained layout, light grid
behind the data, rates drawn in %. One module per kind of figure:

- :mod:`~simcc.report.figures.intervals`: a run's per-interval totals (intraday
  profile, occupancy heatmap), on the time axis of :mod:`~simcc.report.figures.timeaxis`;
- :mod:`~simcc.report.figures.waits`: the wait CDF of answered contacts (records);
- :mod:`~simcc.report.figures.journeys`: channel journeys and transfers (records);
- :mod:`~simcc.report.figures.comparison`: variants vs baseline (forest plot);
- :mod:`~simcc.report.figures.sweep`: KPIs against the number of agents;
- :mod:`~simcc.report.figures.backtest`: observed vs simulated by hour;
- :mod:`~simcc.report.figures.staffing`: a staffing plan (agents against demand,
  verified service level per interval), on the plan's clock axis.

Every public name (and the verdict rule ``_diff_verdict``) is importable from here.
"""

from simcc.report.figures.backtest import PANELS, backtest_figure
from simcc.report.figures.comparison import (
    COMPARISON_KPIS,
    DIFF_STYLES,
    HOLLOW,
    _diff_verdict,
    comparison_figure,
)
from simcc.report.figures.intervals import intraday_figure, occupancy_heatmap
from simcc.report.figures.journeys import journey_figure
from simcc.report.figures.staffing import (
    VERDICT_STYLES,
    service_level_figure,
    staffing_figure,
)
from simcc.report.figures.style import (
    COLORS,
    FIG_WIDTH,
    GRID_ALPHA,
    HEATMAP_CMAP,
    TITLE_WIDTH,
    heatmap_cmap,
    kpi_label,
    new_figure,
    panel_grid,
    plain,
    require_columns,
    series_color,
    style_axes,
    suptitle,
)
from simcc.report.figures.sweep import SWEEP_COLUMNS, staffing_sweep_figure
from simcc.report.figures.timeaxis import (
    TICK_STEPS_S,
    channel_rows,
    clock_axis,
    day_and_clock,
    duration_label,
    interval_bins,
    round_ticks,
    time_axis,
    time_labels,
)
from simcc.report.figures.waits import wait_cdf_figure

__all__ = [
    "COLORS", "COMPARISON_KPIS", "DIFF_STYLES", "FIG_WIDTH", "GRID_ALPHA", "HEATMAP_CMAP",
    "HOLLOW", "PANELS", "SWEEP_COLUMNS", "TICK_STEPS_S", "TITLE_WIDTH", "VERDICT_STYLES",
    "_diff_verdict", "backtest_figure", "channel_rows", "clock_axis", "comparison_figure",
    "day_and_clock",
    "duration_label", "heatmap_cmap", "interval_bins", "intraday_figure", "journey_figure",
    "kpi_label", "new_figure", "occupancy_heatmap", "panel_grid", "plain",
    "require_columns", "round_ticks", "series_color", "service_level_figure",
    "staffing_figure", "staffing_sweep_figure", "style_axes", "suptitle", "time_axis",
    "time_labels", "wait_cdf_figure",
]
