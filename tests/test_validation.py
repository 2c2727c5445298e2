"""Statistical validation: the simulator against exact queueing theory.

Each case simulates a center that has a closed-form answer in :mod:`simcc.theory`
(Erlang C, Erlang A, Erlang B, two-class non-preemptive priority M/M/c) and checks

    |sim_mean - theory| <= K_SIGMA * SE + bias allowance

for every KPI of the case, where ``sim_mean`` is the mean over ``R`` independent
replications and ``SE = std(replication values, ddof=1) / sqrt(R)``.

Why this tolerance
------------------
* **Replications are independent**, so ``SE`` is an honest standard error of the mean
  however autocorrelated the contacts inside one replication are. Each counted period is
  at least ``MIN_COUNTED_RELAXATIONS = 20`` relaxation times long (also when scaled
  down), so a replication mean is close to normal and ``(sim_mean - true) / SE``
  follows Student's t with ``R - 1`` degrees of freedom. (With much shorter periods the
  replication means of heavy-traffic waits are skewed and SE is underestimated.)
* **K_SIGMA = 4.** With ``R = 16`` (the smallest R used here) ``P(|t_15| > 4) = 1.2e-3``
  for one check (``R = 20``: 7.7e-4). The default set makes about 43 random checks, so
  the Bonferroni bound on a false alarm is about 5 % for a fresh seed; the checks of a
  case are strongly correlated (P(wait), ASA, mean wait and service level move
  together), so the effective number is close to the number of cases (9) and the real
  rate is nearer 1 %, before counting the bias allowance as extra margin. The usual 2-3
  sigma would not do with that many checks. Seeds are fixed, so the outcome is
  deterministic (no flakiness); changing a seed or the engine's stream layout draws a
  new, almost surely passing, sample.
* **Bias allowance** ``REL_BIAS * |theory| + ABS_BIAS[kpi]`` (1 % plus a tiny absolute
  term). Theory is steady state; a simulation is a finite run started empty. Sources of
  bias, all well below 1 % here:
  - the initial transient: every warm-up is at least ``WARMUP_RELAXATIONS = 5``
    relaxation times (:func:`relaxation_time_s`, checked by
    ``test_warmup_covers_relaxation``), so the remaining deviation is below
    ``exp(-5) < 1 %`` of the start-up deviation at the start of the counted period and
    its average over the counted period (tens of relaxation times) is far smaller;
  - per-replication KPIs are ratios (waits / answered contacts), biased by O(1/N) with
    N in the thousands;
  - the end of the horizon: arrivals stop, so low-priority contacts waiting at the end
    are not overtaken by later high-priority arrivals (FCFS waits are unaffected).
* **The tolerance is not vacuous.** Every case also asserts that a theory value 20 %
  off (x1.2 and x0.8) would be rejected for at least one of its key KPIs (the wait,
  abandonment and blocking KPIs, not occupancy).

Sizes
-----
All durations below are simulated time; the engine does about 50k contacts per second per
core, plus a fixed ~0.15 s of KPI computation per replication. Default (unmarked) cases
(1.6 M contacts) run together in about 20 s on two cores. Larger cases are marked
``validation`` (``pytest -m validation``: 12 M contacts, about 100 s on two cores at scale
1). Their counted periods are multiplied by the environment variable
``SIMCC_VALIDATION_SCALE`` (float, default 1.0) so CI can run them in a bounded form,
down to a floor of 20 relaxation times. The warm-up is never scaled: it is set by the
relaxation time, not by the precision wanted. A smaller scale widens SE and therefore
the tolerance; the agreement checks stay valid, but at very small scales a case may
become too imprecise to reject a 20 % error, and the non-vacuity assertion then fails
on purpose (the run would prove nothing). Scale 0.25 is known to pass.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import os
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

import simcc
from simcc import theory

K_SIGMA = 4.0
REL_BIAS = 0.01
ABS_BIAS = {
    "p_wait": 0.002,
    "abandon_rate": 0.001,
    "blocked_rate": 0.0002,
    "service_level": 0.002,
    "occupancy": 0.001,
    "asa_s": 0.1,
    "mean_wait_s": 0.1,
}
WRONG_FACTORS = (1.2, 0.8)
KEY_KPIS = ("p_wait", "asa_s", "mean_wait_s", "service_level", "abandon_rate", "blocked_rate")
WARMUP_RELAXATIONS = 5.0
MIN_COUNTED_RELAXATIONS = 20.0

HANDLE_S = 300.0  # exponential mean handle time of every case
THRESHOLD_S = 20.0  # service-level threshold
WORKERS = 2
HOUR = 3600.0
SCALE_ENV = "SIMCC_VALIDATION_SCALE"
GOLD_SHARE = 0.3  # priority cases: share of the high-priority segment


def validation_scale() -> float:
    """The multiplier of counted periods for ``validation``-marked cases."""
    text = os.environ.get(SCALE_ENV, "").strip()
    if not text:
        return 1.0
    try:
        scale = float(text)
    except ValueError:
        raise ValueError(f"{SCALE_ENV} must be a positive number, got {text!r}") from None
    if not math.isfinite(scale) or scale <= 0:
        raise ValueError(f"{SCALE_ENV} must be a positive number, got {text!r}")
    return scale


# --------------------------------------------------------------------------- cases


@dataclass(frozen=True)
class Case:
    """One simulated center with a known steady state.

    ``model``: "C" (no abandonment), "A" (exponential patience), "B" (no waiting room) or
    "priority" (two segments, no abandonment). ``load`` is the offered load per agent
    ``a / n``; ``warmup_h`` and ``counted_h`` are hours of simulated time.
    """

    id: str
    model: str
    servers: int
    load: float
    warmup_h: float
    counted_h: float
    replications: int = 16
    seed: int = 1
    patience_s: float | None = None
    long: bool = False  # marked ``validation``; counted period scaled by the env variable

    @property
    def arrival_rate(self) -> float:
        """Poisson arrival rate per second."""
        return self.load * self.servers / HANDLE_S

    @property
    def offered_load(self) -> float:
        return self.load * self.servers

    def counted_hours(self) -> float:
        """Hours counted after the warm-up: ``counted_h``, times the validation scale for
        long cases, but never fewer than ``MIN_COUNTED_RELAXATIONS`` relaxation times."""
        scaled = self.counted_h * (validation_scale() if self.long else 1.0)
        return max(scaled, MIN_COUNTED_RELAXATIONS * relaxation_time_s(self) / HOUR)


def relaxation_time_s(case: Case) -> float:
    """A conservative relaxation time of the case's birth-death chain, in seconds.

    * M/M/n (Erlang C, and the total count of the priority queue, which is the same
      chain): ``max(1/mu, 1/(n mu (1 - sqrt(rho))^2))``, the inverse spectral gap of the
      queue part (exact for M/M/1) or the service time, whichever is longer.
    * Erlang A: abandonment only speeds convergence; the fluid limit relaxes at rates
      ``mu`` (busy agents) and ``theta`` (queue), so ``max(1/mu, 1/theta)``, and not more
      than the Erlang C value when the load is below 1.
    * Erlang B: the M/M/n/n chain relaxes at rate ``mu`` (``1/mu``).
    """
    mu = 1.0 / HANDLE_S
    if case.model == "B":
        return HANDLE_S
    erlang_c = math.inf
    if case.load < 1.0:
        erlang_c = max(HANDLE_S, 1.0 / (case.servers * mu * (1.0 - math.sqrt(case.load)) ** 2))
    if case.model == "A":
        return min(erlang_c, max(HANDLE_S, case.patience_s))
    return erlang_c


def scenario(case: Case, counted_hours: float | None = None) -> dict[str, Any]:
    """The scenario document of ``case`` (the docs/scenario.md format, as a dict), with
    ``counted_hours`` after the warm-up (default: :meth:`Case.counted_hours`)."""
    counted_hours = case.counted_hours() if counted_hours is None else counted_hours
    warmup_s = case.warmup_h * HOUR
    duration_s = warmup_s + counted_hours * HOUR
    channel: dict[str, Any] = {"service_level": {"threshold": THRESHOLD_S, "target": 0.8}}
    if case.model == "A":
        channel["patience"] = {"dist": "exponential", "mean": case.patience_s}
    if case.model == "B":
        channel["queue_capacity"] = 0
    document: dict[str, Any] = {
        "name": f"validation-{case.id}",
        # One reporting interval: the interval table is not used here.
        "horizon": {"duration": duration_s, "warmup": warmup_s, "interval": duration_s},
        "seed": case.seed,
        "replications": case.replications,
        "channels": {"voice": channel},
        "intents": {"general": {"skill": "general",
                                "handle_time": {"dist": "exponential", "mean": HANDLE_S}}},
        "demand": [{"channel": "voice", "rate": {"per_hour": case.arrival_rate * HOUR},
                    "mix": {"general": 1.0}}],
        "agents": {"team": {"count": case.servers, "skills": {"general": 1.0},
                            "channels": ["voice"]}},
        "routing": {"policy": "skill_based"},
    }
    if case.model == "priority":
        document["segments"] = {"gold": {"share": GOLD_SHARE, "priority": 2},
                                "std": {"share": 1.0 - GOLD_SHARE, "priority": 1}}
    return document


Target = tuple[str, str, str]  # (scope, key, kpi)


def theory_values(case: Case) -> dict[Target, float]:
    """Exact steady-state values of the KPIs checked for ``case``."""
    n, lam = case.servers, case.arrival_rate
    if case.model == "C":
        c = theory.erlang_c_metrics(n, lam, HANDLE_S, THRESHOLD_S)
        names = ("p_wait", "asa_s", "mean_wait_s", "service_level", "occupancy")
        return {("overall", "all", k): getattr(c, k) for k in names}
    if case.model == "A":
        a = theory.erlang_a_metrics(n, lam, HANDLE_S, case.patience_s, THRESHOLD_S)
        names = ("p_wait", "abandon_rate", "asa_s", "mean_wait_s", "service_level", "occupancy")
        return {("overall", "all", k): getattr(a, k) for k in names}
    if case.model == "B":
        blocked = theory.erlang_b(n, case.offered_load)
        return {("overall", "all", "blocked_rate"): blocked,
                # Accepted contacts never wait: there is no waiting room.
                ("overall", "all", "p_wait"): 0.0,
                ("overall", "all", "occupancy"): case.offered_load * (1.0 - blocked) / n}
    if case.model == "priority":
        gold, std = theory.priority_mmc_waits(
            n, [GOLD_SHARE * lam, (1.0 - GOLD_SHARE) * lam], HANDLE_S)
        # The total count is the M/M/n chain whatever the order of service, so the
        # overall P(wait), mean wait and occupancy are the Erlang C ones.
        c = theory.erlang_c_metrics(n, lam, HANDLE_S, THRESHOLD_S)
        return {("segment", "gold", "mean_wait_s"): gold,
                ("segment", "std", "mean_wait_s"): std,
                ("overall", "all", "p_wait"): c.p_wait,
                ("overall", "all", "mean_wait_s"): c.mean_wait_s,
                ("overall", "all", "occupancy"): c.occupancy}
    raise AssertionError(f"unknown model {case.model!r}")


# --------------------------------------------------------------------------- comparison


@dataclass(frozen=True)
class Check:
    """One KPI: simulated mean over replications against theory, with its tolerance."""

    target: Target
    sim: float
    theory: float
    se: float
    replications: int

    @property
    def kpi(self) -> str:
        return self.target[2]

    @property
    def tolerance(self) -> float:
        return K_SIGMA * self.se + REL_BIAS * abs(self.theory) + ABS_BIAS[self.kpi]

    def accepts(self, value: float) -> bool:
        return abs(self.sim - value) <= self.tolerance

    @property
    def ok(self) -> bool:
        return self.accepts(self.theory)

    def line(self) -> str:
        scope, key, kpi = self.target
        diff = self.sim - self.theory
        z = diff / self.se if self.se > 0 else (0.0 if diff == 0 else math.copysign(math.inf, diff))
        return (f"{'ok ' if self.ok else 'BAD'} {scope}/{key}/{kpi:<14} sim={self.sim:<11.6g} "
                f"theory={self.theory:<11.6g} diff={self.sim - self.theory:<+11.4g} "
                f"SE={self.se:<10.4g} tol={self.tolerance:<10.4g} z={z:+.2f} "
                f"(R={self.replications})")


def replication_values(result: simcc.Result, target: Target) -> np.ndarray:
    scope, key, kpi = target
    table = result.replication_kpis
    rows = table[(table["scope"] == scope) & (table["key"] == key) & (table["kpi"] == kpi)]
    return rows.sort_values("replication")["value"].to_numpy(dtype=float)


def make_check(result: simcc.Result, target: Target, expected: float) -> Check:
    values = replication_values(result, target)
    assert len(values) == result.replications, (
        f"{target}: {len(values)} replication values for {result.replications} replications")
    assert np.isfinite(values).all(), f"{target}: non-finite replication values {values}"
    mean = result.kpi(target[2], scope=target[0], key=target[1])
    assert mean == pytest.approx(values.mean(), rel=1e-9, abs=1e-12), (
        f"{target}: Result.kpi {mean} is not the mean of the replication values")
    se = float(values.std(ddof=1) / math.sqrt(len(values)))
    return Check(target, float(mean), float(expected), se, len(values))


def simulate_case(case: Case) -> simcc.Result:
    return _simulate(case, case.counted_hours())


@functools.cache
def _simulate(case: Case, counted_hours: float) -> simcc.Result:
    """Cached so that a test reusing a case's run does not simulate it again."""
    return simcc.simulate(scenario(case, counted_hours), replications=case.replications,
                          seed=case.seed, workers=WORKERS, records="none")


def assert_matches_theory(case: Case, result: simcc.Result,
                          expected: dict[Target, float] | None = None) -> None:
    """Every KPI within tolerance of ``expected`` (default: the case's theory), and the
    tolerance tight enough to reject values 20 % off."""
    expected = theory_values(case) if expected is None else expected
    checks = [make_check(result, target, value) for target, value in expected.items()]
    header = (f"case {case.id}: model {case.model}, n={case.servers}, load/agent="
              f"{case.load}, patience={case.patience_s}, warm-up {case.warmup_h} h, "
              f"counted {case.counted_hours():g} h, R={case.replications}, seed={case.seed}; "
              f"tolerance = {K_SIGMA:g} SE + {REL_BIAS:.0%} |theory| + abs")
    table = "\n".join(check.line() for check in checks)
    bad = [check for check in checks if not check.ok]
    assert not bad, f"simulation disagrees with theory\n{header}\n{table}"

    discriminating = [check for check in checks
                      if check.kpi in KEY_KPIS and check.theory != 0.0
                      and not any(check.accepts(check.theory * f) for f in WRONG_FACTORS)]
    assert discriminating, (
        "tolerance too loose: no key KPI would reject a theory value 20 % off "
        f"(a long case needs a larger {SCALE_ENV})\n{header}\n{table}")


# --------------------------------------------------------------------------- the cases

# Default cases: small enough for every test run (about 20 s together on two cores).
ERLANG_C = [
    Case("C-n2-load0.70", "C", servers=2, load=0.70, warmup_h=10, counted_h=300, seed=11),
    Case("C-n50-load0.90", "C", servers=50, load=0.90, warmup_h=4, counted_h=40, seed=12),
]
ERLANG_A = [
    Case("A-n5-load0.90", "A", servers=5, load=0.90, warmup_h=2, counted_h=100,
         patience_s=300, seed=21),
    Case("A-n30-load0.95", "A", servers=30, load=0.95, warmup_h=2, counted_h=30,
         patience_s=600, seed=22),
    Case("A-n300-load0.98", "A", servers=300, load=0.98, warmup_h=1, counted_h=4,
         patience_s=600, seed=23),
    Case("A-n20-load1.20", "A", servers=20, load=1.20, warmup_h=2, counted_h=20,
         patience_s=180, seed=24),
]
ERLANG_B = [
    Case("B-n10-a8", "B", servers=10, load=0.80, warmup_h=1, counted_h=40, seed=31),
    Case("B-n30-a25", "B", servers=30, load=25 / 30, warmup_h=1, counted_h=40, seed=32),
]
PRIORITY = [
    Case("P-n10-load0.85", "priority", servers=10, load=0.85, warmup_h=8, counted_h=120,
         seed=41),
]

# Marked ``validation``: larger, more precise; counted periods x SIMCC_VALIDATION_SCALE.
LONG_ERLANG_C = [
    Case("C-n1-load0.80-long", "C", servers=1, load=0.80, warmup_h=40, counted_h=2000,
         replications=20, seed=110, long=True),
    Case("C-n100-load0.95-long", "C", servers=100, load=0.95, warmup_h=8, counted_h=80,
         replications=20, seed=111, long=True),
    Case("C-n300-load0.97-long", "C", servers=300, load=0.97, warmup_h=7, counted_h=40,
         replications=20, seed=112, long=True),
]
LONG_ERLANG_A = [
    Case("A-n300-load0.98-long", "A", servers=300, load=0.98, warmup_h=1, counted_h=40,
         replications=20, patience_s=600, seed=121, long=True),
    Case("A-n50-load1.20-long", "A", servers=50, load=1.20, warmup_h=2, counted_h=100,
         replications=20, patience_s=300, seed=122, long=True),
]
LONG_ERLANG_B = [
    Case("B-n100-a90-long", "B", servers=100, load=0.90, warmup_h=1, counted_h=60,
         replications=20, seed=131, long=True),
]
LONG_PRIORITY = [
    Case("P-n20-load0.90-long", "priority", servers=20, load=0.90, warmup_h=10,
         counted_h=200, replications=20, seed=141, long=True),
]


def params(default: list[Case], long: list[Case]) -> list[Any]:
    return ([pytest.param(case, id=case.id) for case in default]
            + [pytest.param(case, id=case.id, marks=pytest.mark.validation) for case in long])


ALL_CASES = (ERLANG_C + ERLANG_A + ERLANG_B + PRIORITY
             + LONG_ERLANG_C + LONG_ERLANG_A + LONG_ERLANG_B + LONG_PRIORITY)


# --------------------------------------------------------------------------- tests


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in ALL_CASES])
def test_warmup_covers_relaxation(case: Case) -> None:
    """The bias argument of the module docstring holds for every case: warm-up >= 5
    relaxation times, and the counted period (at scale 1) >= 20 relaxation times (so a
    replication mean averages many independent stretches and is close to normal)."""
    tau = relaxation_time_s(case)
    assert case.warmup_h * HOUR >= WARMUP_RELAXATIONS * tau, (
        f"{case.id}: warm-up {case.warmup_h} h < {WARMUP_RELAXATIONS:g} x relaxation "
        f"time {tau / HOUR:.2f} h")
    assert case.counted_h * HOUR >= MIN_COUNTED_RELAXATIONS * tau, (
        f"{case.id}: counted {case.counted_h} h < {MIN_COUNTED_RELAXATIONS:g} x relaxation "
        f"time {tau / HOUR:.2f} h")


@pytest.mark.parametrize("case", params(ERLANG_C, LONG_ERLANG_C))
def test_erlang_c(case: Case) -> None:
    """M/M/n: P(wait), ASA, mean wait, service level and occupancy."""
    assert_matches_theory(case, simulate_case(case))


@pytest.mark.parametrize("case", params(ERLANG_A, LONG_ERLANG_A))
def test_erlang_a(case: Case) -> None:
    """M/M/n+M: P(wait), abandonment, ASA, mean wait, service level and occupancy."""
    assert_matches_theory(case, simulate_case(case))


@pytest.mark.parametrize("case", params(ERLANG_B, LONG_ERLANG_B))
def test_erlang_b(case: Case) -> None:
    """M/M/n/n (queue_capacity 0): blocked rate, no waiting, carried load."""
    assert_matches_theory(case, simulate_case(case))


@pytest.mark.parametrize("case", params(PRIORITY, LONG_PRIORITY))
def test_priority_two_classes(case: Case) -> None:
    """Non-preemptive priority M/M/n (Cobham): mean wait per segment under skill_based."""
    assert_matches_theory(case, simulate_case(case))


def test_validation_scale_reads_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """SIMCC_VALIDATION_SCALE scales the counted period of long cases only."""
    long_case, short_case = LONG_ERLANG_A[0], ERLANG_A[0]
    monkeypatch.setenv(SCALE_ENV, "0.25")
    assert long_case.counted_hours() == pytest.approx(0.25 * long_case.counted_h)
    assert short_case.counted_hours() == short_case.counted_h
    horizon = scenario(long_case)["horizon"]
    assert horizon["warmup"] == long_case.warmup_h * HOUR
    assert horizon["duration"] == pytest.approx((long_case.warmup_h + 0.25
                                                 * long_case.counted_h) * HOUR)
    monkeypatch.setenv(SCALE_ENV, "-1")
    with pytest.raises(ValueError, match=SCALE_ENV):
        validation_scale()
    monkeypatch.delenv(SCALE_ENV)
    assert validation_scale() == 1.0


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in (ERLANG_C[1], ERLANG_A[1])])
def test_comparison_fails_for_a_slightly_wrong_model(case: Case) -> None:
    """The check can fail: theory for the same center with one agent more (same
    arrival rate) is rejected. (Reuses the cached run of the same default case.)"""
    result = simulate_case(case)
    more = case.servers + 1
    wrong = dataclasses.replace(case, servers=more, load=case.load * case.servers / more)
    with pytest.raises(AssertionError, match="disagrees with theory"):
        assert_matches_theory(case, result, theory_values(wrong))
