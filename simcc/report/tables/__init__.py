"""Readable KPI tables (rich) built from results; no computation here. One module per
kind of table:

- :mod:`~simcc.report.tables.run`: a run's overall KPIs, issues, and KPIs by scope;
- :mod:`~simcc.report.tables.intervals`: a run's KPIs per interval and channel;
- :mod:`~simcc.report.tables.experiments`: comparison, sweep, check and backtest;
- :mod:`~simcc.report.tables.outcomes`: the modelled customer outcomes (csat, effort,
  disloyalty, value at risk) of a run or a comparison, when the scenario has them.

Every value is formatted by :mod:`simcc.report.format` from its catalogue kind: rates
in %, durations with a unit chosen by magnitude, money with the scenario's currency.
Service levels are shown with their target (``80% in 30 s``) and flagged with
:data:`MISSED` when the mean is below it. The tables and the formatting helpers are all
importable from here.
"""

from simcc.report.format import (
    DURATION_UNITS,
    LABELS,
    MISSED,
    MISSED_NOTE,
    NO_VALUE,
    PERCENT,
    RATIOS,
    column_header,
    counted_period,
    describe_changes,
    duration_unit,
    fmt,
    fmt_duration,
    fmt_money,
    fmt_range,
    fmt_service_level,
    fmt_span,
    fmt_value,
    label,
    signed,
    sl_target,
)
from simcc.report.tables.experiments import (
    BACKTEST_COLUMNS,
    CHECK_NOTE,
    COMPARED,
    COMPARISON_NOTE,
    SWEPT,
    VERDICT_STYLE,
    backtest_table,
    check_table,
    comparison_table,
    planned_backtest_notes,
    pooled_notes,
    sweep_table,
)
from simcc.report.tables.intervals import INTERVAL_KPIS, interval_rows, interval_table
from simcc.report.tables.outcomes import (
    OUTCOME_KPIS,
    OUTCOME_NOTE,
    OUTCOME_TITLE,
    comparison_outcome_rows,
    outcome_cells,
    outcome_table,
)
from simcc.report.tables.run import (
    ISSUE_ROWS,
    JOURNEY_ROWS,
    OUTCOME_ROWS,
    SCOPE_COLUMNS,
    issue_table,
    overall_rows,
    overall_table,
    scope_table,
)

__all__ = [
    "BACKTEST_COLUMNS", "CHECK_NOTE", "COMPARED", "COMPARISON_NOTE", "DURATION_UNITS",
    "INTERVAL_KPIS", "ISSUE_ROWS", "JOURNEY_ROWS", "LABELS", "MISSED", "MISSED_NOTE",
    "NO_VALUE", "OUTCOME_KPIS", "OUTCOME_NOTE", "OUTCOME_ROWS", "OUTCOME_TITLE",
    "PERCENT", "RATIOS", "SCOPE_COLUMNS", "SWEPT", "VERDICT_STYLE",
    "backtest_table", "check_table", "column_header", "comparison_outcome_rows",
    "comparison_table",
    "counted_period", "describe_changes", "duration_unit", "fmt", "fmt_duration",
    "fmt_money", "fmt_range", "fmt_service_level", "fmt_span", "fmt_value",
    "interval_rows", "interval_table", "issue_table", "label", "outcome_cells",
    "outcome_table", "overall_rows", "overall_table", "planned_backtest_notes", "pooled_notes",
    "scope_table", "signed", "sl_target", "sweep_table",
]
