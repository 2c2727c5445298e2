"""The KPI tables of a run (rich), built from a :class:`Result`: overall KPIs with their
95% intervals, issues by first channel, and KPI means by channel, segment, intent or
agent group. Values are formatted by :mod:`simcc.report.format`; service levels are
shown with their target (``80% in 30 s``) and flagged with :data:`MISSED` when the mean
is below it.
"""

from __future__ import annotations

import math

from rich.table import Table

from simcc.catalogue import keys
from simcc.experiment.result import Result
from simcc.report.format import (
    LABELS,
    MISSED,
    MISSED_NOTE,
    column_header,
    fmt,
    fmt_range,
    fmt_service_level,
    label,
    sl_target,
)
from simcc.report.terminal import markup_safe
from simcc.scenario.schema import Scenario

JOURNEY_ROWS = set(keys(family="journey"))
ISSUE_ROWS = set(keys(family="issue")) | set(keys(family="cost"))
OUTCOME_ROWS = set(keys(family="outcome"))
"""Modelled outcome KPIs: not in the overall table, in their own (tables.outcomes)."""
SCOPE_COLUMNS = {
    "channel": ("offered", "handled", "abandon_rate", "service_level", "asa_s", "aht_s"),
    "segment": ("offered", "abandon_rate", "service_level", "asa_s", "fcr"),
    "intent": ("offered", "abandon_rate", "service_level", "asa_s", "aht_s", "fcr"),
    "group": ("handled", "occupancy", "staffed_agents", "asa_s", "aht_s", "cost"),
}
"""Columns of :func:`scope_table` per scope, in order (those the run has)."""


def _single_target(scenario: Scenario) -> float | None:
    """The service-level target of a one-channel scenario (None with several)."""
    if len(scenario.channels) != 1:
        return None
    return next(iter(scenario.channels.values())).service_level.target


def overall_rows(result: Result) -> list[tuple[str, str, str]]:
    """(label, mean, 95% CI) texts of the overall KPIs, in the order of LABELS, but the
    modelled outcome KPIs (:data:`OUTCOME_ROWS`: see :mod:`simcc.report.tables.outcomes`)."""
    overall = result.kpis[result.kpis["scope"] == "overall"].set_index("kpi")
    scenario, currency = result.scenario, result.scenario.currency
    target = _single_target(scenario)
    rows = []
    several = overall["mean"].get("contacts_per_issue", 1.0) > 1.0
    for kpi in LABELS:
        if (kpi not in overall.index or kpi in OUTCOME_ROWS
                or (kpi in ISSUE_ROWS and not several)):
            continue
        row = overall.loc[kpi]
        if kpi in JOURNEY_ROWS and not (math.isfinite(row["mean"]) and row["mean"] > 0):
            continue
        name, mean = label(kpi, scenario), fmt(kpi, row["mean"], currency)
        if kpi == "service_level" and target is not None:
            name = f"{name} ({sl_target(scenario, next(iter(scenario.channels)))})"
            mean = fmt_service_level(row["mean"], target)
        rows.append((name, mean,
                     fmt_range(kpi, row["ci_low"], row["ci_high"], row["mean"], currency)))
    return rows


def overall_table(result: Result) -> Table:
    """Overall KPIs: mean and 95% confidence interval over replications."""
    table = Table(title=markup_safe(f"{result.scenario.name}: {result.replications} "
                                    f"replications, seed {result.seed}"),
                  title_justify="left", caption_justify="left")
    table.add_column("KPI")
    table.add_column("mean", justify="right")
    table.add_column("95% CI", justify="right")
    rows = overall_rows(result)
    for row in rows:
        table.add_row(*(markup_safe(cell) for cell in row))
    if any(mean.endswith(MISSED) for _, mean, _ in rows):
        table.caption = MISSED_NOTE
    return table


def issue_table(result: Result) -> Table | None:
    """Issue KPIs by the channel of the issue's first contact (None when every issue has
    a single contact: the contact tables say it all)."""
    part = result.kpis[(result.kpis["scope"] == "channel")
                       & result.kpis["kpi"].isin(["fcr", *ISSUE_ROWS])]
    overall = result.kpis[(result.kpis["scope"] == "overall")
                          & (result.kpis["kpi"] == "contacts_per_issue")]["mean"]
    if part.empty or overall.empty or not overall.iloc[0] > 1.0:
        return None
    wide = part.pivot(index="key", columns="kpi", values="mean")
    columns = [k for k in ("issues", "fcr", "resolution_rate", "contacts_per_issue",
                           "channels_per_issue", "time_to_resolution_s") if k in wide.columns]
    table = Table(title="issues by first channel", title_justify="left")
    table.add_column("channel", no_wrap=True)
    for kpi in columns:
        table.add_column(LABELS[kpi], justify="right")
    for key, row in wide.iterrows():
        table.add_row(markup_safe(str(key)), *(fmt(kpi, row[kpi]) for kpi in columns))
    return table


def scope_table(result: Result, scope: str) -> Table | None:
    """KPI means by channel, segment, intent or agent group (None when empty). The
    channel table adds each channel's service-level target and flags misses."""
    part = result.kpis[result.kpis["scope"] == scope]
    if part.empty:
        return None
    wide = part.pivot(index="key", columns="kpi", values="mean")
    table = Table(title=f"by {scope}", title_justify="left", caption_justify="left")
    table.add_column(scope, no_wrap=True)
    columns = [k for k in SCOPE_COLUMNS[scope] if k in wide.columns]
    by_channel = scope == "channel"
    for kpi in columns:
        table.add_column(column_header(label(kpi, result.scenario)), justify="right",
                         no_wrap=True)
        if by_channel and kpi == "service_level":
            table.add_column("SL target", justify="right")
    missed = False
    for key, row in wide.iterrows():
        cells = [markup_safe(str(key))]
        for kpi in columns:
            if by_channel and kpi == "service_level":
                goal = result.scenario.channels[key].service_level
                cells.append(fmt_service_level(row[kpi], goal.target))
                cells.append(sl_target(result.scenario, key))
                missed |= cells[-2].endswith(MISSED)
            else:
                cells.append(fmt(kpi, row[kpi], result.scenario.currency))
        table.add_row(*cells)
    if missed:
        table.caption = MISSED_NOTE
    return table
