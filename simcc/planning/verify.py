"""The verification table of a staffing plan: every target and interval on fresh seeds.

Verdicts: ``met`` when the mean meets the goal; ``within noise`` when it does not but
the 95% confidence interval still contains the goal (the plan is not shown to miss);
``missed`` when the whole interval is on the wrong side. ``met`` (the column) is True
unless the verdict is ``missed``; ``gap`` is how far the mean is on the good side of
the goal (negative: short of it), in the KPI's unit.
"""

from __future__ import annotations

import math

import pandas as pd

from simcc.planning.evaluate import DAY_ROW
from simcc.planning.grid import Grid
from simcc.planning.targets import Target
from simcc.units import format_clock

VERIFICATION_COLUMNS = ["target", "scope", "key", "interval", "clock", "kpi", "mean",
                        "ci_low", "ci_high", "goal", "verdict", "met", "gap", "note"]


def verification_table(measured: pd.DataFrame, targets: list[Target], grid: Grid,
                       infeasible: dict[tuple[int, int], str]) -> pd.DataFrame:
    """One row per measured (target, interval); ``interval`` is None for a day target,
    ``clock`` its start (``day`` for a day target); ``note`` says why a target was found
    infeasible in the search (empty otherwise)."""
    rows = []
    for r in measured.itertuples():
        target = targets[int(r.target)]
        t = int(r.interval)
        verdict = _verdict(target, r.mean, r.ci_low, r.ci_high)
        rows.append((target.label, target.scope, target.key, None if t == DAY_ROW else t,
                     "day" if t == DAY_ROW else format_clock(grid.clock(t)), target.kpi,
                     r.mean, r.ci_low, r.ci_high, target.goal, verdict, verdict != "missed",
                     target.gap(r.mean), infeasible.get((int(r.target), t), "")))
    return pd.DataFrame(rows, columns=VERIFICATION_COLUMNS)


UNCERTAIN_HALF_WIDTH = 0.05
"""Median half-width of the per-interval rate intervals (5 points) above which the plan
is said to follow noise."""


def uncertainty_note(table: pd.DataFrame, replications: int) -> str | None:
    """A note when the verified per-interval rates (service level, abandonment) are too
    uncertain to judge intervals one by one: the median 95% half-width exceeds
    :data:`UNCERTAIN_HALF_WIDTH`. None otherwise."""
    rates = table[table["interval"].notna() & table["kpi"].isin(("service_level",
                                                                  "abandon_rate"))]
    half = ((rates["ci_high"] - rates["ci_low"]) / 2).dropna()
    if half.empty or half.median() <= UNCERTAIN_HALF_WIDTH:
        return None
    return (f"per-interval results are uncertain: the median 95% interval is "
            f"+/-{100 * half.median():.0f} points with {replications} verification "
            "replications, so interval-by-interval counts partly follow noise; use more "
            "replications (-n) for a steadier plan")


def _verdict(target: Target, mean: float, low: float, high: float) -> str:
    """``met``, ``within noise`` or ``missed`` (see the module docstring)."""
    if math.isnan(mean):
        return "missed"
    if target.met(mean):
        return "met"
    best = high if target.minimum else low
    return "within noise" if not math.isnan(best) and target.met(best) else "missed"
