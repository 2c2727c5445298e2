"""Replications: one seed sequence each, run serially or in worker processes.

Replication ``r`` always uses ``SeedSequence(seed, spawn_key=(r,))``, and results are
ordered by ``r``: numbers do not depend on the number of workers.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass

import pandas as pd

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


def run_replications(scenario: Scenario, replications: int, seed: int, workers: int,
                     keep_records: bool, progress: Progress | None = None
                     ) -> list[ReplicationOutput]:
    """Run replications ``0..replications-1``; results ordered by replication."""
    if workers <= 1 or replications <= 1:
        outputs = []
        for index in range(replications):
            outputs.append(run_replication(scenario, seed, index, keep_records))
            if progress:
                progress(index + 1, replications)
        return outputs
    context = multiprocessing.get_context(
        "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    outputs = []
    with ProcessPoolExecutor(max_workers=min(workers, replications),
                             mp_context=context) as pool:
        futures = [pool.submit(run_replication, scenario, seed, i, keep_records)
                   for i in range(replications)]
        for done, future in enumerate(as_completed(futures), start=1):
            outputs.append(future.result())
            if progress:
                progress(done, replications)
    return sorted(outputs, key=lambda out: out.index)
