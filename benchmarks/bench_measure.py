"""The cost of measuring a replication: everything from the engine's chunks of finished
issues to the final KPI and interval tables (``measure`` in
simcc/experiment/replications.py, then ``KpiAccumulator.kpis()`` and ``.intervals()``).

Three cases, each through ``run_replication`` (no worker pool):

- ``erlang_a_500k``: one replication of benchmarks/erlang_a_500k.yaml (500,000 contacts);
- ``retail_1d``: one day of scenarios/retail_omnichannel.yaml (journeys: self-service,
  callbacks, transfers, repeats);
- ``fixed_1h``: one-hour replications of the same Erlang-A center (~1,200 contacts),
  the per-replication cost of a small run (median of ``--reps``).

The time in ``measure`` is taken by wrapping the engine's ``on_chunk`` callback, so the
script runs unchanged on older checkouts (compare two branches with
``PYTHONPATH=<checkout> python benchmarks/bench_measure.py`` in one shell session). The
parts (time in named functions, when a checkout has them) are shown too.

    python benchmarks/bench_measure.py [--reps 50] [--skip-large]
"""

from __future__ import annotations

import argparse
import importlib
import statistics
import time

import simcc
from simcc.experiment.replications import run_replication

engine = importlib.import_module("simcc.model.build")
streaming = importlib.import_module("simcc.metrics.streaming")
replications = importlib.import_module("simcc.experiment.replications")

PARTS = ((replications, "to_frames"), (replications, "contact_flags"),
         (replications, "record_columns"), (streaming, "contact_flags"),
         (streaming, "replication_sums"), (streaming, "interval_sums"),
         (streaming.KpiAccumulator, "_count_waits"), (streaming.KpiAccumulator, "kpis"),
         (streaming.KpiAccumulator, "intervals"))
spent: dict[str, float] = {}


def _timed(owner, name: str) -> None:
    function = getattr(owner, name, None)
    if function is None:
        return

    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            spent[name] = spent.get(name, 0.0) + time.perf_counter() - start

    setattr(owner, name, wrapper)


def _instrument() -> None:
    for owner, name in PARTS:
        _timed(owner, name)
    original = engine.Replication.run

    def run(self, on_chunk=None, chunk_rows=engine.CHUNK_ROWS):
        if on_chunk is None:
            return original(self, None, chunk_rows)

        def measured(chunk):
            start = time.perf_counter()
            on_chunk(chunk)
            spent["on_chunk"] = spent.get("on_chunk", 0.0) + time.perf_counter() - start
            spent["chunks"] = spent.get("chunks", 0) + 1

        return original(self, measured, chunk_rows)

    engine.Replication.run = run


def measured_replication(scenario) -> tuple[float, float, dict[str, float]]:
    """(whole replication s, measurement s, parts s) of replication 0."""
    spent.clear()
    start = time.perf_counter()
    run_replication(scenario, scenario.seed, 0, "none")
    total = time.perf_counter() - start
    measurement = sum(spent.get(k, 0.0) for k in ("on_chunk", "kpis", "intervals"))
    return total, measurement, dict(spent)


def _report(label: str, total: float, measurement: float, parts: dict[str, float]) -> None:
    shown = {k: (v if k == "chunks" else f"{v * 1000:.1f}") for k, v in parts.items()
             if k != "on_chunk"}
    print(f"{label:14s} replication {total:7.3f} s  measurement {measurement * 1000:8.1f} ms"
          f"  parts (ms): {shown}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=50)
    parser.add_argument("--skip-large", action="store_true")
    args = parser.parse_args()
    _instrument()
    if not args.skip_large:
        _report("erlang_a_500k",
                *measured_replication(simcc.load_scenario("benchmarks/erlang_a_500k.yaml")))
    _report("retail_1d", *measured_replication(simcc.load_scenario(
        "scenarios/retail_omnichannel.yaml", {"horizon.duration": "1d"})))
    small = simcc.load_scenario("benchmarks/erlang_a_500k.yaml",
                                {"horizon.duration": "1h", "horizon.warmup": "0"})
    runs = [measured_replication(small) for _ in range(args.reps + 1)][1:]
    total = statistics.median(r[0] for r in runs)
    measurement = statistics.median(r[1] for r in runs)
    print(f"fixed_1h       replication {total * 1000:7.1f} ms measurement {measurement * 1000:8.2f}"
          f" ms (median of {args.reps}; {measurement / total:.0%} of the replication)")


if __name__ == "__main__":
    main()
