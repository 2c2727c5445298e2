"""Agents and their log-in periods.

A group with ``count`` has that many agents logged in for the whole run. A group with
``shifts`` gets ``count`` agents per shift, logged in from ``start`` to ``end`` every day
(clock times, the horizon's ``start`` is the clock at simulated time 0). An agent whose
shift ends finishes the work in hand first. Shifts follow their schedule until the end of
the *schedule*: the horizon plus its drain (:attr:`Scenario.drain_s`, time for follow-up
contacts and backlog); a shift end at or after it is not applied, so agents on duty then
stay until every contact has an outcome. A group with a ``staffing`` table has
``counts[k]`` agents logged in during interval ``k`` after the table's ``start`` on the
horizon's first day, the counts repeating every ``period`` (one day by default).

With ``shrinkage`` (the share of paid time off the queues: meetings, training,
coaching), each agent is off the queues in each reporting interval of its log-in time
with that probability, drawn per agent and interval (:func:`with_shrinkage`): the agent
finishes the contact in hand first and comes back on time, as from a break.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from simcc.model.days import day_starts, weekday_at
from simcc.model.entities import Agent, Group
from simcc.scenario.calendar import WEEKDAYS
from simcc.scenario.schema import AgentGroup, Scenario, Shift
from simcc.units import DAY


@dataclass(frozen=True)
class ShiftEvent:
    """At ``time_s`` the ``agents`` (positions in their group's agent list) log on
    (``on``) or off. ``workday`` numbers the day's occurrence of a shift that the event
    belongs to (its start, breaks and end share it; -1 outside shifts): an absent agent
    misses every event of its workday."""

    time_s: float
    on: bool
    agents: tuple[int, ...]
    workday: int = -1


def agent_names(name: str, spec: AgentGroup) -> list[str]:
    """The names of a group's agents: ``group.k``, or ``group.s<shift>.k`` with shifts."""
    if spec.count is not None:
        return [f"{name}.{k}" for k in range(spec.count)]
    if spec.staffing is not None:
        return [f"{name}.{k}" for k in range(max(spec.staffing.counts))]
    return [f"{name}.s{j}.{k}" for j, shift in enumerate(spec.shifts)
            for k in range(shift.count)]


def make_agents(names: list[str], group: Group, first_index: int) -> list[Agent]:
    """The agents of ``group``, numbered from ``first_index``."""
    return [Agent(first_index + i, agent_name, group) for i, agent_name in enumerate(names)]


def shift_events(scenario: Scenario, name: str) -> list[ShiftEvent]:
    """Log-on and log-off events of one group over the schedule (unsorted)."""
    spec = scenario.agents[name]
    if spec.count is not None:
        return [ShiftEvent(0.0, True, tuple(range(spec.count)))]
    if spec.staffing is not None:
        return list(_table_events(scenario, spec))
    return list(_shift_events(scenario, spec))


def _shift_events(scenario: Scenario, spec: AgentGroup) -> Iterator[ShiftEvent]:
    horizon = scenario.horizon
    length = horizon.length_s + scenario.drain_s
    offset, workday = 0, 0
    for shift in spec.shifts:
        crew = tuple(range(offset, offset + shift.count))
        offset += shift.count
        for on in day_starts(shift.start, horizon.start, length):
            off = on + shift.length_s
            if off <= 0 or on >= length or not _works(scenario, shift, on):
                continue
            yield ShiftEvent(max(on, 0.0), True, crew, workday)
            yield from _break_events(shift, crew, on, length, workday)
            if off < length:
                yield ShiftEvent(off, False, crew, workday)
            workday += 1


def _works(scenario: Scenario, shift: Shift, on: float) -> bool:
    """Whether ``shift`` works the day it starts at simulated time ``on``."""
    if shift.days is None:
        return True
    weekday = weekday_at(scenario.calendar.start_date, scenario.horizon.start, on)
    return WEEKDAYS[weekday] in shift.days


def _break_events(shift: Shift, crew: tuple[int, ...], on: float, length: float,
                  workday: int) -> Iterator[ShiftEvent]:
    """Log-offs at each break's start and log-ons at its end, inside ``[0, length)``
    (agents with the same break time together)."""
    for item in shift.breaks:
        by_time: dict[float, list[int]] = {}
        for agent, start in zip(crew, item.offsets(shift.start, len(crew)), strict=True):
            by_time.setdefault(on + start, []).append(agent)
        for start, agents in by_time.items():
            if start >= 0 and start < length:
                yield ShiftEvent(start, False, tuple(agents), workday)
                if start + item.duration < length:
                    yield ShiftEvent(start + item.duration, True, tuple(agents), workday)


def _table_events(scenario: Scenario, spec: AgentGroup) -> Iterator[ShiftEvent]:
    """Log-ons and log-offs that follow a per-interval staffing table: its counts from
    ``start`` on the horizon's first day, repeated every ``period`` (one day: every day,
    as :func:`~simcc.model.days.day_starts` lays out daily patterns)."""
    horizon = scenario.horizon
    table = spec.staffing
    interval = table.interval if table.interval is not None else horizon.interval
    first = table.start if table.start is not None else horizon.start
    targets: list[tuple[float, int]] = []
    length = horizon.length_s + scenario.drain_s
    if table.period_s == DAY:
        zeros = day_starts(first, horizon.start, length)
    else:
        zeros = [k * table.period_s + first - horizon.start
                 for k in range(-1, math.ceil(length / table.period_s) + 1)]
    for day_zero in zeros:
        targets += [(day_zero + k * interval, count) for k, count in enumerate(table.counts)]
        targets.append((day_zero + len(table.counts) * interval, 0))
    targets.sort(key=lambda item: item[0])
    if table.period_s != DAY:
        # A table filling its period: the next period's first count replaces the end.
        targets = list(dict(targets).items())
    # The count in force at time 0 is the last one set at or before it.
    on_duty = 0
    for time_s, count in targets:
        if time_s <= 0:
            on_duty = count
    if on_duty:
        yield ShiftEvent(0.0, True, tuple(range(on_duty)))
    for time_s, count in targets:
        if time_s <= 0 or time_s >= length:
            continue
        if count > on_duty:
            yield ShiftEvent(time_s, True, tuple(range(on_duty, count)))
        elif count < on_duty:
            yield ShiftEvent(time_s, False, tuple(range(count, on_duty)))
        on_duty = count


def scheduled_hours(scenario: Scenario, name: str) -> float:
    """Agent-hours group ``name`` is scheduled logged in over the arrival period (its
    log-in periods, breaks excluded, cut to ``[0, horizon)``)."""
    end = scenario.horizon.length_s
    return sum(max(min(stop, end) - max(start, 0.0), 0.0)
               for spans in log_in_periods(shift_events(scenario, name)).values()
               for start, stop in spans) / 3600.0


def without_absent(events: Sequence[ShiftEvent], absenteeism: float,
                   rng: np.random.Generator) -> list[ShiftEvent]:
    """``events`` without the agents who do not show up: each agent of each workday is
    absent with probability ``absenteeism``, one uniform per agent in the order of the
    workdays (so the draws depend on the schedule only, not on what happens in the
    run)."""
    crews: dict[int, tuple[int, ...]] = {}
    for event in events:
        if event.workday >= 0 and event.on:
            crews.setdefault(event.workday, event.agents)
    absent: dict[int, set[int]] = {}
    for workday in sorted(crews):
        crew = crews[workday]
        gone = rng.random(len(crew)) < absenteeism
        absent[workday] = {agent for agent, out in zip(crew, gone, strict=True) if out}
    kept = []
    for event in events:
        missing = absent.get(event.workday, set())
        agents = tuple(a for a in event.agents if a not in missing)
        if agents:
            kept.append(ShiftEvent(event.time_s, event.on, agents, event.workday))
    return kept


def with_shrinkage(events: Sequence[ShiftEvent], share: float, interval_s: float,
                   end_s: float, agents: int, rng: np.random.Generator) -> list[ShiftEvent]:
    """``events`` with off-queue time: each agent is off the queues in each interval
    ``[k interval_s, (k + 1) interval_s)`` of ``[0, end_s)`` with probability ``share``
    (one uniform per interval and agent position, drawn in that order, so the draws
    depend on the schedule's size only). The log-in periods of every agent are cut by
    its off-queue intervals and turned back into events."""
    blocks = max(1, math.ceil(end_s / interval_s - 1e-9))
    away = rng.random((blocks, agents)) < share
    periods = log_in_periods(events)
    out: dict[tuple[float, bool], list[int]] = {}
    for agent, spans in periods.items():
        for start, stop in _minus_blocks(spans, np.flatnonzero(away[:, agent]), interval_s):
            out.setdefault((start, True), []).append(agent)
            if math.isfinite(stop):
                out.setdefault((stop, False), []).append(agent)
    return [ShiftEvent(time_s, on, tuple(sorted(a))) for (time_s, on), a in out.items()]


def log_in_periods(events: Sequence[ShiftEvent]) -> dict[int, list[tuple[float, float]]]:
    """Per agent, its log-in periods ``(start, end)`` (end ``inf``: never logged off),
    with log-offs applied before log-ons at one instant."""
    started: dict[int, float] = {}
    periods: dict[int, list[tuple[float, float]]] = {}
    for event in sorted(events, key=lambda e: (e.time_s, e.on)):
        for agent in event.agents:
            if event.on:
                started.setdefault(agent, event.time_s)
            elif agent in started:
                periods.setdefault(agent, []).append((started.pop(agent), event.time_s))
    for agent, start in started.items():
        periods.setdefault(agent, []).append((start, math.inf))
    return periods


def _minus_blocks(spans: list[tuple[float, float]], blocks: np.ndarray, interval_s: float
                  ) -> Iterator[tuple[float, float]]:
    """The parts of ``spans`` outside the intervals numbered ``blocks``."""
    cuts = [(k * interval_s, (k + 1) * interval_s) for k in blocks.tolist()]
    for start, stop in spans:
        at = start
        for lo, hi in cuts:
            if hi <= at or lo >= stop:
                continue
            if lo > at:
                yield at, lo
            at = max(at, hi)
        if at < stop:
            yield at, stop
