"""Censored estimation of durations: customer patience from contact-center logs.

A customer who abandons after waiting ``w`` seconds reveals their patience exactly
(patience = ``w``), but a customer who is served after waiting ``w`` seconds only tells us
that their patience was longer than ``w``: the observation is **right-censored**.
Averaging the abandonment times alone (:func:`naive_mean`) is badly biased low, because
the patient customers are exactly the ones who were served before they could abandon.

This module estimates the patience distribution (or any other right-censored duration)
from pairs ``(duration, observed)`` where ``observed`` is true for an exact observation
(an abandonment) and false for a lower bound (a served customer, a call still waiting
when the log ends, ...). Everything is in **seconds**. It needs only numpy and scipy.

* :func:`kaplan_meier` -- the non-parametric product-limit estimate of the survival
  function ``S(t) = P(patience > t)``, with its Greenwood variance.
* :func:`fit_censored` -- censored maximum likelihood for a parametric family
  (``exponential``, ``weibull``, ``lognormal``, ``gamma``); :func:`best_censored_fit`
  picks the family with the lowest AIC. :meth:`CensoredFit.to_spec` turns a fit into a
  simcc distribution spec (``{"dist": "lognormal", "mean": 312.4, "cv": 1.17}``).

Censoring is assumed **non-informative**: the time until service is independent of the
customer's patience (given the covariates one conditions on, e.g. one queue and period).

Examples
--------
>>> fit = best_censored_fit(waits, abandoned)          # doctest: +SKIP
>>> fit.to_spec()                                       # doctest: +SKIP
{'dist': 'lognormal', 'mean': 301.7, 'cv': 1.21}
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import optimize, special, stats

__all__ = [
    "DEFAULT_FLOOR",
    "FAMILIES",
    "CensoredFit",
    "KaplanMeier",
    "best_censored_fit",
    "fit_censored",
    "kaplan_meier",
    "naive_mean",
]

FAMILIES = ("exponential", "weibull", "lognormal", "gamma")
"""Parametric families :func:`fit_censored` knows."""

DEFAULT_FLOOR = 0.5
"""Smallest duration (seconds) used by the parametric fits.

Logs typically have a clock resolution of 1 s, so a recorded 0 s means "less than a
second"; 0.5 s is the middle of that interval. Without a floor, a zero-length
abandonment would have zero density under the Weibull (shape > 1), lognormal and gamma
(shape > 1) families and the likelihood would be minus infinity.
"""

_N_PARAMS = {"exponential": 1, "weibull": 2, "lognormal": 2, "gamma": 2}
_SPEC_DIGITS = 4


# --------------------------------------------------------------------------- inputs


def _as_data(durations: Any, observed: Any) -> tuple[np.ndarray, np.ndarray]:
    """Validate and convert the inputs: float durations >= 0 and a boolean event mask."""
    t = np.asarray(durations, dtype=float)
    e_raw = np.asarray(observed)
    if t.ndim != 1 or e_raw.ndim != 1:
        raise ValueError("durations and observed must be one-dimensional sequences")
    if t.size == 0:
        raise ValueError("no data: durations is empty")
    if e_raw.shape != t.shape:
        raise ValueError(
            f"durations and observed must have the same length ({t.size} != {e_raw.size})")
    if not np.all(np.isfinite(t)):
        raise ValueError("durations must be finite numbers (found NaN or infinity)")
    if np.any(t < 0):
        raise ValueError(f"durations must be >= 0 seconds (smallest is {t.min():g})")
    if e_raw.dtype == bool:
        e = e_raw
    else:
        try:
            e_num = e_raw.astype(float)
        except (TypeError, ValueError):
            raise ValueError("observed must be booleans or 0/1 values") from None
        if not np.all((e_num == 0) | (e_num == 1)):
            raise ValueError("observed must be booleans or 0/1 values")
        e = e_num == 1
    return t, e


def naive_mean(durations: Sequence[float], observed: Sequence[bool]) -> float:
    """Mean of the exact (uncensored) durations only, in seconds: a **biased** estimate.

    This is what one gets by averaging the waits of the customers who abandoned. It
    ignores that served customers were still patient when served, so it underestimates
    the mean patience, often by a factor of several. Provided to show the bias; use
    :func:`fit_censored` or :func:`kaplan_meier` instead.

    Parameters
    ----------
    durations : array-like of float
        Durations in seconds (>= 0).
    observed : array-like of bool
        True where the duration is exact (the event happened), False where censored.

    Returns
    -------
    float
        Mean of ``durations[observed]`` in seconds.

    Raises
    ------
    ValueError
        On empty or invalid input, or when there is no observed event.
    """
    t, e = _as_data(durations, observed)
    if not e.any():
        raise ValueError("no observed events: every duration is censored")
    return float(t[e].mean())


# --------------------------------------------------------------------------- Kaplan-Meier


def _frozen(values: Any, dtype: Any = float) -> np.ndarray:
    array = np.array(values, dtype=dtype)
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class KaplanMeier:
    """The Kaplan-Meier (product-limit) estimate of a survival function.

    Built by :func:`kaplan_meier`. Arrays are read-only and indexed by the distinct
    event times, in increasing order.

    Attributes
    ----------
    times : ndarray
        Distinct times (seconds) at which at least one event was observed.
    survival : ndarray
        ``S(t)`` at ``times`` (value just after the drop: the estimate is right-continuous).
    at_risk : ndarray of int
        ``n_i``: number of durations >= ``times[i]`` (censored ties included).
    events : ndarray of int
        ``d_i``: number of events at ``times[i]``.
    variance : ndarray
        Greenwood variance of ``survival``:
        ``Var S(t) = S(t)^2 * sum_{t_i <= t} d_i / (n_i (n_i - d_i))`` (0 where ``S = 0``).
    n : int
        Number of durations.
    n_events : int
        Number of observed (uncensored) durations.
    max_time : float
        Largest duration, censored or not (seconds). Beyond it ``S`` is not identified
        and :meth:`survival_at` simply keeps the last value.
    """

    times: np.ndarray
    survival: np.ndarray
    at_risk: np.ndarray
    events: np.ndarray
    variance: np.ndarray
    n: int
    n_events: int
    max_time: float

    @property
    def std_error(self) -> np.ndarray:
        """Greenwood standard error of :attr:`survival`."""
        return np.sqrt(self.variance)

    def survival_at(self, t: Any) -> Any:
        """``S(t) = P(T > t)`` at time(s) ``t`` in seconds (right-continuous step function).

        ``S(t) = 1`` before the first event time. Accepts a scalar (returns a float) or an
        array-like (returns an array of the same shape).
        """
        t_arr = np.asarray(t, dtype=float)
        index = np.searchsorted(self.times, t_arr, side="right")
        values = np.concatenate(([1.0], self.survival))[index]
        return float(values) if values.ndim == 0 else values

    @property
    def median(self) -> float:
        """Median duration (seconds): the first event time with ``S(t) <= 0.5``.

        ``inf`` when the estimate never falls to 0.5 (too much censoring).
        """
        below = np.nonzero(self.survival <= 0.5)[0]
        return float(self.times[below[0]]) if below.size else math.inf

    def restricted_mean(self, tau: float) -> float:
        """Restricted mean ``E[min(T, tau)] = integral_0^tau S(t) dt``, in seconds.

        Parameters
        ----------
        tau : float
            Horizon in seconds (>= 0). Choose ``tau <= max_time``: beyond the largest
            observation ``S`` is held constant, which is a guess, not an estimate.
        """
        tau = float(tau)
        if not math.isfinite(tau) or tau < 0:
            raise ValueError(f"tau must be a finite number of seconds >= 0, got {tau!r}")
        inside = self.times < tau
        grid = np.concatenate(([0.0], self.times[inside], [tau]))
        levels = np.concatenate(([1.0], self.survival[inside]))
        return float(np.sum(np.diff(grid) * levels))


def kaplan_meier(durations: Sequence[float], observed: Sequence[bool]) -> KaplanMeier:
    """Kaplan-Meier estimate of the survival function of right-censored durations.

    At each distinct event time ``t_i`` with ``d_i`` events among ``n_i`` durations at
    risk (durations >= ``t_i``; a duration censored at exactly ``t_i`` counts as at risk
    at ``t_i``, the usual convention that censoring happens just after events),

    ``S(t) = prod_{t_i <= t} (1 - d_i / n_i)``.

    Parameters
    ----------
    durations : array-like of float
        Durations in seconds (>= 0; zeros allowed).
    observed : array-like of bool
        True for an exact duration (e.g. the customer abandoned), False for a
        right-censored one (e.g. the customer was served: patience > duration).

    Returns
    -------
    KaplanMeier

    Raises
    ------
    ValueError
        On empty input, mismatched lengths, negative or non-finite durations.
        Data without any event are accepted (``S = 1`` throughout).
    """
    t, e = _as_data(durations, observed)
    order = np.argsort(t, kind="stable")
    t_sorted, e_sorted = t[order], e[order]
    distinct, first, counts = np.unique(t_sorted, return_index=True, return_counts=True)
    at_risk_all = t.size - first
    events_all = np.add.reduceat(e_sorted.astype(np.int64), first)
    keep = events_all > 0
    times, n_i, d_i = distinct[keep], at_risk_all[keep], events_all[keep]
    survival = np.cumprod(1.0 - d_i / n_i)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = d_i / (n_i * (n_i - d_i).astype(float))
        variance = survival**2 * np.cumsum(terms)
    variance = np.where(survival > 0, variance, 0.0)
    return KaplanMeier(
        times=_frozen(times),
        survival=_frozen(survival),
        at_risk=_frozen(n_i, np.int64),
        events=_frozen(d_i, np.int64),
        variance=_frozen(variance),
        n=int(t.size),
        n_events=int(e.sum()),
        max_time=float(t.max()),
    )


# --------------------------------------------------------------------------- parametric


def _sig(x: float, digits: int = _SPEC_DIGITS) -> float:
    """``x`` rounded to ``digits`` significant digits."""
    return float(f"{x:.{digits}g}")


@dataclass(frozen=True)
class CensoredFit:
    """A parametric distribution fitted by censored maximum likelihood.

    Attributes
    ----------
    family : str
        ``"exponential"``, ``"weibull"``, ``"lognormal"`` or ``"gamma"``.
    params : dict
        Native parameters, durations in seconds:
        exponential ``{"rate"}`` (per second); weibull ``{"shape", "scale"}``;
        lognormal ``{"mu", "sigma"}`` (of the log of the duration in seconds);
        gamma ``{"shape", "scale"}``.
    mean : float
        Mean of the fitted distribution, in seconds.
    cv : float
        Coefficient of variation (standard deviation / mean).
    loglik : float
        Maximized log-likelihood.
    aic : float
        Akaike information criterion ``2 k - 2 loglik`` (``k`` = number of parameters).
    n : int
        Number of durations.
    n_events : int
        Number of observed (uncensored) durations.
    """

    family: str
    params: dict[str, float] = field(hash=False)
    mean: float
    cv: float
    loglik: float
    aic: float
    n: int
    n_events: int

    def _frozen_dist(self) -> Any:
        p = self.params
        if self.family == "exponential":
            return stats.expon(scale=1.0 / p["rate"])
        if self.family == "weibull":
            return stats.weibull_min(p["shape"], scale=p["scale"])
        if self.family == "lognormal":
            return stats.lognorm(p["sigma"], scale=math.exp(p["mu"]))
        return stats.gamma(p["shape"], scale=p["scale"])

    def survival_at(self, t: Any) -> Any:
        """Fitted survival function ``S(t) = P(T > t)`` at time(s) ``t`` in seconds."""
        values = self._frozen_dist().sf(np.asarray(t, dtype=float))
        return float(values) if np.ndim(values) == 0 else values

    def to_spec(self) -> dict[str, Any]:
        """The fit as a simcc distribution spec (mean-based, seconds, 4 significant digits).

        Returns
        -------
        dict
            ``{"dist": "exponential", "mean": m}``, ``{"dist": "lognormal", "mean": m,
            "cv": c}``, ``{"dist": "weibull", "mean": m, "shape": k}`` or
            ``{"dist": "gamma", "mean": m, "cv": c}``; usable wherever a scenario takes a
            distribution (e.g. ``patience``).
        """
        spec: dict[str, Any] = {"dist": self.family, "mean": _sig(self.mean)}
        if self.family in ("lognormal", "gamma"):
            spec["cv"] = _sig(self.cv)
        elif self.family == "weibull":
            spec["shape"] = _sig(self.params["shape"])
        return spec


def _minimize(fun: Any, x0: np.ndarray, jac: bool) -> np.ndarray:
    """Minimize ``fun`` from ``x0``: L-BFGS-B, polished by Nelder-Mead if it stalls."""
    result = optimize.minimize(fun, x0, jac=jac, method="L-BFGS-B")
    if not result.success or not np.all(np.isfinite(result.x)):
        scalar = (lambda x: fun(x)[0]) if jac else fun
        start = result.x if np.all(np.isfinite(result.x)) else x0
        result = optimize.minimize(scalar, start, method="Nelder-Mead",
                                   options={"xatol": 1e-8, "fatol": 1e-8, "maxiter": 4000})
        if not result.success:
            raise RuntimeError(f"censored maximum likelihood did not converge: {result.message}")
    return np.asarray(result.x, dtype=float)


def _fit_exponential(t: np.ndarray, e: np.ndarray) -> tuple[dict[str, float], float]:
    d, exposure = float(e.sum()), float(t.sum())
    if exposure <= 0:
        raise ValueError("exponential fit needs a positive total duration (all are zero)")
    rate = d / exposure
    return {"rate": rate}, d * math.log(rate) - rate * exposure


def _fit_weibull(t: np.ndarray, e: np.ndarray) -> tuple[dict[str, float], float]:
    # For a fixed shape k the scale has a closed form, lambda^k = sum(t^k) / d, which
    # leaves a one-dimensional (concave) profile log-likelihood in k.
    log_t = np.log(t)
    d = float(e.sum())
    sum_log_events = float(log_t[e].sum())

    def profile(log_k: float) -> tuple[float, float]:
        k = math.exp(log_k)
        log_a = float(special.logsumexp(k * log_t))
        return d * log_k - d * (log_a - math.log(d)) + (k - 1.0) * sum_log_events - d, log_a

    result = optimize.minimize_scalar(lambda u: -profile(u)[0], bounds=(math.log(0.02),
                                      math.log(50.0)), method="bounded",
                                      options={"xatol": 1e-9})
    log_k = float(result.x)
    loglik, log_a = profile(log_k)
    k = math.exp(log_k)
    scale = math.exp((log_a - math.log(d)) / k)
    return {"shape": k, "scale": scale}, loglik


def _fit_lognormal(t: np.ndarray, e: np.ndarray) -> tuple[dict[str, float], float]:
    y = np.log(t)
    y_event, y_cens = y[e], y[~e]
    sum_y_event = float(y_event.sum())
    n_event = y_event.size

    def negll(x: np.ndarray) -> tuple[float, np.ndarray]:
        mu, log_s = float(x[0]), float(x[1])
        s = math.exp(log_s)
        z_e = (y_event - mu) / s
        z_c = (y_cens - mu) / s
        log_sf = stats.norm.logsf(z_c)
        hazard = np.exp(stats.norm.logpdf(z_c) - log_sf)  # phi / (1 - Phi)
        ll = (float(stats.norm.logpdf(z_e).sum()) - n_event * log_s - sum_y_event
              + float(log_sf.sum()))
        d_mu = float(z_e.sum()) / s + float(hazard.sum()) / s
        d_log_s = float((z_e * z_e - 1.0).sum()) + float((hazard * z_c).sum())
        return -ll, -np.array([d_mu, d_log_s])

    sigma0 = 1.0
    mu0 = math.log(t.sum() / n_event) - sigma0**2 / 2  # exponential-fit mean as a start
    mu, log_s = _minimize(negll, np.array([mu0, math.log(sigma0)]), jac=True)
    return {"mu": float(mu), "sigma": math.exp(log_s)}, -negll(np.array([mu, log_s]))[0]


def _fit_gamma(t: np.ndarray, e: np.ndarray) -> tuple[dict[str, float], float]:
    t_event, t_cens = t[e], t[~e]

    def negll(x: np.ndarray) -> float:
        shape, mean = math.exp(x[0]), math.exp(x[1])
        scale = mean / shape
        # log S = log Q(shape, t / scale) via special.gammaincc (much faster than
        # stats.gamma.logsf); where Q underflows to 0, fall back to stats' logsf.
        with np.errstate(divide="ignore"):
            log_sf = np.log(special.gammaincc(shape, t_cens / scale))
        tail = ~np.isfinite(log_sf)
        if tail.any():
            log_sf[tail] = stats.gamma.logsf(t_cens[tail], shape, scale=scale)
        ll = stats.gamma.logpdf(t_event, shape, scale=scale).sum() + log_sf.sum()
        return -float(ll) if np.isfinite(ll) else 1e300

    mean0 = t.sum() / e.sum()
    log_shape, log_mean = _minimize(negll, np.array([0.0, math.log(mean0)]), jac=False)
    shape = math.exp(log_shape)
    return ({"shape": shape, "scale": math.exp(log_mean) / shape},
            -negll(np.array([log_shape, log_mean])))


def _moments(family: str, p: dict[str, float]) -> tuple[float, float]:
    if family == "exponential":
        return 1.0 / p["rate"], 1.0
    if family == "weibull":
        k = p["shape"]
        g1 = special.gammaln(1.0 + 1.0 / k)
        g2 = special.gammaln(1.0 + 2.0 / k)
        return p["scale"] * math.exp(g1), math.sqrt(math.expm1(g2 - 2.0 * g1))
    if family == "lognormal":
        s2 = p["sigma"] ** 2
        return math.exp(p["mu"] + s2 / 2.0), math.sqrt(math.expm1(s2))
    return p["shape"] * p["scale"], 1.0 / math.sqrt(p["shape"])


_FITTERS = {
    "exponential": _fit_exponential,
    "weibull": _fit_weibull,
    "lognormal": _fit_lognormal,
    "gamma": _fit_gamma,
}


def fit_censored(
    durations: Sequence[float],
    observed: Sequence[bool],
    family: str,
    *,
    floor: float = DEFAULT_FLOOR,
) -> CensoredFit:
    """Fit a distribution to right-censored durations by maximum likelihood.

    The log-likelihood of durations ``t_i`` (seconds) with event indicators ``e_i`` is

    ``loglik = sum_{e_i = 1} log f(t_i) + sum_{e_i = 0} log S(t_i)``

    where ``f`` is the density and ``S = 1 - F`` the survival function: an exact
    observation contributes its density, a censored one the probability of lasting
    longer. Closed form for the exponential (``rate = events / total exposure``, i.e.
    ``mean = sum(t) / events``); the Weibull is fitted on its profile likelihood in
    log-shape (the scale has a closed form given the shape); the lognormal (on
    ``(mu, log sigma)``) and gamma (on ``(log shape, log mean)``) numerically with
    ``scipy.optimize``, using scipy.stats ``logpdf``/``logsf`` for numerical stability.

    Parameters
    ----------
    durations : array-like of float
        Durations in seconds (>= 0).
    observed : array-like of bool
        True for an exact duration (event), False for a right-censored one.
    family : {"exponential", "weibull", "lognormal", "gamma"}
        Parametric family.
    floor : float, default 0.5
        Durations below ``floor`` seconds are raised to ``floor`` before fitting, for
        every family (so that log-likelihoods and AICs stay comparable across families).
        The default 0.5 s suits logs with 1 s resolution; see :data:`DEFAULT_FLOOR`.
        With ``floor=0`` durations are used as they are; zero durations then work
        only for the exponential (the other families raise ``ValueError``).

    Returns
    -------
    CensoredFit

    Raises
    ------
    ValueError
        Unknown family; empty input; negative or non-finite durations; no observed
        event (a parametric fit needs at least one); zero durations with ``floor=0``
        for a family whose density needs positive values.
    RuntimeError
        When the numerical optimization fails to converge.

    Notes
    -----
    The fitted mean extrapolates beyond the observed range: with heavy censoring it
    depends on the tail shape the family assumes. Compare with the Kaplan-Meier
    restricted mean over the observed range when in doubt.
    """
    if family not in _FITTERS:
        raise ValueError(f"unknown family {family!r} (known: {', '.join(FAMILIES)})")
    if not (math.isfinite(floor) and floor >= 0):
        raise ValueError(f"floor must be a finite number of seconds >= 0, got {floor!r}")
    t, e = _as_data(durations, observed)
    if not e.any():
        raise ValueError(
            f"cannot fit {family}: no observed events (all {t.size} durations are censored)")
    t = np.maximum(t, floor)
    if family != "exponential" and np.any(t <= 0):
        raise ValueError(f"{family} fit needs durations > 0: use floor > 0 to raise zeros")
    params, loglik = _FITTERS[family](t, e)
    mean, cv = _moments(family, params)
    return CensoredFit(
        family=family,
        params={name: float(value) for name, value in params.items()},
        mean=float(mean),
        cv=float(cv),
        loglik=float(loglik),
        aic=2.0 * _N_PARAMS[family] - 2.0 * float(loglik),
        n=int(t.size),
        n_events=int(e.sum()),
    )


def best_censored_fit(
    durations: Sequence[float],
    observed: Sequence[bool],
    families: Sequence[str] = ("exponential", "weibull", "lognormal"),
    *,
    floor: float = DEFAULT_FLOOR,
) -> CensoredFit:
    """Fit each family by censored maximum likelihood and keep the lowest AIC.

    ``AIC = 2 k - 2 loglik`` with ``k`` the number of parameters (1 for the exponential,
    2 for the others): each extra parameter must buy at least one unit of
    log-likelihood. Ties go to the family listed first, so list simpler families first.
    A family whose optimization fails to converge is skipped.

    Parameters
    ----------
    durations, observed, floor
        As for :func:`fit_censored`.
    families : sequence of str
        Families to try (see :data:`FAMILIES`).

    Returns
    -------
    CensoredFit
        The fit with the smallest AIC.

    Raises
    ------
    ValueError
        As :func:`fit_censored`, or when ``families`` is empty.
    RuntimeError
        When no family could be fitted.
    """
    if len(families) == 0:
        raise ValueError("families is empty: give at least one of " + ", ".join(FAMILIES))
    unknown = [f for f in families if f not in _FITTERS]
    if unknown:
        raise ValueError(f"unknown family {unknown[0]!r} (known: {', '.join(FAMILIES)})")
    best: CensoredFit | None = None
    failures = []
    for family in families:
        try:
            fit = fit_censored(durations, observed, family, floor=floor)
        except RuntimeError as exc:
            failures.append(f"{family}: {exc}")
            continue
        if best is None or fit.aic < best.aic:
            best = fit
    if best is None:
        raise RuntimeError("no family could be fitted: " + "; ".join(failures))
    return best
