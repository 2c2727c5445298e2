"""A sweep through a Dask LocalCluster gives exactly the local executor's numbers.

Runs the same sweep (default: 22 staffing points x 10 replications of the Erlang-A
example on a 6-hour horizon) with the local process executor and with a Dask
``LocalCluster`` of process workers, then checks that the per-replication KPI tables
are identical, value for value, and prints both wall times.

    python benchmarks/sweep_dask_local.py [--points 22] [--replications 10] [--workers 2]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from distributed import Client, LocalCluster

import simcc
from simcc.experiment.executors import DaskExecutor, LocalExecutor

ROOT = Path(__file__).resolve().parents[1]


def run(executor, grid: dict, replications: int) -> tuple[simcc.SweepResult, float]:
    """The sweep on ``executor`` and its wall time, seconds."""
    start = time.perf_counter()
    result = simcc.sweep(ROOT / "scenarios" / "erlang_a.yaml", grid, replications=replications,
                         executor=executor, overrides={"horizon.duration": "6h",
                                                       "horizon.warmup": "30m"})
    return result, time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=22)
    parser.add_argument("--replications", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    grid = {"agents.team.count": f"{90}:{90 + args.points - 1}:1"}
    local, local_s = run(LocalExecutor(args.workers), grid, args.replications)
    with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        dask, dask_s = run(DaskExecutor(client=client), grid, args.replications)
    same = local.replication_kpis.equals(dask.replication_kpis) and \
        local.table.equals(dask.table)
    tasks = len(local.points) * args.replications
    print(f"sweep: {len(local.points)} points x {args.replications} replications = {tasks} tasks")
    print(f"local executor ({args.workers} processes): {local_s:7.1f} s")
    print(f"dask LocalCluster ({args.workers} workers): {dask_s:7.1f} s "
          f"(dask/local {dask_s / local_s:.2f})")
    print("identical per-replication KPIs: " + ("yes" if same else "NO"))
    print(local.wide(["service_level", "asa_s", "abandon_rate", "occupancy"]).to_string())
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
