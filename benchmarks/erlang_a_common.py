"""Shared parameters, command line and statistics of the Erlang-A benchmark models.

The model is Erlang A (M/M/n+M): ``AGENTS`` agents, exponential handle time with mean
``HANDLE_MEAN_S``, Poisson arrivals at ``ARRIVALS_PER_HOUR`` and exponential patience
with mean ``PATIENCE_MEAN_S``; FIFO queue; a waiting customer abandons when its
patience runs out.

Time is in seconds. The simulated horizon is ``WARMUP_S`` plus the counted period;
arrivals stop at the end of the horizon and every customer who arrived before it is
followed to its outcome (drain). Only customers who arrive in the counted period
(``WARMUP_S <= arrival < horizon``) enter the statistics; busy time for the
occupancy is measured over the counted period.

Random numbers come from three numpy ``Generator`` streams spawned from
``SeedSequence(seed)``: inter-arrival times, patience and handle time. Customer ``i``
takes the ``i``-th patience and handle time draw (both are drawn for every customer,
whether it is served or not), so the plain SimPy models see the same customers.

This module is imported by the benchmark scripts beside it (their folder is on
``sys.path`` when they run as scripts); it is not part of the ``simcc`` package.
"""

from __future__ import annotations

import argparse
import json
import math
from dataclasses import dataclass

import numpy as np

AGENTS = 100
HANDLE_MEAN_S = 300.0
PATIENCE_MEAN_S = 600.0
ARRIVALS_PER_HOUR = 1176.0
INTERARRIVAL_MEAN_S = 3600.0 / ARRIVALS_PER_HOUR
WARMUP_S = 3600.0
SL_THRESHOLD_S = 20.0
DEFAULT_ARRIVALS = 500_000


def counted_hours(arrivals: int) -> int:
    """Whole hours of counted period in which about ``arrivals`` customers arrive.

    500,000 arrivals give 425 hours (499,800 expected arrivals), the horizon of
    ``erlang_a_500k.yaml`` (426 h with the 1 h warm-up).
    """
    return max(1, round(arrivals / ARRIVALS_PER_HOUR))


def horizon_seconds(arrivals: int) -> float:
    """Length of the whole simulated horizon (warm-up included) in seconds."""
    return WARMUP_S + 3600.0 * counted_hours(arrivals)


def parse_args(description: str, argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line shared by the model scripts (``--arrivals``, ``--seed``)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--arrivals",
        type=int,
        default=DEFAULT_ARRIVALS,
        help="about how many counted customers arrive; sets the horizon "
        f"(default {DEFAULT_ARRIVALS})",
    )
    parser.add_argument("--seed", type=int, default=1, help="root seed (default 1)")
    args = parser.parse_args(argv)
    if args.arrivals < 1:
        parser.error("--arrivals must be at least 1")
    return args


def make_streams(seed: int) -> tuple[np.random.Generator, ...]:
    """Return the (arrivals, patience, handle) generators for ``seed``."""
    children = np.random.SeedSequence(seed).spawn(3)
    return tuple(np.random.default_rng(child) for child in children)


def draw_arrivals(rng: np.random.Generator, horizon_s: float) -> tuple[np.ndarray, np.ndarray]:
    """Draw the arrivals in ``[0, horizon_s)`` in batches; return (gaps, times).

    ``gaps`` are the inter-arrival draws (the same values, in the same order, that
    one scalar draw per arrival gives) and ``times`` their running sums, added one
    by one as an event loop adds delays to its clock.
    """
    expected = horizon_s / INTERARRIVAL_MEAN_S
    batch = int(expected + 6.0 * math.sqrt(expected) + 100)
    gaps = rng.exponential(INTERARRIVAL_MEAN_S, size=batch)
    times = np.cumsum(gaps)
    while times[-1] < horizon_s:
        gaps = np.concatenate([gaps, rng.exponential(INTERARRIVAL_MEAN_S, size=batch)])
        times = np.cumsum(gaps)
    count = int(np.searchsorted(times, horizon_s, side="left"))
    return gaps[:count], times[:count]


@dataclass
class Stats:
    """Counters of the counted customers, filled by a model as it runs."""

    arrivals_total: int = 0
    offered: int = 0
    handled: int = 0
    abandoned: int = 0
    answered_in_sl: int = 0
    wait_answered_s: float = 0.0
    busy_s: float = 0.0
    counted_s: float = 0.0

    def result(self, model: str, seed: int, run_s: float) -> dict:
        """Return the statistics as a JSON-ready dict (``contacts`` = counted arrivals)."""
        offered = self.offered
        return {
            "model": model,
            "seed": seed,
            "contacts": offered,
            "arrivals_total": self.arrivals_total,
            "counted_hours": self.counted_s / 3600.0,
            "offered": offered,
            "handled": self.handled,
            "abandoned": self.abandoned,
            "abandon_rate": _ratio(self.abandoned, offered),
            "asa_s": _ratio(self.wait_answered_s, self.handled),
            "service_level": _ratio(self.answered_in_sl, offered),
            "occupancy": _ratio(self.busy_s, AGENTS * self.counted_s),
            "run_s": round(run_s, 3),
        }


def overlap(start: float, end: float, lo: float, hi: float) -> float:
    """Length of the intersection of ``[start, end]`` and ``[lo, hi]`` (0 if none)."""
    return max(0.0, min(end, hi) - max(start, lo))


def print_result(result: dict) -> None:
    """Print one JSON line of results on stdout."""
    print(json.dumps(result, sort_keys=False))


def _ratio(num: float, den: float) -> float | None:
    return num / den if den else None
