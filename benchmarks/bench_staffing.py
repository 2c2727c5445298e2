"""How long ``simcc staff`` takes, and where the time goes.

Runs :func:`simcc.staff` on each scenario (default: ``scenarios/bank_multiskill.yaml``
and ``benchmarks/staffing_three_skill.yaml``) and prints, per scenario: intervals
judged, plan simulations and replications per simulation, wall time, the time spent
simulating (inside the executor: replications run by the worker processes, including
process start-up and result transfer), in the analytic seed (Erlang requirements and
the HiGHS integer programs), and the rest (measuring targets from the interval tables,
building candidate scenarios, the staffed document), then the cost and whether the plan
is feasible. The last line of stdout is a JSON summary.

Usage::

    python benchmarks/bench_staffing.py [-n 5] [--seed S] [--workers 2]
        [--scenarios a.yaml,b.yaml]

The split is measured without changing simcc: the executor is a
:class:`~simcc.experiment.executors.LocalExecutor` whose ``map`` is timed, and the seed
functions that ``simcc.planning.staff`` calls are wrapped with timers for the run.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import simcc  # noqa: E402
from simcc.experiment.executors import LocalExecutor  # noqa: E402

staff_module = importlib.import_module("simcc.planning.staff")
"""The module (``simcc.planning.staff`` as an attribute is the function)."""

DEFAULT_SCENARIOS = ["scenarios/bank_multiskill.yaml", "benchmarks/staffing_three_skill.yaml"]
SEED_FUNCTIONS = ("need_requirements", "pooled_needs", "cover")
"""Names in ``simcc.planning.staff`` whose time counts as the analytic seed."""


class TimedExecutor(LocalExecutor):
    """A local executor that adds the wall time of every ``map`` (one batch of
    replications) to ``seconds`` and counts the replications run."""

    def __init__(self, workers: int | None = None):
        super().__init__(workers)
        self.seconds = 0.0
        self.tasks = 0

    def map(self, fn, tasks, on_result=None):
        began = time.perf_counter()
        try:
            return super().map(fn, tasks, on_result)
        finally:
            self.seconds += time.perf_counter() - began
            self.tasks += len(tasks)


@contextmanager
def timed_seed(clock: dict[str, float]):
    """Wrap the seed functions used by ``simcc.planning.staff`` so that their wall time
    adds up in ``clock["seed"]``; restored on exit."""
    originals = {name: getattr(staff_module, name) for name in SEED_FUNCTIONS}

    def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args, **kwargs):
            began = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                clock["seed"] += time.perf_counter() - began
        return timed

    for name, fn in originals.items():
        setattr(staff_module, name, wrap(fn))
    try:
        yield
    finally:
        for name, fn in originals.items():
            setattr(staff_module, name, fn)


def bench(path: str, replications: int, seed: int | None, workers: int) -> dict[str, Any]:
    """One ``simcc.staff`` run on ``path`` with the time split."""
    executor = TimedExecutor(workers)
    clock = {"seed": 0.0}
    began = time.perf_counter()
    with timed_seed(clock):
        plan = simcc.staff(path, replications=replications, seed=seed, executor=executor)
    wall = time.perf_counter() - began
    judged = plan.verification[plan.verification["interval"] >= 0]["interval"].nunique()
    return {"scenario": path, "intervals": len(next(iter(plan.groups.values()))),
            "judged": int(judged), "groups": len(plan.groups),
            "simulations": plan.simulations, "replications": plan.replications,
            "replications_run": executor.tasks, "wall_s": round(wall, 2),
            "simulation_s": round(executor.seconds, 2), "seed_s": round(clock["seed"], 3),
            "rest_s": round(wall - executor.seconds - clock["seed"], 2),
            "cost": round(plan.cost, 1), "agent_hours": round(plan.agent_hours, 1),
            "feasible": plan.feasible,
            "verdicts": plan.verification["verdict"].value_counts().to_dict(),
            "notes": plan.notes}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--replications", type=int, default=5,
                        help="replications per candidate plan (default 5)")
    parser.add_argument("--seed", type=int, default=None,
                        help="search seed (default: each scenario's)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="worker processes (default: one per core)")
    parser.add_argument("--scenarios", default=",".join(DEFAULT_SCENARIOS),
                        help="comma-separated scenario files (paths from the repository "
                             "root or the current directory)")
    args = parser.parse_args(argv)
    rows = []
    for name in args.scenarios.split(","):
        path = name if Path(name).exists() else str(ROOT / name)
        row = bench(path, args.replications, args.seed, args.workers)
        rows.append(row)
        print(f"{Path(name).name}: {row['judged']} of {row['intervals']} intervals judged, "
              f"{row['groups']} groups; {row['simulations']} simulations x "
              f"{row['replications']} replications ({row['replications_run']} replications "
              f"run, verification included); wall {row['wall_s']:.1f} s = simulation "
              f"{row['simulation_s']:.1f} s + seed/milp {row['seed_s']:.2f} s + rest "
              f"{row['rest_s']:.1f} s; cost {row['cost']:,.0f}, {row['agent_hours']:g} "
              f"agent-hours; feasible: {row['feasible']} {row['verdicts']}", flush=True)
    print(json.dumps({"replications": args.replications, "workers": args.workers,
                      "runs": rows}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
