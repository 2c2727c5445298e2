"""``simulate``: replications of a scenario -> :class:`Result`."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from simcc.errors import ScenarioError
from simcc.experiment.aggregate import aggregate_kpis, mean_intervals
from simcc.experiment.executors import Executor, LocalExecutor
from simcc.experiment.records_out import RecordsSpec
from simcc.experiment.replications import (
    Progress,
    ReplicationOutput,
    run_replications,
)
from simcc.experiment.result import Result
from simcc.experiment.rules import rule_problems
from simcc.routing import make_policy
from simcc.scenario import load_scenario
from simcc.scenario.schema import Scenario


def prepare(source: str | Path | Mapping[str, Any] | Scenario,
            overrides: Mapping[str, Any] | None = None) -> Scenario:
    """Load and fully validate a scenario, including its routing policy and the KPIs
    its ``checks`` section names."""
    scenario = load_scenario(source, overrides)
    problems = rule_problems(scenario.checks)
    if problems:
        label = str(source) if isinstance(source, str | Path) else None
        raise ScenarioError(problems, label)
    make_policy(scenario.routing.policy, scenario.routing.params)
    return scenario


def simulate(scenario: str | Path | Mapping[str, Any] | Scenario,
             replications: int | None = None, seed: int | None = None,
             workers: int | None = None, progress: Progress | None = None,
             records: RecordsSpec | str = "all", executor: Executor | None = None) -> Result:
    """Simulate ``replications`` (default: the scenario's) with ``seed`` (default: the
    scenario's) on ``executor`` (default: ``workers`` local processes, one per core).

    ``records``: the per-contact records kept (``"all"``, ``"sample"`` or ``"none"``; a
    :class:`~simcc.experiment.records_out.RecordsSpec` to write them to Parquet files
    instead of memory). KPIs never need them: with ``"none"`` memory does not grow with
    the number of contacts.
    """
    scenario = prepare(scenario)
    replications = scenario.replications if replications is None else replications
    seed = scenario.seed if seed is None else seed
    if replications < 1:
        raise ValueError("replications must be >= 1")
    if executor is None:
        executor = LocalExecutor(workers)
    outputs = run_replications(scenario, replications, seed, executor, records, progress)
    return result_of(scenario, seed, outputs)


def replication_table(outputs: list[ReplicationOutput]) -> pd.DataFrame:
    """The KPIs of each replication in long form: replication, scope, key, kpi, value."""
    per_rep = pd.concat([out.kpis.assign(replication=out.index) for out in outputs],
                        ignore_index=True)
    return per_rep[["replication", "scope", "key", "kpi", "value"]]


def result_of(scenario: Scenario, seed: int, outputs: list[ReplicationOutput]) -> Result:
    per_rep = replication_table(outputs)
    records = {}
    for name, table in (("contacts", "contacts"), ("legs", "legs"), ("agents", "sessions"),
                        ("issues", "issues")):
        parts = [out.frames[table].assign(replication=out.index) for out in outputs
                 if out.frames is not None]
        records[name] = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    return Result(scenario=scenario, seed=seed, replications=len(outputs),
                  kpis=aggregate_kpis(per_rep), replication_kpis=per_rep,
                  intervals=mean_intervals([out.intervals for out in outputs]), **records)
