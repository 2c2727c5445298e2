"""Agents and their log-in periods.

A group with ``count`` has that many agents logged in for the whole run. A group with
``shifts`` gets ``count`` agents per shift, logged in from ``start`` to ``end`` every day
(clock times, the horizon's ``start`` is the clock at simulated time 0). An agent whose
shift ends finishes the contact in hand first. A shift end at or after the end of the
horizon is not applied: agents on duty then stay to drain the queues.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

from simcc.model.entities import Agent, Group
from simcc.scenario.schema import AgentGroup, Scenario
from simcc.units import DAY


@dataclass(frozen=True)
class ShiftEvent:
    """At ``time_s`` the ``agents`` log on (``on``) or off."""

    time_s: float
    on: bool
    agents: tuple[Agent, ...]


def make_agents(name: str, spec: AgentGroup, group: Group, first_index: int) -> list[Agent]:
    """Create the agents of a group; names are ``group.k`` or ``group.s<shift>.k``."""
    if spec.count is not None:
        names = [f"{name}.{k}" for k in range(spec.count)]
    else:
        names = [f"{name}.s{j}.{k}" for j, shift in enumerate(spec.shifts)
                 for k in range(shift.count)]
    return [Agent(first_index + i, agent_name, group) for i, agent_name in enumerate(names)]


def shift_events(scenario: Scenario, name: str, agents: list[Agent]) -> Iterator[ShiftEvent]:
    """Log-on and log-off events of one group over the horizon (unsorted)."""
    spec = scenario.agents[name]
    horizon = scenario.horizon
    length = horizon.length_s
    if spec.count is not None:
        yield ShiftEvent(0.0, True, tuple(agents))
        return
    offset = 0
    for shift in spec.shifts:
        crew = tuple(agents[offset:offset + shift.count])
        offset += shift.count
        for day in range(-1, math.ceil(length / DAY) + 1):
            on = day * DAY + shift.start - horizon.start
            off = on + shift.length_s
            if off <= 0 or on >= length:
                continue
            yield ShiftEvent(max(on, 0.0), True, crew)
            if off < length:
                yield ShiftEvent(off, False, crew)
