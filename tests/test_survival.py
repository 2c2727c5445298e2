"""Censored estimation of patience (simcc.calibrate.survival) on data with a known truth.

Synthetic logs: patience P from a known distribution, time until service W ~ Exp(mean 60 s)
independent of P; a customer abandons iff P <= W, so the log shows min(P, W) and whether
the customer abandoned. With n = 20,000 and this much censoring the sampling standard
errors are about 1.3% (exponential mean), 2.4% (lognormal mean) and 1.8% (lognormal cv):
tolerances below are 2-3 standard errors.
"""

import dataclasses
import math

import numpy as np
import pytest
from scipy import stats

from simcc.calibrate.survival import (
    DEFAULT_FLOOR,
    FAMILIES,
    CensoredFit,
    best_censored_fit,
    fit_censored,
    kaplan_meier,
    naive_mean,
)
from simcc.scenario import Distribution

N = 20_000
SERVICE_MEAN = 60.0
LN_MEAN, LN_CV = 300.0, 1.2
LN_SIGMA = math.sqrt(math.log1p(LN_CV**2))
LN_MU = math.log(LN_MEAN) - LN_SIGMA**2 / 2
WB_MEAN, WB_SHAPE = 200.0, 1.5
WB_SCALE = WB_MEAN / math.gamma(1 + 1 / WB_SHAPE)

TRUE_SF = {
    "exponential": stats.expon(scale=180.0).sf,
    "lognormal": stats.lognorm(LN_SIGMA, scale=math.exp(LN_MU)).sf,
    "weibull": stats.weibull_min(WB_SHAPE, scale=WB_SCALE).sf,
}


def censored_log(kind: str, seed: int, n: int = N) -> tuple[np.ndarray, np.ndarray]:
    """(duration, abandoned) of ``n`` customers with patience of the given kind."""
    rng = np.random.default_rng(seed)
    if kind == "exponential":
        patience = rng.exponential(180.0, n)
    elif kind == "lognormal":
        patience = rng.lognormal(LN_MU, LN_SIGMA, n)
    else:
        patience = WB_SCALE * rng.weibull(WB_SHAPE, n)
    wait_for_service = rng.exponential(SERVICE_MEAN, n)
    return np.minimum(patience, wait_for_service), patience <= wait_for_service


@pytest.fixture(scope="module")
def exp_log():
    return censored_log("exponential", seed=1)


@pytest.fixture(scope="module")
def ln_log():
    return censored_log("lognormal", seed=2)


@pytest.fixture(scope="module")
def wb_log():
    return censored_log("weibull", seed=3)


# --------------------------------------------------------------------------- Kaplan-Meier


def test_kaplan_meier_with_ties_matches_hand_computation():
    # t=1: 1 event of 5 at risk -> 4/5 = 0.8
    # t=2: 1 event, 1 censored at 2 (still at risk): 4 at risk -> 0.8 * 3/4 = 0.6
    # t=3: 1 event of 2 at risk -> 0.6 * 1/2 = 0.3;  t=4: censored, no drop
    km = kaplan_meier([1, 2, 2, 3, 4], [1, 1, 0, 1, 0])
    np.testing.assert_array_equal(km.times, [1, 2, 3])
    np.testing.assert_allclose(km.survival, [0.8, 0.6, 0.3], rtol=1e-12)
    np.testing.assert_array_equal(km.at_risk, [5, 4, 2])
    np.testing.assert_array_equal(km.events, [1, 1, 1])
    np.testing.assert_allclose(
        km.survival_at([-1, 0, 0.5, 1, 1.5, 2, 2.99, 3, 4, 100]),
        [1, 1, 1, 0.8, 0.8, 0.6, 0.6, 0.3, 0.3, 0.3], rtol=1e-12)
    assert km.median == 3.0
    assert km.restricted_mean(4) == pytest.approx(1 + 0.8 + 0.6 + 0.3)
    assert km.restricted_mean(2.5) == pytest.approx(1 + 0.8 + 0.5 * 0.6)
    assert km.restricted_mean(0) == 0.0
    # Greenwood: S^2 * sum d / (n (n - d))
    assert km.variance[-1] == pytest.approx(0.3**2 * (1 / 20 + 1 / 12 + 1 / 2))
    assert km.std_error[0] == pytest.approx(math.sqrt(0.8**2 / 20))
    assert (km.n, km.n_events, km.max_time) == (5, 3, 4.0)


def test_kaplan_meier_of_uncensored_data_is_the_empirical_survival_function():
    x = np.round(np.random.default_rng(7).exponential(30.0, 500))  # ties and zeros
    km = kaplan_meier(x, np.ones(x.size, dtype=bool))
    grid = np.arange(-1.0, x.max() + 2.0, 0.5)
    empirical = (x[None, :] > grid[:, None]).mean(axis=1)
    np.testing.assert_allclose(km.survival_at(grid), empirical, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(km.times, np.unique(x))
    assert km.survival[-1] == 0.0
    assert km.median == float(np.sort(x)[(x.size - 1) // 2])
    assert km.restricted_mean(x.max()) == pytest.approx(x.mean(), rel=1e-12)


def test_kaplan_meier_without_events_stays_at_one():
    km = kaplan_meier([3.0, 5.0], [False, False])
    assert km.times.size == 0
    assert km.survival_at(10.0) == 1.0
    assert km.median == math.inf
    assert km.restricted_mean(5.0) == 5.0


@pytest.mark.parametrize("kind", ["exponential", "lognormal", "weibull"])
def test_kaplan_meier_recovers_the_true_patience_survival(kind):
    durations, abandoned = censored_log(kind, seed=11)
    km = kaplan_meier(durations, abandoned)
    times = np.array([10.0, 30.0, 60.0, 90.0, 120.0])
    at_risk = (durations[None, :] >= times[:, None]).sum(axis=1)
    assert at_risk.min() > 1000  # enough data at risk for a 0.02 tolerance
    np.testing.assert_allclose(km.survival_at(times), TRUE_SF[kind](times), atol=0.02)
    assert isinstance(km.survival_at(60.0), float)
    with pytest.raises(dataclasses.FrozenInstanceError):
        km.n = 3


# --------------------------------------------------------------------------- parametric


def test_exponential_mle_recovers_the_mean_and_the_naive_mean_is_biased(exp_log):
    durations, abandoned = exp_log
    fit = fit_censored(durations, abandoned, "exponential")
    assert fit.mean == pytest.approx(180.0, rel=0.03)
    exposure = np.maximum(durations, DEFAULT_FLOOR).sum()  # durations < 0.5 s count as 0.5 s
    assert fit.mean == pytest.approx(exposure / abandoned.sum())  # exposure / events
    exact = fit_censored(durations, abandoned, "exponential", floor=0)
    assert exact.mean == pytest.approx(durations.sum() / abandoned.sum())
    assert fit.cv == 1.0
    assert (fit.n, fit.n_events) == (N, int(abandoned.sum()))
    # abandoners are the impatient ones: E[P | P <= W] = 1 / (1/180 + 1/60) = 45 s
    biased = naive_mean(durations, abandoned)
    assert biased < 0.5 * 180.0
    assert biased == pytest.approx(45.0, rel=0.05)


def test_best_fit_for_exponential_data_is_exponential_or_weibull_shape_one(exp_log):
    durations, abandoned = exp_log
    best = best_censored_fit(durations, abandoned)
    assert best.family in ("exponential", "weibull")
    weibull = fit_censored(durations, abandoned, "weibull")
    assert 0.95 <= weibull.params["shape"] <= 1.05
    exponential = fit_censored(durations, abandoned, "exponential")
    assert abs(weibull.aic - exponential.aic) < 4.0
    assert best.aic == min(weibull.aic, exponential.aic,
                           fit_censored(durations, abandoned, "lognormal").aic)


def test_lognormal_fit_recovers_mean_and_cv(ln_log):
    durations, abandoned = ln_log
    fit = fit_censored(durations, abandoned, "lognormal")
    assert fit.mean == pytest.approx(LN_MEAN, rel=0.07)
    assert fit.cv == pytest.approx(LN_CV, rel=0.06)
    assert fit.params["sigma"] == pytest.approx(LN_SIGMA, rel=0.04)
    assert naive_mean(durations, abandoned) < 0.5 * LN_MEAN
    best = best_censored_fit(durations, abandoned)
    assert best.family == "lognormal"
    assert best == fit


def test_weibull_fit_recovers_shape_and_mean(wb_log):
    durations, abandoned = wb_log
    best = best_censored_fit(durations, abandoned)
    assert best.family == "weibull"
    assert best.params["shape"] == pytest.approx(WB_SHAPE, rel=0.05)
    assert best.mean == pytest.approx(WB_MEAN, rel=0.05)


def test_fitted_survival_agrees_with_kaplan_meier(ln_log):
    durations, abandoned = ln_log
    fit = fit_censored(durations, abandoned, "lognormal")
    km = kaplan_meier(durations, abandoned)
    times = np.array([20.0, 60.0, 120.0])
    np.testing.assert_allclose(fit.survival_at(times), km.survival_at(times), atol=0.02)
    assert isinstance(fit.survival_at(60.0), float)


@pytest.mark.parametrize("family", FAMILIES)
def test_loglik_is_the_censored_likelihood_at_its_maximum(family):
    durations, abandoned = censored_log("lognormal", seed=5, n=3000)
    fit = fit_censored(durations, abandoned, family)
    durations = np.maximum(durations, DEFAULT_FLOOR)  # the fit floors tiny durations
    k = 1 if family == "exponential" else 2
    assert fit.aic == pytest.approx(2 * k - 2 * fit.loglik)

    def loglik(params):
        dist = CensoredFit(family, params, 0, 0, 0, 0, 0, 0)._frozen_dist()
        return (dist.logpdf(durations[abandoned]).sum()
                + dist.logsf(durations[~abandoned]).sum())

    assert fit.loglik == pytest.approx(loglik(fit.params), rel=1e-9)
    for name in fit.params:  # a local maximum in every coordinate
        for factor in (0.99, 1.01):
            moved = dict(fit.params, **{name: fit.params[name] * factor})
            assert loglik(moved) < fit.loglik


def test_weibull_fit_agrees_with_scipy_censored_fit():
    durations, abandoned = censored_log("weibull", seed=8, n=2000)
    fit = fit_censored(durations, abandoned, "weibull")
    data = stats.CensoredData.right_censored(durations, ~abandoned)
    shape, _, scale = stats.weibull_min.fit(data, floc=0)
    assert fit.params["shape"] == pytest.approx(shape, rel=1e-3)
    assert fit.params["scale"] == pytest.approx(scale, rel=1e-3)


def test_fits_accept_lists_zero_durations_and_a_floor():
    durations = [0, 0, 1, 3, 5, 8, 13, 21, 34, 55]
    observed = [1, 0, 1, 1, 0, 1, 1, 0, 1, 0]
    for family in FAMILIES:
        fit = fit_censored(durations, observed, family)
        assert math.isfinite(fit.loglik) and fit.mean > 0
        assert fit.n == 10 and fit.n_events == 6
    exact = fit_censored(durations, observed, "exponential", floor=0)
    assert exact.mean == pytest.approx(sum(durations) / 6)
    assert fit_censored(durations, observed, "exponential").mean == pytest.approx(141 / 6)
    with pytest.raises(ValueError, match="floor > 0"):
        fit_censored(durations, observed, "lognormal", floor=0)


# --------------------------------------------------------------------------- specs


@pytest.mark.parametrize(("family", "keys"), [
    ("exponential", {"dist", "mean"}),
    ("lognormal", {"dist", "mean", "cv"}),
    ("weibull", {"dist", "mean", "shape"}),
    ("gamma", {"dist", "mean", "cv"}),
])
def test_to_spec_round_trips_into_a_scenario_distribution(wb_log, family, keys):
    durations, abandoned = wb_log
    fit = fit_censored(durations, abandoned, family)
    spec = fit.to_spec()
    assert set(spec) == keys and spec["dist"] == family
    assert spec["mean"] == pytest.approx(fit.mean, rel=1e-3)
    assert spec["mean"] == float(f"{spec['mean']:.4g}")  # 4 significant digits
    if "cv" in spec:
        assert spec["cv"] == pytest.approx(fit.cv, rel=1e-3)
    if "shape" in spec:
        assert spec["shape"] == pytest.approx(fit.params["shape"], rel=1e-3)
    sampler = Distribution(**spec).sampler()  # validated by the scenario schema
    assert sampler.mean == pytest.approx(fit.mean, rel=1e-3)
    u = np.array([0.1, 0.5, 0.9])
    np.testing.assert_allclose(1 - fit.survival_at(sampler.quantiles(u)), u, atol=2e-3)


# --------------------------------------------------------------------------- errors


def test_errors_are_clear():
    with pytest.raises(ValueError, match="empty"):
        kaplan_meier([], [])
    with pytest.raises(ValueError, match="empty"):
        fit_censored([], [], "exponential")
    with pytest.raises(ValueError, match=">= 0"):
        kaplan_meier([1.0, -2.0], [1, 1])
    with pytest.raises(ValueError, match=">= 0"):
        fit_censored([1.0, -2.0], [1, 1], "weibull")
    with pytest.raises(ValueError, match="no observed events"):
        fit_censored([1.0, 2.0], [0, 0], "lognormal")
    with pytest.raises(ValueError, match="no observed events"):
        best_censored_fit([1.0, 2.0], [False, False])
    with pytest.raises(ValueError, match="no observed events"):
        naive_mean([1.0, 2.0], [0, 0])
    with pytest.raises(ValueError, match="same length"):
        kaplan_meier([1.0, 2.0], [1])
    with pytest.raises(ValueError, match="finite"):
        kaplan_meier([1.0, float("nan")], [1, 1])
    with pytest.raises(ValueError, match="0/1"):
        kaplan_meier([1.0, 2.0], [1, 2])
    with pytest.raises(ValueError, match="unknown family"):
        fit_censored([1.0, 2.0], [1, 1], "pareto")
    with pytest.raises(ValueError, match="unknown family"):
        best_censored_fit([1.0, 2.0], [1, 1], families=("exponential", "pareto"))
    with pytest.raises(ValueError, match="tau"):
        kaplan_meier([1.0, 2.0], [1, 1]).restricted_mean(-1)
