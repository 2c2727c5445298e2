"""Replaying recorded contacts instead of drawing arrivals: a trace.

A :class:`Trace` lists contacts that happened (from a contact log): when each reached
the queue, its channel, intent and segment, its handle time when it was served, and
how long it waited and whether it abandoned. A replication of a plan with a trace feeds
exactly these contacts to the center instead of the demand streams' Poisson arrivals;
everything after arrival (routing, staffing, service, abandonment) is simulated.

What a replayed contact brings, per contact (:func:`trace_batches`):

- arrival time, channel, intent, segment: the trace's;
- full-proficiency handle time: the trace's for a served contact (its agent's handle
  time, taken as full proficiency), else a draw from the intent's handle-time model;
- patience, consistent with what was observed: an abandoned contact's patience is its
  observed wait; a served contact's is drawn from the channel's patience model (times
  the segment's factor) conditioned on exceeding its observed wait;
- resolution and wrap-up uniforms: drawn.

Draws come from streams named ``replay/...``, so two routing policies replaying one
trace see identical contacts (common random numbers); replications differ in them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from simcc.dists import Sampler
from simcc.model.demand import WINDOW_S, ArrivalBatch
from simcc.model.streams import Streams

BISECTION_STEPS = 52
"""Bisection steps to invert a quantile function (to double precision on [0, 1))."""


@dataclass(frozen=True)
class Trace:
    """Recorded contacts, one entry per contact, in any order: ``time_s`` (arrival at
    the queue, simulated seconds), ``channel``, ``intent``, ``segment`` (names),
    ``handle_s`` (seconds; NaN when not served), ``wait_s`` (seconds waited before
    answer or abandonment) and ``abandoned``."""

    time_s: np.ndarray
    channel: np.ndarray
    intent: np.ndarray
    segment: np.ndarray
    handle_s: np.ndarray
    wait_s: np.ndarray
    abandoned: np.ndarray

    def __len__(self) -> int:
        return len(self.time_s)


def trace_batches(trace: Trace, plan, streams: Streams) -> Iterator[ArrivalBatch]:
    """The trace's contacts as arrival batches of one day (:data:`WINDOW_S`) each, sorted
    by time, with the per-contact values described in the module docstring (``plan``: a
    compiled :class:`~simcc.model.plan.Plan`)."""
    codes = plan.vocabulary.codes
    order = np.argsort(trace.time_s, kind="stable")
    time = np.asarray(trace.time_s, dtype=float)[order]
    channel = np.array([codes["channel"][c] for c in trace.channel[order]], dtype=np.int64)
    intent = np.array([codes["intent"][i] for i in trace.intent[order]], dtype=np.int64)
    segment = np.array([codes["segment"][s] for s in trace.segment[order]], dtype=np.int64)
    handle = _handle_times(np.asarray(trace.handle_s, dtype=float)[order], intent, plan,
                           streams("replay/handle"))
    patience = _patience(np.asarray(trace.wait_s, dtype=float)[order],
                         np.asarray(trace.abandoned, dtype=bool)[order], channel, segment,
                         plan, streams("replay/patience"))
    resolution = streams("replay/resolution").random(len(time))
    wrap = streams("replay/wrap").random(len(time))
    window = np.floor(time / WINDOW_S)
    for w in np.unique(window):
        rows = window == w
        yield ArrivalBatch(time[rows], channel[rows], intent[rows], segment[rows],
                           patience[rows], handle[rows], resolution[rows], wrap[rows])


def _handle_times(logged: np.ndarray, intent: np.ndarray, plan, rng: np.random.Generator
                  ) -> np.ndarray:
    """The logged handle time where there is one, else a draw from the intent's model."""
    out = logged.copy()
    u = rng.random(len(logged))
    names = plan.vocabulary.intent
    for code, name in enumerate(names):
        missing = (intent == code) & ~np.isfinite(out)
        if missing.any():
            out[missing] = plan.samplers.handle[name].quantiles(u[missing])
    return out


def _patience(wait: np.ndarray, abandoned: np.ndarray, channel: np.ndarray,
              segment: np.ndarray, plan, rng: np.random.Generator) -> np.ndarray:
    """Observed wait for abandoned contacts; for the others a draw from the patience
    model beyond the observed wait (infinite on a channel without patience)."""
    v = rng.random(len(wait))
    out = np.where(abandoned, wait, np.inf)
    factors = {name: s.patience_factor for name, s in plan.scenario.segments.items()}
    factor = np.array([factors[name] for name in plan.vocabulary.segment])[segment]
    for code, name in enumerate(plan.vocabulary.channel):
        sampler = plan.samplers.patience[name]
        rows = (channel == code) & ~abandoned
        if sampler is None or not rows.any():
            continue
        scaled = wait[rows] / factor[rows]
        floor = cdf_at(sampler, scaled)
        u = floor + (1.0 - floor) * v[rows]
        out[rows] = np.maximum(sampler.quantiles(np.minimum(u, np.nextafter(1.0, 0.0)))
                               * factor[rows], wait[rows])
    return out


def cdf_at(sampler: Sampler, x: np.ndarray) -> np.ndarray:
    """``P(X <= x)`` for each ``x``, by bisection on the sampler's quantile function."""
    lo, hi = np.zeros(len(x)), np.ones(len(x))
    for _ in range(BISECTION_STEPS):
        mid = (lo + hi) / 2
        below = sampler.quantiles(mid) <= x
        lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
    return lo
