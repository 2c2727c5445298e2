"""A scenario compiled for the engine: built once, read by every replication.

:class:`Plan` holds what does not change while replications run: the code vocabularies,
every sampler, each demand entry's rate pieces and mixes, the routes (which groups may
answer which channel and skill), every agent's name and log-in periods (the daily
patterns laid out once), and the factory of first and follow-up contacts. A
:class:`~simcc.model.build.Replication` adds only the mutable state (SimPy environment,
agents, queues, records) and its random streams.

Samplers are closures, which do not pickle: a plan pickles as its scenario and is
compiled again where it is unpickled (in a worker process, once per plan; see
:mod:`simcc.experiment.executors`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from simcc.dists import Sampler
from simcc.model.contacts import ContactFactory
from simcc.model.demand import DemandPlan, compile_demand
from simcc.model.journeys import needs_journeys
from simcc.model.staffing import ShiftEvent, agent_names, shift_events
from simcc.routing.protocol import RoutingPolicy
from simcc.routing.registry import make_policy
from simcc.scenario.journeys import Callback
from simcc.scenario.schema import Scenario
from simcc.scenario.types import duration_sampler


@dataclass(frozen=True)
class Vocabulary:
    """The names behind the engine's codes, in scenario order; a name's code is its
    position."""

    channel: tuple[str, ...]
    intent: tuple[str, ...]
    segment: tuple[str, ...]
    skill: tuple[str, ...]
    codes: dict[str, dict[str, int]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "codes", {
            kind: {name: code for code, name in enumerate(names)}
            for kind, names in self.categories().items()})

    @classmethod
    def of(cls, scenario: Scenario) -> Vocabulary:
        """The vocabulary of ``scenario``."""
        return cls(tuple(scenario.channels), tuple(scenario.intents),
                   tuple(scenario.segments), tuple(scenario.skills))

    def categories(self) -> dict[str, list[str]]:
        """Names per kind (channel, intent, segment, skill), as the records keep them."""
        return {"channel": list(self.channel), "intent": list(self.intent),
                "segment": list(self.segment), "skill": list(self.skill)}


@dataclass(frozen=True)
class Samplers:
    """Every duration distribution of the scenario, as samplers (seconds); None where a
    duration is absent or zero."""

    handle: dict[str, Sampler]  # per intent
    patience: dict[str, Sampler | None]  # per channel
    self_service: dict[str, Sampler | None]  # per channel
    retrial: dict[str, Sampler | None]  # per channel
    wrap_up: dict[str, Sampler | None]  # per agent group
    explain: Sampler | None
    misroute: Sampler | None
    repeat: Sampler | None

    @classmethod
    def of(cls, s: Scenario) -> Samplers:
        """The samplers of scenario ``s``."""
        channels = s.channels.items()
        return cls(
            handle={name: intent.handle_time.sampler() for name, intent in s.intents.items()},
            patience={name: ch.patience.sampler() if ch.patience else None
                      for name, ch in channels},
            self_service={name: duration_sampler(ch.self_service.duration)
                          if ch.self_service else None for name, ch in channels},
            retrial={name: duration_sampler(ch.retrial.delay) if ch.retrial else None
                     for name, ch in channels},
            wrap_up={name: group.wrap_up_sampler() for name, group in s.agents.items()},
            explain=duration_sampler(s.transfers.explain_time),
            misroute=duration_sampler(s.transfers.misroute_time),
            repeat=duration_sampler(s.repeats.delay) if s.repeats else None)


@dataclass(frozen=True)
class GroupPlan:
    """An agent group: its agents (numbered from ``first_index`` across the center) and
    their log-in periods over the whole schedule."""

    name: str
    agent_names: tuple[str, ...]
    first_index: int
    shifts: tuple[ShiftEvent, ...]


@dataclass(frozen=True)
class RoutePlan:
    """Where contacts of one (channel, skill) wait: one queue per priority (highest
    first), answered by ``groups`` (scenario order); ``mean_handle_s`` is the mean base
    handle time of the intents needing the skill (for predicted waits)."""

    channel: str
    skill: str
    skill_code: int
    groups: tuple[str, ...]
    priorities: tuple[int, ...]
    mean_handle_s: float


class Plan:
    """A scenario compiled for the engine (see the module docstring)."""

    def __init__(self, scenario: Scenario):
        self.scenario = scenario
        self.vocabulary = Vocabulary.of(scenario)
        self.samplers = Samplers.of(scenario)
        codes = self.vocabulary.codes
        self.demands: tuple[DemandPlan, ...] = tuple(
            plan for i in range(len(scenario.demand))
            for plan in compile_demand(scenario, i, codes, self.samplers.handle,
                                       self.samplers.patience))
        self.backlog = {codes["channel"][name]: ch.backlog
                        for name, ch in scenario.channels.items() if ch.backlog > 0}
        self.groups = _group_plans(scenario)
        self.routes = _route_plans(scenario, self.samplers, codes["skill"])
        self.callbacks = {name: ch.callback or Callback(threshold=0.0)
                          for name, ch in scenario.channels.items()}
        """How callbacks are made per channel; the defaults serve callbacks a policy offers
        on a channel without a callback section (the engine never offers them there)."""
        self.contacts = ContactFactory(scenario, self.vocabulary, self.samplers)
        self.length_s = scenario.horizon.length_s
        self.journeys = needs_journeys(scenario)
        """Whether the scenario has journeys; a replication also follows journeys when its
        routing policy makes entry decisions (intent detection, offers)."""

    def new_policy(self) -> RoutingPolicy:
        """A fresh routing policy for one replication (policies may keep state)."""
        return make_policy(self.scenario.routing.policy, self.scenario.routing.params)

    def __reduce__(self) -> tuple:
        return Plan, (self.scenario,)


def _group_plans(scenario: Scenario) -> dict[str, GroupPlan]:
    groups, first = {}, 0
    for name, spec in scenario.agents.items():
        names = tuple(agent_names(name, spec))
        events = tuple(shift_events(scenario, name))
        groups[name] = GroupPlan(name, names, first, events)
        first += len(names)
    return groups


def _route_plans(scenario: Scenario, samplers: Samplers,
                 skill_codes: dict[str, int]) -> tuple[RoutePlan, ...]:
    priorities = tuple(sorted({s.priority for s in scenario.segments.values()}, reverse=True))
    routes = []
    for channel in scenario.channels:
        for skill in scenario.skills:
            eligible = tuple(name for name, g in scenario.agents.items()
                             if skill in g.skills and channel in g.channels)
            if not eligible:
                continue
            handles = [samplers.handle[name].mean for name, i in scenario.intents.items()
                       if skill in (i.skill, i.escalation.to if i.escalation else None)]
            routes.append(RoutePlan(channel, skill, skill_codes[skill], eligible, priorities,
                                    sum(handles) / len(handles)))
    return tuple(routes)


def compile_scenario(scenario: Scenario | Plan) -> Plan:
    """``scenario`` compiled (a plan is returned as it is)."""
    return scenario if isinstance(scenario, Plan) else Plan(scenario)
