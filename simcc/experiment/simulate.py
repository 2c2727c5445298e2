"""``simulate``: replications of a scenario -> :class:`Result`."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from simcc.errors import ScenarioError, ScenarioWarning
from simcc.experiment.aggregate import aggregate_kpis, mean_intervals
from simcc.experiment.executors import Executor, LocalExecutor
from simcc.experiment.limits import Limits
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
from simcc.scenario.semantics import scenario_warnings


def prepare(source: str | Path | Mapping[str, Any] | Scenario,
            overrides: Mapping[str, Any] | None = None, *,
            user_code: bool | None = None) -> Scenario:
    """Load and fully validate a scenario, including the routing policies of the base
    and of every variant (see :func:`check_policies`) and the KPIs its ``checks``
    section names. ``user_code=False`` refuses user policies (``module:Class``); None
    refuses them only when ``SIMCC_NO_USER_CODE=1`` (docs/security.md)."""
    scenario = load_scenario(source, overrides)
    label = str(source) if isinstance(source, str | Path) else None
    problems = rule_problems(scenario.checks)
    if problems:
        raise ScenarioError(problems, label)
    try:
        check_policies(scenario, user_code)
    except ScenarioError as exc:
        raise ScenarioError(exc.problems, label) from None
    return scenario


def check_policies(scenario: Scenario, user_code: bool | None = None) -> None:
    """Resolve and build the routing policy of ``scenario`` and of each of its variants,
    so that a bad one fails before anything runs (``variants.NAME -> routing.policy``).
    A class that is not a routing policy is refused before it is built; a user policy
    is imported (its module's code runs) unless ``user_code`` refuses it."""
    make_policy(scenario.routing.policy, scenario.routing.params, user_code)
    for name in scenario.variants:
        routing = scenario.variant(name).routing
        if routing == scenario.routing:
            continue
        try:
            make_policy(routing.policy, routing.params, user_code)
        except ScenarioError as exc:
            raise ScenarioError([(f"variants.{name} -> {path}", message)
                                 for path, message in exc.problems]) from None


def validate(source: str | Path | Mapping[str, Any] | Scenario,
             overrides: Mapping[str, Any] | None = None, *,
             user_code: bool | None = None) -> list[ScenarioWarning]:
    """Fully validate a scenario (raises :class:`~simcc.errors.ScenarioError` when it is
    invalid) and return its semantic warnings, those of its variants included: an empty
    list when its runs make sense (docs/scenario.md, *Warnings*). ``user_code``: as for
    :func:`prepare`."""
    return semantic_warnings(prepare(source, overrides, user_code=user_code))


def semantic_warnings(scenario: Scenario,
                      variants: Sequence[str] | None = None) -> list[ScenarioWarning]:
    """The warnings of ``scenario`` and of ``variants`` (default: all of its variants),
    a variant's paths as ``variants.NAME -> path``."""
    found = scenario_warnings(scenario)
    for name in scenario.variants if variants is None else variants:
        found += [ScenarioWarning(f"variants.{name} -> {w.path}", w.message)
                  for w in scenario_warnings(scenario.variant(name))
                  if all(w.path != b.path or w.message != b.message for b in found)]
    return found


def warn_semantics(scenario: Scenario, variants: Sequence[str] = (),
                   stacklevel: int = 3) -> None:
    """Issue the semantic warnings of ``scenario`` (and ``variants``) with
    :func:`warnings.warn` (category :class:`~simcc.errors.ScenarioWarning`), pointing
    at the caller of the public function (``stacklevel``)."""
    for warning in semantic_warnings(scenario, variants):
        warnings.warn(warning, stacklevel=stacklevel)


def simulate(scenario: str | Path | Mapping[str, Any] | Scenario,
             replications: int | None = None, seed: int | None = None,
             workers: int | None = None, progress: Progress | None = None,
             records: RecordsSpec | str = "all", executor: Executor | None = None,
             limits: Limits | None = None, *, user_code: bool | None = None) -> Result:
    """Simulate ``replications`` (default: the scenario's) with ``seed`` (default: the
    scenario's) on ``executor`` (default: ``workers`` local processes, one per core).

    ``records``: the per-contact records kept (``"all"``, ``"sample"`` or ``"none"``; a
    :class:`~simcc.experiment.records_out.RecordsSpec` to write them to Parquet files
    instead of memory). KPIs never need them: with ``"none"`` memory does not grow with
    the number of contacts. ``limits``: the resource limits checked before anything runs
    (default: ``Limits.from_environment()``; ``Limits.unbounded()`` lifts them all).
    ``user_code``: as for :func:`prepare`.
    """
    scenario = prepare(scenario, user_code=user_code)
    warn_semantics(scenario)
    replications = scenario.replications if replications is None else replications
    seed = scenario.seed if seed is None else seed
    if replications < 1:
        raise ValueError("replications must be >= 1")
    if executor is None:
        executor = LocalExecutor(workers)
    outputs = run_replications(scenario, replications, seed, executor, records, progress,
                               limits)
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
