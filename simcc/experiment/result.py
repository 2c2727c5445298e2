"""The result of simulating a scenario: plain DataFrames plus the JSON contract."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from simcc.catalogue import ALL_KPIS
from simcc.scenario.schema import Scenario

JSON_SCOPES = {"channel": "by_channel", "segment": "by_segment", "intent": "by_intent",
               "group": "by_group"}


@dataclass
class Result:
    """KPIs and records of all replications of one scenario.

    ``kpis``: scope, key, kpi, mean, ci_low, ci_high, n (95% Student-t CI over
    replications); ``replication_kpis``: replication, scope, key, kpi, value;
    ``intervals``: per interval of arrival x channel, averaged over replications;
    ``contacts``, ``legs``, ``agents`` (log-in sessions), ``issues`` (one row per
    customer issue, :func:`simcc.metrics.issues.issues_frame`): records of every
    replication with a ``replication`` column (empty when records were not kept).
    """

    scenario: Scenario
    seed: int
    replications: int
    kpis: pd.DataFrame
    replication_kpis: pd.DataFrame
    intervals: pd.DataFrame
    contacts: pd.DataFrame = field(default_factory=pd.DataFrame)
    legs: pd.DataFrame = field(default_factory=pd.DataFrame)
    agents: pd.DataFrame = field(default_factory=pd.DataFrame)
    issues: pd.DataFrame = field(default_factory=pd.DataFrame)

    def kpi(self, name: str, scope: str = "overall", key: str = "all") -> float:
        """The mean of one KPI (``result.kpi("service_level")``)."""
        row = self.kpis[(self.kpis["scope"] == scope) & (self.kpis["key"] == key)
                        & (self.kpis["kpi"] == name)]
        if row.empty:
            raise KeyError(f"no KPI {name!r} for {scope}={key!r}")
        return float(row["mean"].iloc[0])

    def table(self, scope: str = "overall") -> pd.DataFrame:
        """KPI means of one scope as a wide table: one row per key, one column per KPI."""
        part = self.kpis[self.kpis["scope"] == scope]
        wide = part.pivot(index="key", columns="kpi", values="mean")
        return wide[[k for k in ALL_KPIS if k in wide.columns]]

    def summary(self, scope: str = "overall") -> pd.DataFrame:
        """Readable KPI table of one scope: one row per (key, KPI) with the mean and
        its 95% confidence interval, KPIs in the order of docs/kpis.md."""
        part = self.kpis[self.kpis["scope"] == scope].copy()
        order = {kpi: i for i, kpi in enumerate(ALL_KPIS)}
        part["order"] = part["kpi"].map(order)
        part = part.sort_values(["key", "order"]).drop(columns=["scope", "order"])
        index = ["kpi"] if scope == "overall" else ["key", "kpi"]
        return part.drop(columns=[] if scope != "overall" else ["key"]).set_index(index)

    def to_json(self) -> dict[str, Any]:
        """The JSON object of docs/kpis.md (``simcc run --json``): scenario, replications,
        seed, kpis by scope."""
        kpis: dict[str, Any] = {"overall": {}}
        kpis.update({name: {} for name in JSON_SCOPES.values()})
        for row in self.kpis.itertuples(index=False):
            entry = {"mean": json_number(row.mean),
                     "ci95": [json_number(row.ci_low), json_number(row.ci_high)]}
            if row.scope == "overall":
                kpis["overall"][row.kpi] = entry
            else:
                kpis[JSON_SCOPES[row.scope]].setdefault(row.key, {})[row.kpi] = entry
        return {"scenario": self.scenario.name, "replications": self.replications,
                "seed": self.seed, "kpis": kpis}


def json_number(value: float) -> float | None:
    """Full-precision float for JSON, which has no NaN: undefined values (no answered
    contact, n < 2) become null."""
    return None if value is None or not math.isfinite(value) else float(value)

