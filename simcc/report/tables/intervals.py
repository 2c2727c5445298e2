"""The interval table: KPIs per reporting interval and channel (means over
replications), with the intervals that missed their service-level target flagged."""

from __future__ import annotations

import math

from rich import box
from rich.table import Table

from simcc.experiment.result import Result
from simcc.report.format import (
    LABELS,
    MISSED,
    column_header,
    fmt,
    fmt_service_level,
    fmt_span,
    sl_target,
)
from simcc.report.terminal import markup_safe
from simcc.units import DAY

INTERVAL_KPIS = ("offered", "handled", "abandon_rate", "service_level", "asa_s",
                 "staffed_agents", "occupancy")
"""Columns of :func:`interval_table` after the interval's day, clock and channel."""


def interval_rows(result: Result, channel: str | None = None):
    """The result's per-interval table with an ``abandon_rate`` column and a ``day``
    (1 = the horizon's first day), restricted to ``channel`` when given, without the
    rows of a closed and unstaffed channel (nothing offered, nobody logged in)."""
    rows = result.intervals.copy()
    if channel is not None:
        rows = rows[rows["channel"] == channel]
    offered = rows["offered"].to_numpy(dtype=float)
    rows["abandon_rate"] = [a / o if o > 0 else math.nan
                            for a, o in zip(rows["abandoned"], offered, strict=True)]
    start = result.scenario.horizon.start
    rows["day"] = [int((start + s) // DAY) + 1 for s in rows["start_s"]]
    active = (offered > 0) | (rows["staffed_agents"].fillna(0).to_numpy() > 0)
    return rows[active]


def interval_table(result: Result, channel: str | None = None) -> Table:
    """KPIs per reporting interval and channel (means over replications), flagging
    intervals whose service level is below the channel's target: the overall service
    level averages a morning peak away."""
    scenario = result.scenario
    rows = interval_rows(result, channel)
    several_days = rows["day"].nunique() > 1
    one = channel or (next(iter(scenario.channels)) if len(scenario.channels) == 1 else None)
    table = Table(title=markup_safe(f"{scenario.name}: {one + ' ' if one else ''}per "
                                    f"{fmt_span(scenario.horizon.interval)} interval, means "
                                    f"of {result.replications} replications"),
                  title_justify="left", caption_justify="left", box=box.SIMPLE_HEAD)
    for name in ["day"] * several_days + ["from"] + ["channel"] * (one is None):
        table.add_column(name, no_wrap=True)
    for kpi in INTERVAL_KPIS:
        table.add_column(column_header(LABELS[kpi]), justify="right", no_wrap=True)
    missed = 0
    for row in rows.to_dict("records"):
        target = scenario.channels[row["channel"]].service_level.target
        sl = fmt_service_level(row["service_level"], target)
        missed += sl.endswith(MISSED)
        cells = [fmt(kpi, row[kpi]) if kpi != "service_level" else sl for kpi in INTERVAL_KPIS]
        table.add_row(*[str(row["day"])] * several_days, markup_safe(row["clock"]),
                      *[markup_safe(row["channel"])] * (one is None), *cells)
    targets = ", ".join(f"{name} {sl_target(scenario, name)}" for name in scenario.channels
                        if channel in (None, name))
    table.caption = markup_safe(
        f"{MISSED} service level below the channel's target ({targets}): {missed} of "
        f"{len(rows)} intervals. Contacts by interval of arrival; agents staffed and "
        "occupancy of the groups serving the channel.")
    return table
