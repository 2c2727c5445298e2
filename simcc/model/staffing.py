"""Agents and their log-in periods.

A group with ``count`` has that many agents logged in for the whole run. A group with
``shifts`` gets ``count`` agents per shift, logged in from ``start`` to ``end`` every day
(clock times, the horizon's ``start`` is the clock at simulated time 0). An agent whose
shift ends finishes the work in hand first. Shifts follow their schedule until the end of
the *schedule*: the horizon plus its drain (:attr:`Scenario.drain_s`, time for follow-up
contacts and backlog); a shift end at or after it is not applied, so agents on duty then
stay until every contact has an outcome.
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
    elif spec.staffing is not None:
        names = [f"{name}.{k}" for k in range(max(spec.staffing.counts))]
    else:
        names = [f"{name}.s{j}.{k}" for j, shift in enumerate(spec.shifts)
                 for k in range(shift.count)]
    return [Agent(first_index + i, agent_name, group) for i, agent_name in enumerate(names)]


def shift_events(scenario: Scenario, name: str, agents: list[Agent]) -> Iterator[ShiftEvent]:
    """Log-on and log-off events of one group over the horizon (unsorted)."""
    spec = scenario.agents[name]
    horizon = scenario.horizon
    length = horizon.length_s + scenario.drain_s
    if spec.count is not None:
        yield ShiftEvent(0.0, True, tuple(agents))
        return
    if spec.staffing is not None:
        yield from _table_events(scenario, spec, agents)
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


def _table_events(scenario: Scenario, spec: AgentGroup, agents: list[Agent]
                  ) -> Iterator[ShiftEvent]:
    """Log-ons and log-offs that follow a per-interval staffing table."""
    horizon = scenario.horizon
    table = spec.staffing
    interval = table.interval if table.interval is not None else horizon.interval
    first = table.start if table.start is not None else horizon.start
    targets: list[tuple[float, int]] = []
    length = horizon.length_s + scenario.drain_s
    for day in range(-1, math.ceil(length / DAY) + 1):
        day_zero = day * DAY + first - horizon.start
        targets += [(day_zero + k * interval, count) for k, count in enumerate(table.counts)]
        targets.append((day_zero + len(table.counts) * interval, 0))
    targets.sort(key=lambda item: item[0])
    # The count in force at time 0 is the last one set at or before it.
    on_duty = 0
    for time_s, count in targets:
        if time_s <= 0:
            on_duty = count
    if on_duty:
        yield ShiftEvent(0.0, True, tuple(agents[:on_duty]))
    for time_s, count in targets:
        if time_s <= 0 or time_s >= length:
            continue
        if count > on_duty:
            yield ShiftEvent(time_s, True, tuple(agents[on_duty:count]))
        elif count < on_duty:
            yield ShiftEvent(time_s, False, tuple(agents[count:on_duty]))
        on_duty = count
