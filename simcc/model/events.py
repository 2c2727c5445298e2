"""Lean SimPy events for the engine's hot path, and the loop that processes them.

SimPy is the kernel: its :class:`~simpy.Environment` holds the clock and the event queue
(time, priority, insertion number); these helpers only put events on that queue and take
them off without SimPy's per-event method calls and checks.
"""

from __future__ import annotations

from collections.abc import Callable
from heapq import heappop, heappush
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


class SelfScheduled:
    """Mixin for an object that goes on SimPy's queue as its own event, with no event
    object made for it: ``schedule(env, at_s, obj, callbacks)``; its callbacks receive
    the object itself (also as ``obj._value``, as a :class:`Call`'s payload is read).

    SimPy's loop needs only ``callbacks`` and ``_ok`` of an event. The object must not
    be on the queue twice at once (its second scheduling would replace the first's
    callbacks). Subclasses declare the ``callbacks`` slot.
    """

    __slots__ = ()
    _ok = True

    @property
    def _value(self) -> SelfScheduled:
        return self


def schedule(env: simpy.Environment, at_s: float, obj: SelfScheduled,
             callbacks: tuple[Callable[[Any], None], ...]) -> None:
    """Put ``obj`` on the queue of ``env`` at time ``at_s`` (not in the past; NORMAL
    priority, after the events already there for that time), to be processed with
    ``callbacks``."""
    obj.callbacks = callbacks
    heappush(env._queue, (at_s, NORMAL, next(env._eid), obj))


def process_events(env: simpy.Environment, count: int) -> bool:
    """Process up to ``count`` events of ``env`` exactly as ``env.step()`` would, one
    after the other (clock, callbacks, failed events raised), without a method call per
    event; False when the queue ran empty.

    The engine has no process that could stop the simulation, so SimPy's
    ``StopSimulation`` handling is not needed here.
    """
    queue = env._queue
    for _ in range(count):
        if not queue:
            return False
        env._now, _, _, event = heappop(queue)
        callbacks, event.callbacks = event.callbacks, None
        for callback in callbacks:
            callback(event)
        if not event._ok and not hasattr(event, "_defused"):
            failure = event._value  # as Environment.step: a copy with the cause
            raise type(failure)(*failure.args) from failure
    return bool(queue)
