"""An analyst's loop of small runs: the shared worker pool against a fresh pool per call.

The loop is what a notebook what-if or an optimiser does: ``--calls`` (default 30)
calls of ``simcc.simulate(scenario, replications=10, workers=2, records="none")`` on a
small Erlang-A center (``--agents`` agents around load 0.9, ``--minutes`` of horizon, no
warm-up), each call with another seed and agent count, then one ``simcc.compare`` of
the center against two staffing variants. It runs twice in this process:

- ``persistent``: as simcc runs it, the worker processes are started by the first call
  and reused by all the others;
- ``fresh``: ``simcc.shutdown_workers()`` after every call, so that each call starts
  (and ends) its own workers, as simcc did before the pool was shared.

Both loops run ``--repeat`` times, interleaved; the fastest of each counts, in wall
time and in CPU time of this process and its workers (less sensitive to other load on
the machine). The results of the two modes are checked to be identical (same seeds).
Prints a table and, as its last line, one JSON object with the time per call and the
ratios fresh / persistent.

Usage::

    python benchmarks/bench_api_loop.py [--calls 30] [--replications 10] [--workers 2]
        [--agents 20] [--minutes 30] [--repeat 2]
"""

from __future__ import annotations

import argparse
import copy
import json
import resource
import time
from pathlib import Path

import yaml

import simcc

HERE = Path(__file__).resolve().parent
SCENARIO = HERE / "erlang_a_500k.yaml"
LOAD = 0.9
HANDLE_MEAN_H = 5.0 / 60.0  # the scenario's mean handle time, in hours


def center(agents: int, minutes: float) -> dict:
    """The Erlang-A document with ``agents`` agents at load :data:`LOAD` over a horizon
    of ``minutes`` without warm-up."""
    doc = yaml.safe_load(SCENARIO.read_text())
    doc["horizon"] = {"duration": f"{minutes:g}m", "warmup": 0}
    doc["agents"]["team"]["count"] = agents
    doc["demand"][0]["rate"] = {"per_hour": round(LOAD * agents / HANDLE_MEAN_H, 1)}
    return doc


def loop(args: argparse.Namespace, fresh: bool) -> tuple[float, float, list[str]]:
    """Wall seconds of the loop, CPU seconds of this process and its workers (those of
    the persistent mode are shut down after the loop, untimed, to be counted), and the
    JSON of every result (for the identity check)."""
    base = center(args.agents, args.minutes)
    outputs = []
    cpu_before = _cpu_s()
    started = time.perf_counter()
    for call in range(args.calls):
        doc = copy.deepcopy(base)
        doc["agents"]["team"]["count"] = args.agents + call % 3 - 1
        result = simcc.simulate(doc, replications=args.replications, seed=100 + call,
                                workers=args.workers, records="none")
        outputs.append(result.to_json())
        if fresh:
            simcc.shutdown_workers()
    team = base["agents"]["team"]["count"]
    variants = {"minus_1": {"agents.team.count": team - 1},
                "plus_1": {"agents.team.count": team + 1}}
    comparison = simcc.compare(base | {"variants": variants},
                               replications=args.replications, workers=args.workers)
    outputs.append(comparison.to_json())
    if fresh:
        simcc.shutdown_workers()
    wall = time.perf_counter() - started
    simcc.shutdown_workers()
    return wall, _cpu_s() - cpu_before, outputs


def _cpu_s() -> float:
    """CPU seconds (user + system) of this process and of its ended children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=30)
    parser.add_argument("--replications", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--agents", type=int, default=20)
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()

    simcc.simulate(center(args.agents, args.minutes), replications=1, workers=1,
                   records="none")  # imports done before anything is timed
    walls: dict[str, list[float]] = {"persistent": [], "fresh": []}
    cpus: dict[str, list[float]] = {"persistent": [], "fresh": []}
    results: dict[str, list[str]] = {}
    for _ in range(args.repeat):
        for mode in walls:
            simcc.shutdown_workers()  # each loop starts without workers
            wall, cpu, results[mode] = loop(args, fresh=mode == "fresh")
            walls[mode].append(wall)
            cpus[mode].append(cpu)
    if results["persistent"] != results["fresh"]:
        raise SystemExit("the two modes gave different results")
    calls = args.calls + 1  # the compare call counts as one
    per_call = {mode: min(times) / calls * 1e3 for mode, times in walls.items()}
    cpu_per_call = {mode: min(times) / calls * 1e3 for mode, times in cpus.items()}
    ratio = per_call["fresh"] / per_call["persistent"]
    print(f"{calls} calls ({args.calls} simulate + 1 compare), {args.replications} "
          f"replications each, workers={args.workers}, best of {args.repeat}")
    for mode, times in walls.items():
        print(f"{mode:>10}: {min(times):6.2f} s   {per_call[mode]:7.1f} ms per call   "
              f"CPU {cpu_per_call[mode]:7.1f} ms per call   "
              f"(runs: {', '.join(f'{t:.2f}' for t in times)})")
    print(f"fresh / persistent = {ratio:.2f} (wall), "
          f"{cpu_per_call['fresh'] / cpu_per_call['persistent']:.2f} (CPU); the shared "
          f"pool saves {per_call['fresh'] - per_call['persistent']:.1f} ms per call")
    print(json.dumps({"benchmark": "api_loop", "calls": calls,
                      "replications": args.replications, "workers": args.workers,
                      "agents": args.agents, "minutes": args.minutes,
                      "ms_per_call": {m: round(v, 1) for m, v in per_call.items()},
                      "cpu_ms_per_call": {m: round(v, 1) for m, v in cpu_per_call.items()},
                      "walls_s": {m: [round(t, 3) for t in ts] for m, ts in walls.items()},
                      "fresh_over_persistent": round(ratio, 3),
                      "fresh_over_persistent_cpu": round(
                          cpu_per_call["fresh"] / cpu_per_call["persistent"], 3)}))


if __name__ == "__main__":
    main()
