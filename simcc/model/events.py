"""Lean SimPy events for the engine's hot path."""

from __future__ import annotations

from collections.abc import Callable
from heapq import heappush
from typing import Any

import simpy
from simpy.events import NORMAL, URGENT, Event


class Call(Event):
    """A timeout that calls ``callback(event)`` after ``delay`` seconds.

    Equivalent to ``env.timeout(delay, value).callbacks.append(callback)`` in one step
    and without its checks; ``delay`` must be >= 0 (the engine guarantees it). It goes on
    SimPy's queue as ``Environment.schedule`` would put it there (time, NORMAL priority,
    insertion number), without that method call. The
    payload is read back as ``event.value`` (``event._value`` on the hot path). Setting
    ``_value``/``_ok`` directly is what SimPy's own ``Timeout`` does.
    """

    def __init__(self, env: simpy.Environment, delay: float, value: Any,
                 callback: Callable[[Event], None]):
        self.env = env
        self.callbacks = [callback]
        self._value = value
        self._ok = True
        heappush(env._queue, (env._now + delay, NORMAL, next(env._eid), self))


class UrgentCall(Event):
    """An event that calls ``callback(event)`` at simulated time ``at_s`` exactly, before
    every ordinary event of that instant.

    SimPy schedules by delay, and ``now + (at_s - now)`` can round past ``at_s``; this
    event goes on SimPy's queue with its exact time and URGENT priority, which SimPy
    processes before the NORMAL events of the same time (its queue is ordered by time,
    priority, then insertion). ``at_s`` must not be in the past.
    """

    def __init__(self, env: simpy.Environment, at_s: float, callback: Callable[[Event], None]):
        self.env = env
        self.callbacks = [callback]
        self._value = None
        self._ok = True
        heappush(env._queue, (at_s, URGENT, next(env._eid), self))
