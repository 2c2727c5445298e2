"""Per-replication fixed cost: what a small replication costs beyond its contacts.

The center is the Erlang-A model of ``erlang_a_500k.yaml`` (100 agents, 1,176 calls
an hour, load 0.98) with no warm-up. In one invocation the script

1. warms up (one untimed small run: lazy imports, first-call caches), then runs two
   large replications on one worker, of ``--large-hours`` (default 100 h: about
   118,000 contacts) and half that; the difference of their times over the difference
   of their contacts is the per-contact cost ``c`` (seconds per contact; their fixed
   costs cancel);
2. runs ``--replications`` (default 200) one-hour replications (about 1,180 contacts
   each) through ``simcc.simulate(..., records="none")``, for each worker count of
   ``--workers`` (default ``1,2``).

For ``W`` workers, ``R`` replications of ``n`` contacts on average taking wall time
``T``, a replication occupies a worker for ``W*T/R`` seconds, of which ``n*c`` is
contact work; the rest is the fixed cost per replication::

    fixed = W*T/R - n*c          (worker-seconds per replication)

The same is computed from CPU time (this process and its workers), which is less
sensitive than wall time to other load on the machine. Everything happens in this
process; each timed call starts its workers, which are shut down after it (untimed) so
that their CPU time is counted: starting two workers is a few tens of milliseconds
against seconds of work.

Prints a table and, as its last line, one JSON object.

Usage::

    python benchmarks/bench_fixed_cost.py [--replications 200] [--workers 1,2]
        [--large-hours 100] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

import yaml

import simcc

HERE = Path(__file__).resolve().parent
SCENARIO = HERE / "erlang_a_500k.yaml"
TARGET_MS = 30.0  # issue 16: fixed cost per one-hour replication


def center(hours: float) -> dict:
    """The Erlang-A scenario document with a horizon of ``hours`` and no warm-up."""
    doc = yaml.safe_load(SCENARIO.read_text())
    doc["horizon"] = {"duration": f"{hours:g}h", "warmup": 0}
    return doc


def timed_run(doc: dict, replications: int, workers: int, seed: int
              ) -> tuple[float, float, float]:
    """Wall seconds of ``simcc.simulate``, CPU seconds of this process and its workers
    (the workers are shut down, untimed, to be counted), and the mean contacts per
    replication."""
    before = _cpu_s()
    started = time.perf_counter()
    result = simcc.simulate(doc, replications=replications, seed=seed, workers=workers,
                            records="none")
    wall = time.perf_counter() - started
    simcc.shutdown_workers()
    kpis = result.kpis
    arrivals = kpis[(kpis.scope == "overall") & (kpis.kpi == "arrivals")]["mean"].iloc[0]
    return wall, _cpu_s() - before, float(arrivals)


def _cpu_s() -> float:
    """CPU seconds (user + system) of this process and of its ended children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def per_contact(large: tuple[float, float], half: tuple[float, float]) -> float:
    """Seconds per contact from two runs ``(seconds, contacts)`` of different sizes:
    their fixed costs cancel in the difference."""
    return (large[0] - half[0]) / (large[1] - half[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replications", type=int, default=200)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--large-hours", type=float, default=100.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    worker_counts = [int(w) for w in args.workers.split(",")]

    timed_run(center(1.0), 2, 1, args.seed)  # warm-up: lazy imports, first-call caches
    large = timed_run(center(args.large_hours), 1, 1, args.seed)
    half = timed_run(center(args.large_hours / 2), 1, 1, args.seed)
    cost = {"wall": per_contact((large[0], large[2]), (half[0], half[2])),
            "cpu": per_contact((large[1], large[2]), (half[1], half[2]))}
    print(f"large runs: {large[2]:,.0f} and {half[2]:,.0f} contacts in {large[0]:.2f} and "
          f"{half[0]:.2f} s wall: {cost['wall'] * 1e6:.2f} us per contact "
          f"({cost['cpu'] * 1e6:.2f} by CPU time)")
    small = center(1.0)
    rows = []
    for workers in worker_counts:
        wall, cpu, contacts = timed_run(small, args.replications, workers, args.seed)
        rows.append(row_of(workers, args.replications, contacts, wall, cpu, cost))
    print(f"{'workers':>7} {'wall s':>7} {'contacts/rep':>12} {'wall ms/rep':>11} "
          f"{'worker ms/rep':>13} {'contact ms':>10} {'fixed ms':>8} {'fixed CPU ms':>12}")
    for row in rows:
        print(f"{row['workers']:>7} {row['wall_s']:>7.2f} {row['contacts_per_rep']:>12,.0f} "
              f"{row['wall_ms_per_rep']:>11.1f} {row['worker_ms_per_rep']:>13.1f} "
              f"{row['contact_ms_per_rep']:>10.1f} {row['fixed_ms_per_rep']:>8.1f} "
              f"{row['fixed_cpu_ms_per_rep']:>12.1f}")
    print(f"target: fixed <= {TARGET_MS:g} ms per replication")
    print(json.dumps({"benchmark": "fixed_cost", "large_contacts": large[2],
                      "large_wall_s": round(large[0], 3), "half_contacts": half[2],
                      "half_wall_s": round(half[0], 3),
                      "per_contact_us": round(cost["wall"] * 1e6, 3),
                      "target_fixed_ms": TARGET_MS, "rows": rows}))


def row_of(workers: int, replications: int, contacts: float, wall: float, cpu: float,
           cost: dict[str, float]) -> dict:
    """One table row: wall and worker time per replication, the contact part (at
    ``cost`` seconds per contact, by wall and by CPU time) and the fixed part, in wall
    time and in CPU time (the latter less sensitive to a loaded machine)."""
    worker_time = workers * wall / replications
    fixed = worker_time - contacts * cost["wall"]
    fixed_cpu = cpu / replications - contacts * cost["cpu"]
    return {"workers": workers, "replications": replications, "wall_s": round(wall, 3),
            "cpu_s": round(cpu, 3), "contacts_per_rep": round(contacts, 1),
            "wall_ms_per_rep": round(wall / replications * 1e3, 2),
            "worker_ms_per_rep": round(worker_time * 1e3, 2),
            "contact_ms_per_rep": round(contacts * cost["wall"] * 1e3, 2),
            "fixed_ms_per_rep": round(fixed * 1e3, 2),
            "fixed_cpu_ms_per_rep": round(fixed_cpu * 1e3, 2)}


if __name__ == "__main__":
    main()
