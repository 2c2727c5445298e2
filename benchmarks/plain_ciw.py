"""Erlang-A center (M/M/100+M) in Ciw, for comparison with simcc and plain SimPy.

One Ciw node with 100 servers, exponential arrival, service and reneging time
distributions (``reneging_time_distributions``, in Ciw 3). Ciw has no way to stop
the arrivals at the horizon and then drain, so it runs ``DRAIN_S`` past the horizon
and only customers who arrived in the counted period enter the statistics (a
customer still in the system at the end would be missed; with a 2-hour drain that
does not happen in practice). Ciw draws its own random numbers (``ciw.seed``), so
its customers differ from the plain SimPy models': it agrees with them statistically,
not exactly. Occupancy is the busy time of the served records clipped to the
counted period.

Usage: ``python benchmarks/plain_ciw.py [--arrivals N] [--seed S]``; prints one JSON
line with the statistics (see ``erlang_a_common``). Exits with status 3 and a message
on stderr if Ciw is missing or too old to support reneging.
"""

from __future__ import annotations

import sys
import time

from erlang_a_common import (
    AGENTS,
    ARRIVALS_PER_HOUR,
    HANDLE_MEAN_S,
    PATIENCE_MEAN_S,
    SL_THRESHOLD_S,
    WARMUP_S,
    Stats,
    horizon_seconds,
    overlap,
    parse_args,
    print_result,
)

DRAIN_S = 7200.0
UNSUPPORTED_EXIT = 3


def build_network(ciw):
    """Return the Ciw network of the Erlang-A center (times in seconds)."""
    exponential = ciw.dists.Exponential
    return ciw.create_network(
        arrival_distributions=[exponential(rate=ARRIVALS_PER_HOUR / 3600.0)],
        service_distributions=[exponential(rate=1.0 / HANDLE_MEAN_S)],
        number_of_servers=[AGENTS],
        reneging_time_distributions=[exponential(rate=1.0 / PATIENCE_MEAN_S)],
    )


def summarize(records, horizon: float) -> Stats:
    """Statistics of the customers who arrived in the counted period."""
    stats = Stats(counted_s=horizon - WARMUP_S)
    for record in records:
        if record.record_type == "service":
            stats.busy_s += overlap(
                record.service_start_date, record.service_end_date, WARMUP_S, horizon
            )
        if record.arrival_date >= horizon:
            continue
        stats.arrivals_total += 1
        if record.arrival_date < WARMUP_S:
            continue
        stats.offered += 1
        if record.record_type == "service":
            stats.handled += 1
            stats.wait_answered_s += record.waiting_time
            if record.waiting_time <= SL_THRESHOLD_S:
                stats.answered_in_sl += 1
        else:
            stats.abandoned += 1
    return stats


def simulate(ciw, arrivals: int, seed: int) -> dict:
    """Run the model past the horizon and return the statistics of counted customers."""
    started = time.perf_counter()
    horizon = horizon_seconds(arrivals)
    ciw.seed(seed)
    simulation = ciw.Simulation(build_network(ciw))
    simulation.simulate_until_max_time(horizon + DRAIN_S)
    records = simulation.get_all_records(only=["service", "renege"])
    stats = summarize(records, horizon)
    return stats.result(f"ciw-{ciw.__version__}", seed, time.perf_counter() - started)


def import_ciw():
    """Import Ciw, or exit with ``UNSUPPORTED_EXIT`` if it cannot run this model."""
    try:
        import ciw
    except ImportError:
        print("ciw is not installed (pip install ciw)", file=sys.stderr)
        sys.exit(UNSUPPORTED_EXIT)
    try:
        build_network(ciw)
    except (TypeError, AttributeError) as exc:
        print(f"ciw {ciw.__version__} does not support this model: {exc}", file=sys.stderr)
        sys.exit(UNSUPPORTED_EXIT)
    return ciw


def main() -> None:
    """Command-line entry point."""
    args = parse_args(__doc__.splitlines()[0])
    ciw = import_ciw()
    print_result(simulate(ciw, args.arrivals, args.seed))


if __name__ == "__main__":
    main()
