"""Across replications: mean and 95% confidence interval of every KPI.

The interval is Student-t over the replication values, except for proportions
(:func:`simcc.catalogue.is_bounded`), whose interval must stay within [0, 1]: for them it
is the Wilson score interval at the effective sample size ``n_eff = m (1 - m) / se^2``
(m the mean, se its Student standard error), with the Student-t quantile in place of the
normal one (Korn & Graubard 1998). Far from 0 and 1 it is the Student-t interval; near a
bound it is asymmetric and never crosses it.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from simcc.catalogue import is_bounded, is_nonnegative

CONFIDENCE = 0.95


def mean_ci(values: np.ndarray, confidence: float = CONFIDENCE, bounded: bool = False,
            nonnegative: bool = False) -> tuple[float, float, float, int]:
    """``(mean, ci_low, ci_high, n)`` of the finite values; CI NaN when n < 2.

    ``bounded``: the values are proportions in [0, 1] and so is the interval (the
    adjusted Wilson interval of the module docstring); otherwise Student-t, with its lower
    end cut at 0 when ``nonnegative`` (counts, durations, costs: the true mean cannot be
    negative, so the cut interval covers it exactly as often).
    """
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    n = len(values)
    if n == 0:
        return math.nan, math.nan, math.nan, 0
    mean = float(values.mean())
    if n < 2:
        return mean, math.nan, math.nan, n
    from scipy import special  # imported on first use: slow to import

    quantile = float(special.stdtrit(n - 1, 0.5 + confidence / 2))
    se = float(values.std(ddof=1)) / math.sqrt(n)
    if bounded:
        return (*wilson_interval(mean, se, quantile), n)
    low = mean - quantile * se
    return mean, max(low, 0.0) if nonnegative else low, mean + quantile * se, n


def wilson_interval(mean: float, se: float, z: float) -> tuple[float, float, float]:
    """``(mean, low, high)``: the Wilson score interval of a proportion ``mean`` with
    standard error ``se`` (effective sample size ``mean (1 - mean) / se^2``) and quantile
    ``z``; within [0, 1] and containing ``mean``. ``se == 0`` gives ``[mean, mean]``; a
    mean outside (0, 1) with a spread (values that are not proportions) gets the
    Student-t interval clipped to [0, 1]."""
    spread = mean * (1.0 - mean)
    if se == 0.0 or spread <= 0.0:
        return mean, min(max(mean - z * se, 0.0), 1.0), min(max(mean + z * se, 0.0), 1.0)
    z2_over_n = z * z * se * se / spread  # z^2 / n_eff
    center = (mean + z2_over_n / 2.0) / (1.0 + z2_over_n)
    half = z / (1.0 + z2_over_n) * math.sqrt(se * se + z2_over_n * z2_over_n / (4.0 * z * z))
    return mean, max(center - half, 0.0), min(center + half, 1.0)


def aggregate_kpis(replication_kpis: pd.DataFrame) -> pd.DataFrame:
    """Long per-replication KPIs -> one row per (scope, key, kpi) with mean and CI
    (within [0, 1] for proportions, never below 0 for the catalogue's other KPIs)."""
    rows = []
    for (scope, key, kpi), group in replication_kpis.groupby(["scope", "key", "kpi"],
                                                            sort=False, observed=True):
        mean, low, high, n = mean_ci(group["value"].to_numpy(), bounded=is_bounded(kpi),
                                 nonnegative=is_nonnegative(kpi))
        rows.append((scope, key, kpi, mean, low, high, n))
    return pd.DataFrame(rows, columns=["scope", "key", "kpi", "mean", "ci_low", "ci_high", "n"])


def mean_intervals(tables: list[pd.DataFrame]) -> pd.DataFrame:
    """Average the per-interval tables of several replications (NaN-aware)."""
    stacked = pd.concat(tables, ignore_index=True)
    keys = ["interval", "start_s", "clock", "channel"]
    return stacked.groupby(keys, sort=True, observed=True).mean().reset_index()
