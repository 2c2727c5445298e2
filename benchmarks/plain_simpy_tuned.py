"""Erlang-A center (M/M/100+M) in hand-tuned plain SimPy: callbacks, no processes.

The same model as ``plain_simpy_idiomatic.py``, written for speed with nothing but
SimPy's event loop:

* no generator processes and no condition events: every event is a ``Timer``, a
  lean ``simpy.Event`` subclass that, like ``Timeout``, schedules itself with a
  delay, and that is born with its one callback (a closure) and the index of its
  customer as value (read as ``event._value``; the clock as ``env._now``);
* agents are a counter of idle agents, the queue a ``deque`` of customer indices;
  an abandonment event marks its customer as gone if it is still waiting, and gone
  customers are skipped (lazily deleted) when an agent takes the next one;
* all random numbers are drawn in numpy batches up front (the same draws, customer
  by customer, as the idiomatic model) and turned into Python lists;
* per-customer bookkeeping is one list store; the statistics are computed with
  numpy after the run.

Usage: ``python benchmarks/plain_simpy_tuned.py [--arrivals N] [--seed S]``; prints
one JSON line with the statistics (see ``erlang_a_common``).
"""

from __future__ import annotations

import math
import time
from collections import deque

import numpy as np
import simpy
from erlang_a_common import (
    AGENTS,
    HANDLE_MEAN_S,
    PATIENCE_MEAN_S,
    SL_THRESHOLD_S,
    WARMUP_S,
    Stats,
    draw_arrivals,
    horizon_seconds,
    make_streams,
    parse_args,
    print_result,
)
from simpy.events import NORMAL, Event

WAITING, SERVED, ABANDONED = 0, 1, 2


def run_center(gaps: list, patience: list, handle: list) -> list:
    """Simulate customers ``0..n-1`` to the end of the drain; return service starts.

    ``gaps[i]`` is the time from arrival ``i - 1`` to arrival ``i``. The result holds
    each customer's service start time, NaN for a customer who abandoned. The state
    lives in local variables of this function that the callbacks close over (faster
    than attributes of an object).
    """
    env = simpy.Environment()
    count = len(gaps)
    queue: deque[int] = deque()
    state = bytearray(count)
    start = [math.nan] * count
    idle = AGENTS
    schedule = env.schedule

    class Timer(Event):
        """A timeout that carries its callback and customer index (a lean ``Timeout``)."""

        def __init__(self, delay: float, customer: int, callback) -> None:
            self.env = env
            self.callbacks = [callback]
            self._value = customer
            self._ok = True
            schedule(self, NORMAL, delay)

    def arrive(event: Timer) -> None:
        """Customer ``event.value`` arrives: serve it at once or queue it."""
        nonlocal idle
        i = event._value
        nxt = i + 1
        if nxt < count:
            Timer(gaps[nxt], nxt, arrive)
        if idle:
            idle -= 1
            state[i] = SERVED
            start[i] = env._now
            Timer(handle[i], i, finish)
        else:
            queue.append(i)
            Timer(patience[i], i, renege)

    def renege(event: Timer) -> None:
        """Patience of customer ``event.value`` runs out: it leaves if still waiting."""
        i = event._value
        if state[i] == WAITING:
            state[i] = ABANDONED

    def finish(event: Timer) -> None:
        """An agent finishes: it takes the first customer still waiting, or goes idle."""
        nonlocal idle
        while queue:
            j = queue.popleft()
            if state[j] == WAITING:
                state[j] = SERVED
                start[j] = env._now
                Timer(handle[j], j, finish)
                return
        idle += 1

    if count:
        Timer(gaps[0], 0, arrive)
    env.run()
    return start


def summarize(start: list, handle: np.ndarray, arrival: np.ndarray, horizon: float) -> Stats:
    """Compute the statistics of the counted customers from the per-customer arrays."""
    start = np.array(start)
    counted = arrival >= WARMUP_S
    served = ~np.isnan(start)
    answered = counted & served
    wait = start[answered] - arrival[answered]
    begin = np.maximum(start[served], WARMUP_S)
    end = np.minimum(start[served] + handle[served], horizon)
    return Stats(
        arrivals_total=len(arrival),
        offered=int(counted.sum()),
        handled=int(answered.sum()),
        abandoned=int((counted & ~served).sum()),
        answered_in_sl=int((wait <= SL_THRESHOLD_S).sum()),
        wait_answered_s=float(wait.sum()),
        busy_s=float(np.maximum(end - begin, 0.0).sum()),
        counted_s=horizon - WARMUP_S,
    )


def simulate(arrivals: int, seed: int) -> dict:
    """Run the model to the end of the drain and return its statistics."""
    started = time.perf_counter()
    horizon = horizon_seconds(arrivals)
    arrival_rng, patience_rng, handle_rng = make_streams(seed)
    gaps, arrival = draw_arrivals(arrival_rng, horizon)
    count = len(arrival)
    patience = patience_rng.exponential(PATIENCE_MEAN_S, size=count)
    handle = handle_rng.exponential(HANDLE_MEAN_S, size=count)
    start = run_center(gaps.tolist(), patience.tolist(), handle.tolist())
    stats = summarize(start, handle, arrival, horizon)
    return stats.result("simpy-tuned", seed, time.perf_counter() - started)


def main() -> None:
    """Command-line entry point."""
    args = parse_args(__doc__.splitlines()[0])
    print_result(simulate(args.arrivals, args.seed))


if __name__ == "__main__":
    main()
