"""Replications: one seed sequence each, run serially or in worker processes.

Replication ``r`` always uses ``SeedSequence(seed, spawn_key=(r,))``, and results are
ordered by ``r``: numbers do not depend on the number of workers.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd

from simcc.experiment.executors import Executor
from simcc.metrics.intervals import interval_table
from simcc.metrics.issues import issues_frame
from simcc.metrics.kpis import Period, contact_flags, replication_kpis
from simcc.metrics.records import to_frames
from simcc.model import build, replication_seedseq
from simcc.scenario.schema import Scenario

Progress = Callable[[int, int], None]
"""Called as ``progress(done, total)`` after each finished replication."""


@dataclass
class ReplicationOutput:
    """What one replication returns: KPIs (long form), intervals, optional records."""

    index: int
    kpis: pd.DataFrame
    intervals: pd.DataFrame
    frames: dict[str, pd.DataFrame] | None


def run_replication(scenario: Scenario, seed: int, index: int,
                    keep_records: bool) -> ReplicationOutput:
    """Simulate replication ``index`` of ``scenario`` with ``seed`` and measure it."""
    records = build(scenario, replication_seedseq(seed, index)).run()
    frames = to_frames(records)
    period = Period.of(scenario)
    flags = contact_flags(frames["contacts"], frames["legs"], period)
    kpis = replication_kpis(frames, period, flags)
    intervals = interval_table(frames, period, scenario.horizon.interval, scenario.horizon.start,
                               {name: g.channels for name, g in scenario.agents.items()}, flags)
    if not keep_records:
        return ReplicationOutput(index, kpis, intervals, None)
    frames["issues"] = issues_frame(frames["contacts"], period.fcr_window_s)
    return ReplicationOutput(index, kpis, intervals, frames)


def default_workers(replications: int) -> int:
    """Parallel processes used when none are asked for: one per core, at most one per
    replication."""
    return max(1, min(replications, os.cpu_count() or 1))


def run_replications(scenario: Scenario, replications: int, seed: int, executor: Executor,
                     keep_records: bool, progress: Progress | None = None
                     ) -> list[ReplicationOutput]:
    """Run replications ``0..replications-1`` on ``executor``; results ordered by
    replication."""
    return run_scenarios([scenario], replications, seed, executor, keep_records, progress)[0]


def run_scenarios(scenarios: Sequence[Scenario], replications: int, seed: int,
                  executor: Executor, keep_records: bool, progress: Progress | None = None,
                  on_scenario: Callable[[int, list[ReplicationOutput]], None] | None = None
                  ) -> list[list[ReplicationOutput]]:
    """Replications ``0..replications-1`` of every scenario (same seed: common random
    numbers), submitted to ``executor`` as one batch of tasks so that all its workers
    stay busy. ``progress`` counts finished replications of all scenarios;
    ``on_scenario(k, outputs)`` runs as soon as the replications of scenario ``k`` are
    all done. Returns the outputs per scenario, ordered by replication."""
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

    tasks = [(scenario, seed, index, keep_records)
             for scenario in scenarios for index in range(replications)]
    executor.map(run_replication, tasks, collect)
    return outputs  # type: ignore[return-value]
