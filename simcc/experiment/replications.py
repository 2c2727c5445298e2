"""Replications: one seed sequence each, run serially or in worker processes.

Replication ``r`` always uses ``SeedSequence(seed, spawn_key=(r,))``, and results are
ordered by ``r``: numbers do not depend on the number of workers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd

from simcc.experiment.executors import Executor
from simcc.experiment.limits import Limits, check_work, estimate_trace_work, estimate_work
from simcc.experiment.records_out import RecordsSpec
from simcc.experiment.shared import Shared
from simcc.metrics.issues import issues_frame
from simcc.metrics.kpis import Period
from simcc.metrics.records import Records, frames_of, record_columns
from simcc.metrics.streaming import KpiAccumulator
from simcc.model import build, replication_seedseq
from simcc.model.plan import Plan, compile_scenario
from simcc.model.trace import Trace
from simcc.scenario.schema import Scenario

Progress = Callable[[int, int], None]
"""Called as ``progress(done, total)`` after each finished replication."""


@dataclass
class ReplicationOutput:
    """What one replication returns: KPIs (long form), intervals, and the records kept
    in memory (None when none are, or when they were written to files)."""

    index: int
    kpis: pd.DataFrame
    intervals: pd.DataFrame
    frames: dict[str, pd.DataFrame] | None


def run_replication(plan: Plan | Scenario, seed: int, index: int,
                    records: RecordsSpec | str = "none",
                    trace: Trace | None = None) -> ReplicationOutput:
    """Simulate replication ``index`` of a compiled scenario with ``seed`` and measure it
    (a :class:`~simcc.scenario.schema.Scenario` is compiled first); with ``trace``, the
    trace's contacts arrive instead of the demand's (:mod:`simcc.model.trace`).

    KPIs and the interval table are accumulated chunk by chunk as issues finish
    (:class:`~simcc.metrics.streaming.KpiAccumulator`); per-contact records go where
    ``records`` says (:class:`~simcc.experiment.records_out.RecordsSpec`).
    """
    plan = compile_scenario(plan)
    scenario = plan.scenario
    spec = RecordsSpec.of(records)
    period = Period.of(scenario)
    accumulator = KpiAccumulator(period, scenario.horizon.interval, scenario.horizon.start,
                                 {name: g.channels for name, g in scenario.agents.items()})
    sink = spec.sink(index)

    def measure(chunk: Records) -> None:
        columns = record_columns(chunk)
        accumulator.add(columns)
        if sink is not None:
            frames = frames_of(columns)
            frames["issues"] = issues_frame(frames["contacts"], period.fcr_window_s,
                                            period.outcomes)
            sink.add(frames)

    build(plan, replication_seedseq(seed, index), trace=trace).run(measure)
    return ReplicationOutput(index, accumulator.kpis(), accumulator.intervals(),
                             None if sink is None else sink.close())


def run_replications(scenario: Scenario, replications: int, seed: int, executor: Executor,
                     records: RecordsSpec | str, progress: Progress | None = None,
                     limits: Limits | None = None) -> list[ReplicationOutput]:
    """Run replications ``0..replications-1`` on ``executor``; results ordered by
    replication."""
    return run_scenarios([scenario], replications, seed, executor, records, progress,
                         limits=limits)[0]


def run_scenarios(scenarios: Sequence[Scenario], replications: int, seed: int,
                  executor: Executor, records: RecordsSpec | str,
                  progress: Progress | None = None,
                  on_scenario: Callable[[int, list[ReplicationOutput]], None] | None = None,
                  limits: Limits | None = None,
                  traces: Sequence[Trace] | None = None) -> list[list[ReplicationOutput]]:
    """Replications ``0..replications-1`` of every scenario (same seed: common random
    numbers), submitted to ``executor`` as one batch of tasks so that all its workers
    stay busy. ``progress`` counts finished replications of all scenarios;
    ``on_scenario(k, outputs)`` runs as soon as the replications of scenario ``k`` are
    all done. Returns the outputs per scenario, ordered by replication. With
    ``traces``, scenario ``k`` replays ``traces[k]`` (:mod:`simcc.model.trace`) instead
    of drawing its demand's arrivals.

    Before anything runs, the expected work is checked against ``limits`` (default: the
    defaults changed by ``SIMCC_LIMITS``; :mod:`simcc.experiment.limits`), raising
    :class:`~simcc.errors.SimccError` with the estimate when it is too large."""
    if traces is not None and len(traces) != len(scenarios):
        raise ValueError("run_scenarios: one trace per scenario")
    estimate = (estimate_work(scenarios, replications) if traces is None else
                estimate_trace_work(scenarios, [len(t) for t in traces], replications))
    check_work(estimate, Limits.from_environment() if limits is None else limits)
    total = len(scenarios) * replications
    outputs: list[list[ReplicationOutput | None]] = [[None] * replications for _ in scenarios]
    missing = [replications] * len(scenarios)
    done = 0

    def collect(task: int, output: ReplicationOutput) -> None:
        nonlocal done
        k, r = divmod(task, replications)
        outputs[k][r] = output
        missing[k] -= 1
        done += 1
        if progress:
            progress(done, total)
        if missing[k] == 0 and on_scenario is not None:
            on_scenario(k, outputs[k])

    # Each scenario is compiled once here, pickled once (as its scenario) and compiled
    # again once per worker process, not once per task; so is each trace.
    plans = [Shared(compile_scenario(scenario)) for scenario in scenarios]
    replayed = [None] * len(plans) if traces is None else [Shared(t) for t in traces]
    tasks = [(plan, seed, index, records, trace)
             for plan, trace in zip(plans, replayed, strict=True)
             for index in range(replications)]
    executor.map(run_replication, tasks, collect)
    return outputs  # type: ignore[return-value]
