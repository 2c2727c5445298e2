"""Feeding pre-drawn arrivals into the SimPy event loop.

Arrivals are exogenous, so they are generated ahead (see :mod:`simcc.model.demand`)
and turned into :class:`Contact` objects one window at a time. Every hour of simulated
time a *slice* event schedules the arrival events of the next hour at once: each
arrival costs one plain timeout and the event heap stays small.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import simpy
from simpy.events import Timeout

from simcc.model.demand import ArrivalBatch
from simcc.model.entities import Contact
from simcc.scenario.schema import Scenario
from simcc.units import HOUR

SLICE_S = HOUR
"""Simulated time whose arrivals are scheduled together, seconds."""


class ArrivalFeed:
    """Schedules every arrival as a timeout whose value is the :class:`Contact`."""

    def __init__(self, env: simpy.Environment, scenario: Scenario,
                 batches: Iterator[ArrivalBatch], deliver: Callable[[Timeout], None],
                 on_batch: Callable[[dict[str, np.ndarray]], None]):
        self.env = env
        self._batches = batches
        self._deliver = deliver
        self._on_batch = on_batch
        self._skill = {name: i.skill for name, i in scenario.intents.items()}
        self._resolution = {name: i.resolution for name, i in scenario.intents.items()}
        self._priority = {name: s.priority for name, s in scenario.segments.items()}
        self._pending: list[Contact] = []
        self._index = 0
        self._next_id = 0

    def start(self) -> None:
        """Schedule the first slice of arrivals (call once, at time 0)."""
        self._schedule_slice(None)

    def _schedule_slice(self, _event: Timeout | None) -> None:
        env, deliver = self.env, self._deliver
        now = env.now
        end = now + SLICE_S
        while True:
            if self._index >= len(self._pending) and not self._load_batch():
                return  # no more arrivals: the slice chain ends
            contact = self._pending[self._index]
            if contact.arrival_s >= end:
                break
            self._pending[self._index] = None  # the event holds the contact now
            self._index += 1
            delay = contact.arrival_s - now
            Timeout(env, delay if delay > 0.0 else 0.0, contact).callbacks.append(deliver)
        Timeout(env, SLICE_S).callbacks.append(self._schedule_slice)

    def _load_batch(self) -> bool:
        batch = next(self._batches, None)
        if batch is None:
            return False
        first = self._next_id
        self._next_id += len(batch)
        ids = range(first, self._next_id)
        priority = [self._priority[s] for s in batch.segment]
        self._pending = list(map(
            Contact, ids, batch.channel, batch.intent, [self._skill[i] for i in batch.intent],
            batch.segment, priority, batch.time_s, batch.patience_s, batch.base_handle_s,
            [self._resolution[i] for i in batch.intent], batch.resolution_u, batch.wrap_u))
        self._index = 0
        self._on_batch({
            "contact_id": np.arange(first, self._next_id),
            "channel": np.asarray(batch.channel, dtype=object),
            "intent": np.asarray(batch.intent, dtype=object),
            "segment": np.asarray(batch.segment, dtype=object),
            "priority": np.asarray(priority, dtype=np.int64),
            "arrival_s": np.asarray(batch.time_s, dtype=float)})
        return True
