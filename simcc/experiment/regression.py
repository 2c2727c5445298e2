"""Regression checks of a scenario (and its variants) against a stored baseline.

A baseline file keeps, for the baseline run and each variant, every overall KPI's mean,
95% CI and per-replication values, plus the simcc version, the seed, the replications
and a hash of the scenario (without its ``checks`` section).

Rule, per run and KPI with a direction (docs/regression.md): the *paired* difference
``now - baseline`` over replications (same seed, so the same customers) gets a mean and
a 95% CI. The KPI **regressed** when the mean is worse than the tolerance in the KPI's
bad direction *and* the CI excludes zero; **improved** symmetrically; otherwise **ok**.
With the same seed and engine an unchanged scenario reproduces the baseline exactly
(difference 0); after an engine change the customers differ and the CI keeps noise
from failing the check. Hard limits (``service_level >= 0.8``) are checked on the
current means.
"""

from __future__ import annotations

import hashlib
import json
import math
import operator
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from simcc import catalogue
from simcc.catalogue import ALL_KPIS, KPIS
from simcc.errors import ScenarioError, SimccError
from simcc.experiment.aggregate import mean_ci
from simcc.experiment.compare import BASELINE, Comparison, compare
from simcc.experiment.result import json_number
from simcc.scenario.schema import Scenario, Tolerance

_LIMIT = re.compile(r"^\s*([a-z_0-9]+)\s*(<=|>=|<|>)\s*([-+0-9.eE]+)\s*$")
_OPS = {"<=": operator.le, ">=": operator.ge, "<": operator.lt, ">": operator.gt}


def scenario_hash(scenario: Scenario) -> str:
    """sha256 of the scenario's canonical JSON, ``checks``, ``sweep`` and ``currency``
    excluded (rules, sweep grids and the display currency may change without
    invalidating a baseline)."""
    document = scenario.model_dump(mode="json", exclude={"checks", "sweep", "currency"})
    text = json.dumps(document, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def baseline_document(comparison: Comparison, scenario: Scenario, version: str) -> dict:
    """The JSON object of a baseline file."""
    runs = {}
    for name, result in comparison.results.items():
        overall = result.replication_kpis[result.replication_kpis["scope"] == "overall"]
        kpis = {}
        for kpi in ALL_KPIS:
            values = overall.loc[overall["kpi"] == kpi].sort_values("replication")["value"]
            mean, low, high, _ = mean_ci(values.to_numpy(), bounded=KPIS[kpi].bounded)
            kpis[kpi] = {"mean": json_number(mean), "ci95": [json_number(low), json_number(high)],
                         "values": [json_number(v) for v in values]}
        runs[name] = kpis
    return {"simcc_version": version, "scenario": scenario.name,
            "scenario_hash": scenario_hash(scenario), "seed": scenario.seed,
            "replications": scenario.replications, "runs": runs}


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
                 f"(delta {r.delta:+.4g}, 95% CI [{r.ci_low:+.4g}, {r.ci_high:+.4g}], "
                 f"tolerance {r.tolerance})" for r in self.regressions.itertuples()]
        lines += [f"{r.run}: limit {r.limit} violated (value {r.value:.4g})"
                  for r in self.failed_limits.itertuples()]
        return "\n".join(lines)


def run_check(scenario: Scenario, baseline: dict, overrides: dict | None = None,
              workers: int | None = None) -> CheckResult:
    """Check ``scenario`` (with ``overrides`` applied after the hash check) against a
    baseline document; a baseline of another scenario is an error."""
    expected = baseline.get("scenario_hash")
    actual = scenario_hash(scenario)
    if expected != actual:
        raise SimccError(
            f"the baseline was made from a different scenario (hash {str(expected)[:12]}, "
            f"this scenario {actual[:12]}): it cannot be compared; refresh it on purpose "
            "with --update")
    model = scenario.with_overrides(overrides) if overrides else scenario
    names = [n for n in baseline["runs"] if n != BASELINE]
    comparison = compare(model, names, workers=workers)
    return evaluate(comparison, baseline, model)


def evaluate(comparison: Comparison, baseline: dict, scenario: Scenario) -> CheckResult:
    """Apply the rules of ``scenario.checks`` to a comparison and a baseline document."""
    checks = scenario.checks
    _validate_rules(checks)
    rows, limits = [], []
    for run, result in comparison.results.items():
        stored = baseline["runs"].get(run)
        if stored is None:
            raise SimccError(f"the baseline has no run '{run}': refresh it with --update")
        overall = result.replication_kpis[result.replication_kpis["scope"] == "overall"]
        for kpi in ALL_KPIS:
            now = overall.loc[overall["kpi"] == kpi].sort_values("replication")["value"]
            rows.append(_verdict(run, kpi, stored.get(kpi), now.to_numpy(dtype=float), checks))
        for text in checks.limits:
            kpi, op, bound = _parse_limit(text)
            value = result.kpi(kpi)
            limits.append({"run": run, "limit": text, "value": value,
                           "passed": bool(math.isfinite(value) and _OPS[op](value, bound))})
    return CheckResult(scenario.name, pd.DataFrame(rows), pd.DataFrame(limits))


def _verdict(run: str, kpi: str, stored: dict | None, now: np.ndarray, checks) -> dict:
    base = np.array([np.nan if v is None else v for v in (stored or {}).get("values", [])],
                    dtype=float)
    row = {"run": run, "kpi": kpi, "baseline": mean_ci(base)[0], "now": mean_ci(now)[0]}
    paired = now - base if base.shape == now.shape else np.array([])
    delta, low, high, _ = mean_ci(paired)
    entry = KPIS[kpi]
    tolerance = checks.tolerance.get(kpi, entry.tolerance)
    row.update(delta=delta, ci_low=low, ci_high=high, tolerance=_tolerance_text(tolerance))
    sign = entry.direction
    if kpi in checks.ignore:
        row["verdict"] = "ignored"
    elif sign == 0 or tolerance is None or not math.isfinite(delta):
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


def _tolerance_text(tolerance: Tolerance | catalogue.Tolerance | None) -> str:
    if tolerance is None:
        return ""
    return f"{tolerance.abs:g}" if tolerance.abs is not None else f"{100 * tolerance.rel:g}%"


def _parse_limit(text: str) -> tuple[str, str, float]:
    match = _LIMIT.match(text)
    if not match:
        raise ScenarioError([("checks.limits", f"cannot read limit {text!r}: write it as "
                                               "'kpi >= value' (or <=, <, >)")])
    kpi, op, bound = match.groups()
    return kpi, op, float(bound)


def _validate_rules(checks) -> None:
    problems = []
    named = [(f"checks.tolerance.{kpi}", kpi) for kpi in checks.tolerance]
    named += [(f"checks.ignore[{i}]", kpi) for i, kpi in enumerate(checks.ignore)]
    for path, kpi in named:
        if kpi not in ALL_KPIS:
            problems.append((path, f"unknown KPI '{kpi}' (known: {', '.join(ALL_KPIS)})"))
    for i, text in enumerate(checks.limits):
        try:
            kpi, _, _ = _parse_limit(text)
        except ScenarioError as exc:
            problems.extend(exc.problems)
            continue
        if kpi not in ALL_KPIS:
            problems.append((f"checks.limits[{i}]", f"unknown KPI '{kpi}'"))
    if problems:
        raise ScenarioError(problems)
