"""Distribution specifications turned into quantile functions.

Every distribution is parameterised by its **mean** (in seconds), as planners think of
handle times and patience, plus a shape parameter where one is needed:

==============  ======================  =============================================
``dist``        parameters              meaning
==============  ======================  =============================================
exponential     mean                    memoryless; cv = 1
constant        mean                    always ``mean``
uniform         low, high               flat between ``low`` and ``high``
lognormal       mean, cv                ``sigma^2 = ln(1 + cv^2)``, ``mu = ln(mean) - sigma^2/2``
gamma           mean, cv                shape ``1/cv^2``, scale ``mean * cv^2``
erlang          mean, k                 gamma with integer shape ``k`` (cv = 1/sqrt(k))
weibull         mean, shape             scale ``mean / Gamma(1 + 1/shape)``
empirical       values                  each listed value equally likely
==============  ======================  =============================================

Samples are drawn by inversion: a uniform ``u`` in [0, 1) is mapped through the
quantile function. Inversion keeps common random numbers aligned: the same ``u`` gives
the same customer a larger or smaller value consistently when only a parameter changes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

QuantileFn = Callable[[np.ndarray], np.ndarray]

DISTRIBUTIONS = (
    "exponential", "constant", "uniform", "lognormal", "gamma", "erlang", "weibull", "empirical",
)


@dataclass(frozen=True)
class Sampler:
    """A distribution in seconds: its mean and its quantile function.

    ``quantiles(u)`` maps an array of uniforms in [0, 1) to values;
    ``quantile(u)`` does the same for one float, through ``scalar`` (the same formula on
    one float, equal within a few ulp, ten times faster than a one-element array) when given.
    """

    mean: float
    quantiles: QuantileFn
    is_constant: bool = False
    scalar: Callable[[float], float] | None = None

    def quantile(self, u: float) -> float:
        """Return the value of one uniform ``u`` in [0, 1)."""
        if self.is_constant:
            return self.mean
        if self.scalar is not None:
            return float(self.scalar(u))
        return float(self.quantiles(np.array([u]))[0])

    def scaled(self, factor: float) -> Sampler:
        """The same distribution multiplied by ``factor`` (> 0)."""
        base, one = self.quantiles, self.scalar
        return Sampler(self.mean * factor, lambda u: base(u) * factor, self.is_constant,
                       None if one is None else lambda u: one(u) * factor)


def make_sampler(
    dist: str,
    mean: float | None = None,
    cv: float | None = None,
    k: int | None = None,
    shape: float | None = None,
    low: float | None = None,
    high: float | None = None,
    values: Sequence[float] | None = None,
) -> Sampler:
    """Build the :class:`Sampler` of a distribution spec (see the module table).

    Parameters are assumed valid (the scenario schema checks them).
    """
    if dist == "constant":
        return Sampler(mean, lambda u: np.full(np.shape(u), mean, dtype=float), True)
    if dist == "exponential":
        return Sampler(mean, lambda u: -mean * np.log1p(-u),
                       scalar=lambda u: -mean * math.log1p(-u))
    if dist == "uniform":
        return Sampler((low + high) / 2, lambda u: low + (high - low) * u,
                       scalar=lambda u: low + (high - low) * u)
    if dist in ("lognormal", "gamma", "erlang"):
        from scipy import special  # imported on first use: it is slow to import
    if dist == "lognormal":
        sigma = math.sqrt(math.log1p(cv * cv))
        mu = math.log(mean) - sigma * sigma / 2
        return Sampler(mean, lambda u: np.exp(mu + sigma * special.ndtri(u)),
                       scalar=lambda u: math.exp(mu + sigma * special.ndtri(u)))
    if dist in ("gamma", "erlang"):
        alpha = float(k) if dist == "erlang" else 1.0 / (cv * cv)
        scale = mean / alpha
        return Sampler(mean, lambda u: scale * special.gammaincinv(alpha, u),
                       scalar=lambda u: scale * special.gammaincinv(alpha, u))
    if dist == "weibull":
        scale = mean / math.gamma(1.0 + 1.0 / shape)
        return Sampler(mean, lambda u: scale * (-np.log1p(-u)) ** (1.0 / shape))
    if dist == "empirical":
        table = np.sort(np.asarray(values, dtype=float))
        n = len(table)
        return Sampler(
            float(table.mean()),
            lambda u: table[np.minimum((np.asarray(u) * n).astype(np.int64), n - 1)],
            n == 1 or bool(np.all(table == table[0])),
        )
    raise ValueError(f"unknown distribution {dist!r}")
