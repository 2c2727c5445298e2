"""The interval grid of a staffing plan and the offered load on it.

The grid is ``horizon.interval`` over one day of the horizon from ``horizon.start``
(the whole horizon when it is shorter than a day); a plan's staffing tables repeat
every day, like :class:`~simcc.scenario.schema.Staffing`. Loads come from the same
daily schedule as the semantic warnings (:mod:`simcc.scenario.timeline`): each demand
stream's rate (busyness has mean 1) times its intent mix, self-service containment
removed, while the channel is open, averaged over the interval.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from simcc.errors import ScenarioError
from simcc.scenario.schema import Scenario
from simcc.scenario.timeline import channel_open, containment, intent_rates, logged_in
from simcc.units import DAY

SUBSTEPS = 12
"""Points per interval at which rates are averaged."""


@dataclass(frozen=True)
class Need:
    """Work for one skill on one channel, per interval: ``rate`` (contacts per second
    reaching the agents) and ``handle_s`` (their mean handle time at full proficiency,
    seconds; NaN where the rate is 0). A pooled queue (several skills served together
    by agents holding them all) lists its skills in ``pooled``."""

    channel: str
    skill: str
    rate: np.ndarray
    handle_s: np.ndarray
    pooled: tuple[str, ...] = ()

    @property
    def load(self) -> np.ndarray:
        """Offered load per interval, Erlangs (agents busy at full proficiency)."""
        return np.nan_to_num(self.rate * self.handle_s)


@dataclass(frozen=True)
class Grid:
    """``count`` intervals of ``interval_s`` seconds from simulated time 0 (clock
    ``start_clock``); ``needs`` the work per (channel, skill)."""

    interval_s: float
    start_clock: float
    count: int
    needs: list[Need]

    @property
    def hours(self) -> float:
        """Length of one interval in hours."""
        return self.interval_s / 3600.0

    def clock(self, t: int) -> float:
        """Clock time of day at the start of interval ``t``, seconds."""
        return (self.start_clock + t * self.interval_s) % DAY

    def position(self, k: int) -> int:
        """Grid interval of simulated interval ``k`` (plans repeat every day)."""
        return int(k) % self.count

    def points(self) -> np.ndarray:
        """Clock times (seconds) of the averaging points, shape (count, SUBSTEPS)."""
        steps = (np.arange(SUBSTEPS) + 0.5) / SUBSTEPS
        offsets = (np.arange(self.count)[:, None] + steps[None, :]) * self.interval_s
        return (self.start_clock + offsets) % DAY


def plan_grid(scenario: Scenario) -> Grid:
    """The grid and loads of ``scenario`` (``ScenarioError`` when a horizon longer than
    a day has an interval that does not divide 24h: daily tables would not line up)."""
    horizon = scenario.horizon
    span = min(horizon.length_s, DAY)
    if horizon.length_s > DAY and abs(DAY / horizon.interval - round(DAY / horizon.interval)) \
            > 1e-9:
        raise ScenarioError([("horizon.interval", "simcc staff repeats its plan every day: "
                              "the interval must divide 24h")])
    count = max(1, math.ceil(span / horizon.interval - 1e-9))
    shell = Grid(horizon.interval, horizon.start, count, [])
    return Grid(horizon.interval, horizon.start, count, _needs(scenario, shell))


def _needs(scenario: Scenario, grid: Grid) -> list[Need]:
    """The work per (channel, skill) with demand on the grid."""
    clock = grid.points().ravel()
    contacts: dict[tuple[str, str], np.ndarray] = {}
    work: dict[tuple[str, str], np.ndarray] = {}
    for demand in scenario.demand:
        channel = scenario.channels[demand.channel]
        is_open = (np.ones(len(clock)) if channel.asynchronous
                   else channel_open(scenario, demand.channel, clock))
        for name, (rate, handle) in intent_rates(scenario, demand, clock).items():
            kept = 1.0 - containment(scenario, demand.channel, name)
            arrivals = rate * is_open * kept
            key = (demand.channel, scenario.intents[name].skill)
            contacts[key] = contacts.get(key, 0.0) + arrivals.reshape(grid.count, -1).mean(axis=1)
            work[key] = work.get(key, 0.0) + (arrivals * handle).reshape(grid.count, -1).mean(
                axis=1)
    needs = []
    for (channel, skill), rate in contacts.items():
        if not np.any(rate > 0):
            continue
        with np.errstate(invalid="ignore", divide="ignore"):
            handle = np.where(rate > 0, work[(channel, skill)] / rate, np.nan)
        needs.append(Need(channel, skill, rate, handle))
    return needs


def fixed_agents(scenario: Scenario, grid: Grid, group: str) -> np.ndarray:
    """Mean agents of ``group`` logged in per grid interval under its own staffing."""
    clock = grid.points()
    spec = scenario.agents[group]
    return logged_in(scenario, spec, clock.ravel()).reshape(grid.count, -1).mean(axis=1)


def mean_patience_s(scenario: Scenario, channel: str) -> float | None:
    """Mean patience on ``channel``, seconds, over its segments (None: no abandonment)."""
    spec = scenario.channels[channel].patience
    if spec is None:
        return None
    shares: dict[str, float] = {}
    for demand in scenario.demand:
        if demand.channel == channel:
            for name, share in scenario.segment_mix(demand).items():
                shares[name] = shares.get(name, 0.0) + share
    total = sum(shares.values()) or 1.0
    factor = sum(share * scenario.segments[name].patience_factor
                 for name, share in shares.items()) / total
    return spec.sampler().mean * factor
