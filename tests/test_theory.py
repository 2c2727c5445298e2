"""Tests of simcc.theory against independent computations.

The reference values here are computed differently from the module: factorial sums for
Erlang B/C, Poisson distributions for the M/M/inf special case of Erlang A, and a
linear-algebra solution of the truncated Markov chains (stationary distribution by a
linear solve, tagged-customer waiting time by a matrix exponential) for Erlang A.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import linalg, stats

from simcc.theory import (
    ErlangAResult,
    ErlangCResult,
    erlang_a_metrics,
    erlang_b,
    erlang_c,
    erlang_c_metrics,
    priority_mmc_waits,
)

# --------------------------------------------------------------------------- references


def _erlang_b_factorial(n: int, a: float) -> float:
    terms = [a**k / math.factorial(k) for k in range(n + 1)]
    return terms[-1] / sum(terms)


def _erlang_c_factorial(n: int, a: float) -> float:
    head = sum(a**k / math.factorial(k) for k in range(n))
    tail = a**n / math.factorial(n) * n / (n - a)
    return tail / (head + tail)


def _erlang_a_reference(n, lam, handle, patience, threshold, max_queue):
    """All five Erlang A metrics from the truncated chains, solved with scipy.linalg.

    1. Stationary distribution of the birth-death chain on 0..n+max_queue by solving
       pi Q = 0, sum(pi) = 1 as a linear system.
    2. For the tagged arrival: transient states k = 0..max_queue (customers ahead),
       absorbing states "answered" and "abandoned". One matrix exponential gives
       P(answered by t | k) for all k; the fundamental matrix gives mean times.
    """
    mu, theta = 1.0 / handle, 1.0 / patience
    size = n + max_queue + 1
    q = np.zeros((size, size))
    for j in range(size):
        if j + 1 < size:
            q[j, j + 1] = lam
        if j > 0:
            q[j, j - 1] = min(j, n) * mu + max(j - n, 0) * theta
        q[j, j] = -q[j].sum()
    system = np.vstack([q.T, np.ones(size)])
    rhs = np.zeros(size + 1)
    rhs[-1] = 1.0
    pi = np.linalg.lstsq(system, rhs, rcond=None)[0]

    kq = max_queue + 1
    answered, abandoned = kq, kq + 1
    g = np.zeros((kq + 2, kq + 2))
    for k in range(kq):
        if k == 0:
            g[0, answered] = n * mu
        else:
            g[k, k - 1] = n * mu + k * theta
        g[k, abandoned] = theta
        g[k, k] = -g[k].sum()
    transient = -g[:kq, :kq]
    fundamental = np.linalg.inv(transient)  # expected time in each transient state
    p_answer = fundamental @ g[:kq, answered]
    time_all = fundamental @ np.ones(kq)  # E[min(T, patience)]
    time_answered = fundamental @ p_answer  # E[T; answered]
    answered_by_t = linalg.expm(g * threshold)[:kq, answered]

    pi_low, pi_q = pi[:n], pi[n:]
    p_abandon = float(pi_q @ (1.0 - p_answer))
    return {
        "p_wait": float(pi_q.sum()),
        "abandon_rate": p_abandon,
        "asa_s": float(pi_q @ time_answered) / (1.0 - p_abandon),
        "mean_wait_s": float(pi_q @ time_all),
        "service_level": float(pi_low.sum() + pi_q @ answered_by_t),
        "occupancy": float(pi @ np.minimum(np.arange(size), n)) / n,
    }


FIELDS = ("p_wait", "abandon_rate", "asa_s", "mean_wait_s", "service_level", "occupancy")


def _assert_sane(r: ErlangAResult) -> None:
    for name in FIELDS:
        assert math.isfinite(getattr(r, name)), name
    for name in ("p_wait", "abandon_rate", "service_level", "occupancy"):
        assert 0.0 <= getattr(r, name) <= 1.0, name
    assert r.abandon_rate <= r.p_wait + 1e-12
    assert r.service_level <= 1.0 - r.abandon_rate + 1e-12
    assert r.asa_s >= 0.0 and r.mean_wait_s >= 0.0


# --------------------------------------------------------------------------- Erlang B / C


@pytest.mark.parametrize("a", [0.0, 0.3, 1.0, 4.5])
def test_erlang_b_single_server(a):
    assert erlang_b(1, a) == pytest.approx(a / (1.0 + a), rel=1e-14, abs=1e-15)


@pytest.mark.parametrize(("n", "a"), [(2, 1.0), (5, 3.7), (10, 8.0), (20, 25.0), (40, 30.0)])
def test_erlang_b_matches_factorial_sum(n, a):
    assert erlang_b(n, a) == pytest.approx(_erlang_b_factorial(n, a), rel=1e-12)


def test_erlang_b_edge_cases():
    assert erlang_b(0, 3.0) == 1.0
    assert erlang_b(5, 0.0) == 0.0


@pytest.mark.parametrize(("n", "a"), [(1000, 1300.0), (1000, 950.0), (2000, 1900.0)])
def test_erlang_b_large_matches_poisson_ratio(n, a):
    # B(n, a) = P(N = n) / P(N <= n) for N ~ Poisson(a), computed by scipy in log space.
    expected = math.exp(stats.poisson.logpmf(n, a) - stats.poisson.logcdf(n, a))
    assert erlang_b(n, a) == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("a", [0.0, 0.25, 0.9])
def test_erlang_c_single_server_is_rho(a):
    assert erlang_c(1, a) == pytest.approx(a, rel=1e-14, abs=1e-15)


def test_erlang_c_tabulated_value():
    c = erlang_c(10, 8.0)
    assert c == pytest.approx(_erlang_c_factorial(10, 8.0), rel=1e-12)
    assert c == pytest.approx(0.4092, abs=5e-5)


@pytest.mark.parametrize(("n", "a"), [(2, 1.5), (7, 6.9), (15, 10.0), (30, 29.0)])
def test_erlang_c_matches_factorial_sum_and_b_relation(n, a):
    c = erlang_c(n, a)
    assert c == pytest.approx(_erlang_c_factorial(n, a), rel=1e-11)
    b = _erlang_b_factorial(n, a)
    rho = a / n
    assert c == pytest.approx(b / (1.0 - rho * (1.0 - b)), rel=1e-11)


def test_erlang_c_large_is_finite_and_ordered():
    c = erlang_c(1000, 999.0)
    assert 0.0 < c < 1.0
    assert erlang_c(1000, 990.0) < c < erlang_c(1000, 999.9)


@pytest.mark.parametrize(("n", "a"), [(3, 3.0), (3, 4.0)])
def test_erlang_c_rejects_unstable_load(n, a):
    with pytest.raises(ValueError):
        erlang_c(n, a)


def test_invalid_arguments_raise():
    with pytest.raises(ValueError):
        erlang_b(-1, 1.0)
    with pytest.raises(ValueError):
        erlang_b(2, -1.0)
    with pytest.raises(ValueError):
        erlang_c(2.5, 1.0)
    with pytest.raises(ValueError):
        erlang_c_metrics(2, 0.01, 0.0, 20.0)
    with pytest.raises(ValueError):
        erlang_a_metrics(2, 0.01, 100.0, 0.0, 20.0)
    with pytest.raises(ValueError):
        erlang_a_metrics(2, 0.01, 100.0, 60.0, -1.0)


def test_erlang_c_metrics_values():
    n, lam, handle, t = 10, 0.08, 100.0, 20.0  # a = 8 Erlangs
    r = erlang_c_metrics(n, lam, handle, t)
    assert isinstance(r, ErlangCResult)
    c = _erlang_c_factorial(10, 8.0)
    assert r.p_wait == pytest.approx(c, rel=1e-12)
    # Mean wait of all callers = ASA = C / (n mu - lambda) = C * 100 / 2.
    assert r.mean_wait_s == pytest.approx(c * 50.0, rel=1e-12)
    assert r.asa_s == r.mean_wait_s
    assert r.service_level == pytest.approx(1.0 - c * math.exp(-0.02 * t), rel=1e-12)
    assert r.occupancy == pytest.approx(0.8)
    with pytest.raises(AttributeError):
        r.p_wait = 0.0  # frozen
    with pytest.raises(ValueError):
        erlang_c_metrics(10, 0.1, 100.0, 20.0)


def test_erlang_c_service_level_threshold_limits():
    assert erlang_c_metrics(4, 0.03, 100.0, 0.0).service_level == pytest.approx(
        1.0 - erlang_c(4, 3.0)
    )
    assert erlang_c_metrics(4, 0.03, 100.0, math.inf).service_level == 1.0


# --------------------------------------------------------------------------- Erlang A


@pytest.mark.parametrize(
    ("n", "lam", "handle", "patience", "threshold", "max_queue"),
    [
        (3, 2.5, 1.0, 2.0, 0.5, 80),  # a = 2.5, theta = 0.5 mu
        (3, 2.5, 1.0, 2.0, 3.0, 80),
        (1, 0.9, 1.0, 5.0, 1.0, 200),
        (5, 0.05, 120.0, 60.0, 20.0, 120),  # overloaded: a = 6 on 5 agents
        (20, 24.0 / 180.0, 180.0, 90.0, 30.0, 150),  # load 1.2
        (300, 291.0 / 180.0, 180.0, 60.0, 20.0, 300),  # load 0.97
    ],
)
def test_erlang_a_matches_markov_chain_reference(n, lam, handle, patience, threshold, max_queue):
    got = erlang_a_metrics(n, lam, handle, patience, threshold)
    ref = _erlang_a_reference(n, lam, handle, patience, threshold, max_queue)
    _assert_sane(got)
    for name in FIELDS:
        assert getattr(got, name) == pytest.approx(ref[name], rel=1e-7, abs=1e-10), name


def test_erlang_a_tends_to_erlang_c_for_long_patience():
    n, lam, handle, t = 10, 0.08, 100.0, 20.0
    c = erlang_c_metrics(n, lam, handle, t)
    a = erlang_a_metrics(n, lam, handle, 1e7 * handle, t)
    assert a.abandon_rate < 1e-6
    for name in ("p_wait", "asa_s", "mean_wait_s", "service_level", "occupancy"):
        assert getattr(a, name) == pytest.approx(getattr(c, name), rel=1e-5), name


def test_erlang_a_infinite_patience_is_erlang_c():
    c = erlang_c_metrics(10, 0.08, 100.0, 20.0)
    a = erlang_a_metrics(10, 0.08, 100.0, math.inf, 20.0)
    assert a.abandon_rate == 0.0
    assert a.p_wait == c.p_wait and a.service_level == c.service_level


@pytest.mark.parametrize(("n", "a"), [(1, 0.7), (4, 3.0), (10, 12.0), (50, 45.0)])
def test_erlang_a_with_patience_equal_to_handle_is_mm_infinity(n, a):
    # With theta = mu every customer in the system leaves at rate mu whether it waits or
    # is served, so N ~ Poisson(a) as in M/M/inf.
    handle = 60.0
    lam = a / handle
    r = erlang_a_metrics(n, lam, handle, handle, 10.0)
    poisson = stats.poisson(a)
    ks = np.arange(0, int(a + 40 * math.sqrt(a) + 60))
    pmf = poisson.pmf(ks)
    excess = float(pmf @ np.maximum(ks - n, 0))  # E[(N - n)+] = mean queue length
    busy = float(pmf @ np.minimum(ks, n))  # E[min(N, n)]
    assert r.p_wait == pytest.approx(poisson.sf(n - 1), rel=1e-9)
    assert r.abandon_rate == pytest.approx(excess / a, rel=1e-9)  # theta E[Q] / lambda
    assert r.mean_wait_s == pytest.approx(excess / lam, rel=1e-9)  # Little: E[Q] / lambda
    assert r.occupancy == pytest.approx(busy / n, rel=1e-9)


def test_erlang_a_threshold_limits_and_monotonicity():
    args = (8, 8.4 / 100.0, 100.0, 50.0)
    r0 = erlang_a_metrics(*args, 0.0)
    r_inf = erlang_a_metrics(*args, math.inf)
    assert r0.service_level == pytest.approx(1.0 - r0.p_wait, rel=1e-12)
    assert r_inf.service_level == pytest.approx(1.0 - r_inf.abandon_rate, rel=1e-12)
    levels = [erlang_a_metrics(*args, t).service_level for t in (0, 5, 20, 60, 300, 3000)]
    assert all(x < y for x, y in zip(levels, levels[1:], strict=False))
    assert levels[-1] == pytest.approx(r_inf.service_level, rel=1e-9)


def test_erlang_a_little_law_relations():
    r = erlang_a_metrics(12, 0.12, 110.0, 45.0, 20.0)
    # P(abandon) = theta E[Q] / lambda and mean wait of all = E[Q] / lambda.
    assert r.abandon_rate == pytest.approx(r.mean_wait_s / 45.0, rel=1e-12)
    # Occupancy counts only answered calls: lambda (1 - P(abandon)) / (n mu).
    assert r.occupancy == pytest.approx(0.12 * (1 - r.abandon_rate) * 110.0 / 12, rel=1e-12)


@pytest.mark.parametrize(
    ("n", "load", "handle", "patience"),
    [(300, 0.97, 180.0, 60.0), (1000, 1.3, 240.0, 120.0), (1000, 0.9, 300.0, 30.0)],
)
def test_erlang_a_large_systems_are_fast_and_sane(n, load, handle, patience):
    r = erlang_a_metrics(n, n * load / handle, handle, patience, 20.0)
    _assert_sane(r)
    assert r.mean_wait_s == pytest.approx(r.abandon_rate * patience, rel=1e-12)
    if load > 1.0:
        # Fluid limit: the excess load abandons, so P(abandon) ~ 1 - n / a.
        assert r.abandon_rate == pytest.approx(1.0 - 1.0 / load, abs=0.01)
        assert r.occupancy > 0.99


def test_erlang_a_large_system_against_erlang_c():
    # Very patient callers on 1000 agents at 95% load: close to Erlang C.
    n, handle = 1000, 200.0
    lam = 950.0 / handle
    c = erlang_c_metrics(n, lam, handle, 10.0)
    a = erlang_a_metrics(n, lam, handle, 1e9, 10.0)
    for name in ("p_wait", "asa_s", "service_level"):
        assert getattr(a, name) == pytest.approx(getattr(c, name), rel=1e-5), name


def test_erlang_a_zero_arrivals():
    r = erlang_a_metrics(3, 0.0, 100.0, 60.0, 20.0)
    assert r == ErlangAResult(0.0, 0.0, 0.0, 0.0, 1.0, 0.0)


# --------------------------------------------------------------------------- priority


def test_priority_one_class_is_erlang_c():
    n, lam, handle = 10, 0.08, 100.0
    (w,) = priority_mmc_waits(n, [lam], handle)
    assert w == pytest.approx(erlang_c_metrics(n, lam, handle, 0.0).mean_wait_s, rel=1e-12)


@pytest.mark.parametrize(("n", "rates"), [(10, [0.03, 0.05]), (4, [0.01, 0.005, 0.02])])
def test_priority_conservation_law(n, rates):
    handle = 100.0
    waits = priority_mmc_waits(n, rates, handle)
    fcfs = erlang_c_metrics(n, sum(rates), handle, 0.0).mean_wait_s
    average = sum(r * w for r, w in zip(rates, waits, strict=True)) / sum(rates)
    assert average == pytest.approx(fcfs, rel=1e-12)
    assert waits == sorted(waits)  # higher priority waits less


def test_priority_single_server_textbook():
    # M/M/1 non-preemptive priority: W_k = (rho / mu) / ((1 - s_{k-1})(1 - s_k)).
    lam1, lam2, handle = 0.002, 0.005, 100.0
    w1, w2 = priority_mmc_waits(1, [lam1, lam2], handle)
    w0 = (lam1 + lam2) * handle * handle  # residual work: lambda E[S^2] / 2 = rho / mu
    assert w1 == pytest.approx(w0 / (1 - 0.2), rel=1e-12)
    assert w2 == pytest.approx(w0 / ((1 - 0.2) * (1 - 0.7)), rel=1e-12)


def test_priority_rejects_overload():
    with pytest.raises(ValueError):
        priority_mmc_waits(2, [0.01, 0.01], 100.0)
    with pytest.raises(ValueError):
        priority_mmc_waits(2, [], 100.0)
