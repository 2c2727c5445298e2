"""Arrivals: exact non-homogeneous Poisson streams and per-contact exogenous draws.

Each demand stream has a piecewise-constant rate over simulated time. In a piece of
length ``L`` and rate ``r`` the number of arrivals is Poisson(``r L``) and, given the
number, the times are independent uniforms in the piece: this is exact for a
non-homogeneous Poisson process with that rate function (no thinning, no
approximation). Arrivals are generated one day-long window at a time so memory does
not grow with the horizon. With ``busyness`` each window's rates are multiplied by a
gamma factor of mean 1 (a doubly stochastic, overdispersed day-to-day volume).

Every exogenous draw of a contact (arrival time, intent, segment, patience, base
handle-time quantile, resolution and wrap-up uniforms) comes from a stream named after
its demand stream, so it is identical whatever the routing policy.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from simcc.model.streams import Streams
from simcc.scenario.schema import Demand, Scenario
from simcc.units import DAY

WINDOW_S = DAY
"""Length of one generation window, seconds."""


def rate_pieces(scenario: Scenario, demand: Demand) -> list[tuple[float, float, float]]:
    """``(start_s, end_s, rate_per_s)`` pieces of a stream over ``[0, horizon)``."""
    horizon = scenario.horizon
    length = horizon.length_s
    rate = demand.rate
    if rate.profile is None:
        return [(0.0, length, rate.mean_per_second)]
    profile = scenario.profiles[rate.profile]
    interval = profile.interval if profile.interval is not None else horizon.interval
    first = profile.start if profile.start is not None else horizon.start
    total = sum(profile.weights)
    pieces = []
    for day in range(-1, int(np.ceil(length / DAY)) + 1):
        day_zero = day * DAY + first - horizon.start
        for k, weight in enumerate(profile.weights):
            start = max(day_zero + k * interval, 0.0)
            end = min(day_zero + (k + 1) * interval, length)
            if weight > 0 and end > start:
                pieces.append((start, end, rate.per_day * weight / total / interval))
    return sorted(pieces)


@dataclass
class ArrivalBatch:
    """Contacts arriving in one window, sorted by time.

    ``channel``, ``intent`` and ``segment`` are integer codes into :func:`categories`;
    the other columns are float arrays (seconds, or uniforms in [0, 1)).
    """

    time_s: np.ndarray
    channel: np.ndarray
    intent: np.ndarray
    segment: np.ndarray
    patience_s: np.ndarray
    base_handle_s: np.ndarray
    resolution_u: np.ndarray
    wrap_u: np.ndarray

    def __len__(self) -> int:
        return len(self.time_s)


def categories(scenario: Scenario) -> dict[str, list[str]]:
    """Names behind the codes of channels, intents, segments and skills (scenario order)."""
    return {"channel": list(scenario.channels), "intent": list(scenario.intents),
            "segment": list(scenario.segments), "skill": scenario.skills}


class DemandStream:
    """One demand entry of the scenario, generated window by window."""

    def __init__(self, scenario: Scenario, index: int, streams: Streams):
        demand = scenario.demand[index]
        codes = {kind: {name: k for k, name in enumerate(names)}
                 for kind, names in categories(scenario).items()}
        self.channel_code = codes["channel"][demand.channel]
        self.pieces = np.array(rate_pieces(scenario, demand), dtype=float).reshape(-1, 3)
        self.intents = list(demand.mix)
        self.intent_codes = np.array([codes["intent"][i] for i in self.intents])
        self.intent_cdf = _cdf(list(demand.mix.values()))
        mix = scenario.segment_mix(demand)
        self.segments = list(mix)
        self.segment_codes = np.array([codes["segment"][s] for s in self.segments])
        self.segment_cdf = _cdf(list(mix.values()))
        self.patience = scenario.channels[demand.channel].patience
        self.patience_sampler = self.patience.sampler() if self.patience else None
        self.patience_factor = np.array(
            [scenario.segments[s].patience_factor for s in self.segments])
        self.handle_samplers = [scenario.intents[i].handle_time.sampler() for i in self.intents]
        names = ("arrivals", "intent", "segment", "patience", "handle", "resolution", "wrap",
                 "busyness")
        self.rng = {name: streams(f"{name}/{index}") for name in names}
        self.busyness_cv = demand.busyness.cv if demand.busyness is not None else None

    def window(self, start: float, end: float) -> dict[str, np.ndarray]:
        """Arrivals in ``[start, end)`` with their exogenous draws (unsorted columns,
        names as codes)."""
        times = self._times(start, end)
        n = len(times)
        intent = np.searchsorted(self.intent_cdf, self.rng["intent"].random(n), side="right")
        segment = np.searchsorted(self.segment_cdf, self.rng["segment"].random(n), side="right")
        return {
            "time_s": times,
            "channel": np.full(n, self.channel_code),
            "intent": self.intent_codes[intent],
            "segment": self.segment_codes[segment],
            "patience_s": self._patience(self.rng["patience"].random(n), segment),
            "base_handle_s": self._handle(self.rng["handle"].random(n), intent),
            "resolution_u": self.rng["resolution"].random(n),
            "wrap_u": self.rng["wrap"].random(n),
        }

    def _times(self, start: float, end: float) -> np.ndarray:
        lo = np.maximum(self.pieces[:, 0], start)
        hi = np.minimum(self.pieces[:, 1], end)
        keep = hi > lo
        lo, hi, rate = lo[keep], hi[keep], self.pieces[keep, 2] * self._day_factor()
        counts = self.rng["arrivals"].poisson(rate * (hi - lo))
        offsets = self.rng["arrivals"].random(int(counts.sum()))
        return np.repeat(lo, counts) + offsets * np.repeat(hi - lo, counts)

    def _day_factor(self) -> float:
        """The busyness factor of the current window (gamma, mean 1), or 1."""
        if self.busyness_cv is None:
            return 1.0
        shape = 1.0 / self.busyness_cv ** 2
        return float(self.rng["busyness"].gamma(shape, 1.0 / shape))

    def _patience(self, u: np.ndarray, segment: np.ndarray) -> np.ndarray:
        if self.patience_sampler is None:
            return np.full(len(u), np.inf)
        return self.patience_sampler.quantiles(u) * self.patience_factor[segment]

    def _handle(self, u: np.ndarray, intent: np.ndarray) -> np.ndarray:
        out = np.empty(len(u))
        for k, sampler in enumerate(self.handle_samplers):
            mask = intent == k
            out[mask] = sampler.quantiles(u[mask])
        return out


def _cdf(shares: list[float]) -> np.ndarray:
    cdf = np.cumsum(np.asarray(shares, dtype=float))
    # Category k gets the uniforms in [cdf[k-1], cdf[k]); the last bound is dropped so
    # that rounding in the shares can never leave a uniform without a category.
    return cdf[:-1] / cdf[-1]


def arrival_batches(scenario: Scenario, streams: Streams) -> Iterator[ArrivalBatch]:
    """All arrivals of the horizon, one window at a time, merged across streams."""
    sources = [DemandStream(scenario, i, streams) for i in range(len(scenario.demand))]
    length = scenario.horizon.length_s
    start = 0.0
    while start < length:
        end = min(start + WINDOW_S, length)
        parts = [source.window(start, end) for source in sources]
        columns = {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
        order = np.argsort(columns["time_s"], kind="stable")
        yield ArrivalBatch(**{key: col[order] for key, col in columns.items()})
        start = end
