"""Regression checks of a scenario (and its variants) against a stored baseline.

A baseline file keeps, for the baseline run and each variant, every overall KPI's mean,
95% CI and per-replication values, plus the simcc version, the seed, the replications
and a hash of the scenario (without its ``checks`` section).

Rule, per run and judged KPI (a direction and a tolerance; docs/regression.md): the
*paired* difference ``now - baseline`` over replications (same seed, so the same
customers) gets a mean and a CI; the CIs of one check are simultaneous at 95 %
(Bonferroni over its judged run x KPI pairs). The KPI **regressed** when the mean is
worse than the tolerance in the KPI's bad direction *and* the CI excludes zero;
**improved** symmetrically; otherwise **ok**. With the same seed, engine and libraries
an unchanged scenario reproduces the baseline exactly (difference 0); after an engine
or library change the customers differ and the simultaneous CI keeps noise from
failing the check. Nothing is compared for equality. Hard limits
(``service_level >= 0.8``) are checked on the current means. Baseline files are
validated by :mod:`simcc.experiment.baseline`.
"""

from __future__ import annotations

import json
import math
import operator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from simcc import catalogue
from simcc.catalogue import ALL_KPIS, KPIS, reported
from simcc.errors import ScenarioError
from simcc.experiment.aggregate import mean_ci
from simcc.experiment.baseline import (
    Baseline,
    KpiSummary,
    outcomes_hash,
    scenario_hash,
    validate_baseline,
)
from simcc.experiment.compare import BASELINE, Comparison, compare
from simcc.experiment.result import json_number
from simcc.experiment.rules import rule_problems
from simcc.scenario.schema import Checks, Scenario, Tolerance, parse_limit

FAMILY_CONFIDENCE = 0.95
_OPS = {"<=": operator.le, ">=": operator.ge, "<": operator.lt, ">": operator.gt}


def baseline_document(comparison: Comparison, scenario: Scenario, version: str) -> dict:
    """The JSON object of a baseline file."""
    runs = {}
    for name, result in comparison.results.items():
        overall = result.replication_kpis[result.replication_kpis["scope"] == "overall"]
        kpis = {}
        for kpi in reported(scenario.outcomes is not None):
            values = overall.loc[overall["kpi"] == kpi].sort_values("replication")["value"]
            mean, low, high, _ = mean_ci(values.to_numpy(), bounded=KPIS[kpi].bounded,
                                      nonnegative=True)
            kpis[kpi] = {"mean": json_number(mean), "ci95": [json_number(low), json_number(high)],
                         "values": [json_number(v) for v in values]}
        runs[name] = kpis
    document = {"simcc_version": version, "scenario": scenario.name,
                "scenario_hash": scenario_hash(scenario), "seed": scenario.seed,
                "replications": scenario.replications, "runs": runs}
    model = outcomes_hash(scenario)
    if model is not None:
        document["outcomes_hash"] = model
    return document


@dataclass
class CheckResult:
    """Verdicts of one check: ``rows`` has run, kpi, baseline, now, delta, ci_low,
    ci_high, tolerance, verdict (``regressed``, ``improved``, ``ok``, ``info``,
    ``ignored``); ``limits`` has run, limit, value, passed."""

    scenario: str
    rows: pd.DataFrame
    limits: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def regressions(self) -> pd.DataFrame:
        return self.rows[self.rows["verdict"] == "regressed"]

    @property
    def failed_limits(self) -> pd.DataFrame:
        return self.limits[~self.limits["passed"]] if not self.limits.empty else self.limits

    @property
    def passed(self) -> bool:
        return self.regressions.empty and self.failed_limits.empty

    def to_json(self) -> dict[str, Any]:
        return {"scenario": self.scenario, "passed": self.passed,
                "kpis": json.loads(self.rows.to_json(orient="records")),
                "limits": json.loads(self.limits.to_json(orient="records"))
                if not self.limits.empty else []}

    def describe_failures(self) -> str:
        """One line per regression and failed limit (for assertion messages)."""
        lines = [f"{r.run}: {r.kpi} regressed from {r.baseline:.4g} to {r.now:.4g} "
                 f"(delta {r.delta:+.4g}, simultaneous 95% CI [{r.ci_low:+.4g}, "
                 f"{r.ci_high:+.4g}], tolerance {r.tolerance})"
                 for r in self.regressions.itertuples()]
        lines += [f"{r.run}: limit {r.limit} violated (value {r.value:.4g})"
                  for r in self.failed_limits.itertuples()]
        return "\n".join(lines)


def run_check(scenario: Scenario, baseline: Baseline | dict, overrides: dict | None = None,
              workers: int | None = None, *, user_code: bool | None = None) -> CheckResult:
    """Check ``scenario`` (with ``overrides`` applied after the baseline's fit to the
    scenario is checked) against a baseline; a baseline that cannot support a verdict
    (damaged, of another scenario, lacking a judged KPI) raises ``SimccError``.
    ``user_code``: as for :func:`~simcc.experiment.simulate.prepare`."""
    if not isinstance(baseline, Baseline):
        baseline = validate_baseline(baseline)
    _require_valid_rules(scenario.checks)
    baseline.require_fit(scenario, judged_kpis(scenario.checks,
                                               baseline.comparable_kpis(scenario)))
    model = scenario.with_overrides(overrides) if overrides else scenario
    comparison = compare(model, [n for n in baseline.runs if n != BASELINE], workers=workers,
                         user_code=user_code)
    return evaluate(comparison, baseline, model)


def judged_kpis(checks: Checks, kpis: tuple[str, ...] = ALL_KPIS) -> list[str]:
    """The KPIs of ``kpis`` (those a run reports) that get a verdict: a direction, a
    tolerance, and not ignored."""
    return [kpi for kpi in kpis if KPIS[kpi].direction != 0 and kpi not in checks.ignore
            and _tolerance(kpi, checks) is not None]


def evaluate(comparison: Comparison, baseline: Baseline, scenario: Scenario) -> CheckResult:
    """Apply the rules of ``scenario.checks`` to a comparison and a validated baseline."""
    checks = scenario.checks
    _require_valid_rules(checks)
    kpis = baseline.comparable_kpis(scenario)
    confidence = simultaneous_confidence(len(comparison.results)
                                         * len(judged_kpis(checks, kpis)))
    rows, limits = [], []
    for run, result in comparison.results.items():
        stored = baseline.runs.get(run)
        if stored is None:
            raise baseline.fail(f"it has no run '{run}'")
        overall = result.replication_kpis[result.replication_kpis["scope"] == "overall"]
        for kpi in kpis:
            now = overall.loc[overall["kpi"] == kpi].sort_values("replication")["value"]
            row = _verdict(run, kpi, stored.get(kpi), now.to_numpy(dtype=float), checks,
                           confidence)
            if row["verdict"] == UNSUPPORTED:
                raise baseline.fail(f"runs.{run}.{kpi}: {_unsupported(row)}")
            rows.append(row)
        for text in checks.limits:
            kpi, op, bound = parse_limit(text)
            value = result.kpi(kpi)
            limits.append({"run": run, "limit": text, "value": value,
                           "passed": bool(math.isfinite(value) and _OPS[op](value, bound))})
    return CheckResult(scenario.name, pd.DataFrame(rows), pd.DataFrame(limits))


UNSUPPORTED = "unsupported"


def simultaneous_confidence(tests: int) -> float:
    """Confidence of each paired interval so that all ``tests`` intervals of one check
    hold together with probability ``FAMILY_CONFIDENCE`` (Bonferroni): when the
    customers are re-drawn (another engine, numpy or scipy), a check of an unchanged
    scenario fails by chance in at most 5 % of scenarios, however many KPIs it judges."""
    return 1 - (1 - FAMILY_CONFIDENCE) / max(tests, 1)


def _verdict(run: str, kpi: str, stored: KpiSummary | None, now: np.ndarray,
             checks: Checks, confidence: float = FAMILY_CONFIDENCE) -> dict:
    """One row of the check. ``verdict`` is ``UNSUPPORTED`` for a judged KPI whose
    baseline and current values share no replication where both are defined while each
    has some (the KPI appeared, vanished or the values are damaged): no verdict possible."""
    base = np.array(stored.array if stored is not None else [], dtype=float)
    row = {"run": run, "kpi": kpi, "baseline": mean_ci(base)[0], "now": mean_ci(now)[0]}
    paired = now - base if base.shape == now.shape else np.array([])
    delta, low, high, _ = mean_ci(paired, confidence)
    tolerance = _tolerance(kpi, checks)
    row.update(delta=delta, ci_low=low, ci_high=high, tolerance=_tolerance_text(tolerance))
    sign = KPIS[kpi].direction
    judged = sign != 0 and tolerance is not None
    if kpi in checks.ignore:
        row["verdict"] = "ignored"
    elif judged and not math.isfinite(delta):
        defined = [bool(np.isfinite(values).any()) for values in (base, now)]
        row["verdict"] = UNSUPPORTED if any(defined) else "info"
    elif not judged:
        row["verdict"] = "info"
    else:
        allowed = (tolerance.abs if tolerance.abs is not None
                   else abs(row["baseline"]) * tolerance.rel)
        beyond_noise = not math.isfinite(low) or low > 0 or high < 0
        if sign * delta < -allowed and beyond_noise:
            row["verdict"] = "regressed"
        elif sign * delta > allowed and beyond_noise:
            row["verdict"] = "improved"
        else:
            row["verdict"] = "ok"
    return row


def _unsupported(row: dict) -> str:
    if not math.isfinite(row["baseline"]):
        return "the baseline has no value but the current run measures it"
    if not math.isfinite(row["now"]):
        return "the baseline has values but the current run cannot measure the KPI"
    return "no replication has a value in both the baseline and the current run"


def _tolerance(kpi: str, checks: Checks) -> Tolerance | catalogue.Tolerance | None:
    """The scenario's tolerance for ``kpi``, else the catalogue's default."""
    return checks.tolerance.get(kpi, KPIS[kpi].tolerance)


def _tolerance_text(tolerance: Tolerance | catalogue.Tolerance | None) -> str:
    if tolerance is None:
        return ""
    return f"{tolerance.abs:g}" if tolerance.abs is not None else f"{100 * tolerance.rel:g}%"


def _require_valid_rules(checks: Checks) -> None:
    problems = rule_problems(checks)
    if problems:
        raise ScenarioError(problems)
