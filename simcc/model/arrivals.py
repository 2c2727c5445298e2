"""Feeding pre-drawn arrivals into the SimPy event loop.

Arrivals are exogenous, so they are generated ahead (see :mod:`simcc.model.demand`)
and turned into :class:`Contact` objects one window at a time. Every five minutes of simulated
time a *slice* event schedules the arrivals of the next five minutes at once: each
contact goes on SimPy's queue as its own event (no event object is made) and the
event heap stays small.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import simpy
from simpy.events import Event

from simcc.model.contacts import ContactFactory, Routes
from simcc.model.demand import ArrivalBatch
from simcc.model.entities import Contact
from simcc.model.events import Call, schedule
from simcc.units import MINUTE

SLICE_S = 5 * MINUTE
"""Simulated time whose arrivals are scheduled together, seconds."""


class ArrivalFeed:
    """Schedules every arrival as an event whose value is the :class:`Contact`.

    ``contacts`` makes the contacts of each batch (with ``routes``, the replication's
    route objects by (channel, skill)); ``on_batch`` receives each window's contact
    attributes (record columns).
    """

    def __init__(self, env: simpy.Environment, batches: Iterator[ArrivalBatch],
                 deliver: Callable[[Event], None], contacts: ContactFactory, routes: Routes,
                 on_batch: Callable[[dict[str, np.ndarray]], None]):
        self.env = env
        self._batches = batches
        self._deliver = deliver
        self._factory = contacts
        self._routes = routes
        self._on_batch = on_batch
        self._contacts: list[Contact] = []
        self._times = np.empty(0)
        self._index = 0
        self._next_id = 0

    def start(self) -> None:
        """Schedule the first slice of arrivals (call once, at time 0)."""
        self._schedule_slice(None)

    def _schedule_slice(self, _event: Event | None) -> None:
        env, callbacks = self.env, (self._deliver,)
        now = env.now
        end = now + SLICE_S
        while True:
            if self._index >= len(self._contacts) and not self._load_batch():
                return  # no more arrivals: the slice chain ends
            stop = int(np.searchsorted(self._times, end, side="left"))
            start, self._index = self._index, stop
            # now + delay, as a timeout of that delay would be scheduled
            times = (now + np.maximum(self._times[start:stop] - now, 0.0)).tolist()
            for contact, at in zip(self._contacts[start:stop], times, strict=True):
                schedule(env, at, contact, callbacks)
            if stop < len(self._contacts):
                break
        Call(env, SLICE_S, None, self._schedule_slice)

    def _load_batch(self) -> bool:
        """Turn the next window of arrivals into contacts; False when there is none."""
        batch = next(self._batches, None)
        if batch is None:
            return False
        first, n = self._next_id, len(batch)
        self._next_id += n
        self._contacts = self._factory.first_contacts(batch, first, self._routes)
        self._times = batch.time_s
        self._index = 0
        self._on_batch({"contact_id": np.arange(first, first + n), "channel": batch.channel,
                        "intent": batch.intent, "segment": batch.segment,
                        "priority": self._factory.priorities(batch.segment),
                        "arrival_s": batch.time_s})
        return True
