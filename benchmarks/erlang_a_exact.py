"""Exact steady-state Erlang-A (M/M/n+M) figures for the benchmark model.

The number in system is a birth-death chain (birth rate ``lam``; death rate
``min(k, n) * mu + max(k - n, 0) * theta``), truncated where its tail is negligible.
By PASTA an arrival sees the stationary distribution. An arrival that finds all
``n`` agents busy and ``j`` customers waiting is answered after ``j + 1`` departures
from the queue ahead of it (FIFO; customers behind it do not matter), the ``i``-th
of which (``i`` still ahead) happens at rate ``r_i = n * mu + i * theta``, unless its
own exponential patience (rate ``theta``) runs out first. With ``T`` that time to
the head of the queue:

* ``P(answered) = E[exp(-theta T)] = prod r_i / (r_i + theta)``;
* ``E[T; answered] = P(answered) * sum 1 / (r_i + theta)``;
* ``P(answered, T <= s) = P(answered) * P(T' <= s)``, where ``T'`` has the rates
  ``r_i + theta`` (exponential tilting), read from one matrix exponential of the
  pure-death chain of those rates.

Usage: ``python benchmarks/erlang_a_exact.py`` prints one JSON line with
``abandon_rate``, ``asa_s``, ``service_level``, ``occupancy``, ``p_wait``.
"""

from __future__ import annotations

import json

import numpy as np
from erlang_a_common import (
    AGENTS,
    ARRIVALS_PER_HOUR,
    HANDLE_MEAN_S,
    PATIENCE_MEAN_S,
    SL_THRESHOLD_S,
)
from scipy.linalg import expm


def stationary(lam: float, mu: float, theta: float, n: int, max_queue: int) -> np.ndarray:
    """Stationary distribution of the number in system, states ``0..n + max_queue``."""
    log_p = np.zeros(n + max_queue + 1)
    for k in range(1, len(log_p)):
        death = min(k, n) * mu + max(k - n, 0) * theta
        log_p[k] = log_p[k - 1] + np.log(lam / death)
    p = np.exp(log_p - log_p.max())
    return p / p.sum()


def erlang_a(
    lam: float,
    mu: float,
    theta: float,
    n: int,
    threshold: float,
    max_queue: int = 1000,
) -> dict:
    """Return the steady-state KPIs of M/M/n+M (rates per second; threshold in s)."""
    p = stationary(lam, mu, theta, n, max_queue)
    p_busy = p[n:]  # arrival finds j = 0, 1, ... customers waiting
    rates = n * mu + theta * np.arange(max_queue + 1)  # r_i, i customers still ahead
    p_answer_j = np.cumprod(rates / (rates + theta))
    mean_t_j = p_answer_j * np.cumsum(1.0 / (rates + theta))
    # Pure-death chain: state m = phases left (m = j + 1 for j waiting), rate r_{m-1}
    # + theta out of state m, absorbing at 0; column 0 of expm gives P(T' <= s).
    size = max_queue + 2
    generator = np.zeros((size, size))
    out = rates + theta
    generator[np.arange(1, size), np.arange(1, size)] = -out
    generator[np.arange(1, size), np.arange(0, size - 1)] = out
    p_within = expm(generator * threshold)[1:, 0]
    answered = p[:n].sum() + (p_busy * p_answer_j).sum()
    in_sl = p[:n].sum() + (p_busy * p_answer_j * p_within).sum()
    busy_agents = (np.minimum(np.arange(len(p)), n) * p).sum()
    kpis = {
        "abandon_rate": 1.0 - answered,
        "asa_s": (p_busy * mean_t_j).sum() / answered,
        "service_level": in_sl,
        "occupancy": busy_agents / n,
        "p_wait": p_busy.sum(),
        "tail_mass": p[-1],
    }
    return {key: float(value) for key, value in kpis.items()}


def benchmark_model() -> dict:
    """KPIs of the benchmark's Erlang-A model (100 agents, load 0.98)."""
    return erlang_a(
        lam=ARRIVALS_PER_HOUR / 3600.0,
        mu=1.0 / HANDLE_MEAN_S,
        theta=1.0 / PATIENCE_MEAN_S,
        n=AGENTS,
        threshold=SL_THRESHOLD_S,
    )


def main() -> None:
    """Print the exact figures as one JSON line."""
    print(json.dumps(benchmark_model()))


if __name__ == "__main__":
    main()
