"""Semantic checks of a valid scenario: runs that would make little sense.

A scenario can be valid and still describe a center whose run means nothing: shifts
outside the horizon, customers calling while nobody is logged in, more work than the
agents can ever do. :func:`scenario_warnings` finds these from the daily schedule alone
(:mod:`simcc.scenario.timeline`), without simulating, and returns them as
:class:`~simcc.errors.ScenarioWarning` objects naming the place in the document. The
checks only warn when the problem is certain, so a sensible scenario gets none:

* ``demand[i].mix.INTENT``: no agent with the intent's skill on the stream's channel is
  logged in at any time during the horizon (plus the drain for an asynchronous channel);
* ``demand[i]``: a live channel is open and the stream has demand while no agent who
  could answer it is logged in (the spans of the day are listed);
* ``agents.GROUP`` (or ``agents``): the offered work of a skill over the horizon is more
  than the agents having the skill can give, even at full proficiency, without wrap-up,
  transfers or follow-up contacts, and with chat concurrency at its best (agents of a
  channel that the routing policy offers waiting customers count too);
* ``horizon.warmup``: the warm-up lasts at least as long as the time with demand;
* ``agents.GROUP.shifts[j]`` / ``agents.GROUP.staffing``: never logged in during the
  horizon (for instance shifts at ``"08:00"`` with the default ``horizon.start`` 00:00
  and an 8-hour horizon).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from simcc.errors import ScenarioWarning
from simcc.scenario.schema import Demand, Scenario
from simcc.scenario.timeline import (
    Timeline,
    channel_open,
    containment,
    demand_rate,
    logged_in,
    shift_on,
    timeline,
)
from simcc.units import DAY, HOUR, format_clock

MAX_SPANS = 3
"""Unstaffed spans listed in one warning; the rest are counted."""


def scenario_warnings(scenario: Scenario) -> list[ScenarioWarning]:
    """Every semantic warning of a valid ``scenario`` (empty when its run makes sense)."""
    plan = _Plan(scenario)
    checks = (_never_staffed, _unstaffed_while_open, _overload, _warmup, _idle_shifts)
    return [warning for check in checks for warning in check(plan)]


@dataclass(frozen=True)
class _Need:
    """Demand stream ``index`` needs ``skill`` (for ``intents`` of its mix) on its channel."""

    index: int
    demand: Demand
    skill: str
    intents: tuple[str, ...]


class _Plan:
    """The scenario's schedule over the arrival period and the drain, evaluated once."""

    def __init__(self, scenario: Scenario):
        self.scenario = scenario
        self.length_s = scenario.horizon.length_s
        self.end_s = self.length_s + scenario.drain_s
        self.line: Timeline = timeline(scenario, self.end_s)
        clock = self.line.clock
        self.arrivals = self.line.before(self.length_s)
        self.rates = [demand_rate(scenario, d, clock) * self.arrivals for d in scenario.demand]
        self.staff = {name: logged_in(scenario, g, clock)
                      for name, g in scenario.agents.items()}
        self.needs = [_Need(i, d, skill, tuple(n for n in d.mix if scenario.intents[n].skill
                                               == skill and d.mix[n] > 0))
                      for i, d in enumerate(scenario.demand)
                      for skill in dict.fromkeys(scenario.intents[n].skill for n in d.mix
                                                 if d.mix[n] > 0)]
        self.unserved = {(n.index, n.skill) for n in self.needs
                         if self.agent_seconds(self.eligible(n), self.window(n)) == 0}

    def eligible(self, need: _Need) -> list[str]:
        """Groups with the need's skill on its channel."""
        return [name for name, g in self.scenario.agents.items()
                if need.skill in g.skills and need.demand.channel in g.channels]

    def relieving(self, need: _Need) -> list[str]:
        """Groups with the need's skill on a channel the routing policy offers the
        waiting customers of the need's channel (``routing.params.offers``): their work
        can move there, so the overload check counts these agents too."""
        channels = _offered_channels(self.scenario) - {need.demand.channel}
        return [name for name, g in self.scenario.agents.items()
                if need.skill in g.skills and channels & set(g.channels)]

    def window(self, need: _Need) -> np.ndarray:
        """Segments in which agents can work on the need's contacts: the arrival period,
        and the drain too for an asynchronous channel (backlogs wait for agents)."""
        if self.scenario.channels[need.demand.channel].asynchronous:
            return np.ones(len(self.line.clock), dtype=bool)
        return self.arrivals

    def staffed(self, groups: list[str]) -> np.ndarray:
        """Agents of ``groups`` logged in, per segment."""
        return sum((self.staff[g] for g in groups), np.zeros(len(self.line.clock)))

    def agent_seconds(self, groups: list[str], mask: np.ndarray) -> float:
        """Logged-in agent-seconds of ``groups`` over the segments of ``mask``."""
        return float((self.staffed(groups) * self.line.lengths)[mask].sum())

    def reaching_agents(self, need: _Need) -> np.ndarray:
        """Rate of the need's contacts that reach the agent queues, per second and
        segment: arrivals while a live channel is open, every arrival for an
        asynchronous channel (it waits), self-service containment removed."""
        s, channel = self.scenario, need.demand.channel
        spec = s.channels[channel]
        share = sum(need.demand.mix[n] * (1 - containment(s, channel, n))
                    for n in need.intents)
        rate = self.rates[need.index] * share
        return rate if spec.asynchronous else rate * channel_open(s, channel, self.line.clock)


def _offered_channels(scenario: Scenario) -> set[str]:
    """Channels named by ``offer`` in the built-in policies' ``routing.params.offers``."""
    offers = scenario.routing.params.get("offers") if isinstance(
        scenario.routing.params, dict) else None
    if not isinstance(offers, list):
        return set()
    return {o.get("offer") for o in offers
            if isinstance(o, dict) and o.get("offer") in scenario.channels}


def _never_staffed(plan: _Plan) -> Iterator[ScenarioWarning]:
    """(e) Demand that no logged-in agent could ever answer."""
    for need in plan.needs:
        if (need.index, need.skill) not in plan.unserved:
            continue
        if not plan.reaching_agents(need).any():
            continue
        groups = plan.eligible(need)
        channel = need.demand.channel
        for intent in need.intents:
            yield ScenarioWarning(
                f"demand[{need.index}].mix.{intent}",
                f"contacts need skill '{need.skill}' on channel '{channel}', but no agent "
                f"with it is logged in during the horizon ({_describe(plan, groups)}): "
                "none of them can be answered")


def _describe(plan: _Plan, groups: list[str]) -> str:
    """``tier1: count 0, tier2: shifts`` -- how the groups are staffed."""
    parts = []
    for name in groups:
        group = plan.scenario.agents[name]
        how = (f"count {group.count}" if group.count is not None
               else "shifts" if group.shifts is not None else "staffing table")
        parts.append(f"agents.{name}: {how}")
    return ", ".join(parts)


def _unstaffed_while_open(plan: _Plan) -> Iterator[ScenarioWarning]:
    """(a) A live channel open with demand while nobody who could answer is logged in."""
    for need in plan.needs:
        channel = need.demand.channel
        if (plan.scenario.channels[channel].asynchronous
                or (need.index, need.skill) in plan.unserved):
            continue
        gap = (plan.reaching_agents(need) > 0) & (plan.staffed(plan.eligible(need)) == 0)
        if gap.any():
            yield ScenarioWarning(
                f"demand[{need.index}]",
                f"channel '{channel}' is open and has demand for skill '{need.skill}' "
                f"{_spans(plan, gap)}, but no agent with the skill on the channel is "
                "logged in then: those contacts wait or abandon")


def _spans(plan: _Plan, mask: np.ndarray) -> str:
    """The runs of ``mask`` as clock spans: ``from 00:00 to 08:00, from ...``."""
    edges = plan.line.edges
    padded = np.concatenate([[False], mask, [False]]).astype(int)
    starts = np.flatnonzero(np.diff(padded) == 1)
    ends = np.flatnonzero(np.diff(padded) == -1)
    start_clock = plan.scenario.horizon.start
    days_of: dict[str, set[int]] = {}
    for a, b in zip(starts, ends, strict=True):
        span = (f"from {format_clock(edges[a] + start_clock)} to "
                f"{format_clock(edges[b] + start_clock)}")
        if edges[b] - edges[a] >= DAY:  # a weekend: say how long, not just the clocks
            span += f" ({_hours(edges[b] - edges[a])} in a row)"
        days_of.setdefault(span, set()).add(int((edges[a] + start_clock) // DAY))
    total = math.ceil((plan.length_s + start_clock) / DAY - 1e-9)
    texts = [span + ("" if total <= 1 else " every day" if len(days) >= total
                     else f" on {len(days)} of {total} days")
             for span, days in days_of.items()]
    more = len(texts) - MAX_SPANS
    return ", ".join(texts[:MAX_SPANS]) + (f" and {more} more spans" if more > 0 else "")


def _efficiency(plan: _Plan, channel: str) -> float:
    """Most conversations per agent-equivalent on ``channel``: an agent holding ``n``
    conversations of stretch ``k`` does ``n / (1 + k (n - 1))`` single-contact agents'
    work, largest at ``n = concurrency`` when ``k < 1``, else at ``n = 1``."""
    spec = plan.scenario.channels[channel]
    n = spec.concurrency
    return max(1.0, n / (1 + spec.concurrency_stretch * (n - 1)))


def _overload(plan: _Plan) -> Iterator[ScenarioWarning]:
    """(b) More offered work per skill over the horizon than its agents can give."""
    for skill in dict.fromkeys(need.skill for need in plan.needs):
        needs = [n for n in plan.needs if n.skill == skill and (n.index, skill)
                 not in plan.unserved]
        if not needs:
            continue
        work = sum(_work_s(plan, need) for need in needs)
        groups = list(dict.fromkeys(g for need in needs
                                    for g in plan.eligible(need) + plan.relieving(need)))
        window = np.logical_or.reduce([plan.window(need) for need in needs])
        capacity = plan.agent_seconds(groups, window)
        if work > capacity * (1 + 1e-9):
            path = f"agents.{groups[0]}" if len(groups) == 1 else "agents"
            yield ScenarioWarning(path, (
                f"skill '{skill}': the offered work, at least {work / HOUR:,.0f} agent-hours "
                f"over the horizon ({work / plan.length_s:,.1f} Erlangs on average), is more "
                f"than the {capacity / HOUR:,.0f} agent-hours its agents are logged in "
                f"({', '.join(groups)}): queues grow all along or customers abandon (the work "
                "is counted at full proficiency, without wrap-up, transfers or follow-up "
                "contacts)"))


def _work_s(plan: _Plan, need: _Need) -> float:
    """Lower bound of the agent-seconds the need's contacts take over the horizon."""
    s = plan.scenario
    arrivals = plan.reaching_agents(need) * plan.line.lengths
    per_contact = {n: s.intents[n].handle_time.sampler().mean for n in need.intents}
    share = {n: need.demand.mix[n] * (1 - containment(s, need.demand.channel, n))
             for n in need.intents}
    total = sum(share.values())
    if total == 0:
        return 0.0
    mean_handle = sum(share[n] * per_contact[n] for n in need.intents) / total
    return float(arrivals.sum()) * mean_handle / _efficiency(plan, need.demand.channel)


def _warmup(plan: _Plan) -> Iterator[ScenarioWarning]:
    """(c) A warm-up at least as long as all the time with demand in the horizon."""
    warmup = plan.scenario.horizon.warmup
    if warmup <= 0:
        return
    busy = np.logical_or.reduce([rate > 0 for rate in plan.rates])
    lengths = plan.line.lengths
    busy_s = float(lengths[busy].sum())
    if busy_s > warmup:
        return
    in_warmup_s = float(lengths[busy & plan.line.before(warmup)].sum())
    outcome = ("no demand falls after it, so no contact is counted" if in_warmup_s >= busy_s
               else f"{_hours(in_warmup_s)} of it fall in the warm-up and are not counted")
    yield ScenarioWarning("horizon.warmup", (
        f"the warm-up ({_hours(warmup)}) is at least as long as all the time with demand "
        f"in the horizon ({_hours(busy_s)}): {outcome}"))


def _hours(seconds: float) -> str:
    """``"8h"``, ``"1.5h"``."""
    return f"{seconds / HOUR:.4g}h"


def _idle_shifts(plan: _Plan) -> Iterator[ScenarioWarning]:
    """(d) Shifts and staffing tables that never log anyone in during the horizon."""
    s, line = plan.scenario, plan.line
    span = _horizon_span(s)
    for name, group in s.agents.items():
        if group.shifts is not None:
            for j, shift in enumerate(group.shifts):
                on = shift_on(shift.start, shift.length_s, line.clock) & plan.arrivals
                if not on.any():
                    yield ScenarioWarning(f"agents.{name}.shifts[{j}]", (
                        f"the shift {format_clock(shift.start)}-{format_clock(shift.end)} is "
                        f"outside the horizon ({span}): its {shift.count} agents never log "
                        "in while customers arrive; set horizon.start or the shift times"))
        elif (group.staffing is not None and any(group.staffing.counts)
              and not (plan.staff[name] * plan.arrivals).any()):
            yield ScenarioWarning(f"agents.{name}.staffing", (
                f"the staffing table logs nobody in during the horizon ({span}); set "
                "horizon.start or staffing.start"))


def _horizon_span(s: Scenario) -> str:
    """``from 00:00 to 08:00 (horizon.start 00:00, 8h)``."""
    start, length = s.horizon.start, s.horizon.length_s
    return (f"from {format_clock(start)} to {format_clock(start + length)}: "
            f"horizon.start {format_clock(start)}, {_hours(length)}")
