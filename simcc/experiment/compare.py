"""Comparing variants of a scenario on common random numbers.

The baseline and every variant run with the same seed and replication indices, so
replication ``r`` serves the same customers (arrival times, intents, segments,
patience, handle-time quantiles) in all of them. Differences are therefore *paired*:
for each KPI the per-replication difference ``variant - baseline`` gets a mean and a
95% Student-t interval, much narrower than the difference of two independent
intervals.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from simcc.experiment.aggregate import mean_ci
from simcc.experiment.executors import Executor, LocalExecutor
from simcc.experiment.limits import Limits
from simcc.experiment.records_out import RecordsSpec
from simcc.experiment.replications import Progress, run_scenarios
from simcc.experiment.result import Result, json_number
from simcc.experiment.simulate import prepare, result_of, warn_semantics
from simcc.scenario.schema import Scenario

BASELINE = "baseline"


@dataclass
class Comparison:
    """Results of the baseline and its variants, their paired differences and each
    variant's overrides.

    ``differences``: variant, scope, key, kpi, baseline_mean, variant_mean, diff_mean,
    diff_ci_low, diff_ci_high, n (diff = variant - baseline, paired by replication).
    """

    results: dict[str, Result]
    differences: pd.DataFrame
    overrides: dict[str, dict[str, Any]]

    @property
    def variants(self) -> list[str]:
        """Variant names (without the baseline), in scenario order."""
        return [name for name in self.results if name != BASELINE]

    @property
    def kpis(self) -> pd.DataFrame:
        """Every run's KPIs with a ``variant`` column (``baseline`` included)."""
        return pd.concat([r.kpis.assign(variant=name) for name, r in self.results.items()],
                         ignore_index=True)

    def difference(self, variant: str, kpi: str, scope: str = "overall", key: str = "all"
                   ) -> pd.Series | None:
        """The ``differences`` row of one variant and KPI, or None when there is none."""
        d = self.differences
        rows = d[(d["variant"] == variant) & (d["kpi"] == kpi) & (d["scope"] == scope)
                 & (d["key"] == key)]
        return None if rows.empty else rows.iloc[0]

    def table(self, kpis: Sequence[str], scope: str = "overall", key: str = "all"
              ) -> pd.DataFrame:
        """Means of ``kpis``: one row per run (baseline first), one column per KPI."""
        rows = {name: [r.kpi(k, scope, key) for k in kpis] for name, r in self.results.items()}
        return pd.DataFrame.from_dict(rows, orient="index", columns=list(kpis))

    def to_json(self) -> dict[str, Any]:
        """The JSON contract of ``simcc compare --json``: per run (the baseline and each
        variant) its overall KPIs (``mean``, ``ci95``) and, for variants, the overrides as written
        in the scenario (``overrides``) and the paired differences from the baseline
        (``diff``)."""
        base = self.results[BASELINE]
        out: dict[str, Any] = {"scenario": base.scenario.name, "seed": base.seed,
                               "replications": base.replications, "baseline": BASELINE,
                               "variants": {}}
        for name, result in self.results.items():
            entry = {"overall": result.to_json()["kpis"]["overall"]}
            if name != BASELINE:
                entry["overrides"] = self.overrides[name]
                part = self.differences[(self.differences["variant"] == name)
                                        & (self.differences["scope"] == "overall")]
                entry["diff"] = {
                    row.kpi: {"mean": json_number(row.diff_mean),
                              "ci95": [json_number(row.diff_ci_low), json_number(row.diff_ci_high)]}
                    for row in part.itertuples()}
            out["variants"][name] = entry
        return out


def paired_differences(baseline: Result, variant: Result, name: str) -> pd.DataFrame:
    """Per (scope, key, kpi): mean and 95% CI of variant - baseline over replications."""
    keys = ["replication", "scope", "key", "kpi"]
    joined = baseline.replication_kpis.merge(variant.replication_kpis, on=keys,
                                             suffixes=("_base", "_var"))
    joined["diff"] = joined["value_var"] - joined["value_base"]
    rows = []
    for (scope, key, kpi), group in joined.groupby(["scope", "key", "kpi"], sort=False):
        mean, low, high, n = mean_ci(group["diff"].to_numpy())
        rows.append((name, scope, key, kpi, mean_ci(group["value_base"])[0],
                     mean_ci(group["value_var"])[0], mean, low, high, n))
    return pd.DataFrame(rows, columns=["variant", "scope", "key", "kpi", "baseline_mean",
                                       "variant_mean", "diff_mean", "diff_ci_low",
                                       "diff_ci_high", "n"])


def compare(scenario: str | Path | Mapping[str, Any] | Scenario,
            variants: Sequence[str] | None = None, replications: int | None = None,
            seed: int | None = None, workers: int | None = None,
            progress: Progress | None = None, records: RecordsSpec | str = "none",
            executor: Executor | None = None, limits: Limits | None = None, *,
            user_code: bool | None = None) -> Comparison:
    """Run the baseline and ``variants`` (default: all of the scenario's) on common
    random numbers and compute paired differences. All runs' replications go to
    ``executor`` (default: ``workers`` local processes) as one batch, after a check of
    their work against ``limits`` (as in :func:`~simcc.experiment.simulate.simulate`).
    ``user_code``: as for :func:`~simcc.experiment.simulate.prepare`."""
    base = prepare(scenario, user_code=user_code)
    names = list(base.variants) if variants is None else list(variants)
    warn_semantics(base, names)
    runs = {BASELINE: base.model_copy(update={"variants": {}})}
    runs.update({name: base.variant(name) for name in names})
    replications = base.replications if replications is None else replications
    seed = base.seed if seed is None else seed
    if executor is None:
        executor = LocalExecutor(workers)
    outputs = run_scenarios(list(runs.values()), replications, seed, executor,
                            records, progress, limits=limits)
    results = {name: result_of(model, seed, out)
               for (name, model), out in zip(runs.items(), outputs, strict=True)}
    differences = [paired_differences(results[BASELINE], results[name], name) for name in names]
    table = (pd.concat(differences, ignore_index=True) if differences else
             pd.DataFrame(columns=["variant", "scope", "key", "kpi", "baseline_mean",
                                   "variant_mean", "diff_mean", "diff_ci_low", "diff_ci_high",
                                   "n"]))
    return Comparison(results, table, {name: dict(base.variants[name]) for name in names})
