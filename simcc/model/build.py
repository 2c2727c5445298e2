"""Build one replication of a compiled scenario: ``build(plan, seedseq).run() -> Records``."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import simpy

from simcc.metrics.records import Records
from simcc.model.arrivals import ArrivalFeed
from simcc.model.center import Center, ChannelState, Route
from simcc.model.demand import arrival_batches
from simcc.model.draws import ContactDraws
from simcc.model.entities import Agent, Group, WaitQueue
from simcc.model.events import Call, process_events
from simcc.model.journeys import Journeys
from simcc.model.omnichannel import JourneyCenter
from simcc.model.plan import Plan, compile_scenario
from simcc.model.staffing import ShiftEvent, make_agents, with_shrinkage, without_absent
from simcc.model.streams import Streams
from simcc.model.trace import Trace, trace_batches
from simcc.routing.protocol import RoutingPolicy
from simcc.runtime import paused_gc
from simcc.scenario.schema import Scenario

CHUNK_ROWS = 200_000
"""Rows held (legs, outcomes, follow-ups) before finished issues are handed over."""
STEPS_PER_CHECK = 10_000
"""Events processed between two checks of the rows held."""


class Replication:
    """The mutable state of one replication of a compiled scenario (never changes the
    plan)."""

    def __init__(self, plan: Plan, seedseq: np.random.SeedSequence,
                 policy: RoutingPolicy | None = None, trace: Trace | None = None):
        self.plan = plan
        self.scenario = plan.scenario
        self.env = simpy.Environment()
        self.streams = Streams(seedseq)
        self.records = Records()
        self.policy = policy or plan.new_policy()
        self.groups = _make_groups(plan)
        channels = {name: ChannelState(name, ch.queue_capacity, ch.concurrency, ch.asynchronous)
                    for name, ch in self.scenario.channels.items()}
        # Entry decisions (intent detection, offers) are journey steps.
        journeys = plan.journeys or getattr(self.policy, "decides_entry", True)
        dispatcher = JourneyCenter if journeys else Center
        self.center = dispatcher(
            self.env, _make_routes(plan, self.groups, channels), channels,
            self.groups, self.policy, self.streams("tiebreak"), self.records,
            ContactDraws(self.streams("policy")))
        if journeys:
            self.center.journeys = Journeys(plan, self.center, self.streams("journeys"),
                                            self.records)
        for group in self.groups.values():
            group.queues = _group_queues(group, self.center.routes)
            group.channel_queues = {c: [q for q in group.queues if q.channel == c]
                                    for c in group.channels}
        self.records.agents = [(a.index, a.name, a.group)
                               for g in self.groups.values() for a in g.agents]
        self.records.categories = plan.vocabulary.categories()
        batches = (arrival_batches(plan.demands, plan.length_s, self.streams, plan.backlog)
                   if trace is None else trace_batches(trace, plan, self.streams))
        self.feed = ArrivalFeed(self.env, batches,
                                self.center.on_arrival, plan.contacts, self.center.routes,
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
        # The run lasts at least the arrival period, even when nothing happens near its
        # end: agents logged in then stay logged in (and staffed) until it ends.
        self.env.timeout(self.plan.length_s)
        with paused_gc():
            self._run_events(on_chunk, chunk_rows)
        self.center.finish()
        self.records.end_s = self.env.now
        if on_chunk is not None:
            on_chunk(self.records.take_finished(everything=True))
        return self.records

    def _run_events(self, on_chunk: Callable[[Records], None] | None, chunk_rows: int) -> None:
        """Process every event; between batches of events, hand over finished issues."""
        env, records = self.env, self.records
        while process_events(env, STEPS_PER_CHECK):
            if on_chunk is not None and records.pending_rows() >= chunk_rows:
                on_chunk(records.take_finished())

    def _schedule_shifts(self) -> None:
        events = [(event, group) for name, group in self.groups.items()
                  for event in self._shift_plan(name)]
        # Log-offs before log-ons at the same instant, then in scenario order.
        events.sort(key=lambda item: (item[0].time_s, item[0].on))
        for event, group in events:
            agents = [group.agents[k] for k in event.agents]
            if event.time_s == 0.0 and event.on:
                self._apply_shift(event.on, agents)
            else:
                Call(self.env, event.time_s, (event.on, agents), self._on_shift)

    def _shift_plan(self, name: str) -> list[ShiftEvent]:
        """The log-on/off events of group ``name`` in this replication: the plan's,
        without the agents absent this time (``absenteeism``) and with their off-queue
        time (``shrinkage``), each on its own stream."""
        events = list(self.plan.groups[name].shifts)
        spec = self.scenario.agents[name]
        if spec.absenteeism:
            events = without_absent(events, spec.absenteeism,
                                    self.streams(f"absenteeism/{name}"))
        if spec.shrinkage:
            horizon = self.scenario.horizon
            events = with_shrinkage(events, spec.shrinkage, horizon.interval,
                                    horizon.length_s + self.scenario.drain_s,
                                    len(self.groups[name].agents),
                                    self.streams(f"shrinkage/{name}"))
        return events

    def _on_shift(self, event: Call) -> None:
        self._apply_shift(*event.value)

    def _apply_shift(self, on: bool, agents: list[Agent]) -> None:
        action = self.center.log_on if on else self.center.log_off
        for agent in agents:
            action(agent)


def build(scenario: Scenario | Plan, seedseq: np.random.SeedSequence,
          policy: RoutingPolicy | None = None, trace: Trace | None = None) -> Replication:
    """A ready-to-run replication of ``scenario`` (compiled first unless it is a
    :class:`~simcc.model.plan.Plan`) with its random streams; with ``trace``, its
    contacts instead of the demand's arrivals (:mod:`simcc.model.trace`)."""
    return Replication(compile_scenario(scenario), seedseq, policy, trace)


def _make_groups(plan: Plan) -> dict[str, Group]:
    groups: dict[str, Group] = {}
    scenario = plan.scenario
    capacity = {name: ch.concurrency for name, ch in scenario.channels.items()}
    for name, spec in scenario.agents.items():
        group = Group(name, spec.skills, spec.channels, plan.samplers.wrap_up[name],
                      spec.cost_per_hour, capacity)
        compiled = plan.groups[name]
        group.agents = make_agents(list(compiled.agent_names), group, compiled.first_index)
        groups[name] = group
    return groups


def _make_routes(plan: Plan, groups: dict[str, Group],
                 channels: dict[str, ChannelState]) -> dict[tuple[str, str], Route]:
    routes = {}
    for spec in plan.routes:
        asynchronous = channels[spec.channel].asynchronous
        queues = {p: WaitQueue(spec.channel, spec.skill, p, asynchronous)
                  for p in spec.priorities}
        routes[spec.channel, spec.skill] = Route(
            channels[spec.channel], spec.skill, [groups[name] for name in spec.groups],
            queues, spec.mean_handle_s, spec.skill_code)
    return routes


def _group_queues(group: Group, routes: dict[tuple[str, str], Route]) -> list[WaitQueue]:
    queues = [q for (channel, skill), route in routes.items()
              if channel in group.channels and skill in group.skills
              for q in route.queues.values()]
    return sorted(queues, key=lambda q: (q.asynchronous, -q.priority))
