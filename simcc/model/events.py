"""A lean SimPy event for the engine's hot path."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import simpy
from simpy.events import NORMAL, Event


class Call(Event):
    """A timeout that calls ``callback(event)`` after ``delay`` seconds.

    Equivalent to ``env.timeout(delay, value).callbacks.append(callback)`` in one step
    and without its checks; ``delay`` must be >= 0 (the engine guarantees it). The
    payload is read back as ``event.value`` (``event._value`` on the hot path). Setting
    ``_value``/``_ok`` directly is what SimPy's own ``Timeout`` does.
    """

    def __init__(self, env: simpy.Environment, delay: float, value: Any,
                 callback: Callable[[Event], None]):
        self.env = env
        self.callbacks = [callback]
        self._value = value
        self._ok = True
        env.schedule(self, NORMAL, delay)
