"""Erlang-A center (M/M/100+M) in idiomatic SimPy: one process per customer.

This is how the SimPy documentation teaches a queue with reneging: a source
process starts one generator process per arrival; each customer requests a
``simpy.Resource`` of 100 agents and waits for ``request | timeout(patience)``;
if the request wins it holds the agent for its handle time. Random numbers are drawn
one at a time, when needed, from seeded numpy generators.

Usage: ``python benchmarks/plain_simpy_idiomatic.py [--arrivals N] [--seed S]``;
prints one JSON line with the statistics (see ``erlang_a_common``).
"""

from __future__ import annotations

import time

import simpy
from erlang_a_common import (
    AGENTS,
    HANDLE_MEAN_S,
    INTERARRIVAL_MEAN_S,
    PATIENCE_MEAN_S,
    SL_THRESHOLD_S,
    WARMUP_S,
    Stats,
    horizon_seconds,
    make_streams,
    overlap,
    parse_args,
    print_result,
)


def customer(env, agents, stats, patience, handle, counted, horizon):
    """One customer: wait for an agent until patience runs out, then be served."""
    arrived = env.now
    with agents.request() as request:
        result = yield request | env.timeout(patience)
        wait = env.now - arrived
        if request not in result:
            if counted:
                stats.abandoned += 1
            return
        if counted:
            stats.handled += 1
            stats.wait_answered_s += wait
            if wait <= SL_THRESHOLD_S:
                stats.answered_in_sl += 1
        start = env.now
        yield env.timeout(handle)
        stats.busy_s += overlap(start, env.now, WARMUP_S, horizon)


def source(env, agents, stats, streams, horizon):
    """Start one customer process per Poisson arrival until the horizon."""
    arrival_rng, patience_rng, handle_rng = streams
    count = 0
    while True:
        yield env.timeout(arrival_rng.exponential(INTERARRIVAL_MEAN_S))
        if env.now >= horizon:
            break
        count += 1
        counted = env.now >= WARMUP_S
        if counted:
            stats.offered += 1
        patience = patience_rng.exponential(PATIENCE_MEAN_S)
        handle = handle_rng.exponential(HANDLE_MEAN_S)
        env.process(customer(env, agents, stats, patience, handle, counted, horizon))
    stats.arrivals_total = count


def simulate(arrivals: int, seed: int) -> dict:
    """Run the model to the end of the drain and return its statistics."""
    started = time.perf_counter()
    horizon = horizon_seconds(arrivals)
    env = simpy.Environment()
    agents = simpy.Resource(env, capacity=AGENTS)
    stats = Stats(counted_s=horizon - WARMUP_S)
    env.process(source(env, agents, stats, make_streams(seed), horizon))
    env.run()
    elapsed = time.perf_counter() - started
    return stats.result("simpy-idiomatic", seed, elapsed)


def main() -> None:
    """Command-line entry point."""
    args = parse_args(__doc__.splitlines()[0])
    print_result(simulate(args.arrivals, args.seed))


if __name__ == "__main__":
    main()
