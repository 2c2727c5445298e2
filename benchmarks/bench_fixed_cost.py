"""Per-replication fixed cost: what a small replication costs beyond its contacts.

The center is the Erlang-A model of ``erlang_a_500k.yaml`` (100 agents, 1,176 calls
an hour, load 0.98) with no warm-up. In one invocation the script

1. runs one large replication (``--large-hours``, default 100 h: about 118,000
   contacts) on one worker, which gives the per-contact cost ``c`` (seconds per
   contact, the run's own fixed cost removed, see below);
2. runs ``--replications`` (default 200) one-hour replications (about 1,180 contacts
   each) through ``simcc.simulate(..., records="none")``, for each worker count of
   ``--workers`` (default ``1,2``).

For ``W`` workers, ``R`` replications of ``n`` contacts on average taking wall time
``T``, a replication occupies a worker for ``W*T/R`` seconds, of which ``n*c`` is
contact work; the rest is the fixed cost per replication::

    fixed = W*T/R - n*c          (worker-seconds per replication)

With ``F`` the fixed cost and the large run of ``N`` contacts taking ``T_N``:
``c = (T_N - F)/N``; both equations are solved together (``N`` is about 100 times
``n``, so the correction is small). The same is computed from CPU time (this process
and its workers), which is less sensitive than wall time to other load on the machine.
Everything happens in this process (imports are done by the large run before anything
small is timed); each timed call starts its workers, which are shut down after it
(untimed) so that their CPU time is counted: starting two workers is a few tens of
milliseconds against seconds of work.

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


def solve(large_wall: float, large_contacts: float, rep_wall: float,
          rep_contacts: float) -> tuple[float, float]:
    """``(c, F)``: seconds per contact and fixed seconds per replication, from a large
    run (``large_wall`` for ``large_contacts``) and a small replication's worker time
    ``rep_wall`` for ``rep_contacts``, both sharing the same ``F``."""
    ratio = rep_contacts / large_contacts
    fixed = (rep_wall - ratio * large_wall) / (1.0 - ratio)
    per_contact = (large_wall - fixed) / large_contacts
    return per_contact, fixed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replications", type=int, default=200)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--large-hours", type=float, default=100.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    worker_counts = [int(w) for w in args.workers.split(",")]

    large_wall, large_cpu, large_contacts = timed_run(center(args.large_hours), 1, 1,
                                                      args.seed)
    print(f"large run: {large_contacts:,.0f} contacts in {large_wall:.2f} s wall, "
          f"{large_cpu:.2f} s CPU ({large_wall / large_contacts * 1e6:.1f} us/contact, "
          "fixed cost included)")
    small = center(1.0)
    rows = []
    for workers in worker_counts:
        wall, cpu, contacts = timed_run(small, args.replications, workers, args.seed)
        rows.append(row_of(workers, args.replications, contacts, wall, cpu,
                           (large_wall, large_cpu, large_contacts)))
    print(f"{'workers':>7} {'wall s':>7} {'contacts/rep':>12} {'wall ms/rep':>11} "
          f"{'worker ms/rep':>13} {'contact ms':>10} {'fixed ms':>8} {'fixed CPU ms':>12}")
    for row in rows:
        print(f"{row['workers']:>7} {row['wall_s']:>7.2f} {row['contacts_per_rep']:>12,.0f} "
              f"{row['wall_ms_per_rep']:>11.1f} {row['worker_ms_per_rep']:>13.1f} "
              f"{row['contact_ms_per_rep']:>10.1f} {row['fixed_ms_per_rep']:>8.1f} "
              f"{row['fixed_cpu_ms_per_rep']:>12.1f}")
    print(f"target: fixed <= {TARGET_MS:g} ms per replication")
    print(json.dumps({"benchmark": "fixed_cost", "large_contacts": large_contacts,
                      "large_wall_s": round(large_wall, 3), "large_cpu_s": round(large_cpu, 3),
                      "target_fixed_ms": TARGET_MS, "rows": rows}))


def row_of(workers: int, replications: int, contacts: float, wall: float, cpu: float,
           large: tuple[float, float, float]) -> dict:
    """One table row: wall and worker time per replication, the contact part and the
    fixed part, in wall time and in CPU time (the latter less sensitive to a loaded
    machine)."""
    large_wall, large_cpu, large_contacts = large
    worker_time = workers * wall / replications
    per_contact, fixed = solve(large_wall, large_contacts, worker_time, contacts)
    _, fixed_cpu = solve(large_cpu, large_contacts, cpu / replications, contacts)
    return {"workers": workers, "replications": replications, "wall_s": round(wall, 3),
            "cpu_s": round(cpu, 3), "contacts_per_rep": round(contacts, 1),
            "wall_ms_per_rep": round(wall / replications * 1e3, 2),
            "worker_ms_per_rep": round(worker_time * 1e3, 2),
            "contact_ms_per_rep": round(contacts * per_contact * 1e3, 2),
            "fixed_ms_per_rep": round(fixed * 1e3, 2),
            "fixed_cpu_ms_per_rep": round(fixed_cpu * 1e3, 2),
            "per_contact_us": round(per_contact * 1e6, 2)}


if __name__ == "__main__":
    main()
