"""Build one replication of a scenario: ``build(scenario, seedseq).run() -> Records``."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import simpy

from simcc.metrics.records import Records
from simcc.model.arrivals import ArrivalFeed
from simcc.model.center import Center, ChannelState, Route
from simcc.model.demand import arrival_batches, categories
from simcc.model.draws import ContactDraws
from simcc.model.entities import Group, WaitQueue
from simcc.model.events import Call
from simcc.model.journeys import Journeys, needs_journeys
from simcc.model.omnichannel import JourneyCenter
from simcc.model.staffing import ShiftEvent, make_agents, shift_events
from simcc.model.streams import Streams
from simcc.routing.protocol import RoutingPolicy
from simcc.routing.registry import make_policy
from simcc.runtime import paused_gc
from simcc.scenario.schema import Scenario

CHUNK_ROWS = 200_000
"""Rows held (legs, outcomes, follow-ups) before finished issues are handed over."""
STEPS_PER_CHECK = 10_000
"""Events processed between two checks of the rows held."""


class Replication:
    """The mutable state of one replication of a scenario (never changes the scenario)."""

    def __init__(self, scenario: Scenario, seedseq: np.random.SeedSequence,
                 policy: RoutingPolicy | None = None):
        self.scenario = scenario
        self.env = simpy.Environment()
        self.streams = Streams(seedseq)
        self.records = Records()
        self.policy = policy or make_policy(scenario.routing.policy, scenario.routing.params)
        self.groups = _make_groups(scenario)
        channels = {name: ChannelState(name, ch.queue_capacity, ch.concurrency, ch.asynchronous)
                    for name, ch in scenario.channels.items()}
        # Entry decisions (intent detection, offers) are journey steps.
        journeys = needs_journeys(scenario) or getattr(self.policy, "decides_entry", True)
        dispatcher = JourneyCenter if journeys else Center
        self.center = dispatcher(
            self.env, _make_routes(scenario, self.groups, channels), channels,
            self.groups, self.policy, self.streams("tiebreak"), self.records,
            ContactDraws(self.streams("policy")))
        if journeys:
            self.center.journeys = Journeys(scenario, self.center, self.streams("journeys"),
                                            self.records)
        for group in self.groups.values():
            group.queues = _group_queues(group, self.center.routes)
            group.channel_queues = {c: [q for q in group.queues if q.channel == c]
                                    for c in group.channels}
        self.records.agents = [(a.index, a.name, a.group)
                               for g in self.groups.values() for a in g.agents]
        self.records.categories = categories(scenario)
        self.feed = ArrivalFeed(self.env, scenario, arrival_batches(scenario, self.streams),
                                self.center.on_arrival, self.center.routes,
                                self.records.arrivals.append)

    def run(self, on_chunk: Callable[[Records], None] | None = None,
            chunk_rows: int = CHUNK_ROWS) -> Records:
        """Simulate the horizon and the drain; return the records.

        With ``on_chunk``, the records of finished issues are handed over during the run
        (:meth:`Records.take_finished`) whenever at least ``chunk_rows`` rows are held, and
        everything left at the end; memory then stays bounded by the open issues and one
        chunk. The returned records are then empty but for the agents and categories.
        """
        self._schedule_shifts()
        self.feed.start()
        with paused_gc():
            self._run_events(on_chunk, chunk_rows)
        self.center.finish()
        self.records.end_s = self.env.now
        if on_chunk is not None:
            on_chunk(self.records.take_finished(everything=True))
        return self.records

    def _run_events(self, on_chunk: Callable[[Records], None] | None, chunk_rows: int) -> None:
        """Process every event; between batches of events, hand over finished issues."""
        step, records = self.env.step, self.records
        try:
            while True:
                for _ in range(STEPS_PER_CHECK):
                    step()
                if on_chunk is not None and records.pending_rows() >= chunk_rows:
                    on_chunk(records.take_finished())
        except simpy.core.EmptySchedule:
            pass

    def _schedule_shifts(self) -> None:
        events = [event for name, group in self.groups.items()
                  for event in shift_events(self.scenario, name, group.agents)]
        # Log-offs before log-ons at the same instant, then in scenario order.
        events.sort(key=lambda e: (e.time_s, e.on))
        for event in events:
            if event.time_s == 0.0 and event.on:
                self._apply_shift(event)
            else:
                Call(self.env, event.time_s, event, self._on_shift)

    def _on_shift(self, event: Call) -> None:
        self._apply_shift(event.value)

    def _apply_shift(self, event: ShiftEvent) -> None:
        action = self.center.log_on if event.on else self.center.log_off
        for agent in event.agents:
            action(agent)

def build(scenario: Scenario, seedseq: np.random.SeedSequence,
          policy: RoutingPolicy | None = None) -> Replication:
    """A ready-to-run replication of ``scenario`` with its random streams."""
    return Replication(scenario, seedseq, policy)


def _make_groups(scenario: Scenario) -> dict[str, Group]:
    groups: dict[str, Group] = {}
    index = 0
    capacity = {name: ch.concurrency for name, ch in scenario.channels.items()}
    for name, spec in scenario.agents.items():
        group = Group(name, spec.skills, spec.channels, spec.wrap_up_sampler(),
                      spec.cost_per_hour, capacity)
        group.agents = make_agents(name, spec, group, index)
        index += len(group.agents)
        groups[name] = group
    return groups


def _make_routes(scenario: Scenario, groups: dict[str, Group],
                 channels: dict[str, ChannelState]) -> dict[tuple[str, str], Route]:
    priorities = sorted({s.priority for s in scenario.segments.values()}, reverse=True)
    routes = {}
    for channel in scenario.channels:
        for code, skill in enumerate(scenario.skills):
            eligible = [g for g in groups.values() if skill in g.skills and channel in g.channels]
            if not eligible:
                continue
            handles = [i.handle_time.sampler().mean for i in scenario.intents.values()
                       if skill in (i.skill, i.escalation.to if i.escalation else None)]
            asynchronous = channels[channel].asynchronous
            queues = {p: WaitQueue(channel, skill, p, asynchronous) for p in priorities}
            routes[channel, skill] = Route(channels[channel], skill, eligible, queues,
                                           sum(handles) / len(handles), code)
    return routes


def _group_queues(group: Group, routes: dict[tuple[str, str], Route]) -> list[WaitQueue]:
    queues = [q for (channel, skill), route in routes.items()
              if channel in group.channels and skill in group.skills
              for q in route.queues.values()]
    return sorted(queues, key=lambda q: (q.asynchronous, -q.priority))
