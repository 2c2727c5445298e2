"""Across replications: mean and 95% Student-t confidence interval of every KPI."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

CONFIDENCE = 0.95


def mean_ci(values: np.ndarray, confidence: float = CONFIDENCE) -> tuple[float, float, float, int]:
    """``(mean, ci_low, ci_high, n)`` of the finite values; CI NaN when n < 2."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    n = len(values)
    if n == 0:
        return math.nan, math.nan, math.nan, 0
    mean = float(values.mean())
    if n < 2:
        return mean, math.nan, math.nan, n
    from scipy import special  # imported on first use: slow to import

    half = float(special.stdtrit(n - 1, 0.5 + confidence / 2)
                 * values.std(ddof=1) / math.sqrt(n))
    return mean, mean - half, mean + half, n


def aggregate_kpis(replication_kpis: pd.DataFrame) -> pd.DataFrame:
    """Long per-replication KPIs -> one row per (scope, key, kpi) with mean and CI."""
    rows = []
    for (scope, key, kpi), group in replication_kpis.groupby(["scope", "key", "kpi"],
                                                            sort=False, observed=True):
        mean, low, high, n = mean_ci(group["value"].to_numpy())
        rows.append((scope, key, kpi, mean, low, high, n))
    return pd.DataFrame(rows, columns=["scope", "key", "kpi", "mean", "ci_low", "ci_high", "n"])


def mean_intervals(tables: list[pd.DataFrame]) -> pd.DataFrame:
    """Average the per-interval tables of several replications (NaN-aware)."""
    stacked = pd.concat(tables, ignore_index=True)
    keys = ["interval", "start_s", "clock", "channel"]
    return stacked.groupby(keys, sort=True, observed=True).mean().reset_index()
