"""Work estimates and resource limits: refuse absurd runs before they start.

A valid scenario can still ask for more than a machine can give (``per_hour: 1e9``,
``count: 10000000``, ``-n 100000000``). :func:`estimate_work` computes, from the
scenarios alone and without simulating, the expected number of first contacts, the
largest one-day arrival window (the engine generates and holds one day of arrivals at a
time: the main memory cost of a replication), the agents and the tasks; :func:`check_work`
compares the estimate with :class:`Limits` and raises :class:`SimccError` with the
estimate and how to lift the limit. Defaults allow every shipped scenario and the
12-million-contact benchmark year; docs/scenario.md ("Resource limits") lists them.

Estimates are expectations: first contacts only (retrials, repeats, callbacks and
transfers typically add 10-30%), busyness factors at their mean of 1.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace

import numpy as np

from simcc.errors import SimccError
from simcc.scenario.forecast import intent_pieces
from simcc.scenario.schema import Demand, Scenario
from simcc.units import DAY

LIMITS_ENV = "SIMCC_LIMITS"
BASE_MEMORY_BYTES = 200 * 2**20
"""Memory of a worker process before any contact: interpreter, numpy, pandas, simcc."""
BYTES_PER_WINDOW_CONTACT = 1024
"""Memory per contact of the arrival window held by a replication (measured ~1 KiB)."""
BYTES_PER_AGENT = 1024
"""Memory per simulated agent (measured ~0.8 KiB)."""
CONTACTS_PER_SECOND = (10_000, 50_000)
"""Throughput range of one worker, contacts per second (docs/scale.md, "Measured")."""


@dataclass(frozen=True)
class Limits:
    """Upper bounds on one command's work; ``None`` lifts a bound.

    ``contacts``: expected first contacts of all runs and replications together;
    ``day_contacts``: expected arrivals in the busiest one-day window of one replication
    (memory); ``agents``: agents of one replication (memory); ``tasks``: replications of
    all runs together (one task each).
    """

    contacts: float | None = 50_000_000
    day_contacts: float | None = 2_000_000
    agents: float | None = 100_000
    tasks: float | None = 100_000

    @classmethod
    def unbounded(cls) -> Limits:
        """No limit at all (for a caller who knows the run is as large as intended)."""
        return cls(**dict.fromkeys(cls.names()))

    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in fields(cls)]

    def with_assignments(self, assignments: Sequence[str], origin: str) -> Limits:
        """These limits with ``NAME=N`` assignments applied (``N``: a number, or
        ``none`` to lift the limit); ``origin`` names the option or variable in errors."""
        changes: dict[str, float | None] = {}
        for text in assignments:
            name, sep, value = (part.strip() for part in text.partition("="))
            if not sep or name not in self.names():
                raise SimccError(f"{origin} {text!r}: expected NAME=N with NAME one of "
                                 f"{', '.join(self.names())}")
            changes[name] = _limit_value(value, f"{origin} {text!r}")
        return replace(self, **changes)

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Limits:
        """The defaults, changed by ``SIMCC_LIMITS="contacts=2e8,agents=none"``."""
        text = (os.environ if environ is None else environ).get(LIMITS_ENV, "")
        items = [item for item in text.split(",") if item.strip()]
        return cls().with_assignments(items, LIMITS_ENV)


def _limit_value(text: str, origin: str) -> float | None:
    if text.lower() in ("none", "off"):
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not value > 0 or math.isinf(value):
        raise SimccError(f"{origin}: the limit must be a positive number or 'none', "
                         f"got {text!r}")
    return value


@dataclass(frozen=True)
class WorkEstimate:
    """What a command is about to do (expected values, see the module)."""

    contacts: float
    day_contacts: float
    agents: int
    tasks: int
    workers: int = 1

    @property
    def memory_bytes(self) -> float:
        """Approximate peak memory of one worker process running a replication."""
        return (BASE_MEMORY_BYTES + BYTES_PER_WINDOW_CONTACT * self.day_contacts
                + BYTES_PER_AGENT * self.agents)

    @property
    def seconds(self) -> tuple[float, float]:
        """Approximate wall time (fastest, slowest) on ``workers`` workers."""
        per_worker = self.contacts / max(1, min(self.workers, self.tasks))
        fast, slow = CONTACTS_PER_SECOND
        return per_worker / slow, per_worker / fast

    def describe(self) -> str:
        fast, slow = self.seconds
        return (f"{_count(self.contacts)} expected contacts in {_count(self.tasks)} "
                f"replication(s), up to {_count(self.day_contacts)} arriving in one day of a "
                f"replication, {_count(self.agents)} agents, about "
                f"{_size(self.memory_bytes)} of memory per worker, roughly "
                f"{_duration(fast)} to {_duration(slow)}")


def demand_contacts(scenario: Scenario, demand: Demand) -> tuple[float, float]:
    """Expected arrivals of one demand stream: over the horizon, and in the busiest
    one-day window. A profile longer than a day overlaps the next day's, so a window
    can hold several days' profiles."""
    length = scenario.horizon.length_s
    if demand.forecast is not None:
        return _forecast_contacts(scenario, demand)
    rate = demand.rate
    total = rate.mean_per_second * length
    overlap = 1.0
    if rate.profile is not None:
        profile = scenario.profiles[rate.profile]
        interval = profile.interval or scenario.horizon.interval
        overlap = float(math.ceil(len(profile.weights) * interval / DAY)) + 1.0
    window = rate.mean_per_second * min(length, DAY) * overlap
    return total, min(window, total)


def _forecast_contacts(scenario: Scenario, demand: Demand) -> tuple[float, float]:
    """A forecast's expected arrivals over the horizon and on its busiest day (by the day
    of simulated time each row's interval starts in)."""
    pieces = list(intent_pieces(scenario, demand).values())
    if not pieces:
        return 0.0, 0.0
    rows = np.concatenate(pieces)
    per_day = np.bincount((rows[:, 0] // DAY).astype(int),
                          weights=rows[:, 2] * (rows[:, 1] - rows[:, 0]))
    return float(per_day.sum()), float(per_day.max())


def backlog_contacts(scenario: Scenario) -> int:
    """Contacts waiting at the start, over all channels (every replication has them)."""
    return sum(channel.backlog for channel in scenario.channels.values())


def agent_count(scenario: Scenario) -> int:
    """Agents a replication creates (count, every shift's crew, or the staffing peak)."""
    total = 0
    for group in scenario.agents.values():
        if group.count is not None:
            total += group.count
        elif group.staffing is not None:
            total += max(group.staffing.counts)
        else:
            total += sum(shift.count for shift in group.shifts)
    return total


def estimate_work(scenarios: Sequence[Scenario], replications: int,
                  workers: int | None = None) -> WorkEstimate:
    """The expected work of running each of ``scenarios`` ``replications`` times."""
    contacts, day, agents = 0.0, 0.0, 0
    for scenario in scenarios:
        streams = [demand_contacts(scenario, demand) for demand in scenario.demand]
        waiting = backlog_contacts(scenario)
        contacts += (sum(total for total, _ in streams) + waiting) * replications
        day = max(day, sum(window for _, window in streams) + waiting)
        agents = max(agents, agent_count(scenario))
    return WorkEstimate(contacts, day, agents, len(scenarios) * replications,
                        workers or os.cpu_count() or 1)


def estimate_trace_work(scenarios: Sequence[Scenario], trace_contacts: Sequence[int],
                        replications: int, workers: int | None = None) -> WorkEstimate:
    """The work of replaying a trace of ``trace_contacts[k]`` contacts under
    ``scenarios[k]`` (:mod:`simcc.model.trace`), ``replications`` times each; a trace's
    contacts all count as arriving in one day (the replay's traces are days)."""
    contacts = sum(trace_contacts) * replications
    return WorkEstimate(contacts, max(trace_contacts, default=0),
                        max((agent_count(s) for s in scenarios), default=0),
                        len(scenarios) * replications, workers or os.cpu_count() or 1)


def check_work(estimate: WorkEstimate, limits: Limits) -> WorkEstimate:
    """``estimate`` when it is within ``limits``; else :class:`SimccError` with the
    estimate, the limits exceeded and how to lift them."""
    over = [(name, getattr(estimate, name), bound) for name in Limits.names()
            if (bound := getattr(limits, name)) is not None
            and getattr(estimate, name) > bound]
    if not over:
        return estimate
    reasons = "; ".join(f"{name} {_count(value)} > limit {_count(bound)}"
                        for name, value, bound in over)
    lift = " ".join(f"--limit {name}={_count(value * 1.01, exact=True)}"
                    for name, value, _ in over)
    raise SimccError(f"this run is too large: {reasons}. Estimate: {estimate.describe()}. "
                     f"If this is intended, raise the limit with {lift} (or 'none'), or "
                     f"set {LIMITS_ENV}; see docs/scenario.md, 'Resource limits'")


def _count(value: float, exact: bool = False) -> str:
    """``12.3M``-style count (or a plain integer with ``exact``)."""
    if exact or value < 10_000:
        return f"{math.ceil(value)}"
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if value >= scale:
            return f"{value / scale:.3g}{unit}"
    return f"{value:.0f}"


def _size(value: float) -> str:
    for unit, scale in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20)):
        if value >= scale:
            return f"{value / scale:.3g} {unit}"
    return f"{value:.0f} B"


def _duration(seconds: float) -> str:
    for unit, scale in (("days", 86400), ("h", 3600), ("min", 60)):
        if seconds >= scale:
            value = seconds / scale
            return f"{value:,.0f} {unit}" if value >= 10 else f"{value:.2g} {unit}"
    return f"{max(seconds, 1):.0f} s"


def command_limits(assignments: Sequence[str] = ()) -> Limits:
    """The limits of a command: the defaults, then ``SIMCC_LIMITS``, then
    ``assignments`` (``--limit NAME=N`` options); :class:`SimccError` when one is
    malformed."""
    return Limits.from_environment().with_assignments(assignments, "--limit")
