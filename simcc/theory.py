"""Exact queueing results to put beside simulated numbers.

Everything is in **seconds** (times) and **per second** (rates). The offered load
``a = arrival_rate * mean_handle_s`` is in Erlangs.

Models
------
* M/M/n/n (Erlang B) and M/M/n (Erlang C): :func:`erlang_b`, :func:`erlang_c`,
  :func:`erlang_c_metrics`.
* M/M/n+M (Palm's Erlang A: exponential patience, abandoned callers leave for good):
  :func:`erlang_a_metrics`, computed exactly from the birth-death chain.
* M/M/n with non-preemptive priority classes sharing one service rate (Cobham):
  :func:`priority_mmc_waits`.

All computations work in a form that stays finite for thousands of servers: the Erlang
B recursion, and logarithms of the stationary probabilities for Erlang A. No factorial
of a large number is ever formed.

Erlang A method
---------------
Let ``mu = 1 / mean_handle_s``, ``theta = 1 / mean_patience_s`` and ``c = n mu / theta``.
By PASTA an arrival sees the stationary state ``j`` (customers in system). If ``j < n``
it is answered at once. If ``j = n + k`` it has ``k`` customers ahead; while ``i`` are
ahead it advances at rate ``n mu + i theta`` and abandons at rate ``theta``. Hence

* ``P(answered | k) = prod_{i=0..k} (n mu + i theta) / (n mu + (i + 1) theta)
  = c / (c + k + 1)`` (the product telescopes);
* given that it is answered, its wait is a sum of independent exponential phases with
  rates ``theta (c + i)``, ``i = 1..k+1`` (each phase races against its own patience);
* ``exp(-theta * S)`` for such a sum ``S`` of ``m`` phases is a product of independent
  ``Beta(c + i, 1)`` variables, which is ``Beta(c + 1, m)``. So
  ``P(S <= t) = I_x(m, c + 1)`` with ``x = 1 - exp(-theta t)``, the regularized
  incomplete beta function, evaluated stably by :func:`scipy.special.betainc`;
* ``E[S] = sum_{i=1..k+1} 1 / (n mu + i theta)``.

The mean wait of all customers follows from Little's law, ``E[Q] / lambda``, and
``P(abandon) = theta E[Q] / lambda``.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import special

__all__ = [
    "ErlangAResult",
    "ErlangCResult",
    "erlang_a_metrics",
    "erlang_b",
    "erlang_c",
    "erlang_c_metrics",
    "priority_mmc_waits",
]

# Stop the Erlang A chain once the remaining tail is below this fraction of the
# largest stationary term (exp(-45) is about 3e-20).
_LOG_TAIL_TOLERANCE = -45.0
# Hard cap on the number of queue states considered for Erlang A.
_MAX_QUEUE_STATES = 50_000_000


# --------------------------------------------------------------------------- helpers


def _servers(servers: object, minimum: int) -> int:
    if isinstance(servers, bool):
        raise ValueError(f"servers must be an integer, got {servers!r}")
    try:
        n = operator.index(servers)
    except TypeError:
        if isinstance(servers, float) and servers.is_integer():
            n = int(servers)
        else:
            raise ValueError(f"servers must be an integer, got {servers!r}") from None
    if n < minimum:
        raise ValueError(f"servers must be >= {minimum}, got {n}")
    return n


def _nonneg(name: str, value: float) -> float:
    x = float(value)
    if not math.isfinite(x) or x < 0:
        raise ValueError(f"{name} must be finite and >= 0, got {value!r}")
    return x


def _positive(name: str, value: float) -> float:
    x = float(value)
    if not math.isfinite(x) or x <= 0:
        raise ValueError(f"{name} must be finite and > 0, got {value!r}")
    return x


def _threshold(value: float) -> float:
    x = float(value)
    if math.isnan(x) or x < 0:
        raise ValueError(f"threshold_s must be >= 0, got {value!r}")
    return x


def _clip01(x: float) -> float:
    return min(1.0, max(0.0, float(x)))


# --------------------------------------------------------------------------- Erlang B / C


def erlang_b(servers: int, offered_load: float) -> float:
    """Blocking probability of the M/M/n/n (Erlang loss) system.

    Parameters
    ----------
    servers : int
        Number of servers ``n`` (>= 0).
    offered_load : float
        Offered load ``a = lambda / mu`` in Erlangs (>= 0).

    Returns
    -------
    float
        Probability that an arrival finds all ``n`` servers busy and is lost. Also valid
        for ``a >= n`` (the loss system is always stable).

    Notes
    -----
    Uses the recursion ``B(0) = 1``, ``B(k) = a B(k-1) / (k + a B(k-1))``, which is stable
    for any ``n``.
    """
    n = _servers(servers, 0)
    a = _nonneg("offered_load", offered_load)
    b = 1.0
    for k in range(1, n + 1):
        ab = a * b
        b = ab / (k + ab)
    return b


def erlang_c(servers: int, offered_load: float) -> float:
    """Probability of waiting in the M/M/n (Erlang delay) queue.

    Parameters
    ----------
    servers : int
        Number of servers ``n`` (>= 1).
    offered_load : float
        Offered load ``a = lambda / mu`` in Erlangs; must satisfy ``0 <= a < n``.

    Returns
    -------
    float
        Probability that an arrival finds all servers busy and has to queue.

    Raises
    ------
    ValueError
        If ``a >= n`` (the queue is unstable) or an argument is invalid.

    Notes
    -----
    ``C = B / (1 - rho (1 - B))`` with ``B`` the Erlang B probability and ``rho = a / n``.
    """
    n = _servers(servers, 1)
    a = _nonneg("offered_load", offered_load)
    if a >= n:
        raise ValueError(
            f"Erlang C needs offered_load < servers (stable queue), got a={a} with n={n}"
        )
    b = erlang_b(n, a)
    rho = a / n
    return _clip01(b / (1.0 - rho * (1.0 - b)))


@dataclass(frozen=True)
class ErlangCResult:
    """Steady-state metrics of the M/M/n (Erlang C) queue.

    In Erlang C nobody abandons: every customer is answered, so the mean wait of answered
    customers (ASA) and the mean wait of all customers are the same number.

    Attributes
    ----------
    p_wait : float
        Probability that an arrival has to wait (Erlang C formula).
    asa_s : float
        Average speed of answer in seconds: mean wait of all customers (all are answered).
    mean_wait_s : float
        Mean wait in queue of all customers in seconds (equal to ``asa_s``).
    service_level : float
        ``P(wait <= threshold_s)`` over all arrivals.
    occupancy : float
        Mean fraction of busy servers, ``a / n``.
    """

    p_wait: float
    asa_s: float
    mean_wait_s: float
    service_level: float
    occupancy: float


def erlang_c_metrics(
    servers: int, arrival_rate: float, mean_handle_s: float, threshold_s: float
) -> ErlangCResult:
    """Erlang C (M/M/n, FCFS, no abandonment) metrics.

    Parameters
    ----------
    servers : int
        Number of agents ``n`` (>= 1).
    arrival_rate : float
        Poisson arrival rate ``lambda`` per second (>= 0).
    mean_handle_s : float
        Mean (exponential) handle time ``1 / mu`` in seconds (> 0).
    threshold_s : float
        Service-level threshold in seconds (>= 0; ``math.inf`` gives 1).

    Returns
    -------
    ErlangCResult
        ``service_level = 1 - C exp(-(n mu - lambda) t)`` and
        ``asa_s = mean_wait_s = C / (n mu - lambda)``.

    Raises
    ------
    ValueError
        If the offered load ``lambda * mean_handle_s`` is not below ``n``.
    """
    n = _servers(servers, 1)
    lam = _nonneg("arrival_rate", arrival_rate)
    handle = _positive("mean_handle_s", mean_handle_s)
    t = _threshold(threshold_s)
    a = lam * handle
    c = erlang_c(n, a)
    drain = n / handle - lam  # n mu - lambda, > 0 per second
    wait = c / drain
    sl = 1.0 - c * math.exp(-drain * t)
    return ErlangCResult(
        p_wait=c,
        asa_s=wait,
        mean_wait_s=wait,
        service_level=_clip01(sl),
        occupancy=a / n,
    )


# --------------------------------------------------------------------------- Erlang A


@dataclass(frozen=True)
class ErlangAResult:
    """Steady-state metrics of the M/M/n+M (Erlang A) queue.

    Attributes
    ----------
    p_wait : float
        Probability that an arrival finds all servers busy (has to wait).
    abandon_rate : float
        Probability that an arrival abandons before being answered.
    asa_s : float
        Average speed of answer in seconds: mean wait of **answered** customers.
    mean_wait_s : float
        Mean time in queue of **all** customers in seconds (answered or abandoned; an
        abandoned customer counts the time until it left).
    service_level : float
        ``P(answered and wait <= threshold_s)`` over all offered customers; abandoned
        customers never count as within threshold, even if they left early.
    occupancy : float
        Mean busy servers divided by ``n``: ``lambda (1 - abandon_rate) / (n mu)``.
    """

    p_wait: float
    abandon_rate: float
    asa_s: float
    mean_wait_s: float
    service_level: float
    occupancy: float


def _erlang_a_log_pi(n: int, lam: float, mu: float, theta: float) -> np.ndarray:
    """Unnormalized log stationary probabilities of states ``0..n+m`` of M/M/n+M."""
    a = lam / mu
    j = np.arange(n + 1, dtype=float)
    log_low = j * math.log(a) - special.gammaln(j + 1.0)
    log_pn = log_low[-1]
    nmu = n * mu
    log_lam = math.log(lam)
    # The ratio lambda / (n mu + i theta) drops below 1 once i > (lambda - n mu) / theta.
    i_peak = max(0.0, (lam - nmu) / theta)
    if i_peak + 1 > _MAX_QUEUE_STATES:
        raise ValueError(
            "Erlang A chain too long: the queue would hold about "
            f"{i_peak:.3g} customers; increase patience or servers"
        )
    m = int(min(_MAX_QUEUE_STATES, max(256, 2 * math.ceil(i_peak) + 256)))
    while True:
        i = np.arange(1, m + 1, dtype=float)
        log_q = log_pn + np.cumsum(log_lam - np.log(nmu + i * theta))
        log_max = max(float(log_low.max()), float(log_q.max()))
        r = lam / (nmu + (m + 1) * theta)  # ratio of the next term to the last one
        if r < 1.0:
            # Tail beyond m is at most pi_m * r / (1 - r) since the ratios keep falling.
            log_tail = float(log_q[-1]) + math.log(r) - math.log1p(-r)
            if log_tail - log_max < _LOG_TAIL_TOLERANCE:
                return np.concatenate([log_low, log_q])
        if m >= _MAX_QUEUE_STATES:
            raise ValueError("Erlang A chain did not converge within the state limit")
        m = min(_MAX_QUEUE_STATES, 2 * m)


def erlang_a_metrics(
    servers: int,
    arrival_rate: float,
    mean_handle_s: float,
    mean_patience_s: float,
    threshold_s: float,
) -> ErlangAResult:
    """Erlang A (M/M/n+M, Palm's model) metrics, computed exactly.

    Parameters
    ----------
    servers : int
        Number of agents ``n`` (>= 1).
    arrival_rate : float
        Poisson arrival rate ``lambda`` per second (>= 0).
    mean_handle_s : float
        Mean (exponential) handle time ``1 / mu`` in seconds (> 0).
    mean_patience_s : float
        Mean (exponential) patience ``1 / theta`` in seconds (> 0). ``math.inf`` means no
        abandonment and gives the Erlang C values (then the load must be below ``n``).
    threshold_s : float
        Service-level threshold in seconds (>= 0; ``math.inf`` gives ``1 - abandon_rate``).

    Returns
    -------
    ErlangAResult
        See the class for the meaning of each field. Any load is allowed (the queue is
        stable for any finite patience), including overload ``lambda / mu > n``.

    Notes
    -----
    The stationary distribution of the birth-death chain (birth ``lambda``, death
    ``min(j, n) mu + max(j - n, 0) theta``) is built in log space and truncated where the
    remaining tail is below ``exp(-45)`` of the largest term. Waiting-time results use the
    phase argument described in the module docstring: given ``k`` customers ahead the
    arrival is answered with probability ``c / (c + k + 1)`` (``c = n mu / theta``), and
    its wait given answered has CDF ``I_{1 - exp(-theta t)}(k + 1, c + 1)``.
    """
    n = _servers(servers, 1)
    lam = _nonneg("arrival_rate", arrival_rate)
    handle = _positive("mean_handle_s", mean_handle_s)
    patience = float(mean_patience_s)
    if math.isnan(patience) or patience <= 0:
        raise ValueError(f"mean_patience_s must be > 0, got {mean_patience_s!r}")
    t = _threshold(threshold_s)

    if math.isinf(patience):
        c = erlang_c_metrics(n, lam, handle, t)
        return ErlangAResult(
            p_wait=c.p_wait,
            abandon_rate=0.0,
            asa_s=c.asa_s,
            mean_wait_s=c.mean_wait_s,
            service_level=c.service_level,
            occupancy=c.occupancy,
        )
    if lam == 0.0:
        return ErlangAResult(0.0, 0.0, 0.0, 0.0, 1.0, 0.0)

    mu = 1.0 / handle
    theta = 1.0 / patience
    nmu = n * mu

    log_pi = _erlang_a_log_pi(n, lam, mu, theta)
    log_norm = special.logsumexp(log_pi)
    pi = np.exp(log_pi - log_norm)
    pi_low = pi[:n]  # states 0..n-1: answered at once
    pi_q = pi[n:]  # states n+k, k = 0..m: k customers ahead
    k = np.arange(pi_q.size, dtype=float)

    p_no_wait = float(pi_low.sum())
    p_wait = float(pi_q.sum())
    mean_queue = float(np.dot(k, pi_q))
    p_abandon = theta * mean_queue / lam
    mean_wait_all = mean_queue / lam

    # P(answered | k ahead) = c / (c + k + 1) with c = n mu / theta.
    cc = nmu / theta
    p_answer_k = cc / (cc + k + 1.0)
    # E[wait | answered, k ahead] = sum_{i=1..k+1} 1 / (n mu + i theta).
    mean_wait_k = np.cumsum(1.0 / (nmu + (k + 1.0) * theta))
    answered_weight = pi_q * p_answer_k
    answered_wait = float(np.dot(answered_weight, mean_wait_k))
    p_answered = 1.0 - p_abandon
    asa = answered_wait / p_answered if p_answered > 0 else math.nan

    if math.isinf(t):
        sl = p_answered
    elif t == 0.0:
        sl = p_no_wait
    else:
        x = -math.expm1(-theta * t)
        keep = answered_weight > 0.0
        cdf = special.betainc(k[keep] + 1.0, cc + 1.0, x)
        sl = p_no_wait + float(np.dot(answered_weight[keep], cdf))

    return ErlangAResult(
        p_wait=_clip01(p_wait),
        abandon_rate=_clip01(p_abandon),
        asa_s=asa,
        mean_wait_s=mean_wait_all,
        service_level=_clip01(sl),
        occupancy=_clip01(lam * p_answered / nmu),
    )


# --------------------------------------------------------------------------- priority


def priority_mmc_waits(
    servers: int, arrival_rates: Sequence[float], mean_handle_s: float
) -> list[float]:
    """Mean waits of non-preemptive priority classes in M/M/n (Cobham's formula).

    All classes share one exponential service rate ``mu = 1 / mean_handle_s``; within a
    class service is FCFS, and a free agent always takes the highest-priority waiter.

    Parameters
    ----------
    servers : int
        Number of agents ``n`` (>= 1).
    arrival_rates : sequence of float
        Poisson arrival rate per class, per second, **highest priority first**.
    mean_handle_s : float
        Mean handle time in seconds (> 0), the same for every class.

    Returns
    -------
    list of float
        Mean wait in queue (seconds) of each class, in the order given:
        ``W_k = C(n, a) / (n mu (1 - sigma_{k-1}) (1 - sigma_k))`` with
        ``sigma_k = sum_{i <= k} lambda_i / (n mu)`` and ``C`` the Erlang C probability of
        the total load ``a = sum(lambda) / mu``.

    Raises
    ------
    ValueError
        If the total load is not below ``n`` or an argument is invalid.
    """
    n = _servers(servers, 1)
    handle = _positive("mean_handle_s", mean_handle_s)
    rates = [_nonneg("arrival_rates[]", r) for r in arrival_rates]
    if not rates:
        raise ValueError("arrival_rates must name at least one class")
    capacity = n / handle  # n mu per second
    total = sum(rates)
    c = erlang_c(n, total * handle)
    waits = []
    sigma_prev = 0.0
    for r in rates:
        sigma = sigma_prev + r / capacity
        waits.append(c / (capacity * (1.0 - sigma_prev) * (1.0 - sigma)))
        sigma_prev = sigma
    return waits
