"""Simulating candidate plans and measuring their targets.

Each replication of a plan gives one value per per-interval target and grid interval
(a horizon of several days pools the same interval of every day: contacts and answered
contacts are added up, then divided) and one value per day target (the replication's
KPI). A measurement is the mean over replications with its standard error and 95%
confidence interval (:func:`simcc.experiment.aggregate.mean_ci`, bounded for rates).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from simcc.catalogue import is_bounded
from simcc.experiment.aggregate import mean_ci
from simcc.experiment.executors import Executor
from simcc.experiment.replications import Progress, ReplicationOutput, run_scenarios
from simcc.planning.grid import Grid
from simcc.planning.targets import Target
from simcc.scenario.schema import Scenario

DAY_ROW = -1
"""``interval`` of a measurement judged over the day."""
MEASURE_COLUMNS = ["target", "interval", "mean", "se", "ci_low", "ci_high", "n"]


def run_plans(scenarios: Sequence[Scenario], replications: int, seed: int,
              executor: Executor, progress: Progress | None = None
              ) -> list[list[ReplicationOutput]]:
    """Replications of every scenario on common random numbers, KPIs only, one batch."""
    return run_scenarios(list(scenarios), replications, seed, executor, "none", progress)


def measure(outputs: list[ReplicationOutput], targets: list[Target], grid: Grid
            ) -> pd.DataFrame:
    """One row per (target, interval) with a value: ``target`` (index in ``targets``),
    ``interval`` (grid interval, or :data:`DAY_ROW`), ``mean``, ``se`` (standard error
    of the mean over replications), ``ci_low``, ``ci_high``, ``n``."""
    rows = []
    per_interval = _interval_values(outputs, grid)
    kpis = pd.concat([out.kpis.assign(replication=out.index) for out in outputs])
    for i, target in enumerate(targets):
        if target.per == "interval":
            for t, values in _target_interval_values(per_interval, target):
                rows.append(_row(i, t, values, target.kpi))
        else:
            part = kpis[(kpis["scope"] == target.scope) & (kpis["key"] == target.key)
                        & (kpis["kpi"] == target.kpi)]
            if not part.empty:
                rows.append(_row(i, DAY_ROW, part["value"].to_numpy(float), target.kpi))
    return pd.DataFrame(rows, columns=MEASURE_COLUMNS)


def _row(target: int, interval: int, values: np.ndarray, kpi: str) -> tuple:
    finite = values[np.isfinite(values)]
    mean, low, high, n = mean_ci(finite, bounded=is_bounded(kpi), nonnegative=True)
    se = float(finite.std(ddof=1) / math.sqrt(n)) if n >= 2 else math.nan
    return target, interval, mean, se, low, high, n


def _interval_values(outputs: list[ReplicationOutput], grid: Grid) -> pd.DataFrame:
    """Per replication, grid interval and channel: the days pooled into ``offered``,
    ``service_level``, ``abandon_rate``, ``asa_s`` and ``occupancy``."""
    frames = []
    for out in outputs:
        table = out.intervals.copy()
        table["replication"] = out.index
        frames.append(table)
    table = pd.concat(frames, ignore_index=True)
    table["t"] = table["interval"].astype(int) % grid.count
    table["in_sl"] = table["service_level"].fillna(0.0) * table["offered"]
    table["waited_s"] = table["asa_s"].fillna(0.0) * table["handled"]
    sums = table.groupby(["replication", "t", "channel"], observed=True).agg(
        offered=("offered", "sum"), handled=("handled", "sum"),
        abandoned=("abandoned", "sum"), in_sl=("in_sl", "sum"),
        waited_s=("waited_s", "sum"), occupancy=("occupancy", "mean")).reset_index()
    with np.errstate(invalid="ignore", divide="ignore"):
        offered = sums["offered"].where(sums["offered"] > 0)
        sums["service_level"] = sums["in_sl"] / offered
        sums["abandon_rate"] = sums["abandoned"] / offered
        sums["asa_s"] = sums["waited_s"] / sums["handled"].where(sums["handled"] > 0)
    return sums


def _target_interval_values(per_interval: pd.DataFrame, target: Target):
    """``(t, values over replications)`` of a channel target, intervals with demand."""
    mine = per_interval[per_interval["channel"] == target.key]
    for t, part in mine.groupby("t", sort=True):
        if part["offered"].sum() > 0:
            yield int(t), part[target.kpi].to_numpy(float)
