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

import datetime as dt
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from simcc.dists import Sampler
from simcc.model.days import day_starts
from simcc.model.streams import Streams
from simcc.scenario.forecast import intent_pieces
from simcc.scenario.schema import Demand, Scenario
from simcc.units import DAY

WINDOW_S = DAY
"""Length of one generation window, seconds."""


def rate_pieces(scenario: Scenario, demand: Demand) -> list[tuple[float, float, float]]:
    """``(start_s, end_s, rate_per_s)`` pieces of a rate stream over ``[0, horizon)``;
    with a calendar, each day's pieces follow its
    :class:`~simcc.scenario.calendar.DayRule`. A forecast's pieces are per intent
    (:func:`~simcc.scenario.forecast.intent_pieces`)."""
    if scenario.calendar is not None:
        return sorted(_calendar_pieces(scenario, demand))
    rate = demand.rate
    if rate.profile is None:
        return [(0.0, scenario.horizon.length_s, rate.mean_per_second)]
    pieces = []
    for day_zero in day_starts(_profile_clock(scenario, rate.profile), scenario.horizon.start,
                               scenario.horizon.length_s):
        pieces += _profile_day(scenario, rate.profile, day_zero, rate.per_day)
    return sorted(pieces)


def _profile_clock(scenario: Scenario, name: str) -> float:
    """Clock time (s after midnight) at which profile ``name`` starts its day."""
    profile = scenario.profiles[name]
    return profile.start if profile.start is not None else scenario.horizon.start


def _profile_day(scenario: Scenario, name: str, day_zero: float, per_day: float
                 ) -> list[tuple[float, float, float]]:
    """The pieces of one day of profile ``name`` that starts at simulated time
    ``day_zero`` and spreads ``per_day`` contacts, cut to ``[0, horizon)``."""
    profile = scenario.profiles[name]
    interval = profile.interval if profile.interval is not None else scenario.horizon.interval
    total = sum(profile.weights)
    length = scenario.horizon.length_s
    pieces = []
    for k, weight in enumerate(profile.weights):
        start = max(day_zero + k * interval, 0.0)
        end = min(day_zero + (k + 1) * interval, length)
        if weight > 0 and end > start:
            pieces.append((start, end, per_day * weight / total / interval))
    return pieces


def _calendar_pieces(scenario: Scenario, demand: Demand) -> Iterator[tuple[float, float, float]]:
    """Pieces day by day of the calendar: a day's rule multiplies its volume and may
    replace the profile (a flat rate's daily volume is then spread by that profile).
    The pieces of a profile's day belong to the date on which that day starts."""
    calendar, horizon, rate = scenario.calendar, scenario.horizon, demand.rate
    length = horizon.length_s
    per_day = rate.per_day if rate.per_day is not None else rate.mean_per_second * DAY
    for day in range(-1, math.ceil((horizon.start + length) / DAY) + 1):
        rule = calendar.rule(calendar.start_date + dt.timedelta(days=day))
        volume = rule.volume if rule is not None else 1.0
        profile = rule.profile if rule is not None and rule.profile else rate.profile
        if volume == 0:
            continue
        if profile is None:
            start = max(day * DAY - horizon.start, 0.0)
            end = min((day + 1) * DAY - horizon.start, length)
            if end > start:
                yield (start, end, volume * rate.mean_per_second)
            continue
        day_zero = day * DAY + _profile_clock(scenario, profile) - horizon.start
        yield from _profile_day(scenario, profile, day_zero, volume * per_day)


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
    acw_s: np.ndarray | None = None
    """Mean wrap-up from a forecast per contact (NaN: the group's); None: none given."""

    def __len__(self) -> int:
        return len(self.time_s)


@dataclass(frozen=True)
class DemandPlan:
    """One demand entry of the scenario, compiled: everything but its random streams.

    ``pieces`` holds ``(start_s, end_s, rate_per_s)`` rows; ``intent_codes`` and
    ``segment_codes`` are the codes of its mix entries (in mix order), drawn through the
    cumulative shares ``intent_cdf`` and ``segment_cdf``; ``patience_factor`` and
    ``handle`` are indexed by mix position. ``stream`` names its random streams
    (``"<name>/<stream>"``). A forecast's intent has its own plan, and per piece a
    ``handle_scale`` (forecast AHT / the intent's mean) and an ``acw`` (NaN: the
    group's wrap-up).
    """

    entry: int
    stream: str
    channel_code: int
    pieces: np.ndarray
    intent_codes: np.ndarray
    intent_cdf: np.ndarray
    segment_codes: np.ndarray
    segment_cdf: np.ndarray
    patience: Sampler | None
    patience_factor: np.ndarray
    handle: tuple[Sampler, ...]
    busyness_cv: float | None
    handle_scale: np.ndarray | None = None
    acw: np.ndarray | None = None


def compile_demand(scenario: Scenario, index: int, codes: dict[str, dict[str, int]],
                   handle: dict[str, Sampler], patience: dict[str, Sampler | None]
                   ) -> list[DemandPlan]:
    """The :class:`DemandPlan` of ``scenario.demand[index]`` (one per intent for a
    forecast); ``codes`` maps each kind (channel, intent, segment) to its name codes;
    ``handle`` and ``patience`` are the samplers per intent and per channel."""
    demand = scenario.demand[index]
    mix = scenario.segment_mix(demand)
    common = dict(
        channel_code=codes["channel"][demand.channel],
        segment_codes=np.array([codes["segment"][s] for s in mix]),
        segment_cdf=_cdf(list(mix.values())),
        patience=patience[demand.channel],
        patience_factor=np.array([scenario.segments[s].patience_factor for s in mix]),
        busyness_cv=demand.busyness.cv if demand.busyness is not None else None)
    if demand.forecast is None:
        return [DemandPlan(
            entry=index, stream=str(index),
            pieces=np.array(rate_pieces(scenario, demand), dtype=float).reshape(-1, 3),
            intent_codes=np.array([codes["intent"][i] for i in demand.mix]),
            intent_cdf=_cdf(list(demand.mix.values())),
            handle=tuple(handle[i] for i in demand.mix), **common)]
    plans = []
    for k, (intent, rows) in enumerate(intent_pieces(scenario, demand).items()):
        sampler = handle[intent]
        scale = np.where(np.isnan(rows[:, 3]), 1.0, rows[:, 3] / sampler.mean) \
            if sampler.mean > 0 else np.ones(len(rows))
        acw = rows[:, 4] if not np.isnan(rows[:, 4]).all() else None
        plans.append(DemandPlan(
            entry=index, stream=f"{index}.{k}", pieces=rows[:, :3].copy(),
            intent_codes=np.array([codes["intent"][intent]]), intent_cdf=_cdf([1.0]),
            handle=(sampler,), handle_scale=scale, acw=acw, **common))
    return plans


STREAM_NAMES = ("arrivals", "intent", "segment", "patience", "handle", "resolution", "wrap",
                "busyness")
"""The random streams of demand entry ``i`` are named ``"<name>/<i>"`` (intent ``k`` of a
forecast: ``"<name>/<i>.<k>"``; the busyness factor stays the entry's)."""


class DemandStream:
    """One demand plan generated window by window from its own random streams (named
    with ``prefix``: ``"backlog-"`` for the contacts waiting at the start)."""

    def __init__(self, plan: DemandPlan, streams: Streams, prefix: str = ""):
        self.plan = plan
        self.rng = {name: streams(f"{prefix}{name}/{plan.stream}") for name in STREAM_NAMES}
        self.rng["busyness"] = streams(f"{prefix}busyness/{plan.entry}")

    def waiting(self, count: int) -> dict[str, np.ndarray]:
        """``count`` contacts arriving at time 0 (a starting backlog), with the draws of
        the stream's first piece."""
        return self._columns(np.zeros(count), np.zeros(count, dtype=int))

    def window(self, start: float, end: float, factors: dict[int, float]
               ) -> dict[str, np.ndarray]:
        """Arrivals in ``[start, end)`` with their exogenous draws (unsorted columns,
        names as codes); ``factors`` holds the window's busyness factor per demand
        entry, drawn by the entry's first plan."""
        return self._columns(*self._times(start, end, factors))

    def _columns(self, times: np.ndarray, piece: np.ndarray) -> dict[str, np.ndarray]:
        """The columns of contacts arriving at ``times`` in pieces ``piece``."""
        plan = self.plan
        n = len(times)
        intent = np.searchsorted(plan.intent_cdf, self.rng["intent"].random(n), side="right")
        segment = np.searchsorted(plan.segment_cdf, self.rng["segment"].random(n), side="right")
        handle = self._handle(self.rng["handle"].random(n), intent)
        if plan.handle_scale is not None:
            handle *= plan.handle_scale[piece]
        columns = {
            "time_s": times,
            "channel": np.full(n, plan.channel_code),
            "intent": plan.intent_codes[intent],
            "segment": plan.segment_codes[segment],
            "patience_s": self._patience(self.rng["patience"].random(n), segment),
            "base_handle_s": handle,
            "resolution_u": self.rng["resolution"].random(n),
            "wrap_u": self.rng["wrap"].random(n),
        }
        if plan.acw is not None:
            columns["acw_s"] = plan.acw[piece]
        return columns

    def _times(self, start: float, end: float, factors: dict[int, float]
               ) -> tuple[np.ndarray, np.ndarray]:
        """Arrival times in ``[start, end)`` and the index of each one's piece."""
        pieces = self.plan.pieces
        lo = np.maximum(pieces[:, 0], start)
        hi = np.minimum(pieces[:, 1], end)
        keep = hi > lo
        if self.plan.entry not in factors:
            factors[self.plan.entry] = self._day_factor()
        lo, hi, rate = lo[keep], hi[keep], pieces[keep, 2] * factors[self.plan.entry]
        counts = self.rng["arrivals"].poisson(rate * (hi - lo))
        offsets = self.rng["arrivals"].random(int(counts.sum()))
        piece = np.repeat(np.flatnonzero(keep), counts)
        return np.repeat(lo, counts) + offsets * np.repeat(hi - lo, counts), piece

    def _day_factor(self) -> float:
        """The busyness factor of the current window (gamma, mean 1), or 1."""
        cv = self.plan.busyness_cv
        if cv is None:
            return 1.0
        shape = 1.0 / cv ** 2
        return float(self.rng["busyness"].gamma(shape, 1.0 / shape))

    def _patience(self, u: np.ndarray, segment: np.ndarray) -> np.ndarray:
        if self.plan.patience is None:
            return np.full(len(u), np.inf)
        return self.plan.patience.quantiles(u) * self.plan.patience_factor[segment]

    def _handle(self, u: np.ndarray, intent: np.ndarray) -> np.ndarray:
        out = np.empty(len(u))
        for k, sampler in enumerate(self.plan.handle):
            mask = intent == k
            out[mask] = sampler.quantiles(u[mask])
        return out


def _cdf(shares: list[float]) -> np.ndarray:
    cdf = np.cumsum(np.asarray(shares, dtype=float))
    # Category k gets the uniforms in [cdf[k-1], cdf[k]); the last bound is dropped so
    # that rounding in the shares can never leave a uniform without a category.
    return cdf[:-1] / cdf[-1]


def backlog_parts(demands: Sequence[DemandPlan], backlog: dict[int, int],
                  streams: Streams) -> list[dict[str, np.ndarray]]:
    """The contacts waiting at time 0: ``backlog`` maps a channel code to its number of
    waiting contacts, shared among the channel's demand plans in proportion to their
    expected arrivals in the first window (over the whole horizon when none has any
    then; multinomial on stream ``backlog/<code>``)."""
    parts = []
    for code, count in backlog.items():
        plans = [p for p in demands if p.channel_code == code]
        weights = np.array([_volume(p, WINDOW_S) for p in plans])
        if weights.sum() <= 0:
            weights = np.array([_volume(p, math.inf) for p in plans])
        if count <= 0 or not plans or weights.sum() <= 0:
            continue
        counts = streams(f"backlog/{code}").multinomial(count, weights / weights.sum())
        parts += [DemandStream(p, streams, "backlog-").waiting(int(n))
                  for p, n in zip(plans, counts, strict=True) if n > 0]
    return parts


def _volume(plan: DemandPlan, until_s: float) -> float:
    """Expected arrivals of ``plan`` before ``until_s``."""
    pieces = plan.pieces
    return float((pieces[:, 2] * np.clip(np.minimum(pieces[:, 1], until_s) - pieces[:, 0],
                                         0.0, None)).sum())


def arrival_batches(demands: Sequence[DemandPlan], length_s: float,
                    streams: Streams, backlog: dict[int, int] | None = None
                    ) -> Iterator[ArrivalBatch]:
    """All arrivals of ``[0, length_s)``, one window at a time, merged across the
    demand entries; the first window starts with the ``backlog`` (see
    :func:`backlog_parts`). No plan at all (a forecast without rows in the horizon):
    no arrivals."""
    sources = [DemandStream(plan, streams) for plan in demands]
    if not sources:
        return
    waiting = backlog_parts(demands, backlog, streams) if backlog else []
    start = 0.0
    while start < length_s:
        end = min(start + WINDOW_S, length_s)
        factors: dict[int, float] = {}
        parts = [source.window(start, end, factors) for source in sources] + waiting
        waiting = []
        if any("acw_s" in p for p in parts):
            for p in parts:
                p.setdefault("acw_s", np.full(len(p["time_s"]), np.nan))
        columns = {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
        order = np.argsort(columns["time_s"], kind="stable")
        yield ArrivalBatch(**{key: col[order] for key, col in columns.items()})
        start = end
