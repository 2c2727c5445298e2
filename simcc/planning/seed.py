"""The analytic seed of a staffing plan.

Per interval and (channel, skill) queue, the smallest number of agents ``n`` whose
Erlang A (the channel has patience: Garnett, Mandelbaum & Reiman 2002) or Erlang C
metrics meet the channel's per-interval targets, each queue on its own (a split-queue
view: sharing between skills only helps). Asynchronous channels need the work itself
(``ceil(load)``): their backlog waits. Then the queues' needs are covered by the
groups at least cost with an integer program (:func:`scipy.optimize.milp`, HiGHS):
``x[g]`` agents of group ``g``, of whom ``y[g, q] >= 0`` work on queue ``q``
(``sum_q y[g, q] <= x[g]``: every agent-hour counts once), with
``sum_g proficiency[g, q] y[g, q] >= n[q]`` (an agent of proficiency ``p`` handles a
contact in ``1/p`` of the time).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

from simcc.planning.grid import Grid, Need, mean_patience_s
from simcc.planning.targets import Target
from simcc.scenario.schema import Scenario
from simcc.theory import erlang_a_metrics, erlang_c_metrics

MAX_SEED_AGENTS = 100_000
"""Largest requirement searched for one queue and interval."""
SHORTFALL_PENALTY = 1e6
"""Cost per agent of a requirement the bounds cannot cover (makes the program feasible
and reports the shortfall)."""


def queue_requirement(rate: float, handle_s: float, patience_s: float | None,
                      targets: list[Target]) -> int:
    """Smallest agents ``n`` for a queue with Poisson ``rate`` (per second), mean
    ``handle_s`` and mean (exponential) ``patience_s`` (None: Erlang C) meeting every
    target (service level, abandonment, ASA, occupancy); 0 without demand."""
    if rate <= 0 or not math.isfinite(handle_s):
        return 0
    load = rate * handle_s
    n = max(1, math.floor(load) + (1 if patience_s is None else 0))
    while n < MAX_SEED_AGENTS:
        if _meets(n, rate, handle_s, patience_s, targets):
            return n
        n += 1 if n < 50 else max(1, n // 100)
    return MAX_SEED_AGENTS


def _meets(n: int, rate: float, handle_s: float, patience_s: float | None,
           targets: list[Target]) -> bool:
    """Whether ``n`` agents meet every target in the Erlang A or C model."""
    for target in targets:
        threshold = target.threshold if target.threshold is not None else 0.0
        if patience_s is None:
            if n <= rate * handle_s:
                return False
            metrics = erlang_c_metrics(n, rate, handle_s, threshold)
            values = {"abandon_rate": 0.0}
        else:
            metrics = erlang_a_metrics(n, rate, handle_s, patience_s, threshold)
            values = {"abandon_rate": metrics.abandon_rate}
        values |= {"service_level": metrics.service_level, "asa_s": metrics.asa_s,
                   "occupancy": metrics.occupancy}
        value = values[target.kpi]
        if not math.isfinite(value) and target.kpi == "asa_s":
            continue
        if not target.met(value):
            return False
    return True


def need_requirements(scenario: Scenario, grid: Grid, targets: list[Target]
                      ) -> np.ndarray:
    """Agents at full proficiency per need (rows, ``grid.needs`` order) and interval."""
    table = np.zeros((len(grid.needs), grid.count), dtype=int)
    for i, need in enumerate(grid.needs):
        channel = scenario.channels[need.channel]
        if channel.asynchronous:
            table[i] = np.ceil(need.load / channel.concurrency - 1e-9).astype(int)
            continue
        mine = _seed_targets(scenario, need, targets)
        patience = mean_patience_s(scenario, need.channel)
        per_agent = float(channel.concurrency)
        for t in range(grid.count):
            table[i, t] = math.ceil(queue_requirement(
                need.rate[t] / per_agent, need.handle_s[t], patience, mine))
    return table


def _seed_targets(scenario: Scenario, need: Need, targets: list[Target]) -> list[Target]:
    """The per-interval targets of the need's channel (its own service level when it has
    none)."""
    mine = [t for t in targets if t.scope == "channel" and t.key == need.channel
            and t.per == "interval"]
    if mine:
        return mine
    spec = scenario.channels[need.channel].service_level
    return [Target("channel", need.channel, "service_level", spec.target, "interval",
                   spec.threshold)]


@dataclass(frozen=True)
class Decision:
    """What the plan decides: ``bounds[g] = (low, high)`` agents per interval of the
    staffable groups (high None: unbounded), ``fixed[g]`` the agents per interval of the
    other groups, ``weight[g]`` the objective per agent and interval (cost per hour x
    interval hours, plus a small agent-count tie-break)."""

    bounds: dict[str, tuple[int, int | None]]
    fixed: dict[str, np.ndarray]
    weight: dict[str, float]


def cover(scenario: Scenario, grid: Grid, need_table: np.ndarray, decision: Decision,
          pooled: tuple[Grid, np.ndarray] | None = None
          ) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The least-cost integer agents per staffable group and interval covering
    ``need_table``, and the uncovered agents per need and interval (bounds too tight).
    With ``pooled`` (:func:`pooled_needs`), each interval takes the cheaper of the split
    cover and the cover of the pooled queues (agents holding every skill of a channel
    share its contacts: fewer agents for the same service)."""
    plan = {g: np.zeros(grid.count, dtype=int) for g in decision.bounds}
    short = np.zeros(need_table.shape)
    for t in range(grid.count):
        counts, short[:, t] = _cover_interval(scenario, grid, need_table[:, t], decision, t)
        if pooled is not None:
            merged, merged_short = _cover_interval(scenario, pooled[0], pooled[1][:, t],
                                                   decision, t)
            if merged_short.sum() <= short[:, t].sum() and _cost(merged, decision) < \
                    _cost(counts, decision):
                counts = merged
        for g, value in counts.items():
            plan[g][t] = value
    return plan, short


def _cost(counts: dict[str, int], decision: Decision) -> float:
    return sum(decision.weight[g] * n for g, n in counts.items())


POOLED = "*"
"""Skill name of a pooled queue: every skill of its channel."""


def pooled_needs(scenario: Scenario, grid: Grid, targets: list[Target]
                 ) -> tuple[Grid, np.ndarray] | None:
    """The grid with the needs of each multi-skill live channel merged into one queue of
    skill :data:`POOLED`, served by the groups holding all of the channel's skills (at
    their lowest proficiency), and its requirements; None when no channel can pool."""
    merged, changed = [], False
    for channel in dict.fromkeys(n.channel for n in grid.needs):
        mine = [n for n in grid.needs if n.channel == channel]
        skills = {n.skill for n in mine}
        if len(mine) < 2 or scenario.channels[channel].asynchronous or not any(
                skills <= set(g.skills) and channel in g.channels
                for g in scenario.agents.values()):
            merged += mine
            continue
        rate = sum(n.rate for n in mine)
        with np.errstate(invalid="ignore", divide="ignore"):
            handle = sum(np.nan_to_num(n.rate * n.handle_s) for n in mine) / rate
        merged.append(Need(channel, POOLED, rate, np.where(rate > 0, handle, np.nan),
                           tuple(sorted(skills))))
        changed = True
    if not changed:
        return None
    pooled = Grid(grid.interval_s, grid.start_clock, grid.count, merged)
    return pooled, need_requirements(scenario, pooled, targets)


def _cover_interval(scenario: Scenario, grid: Grid, needed: np.ndarray, decision: Decision,
                    t: int) -> tuple[dict[str, int], np.ndarray]:
    """One interval's integer program (variables: x per staffable group, y per
    (group, need), a shortfall per need)."""
    groups = list(decision.bounds) + list(decision.fixed)
    pairs = [(gi, qi) for gi, g in enumerate(groups) for qi, need in enumerate(grid.needs)
             if _proficiency(scenario, g, need) > 0]
    nx, ny, nq = len(decision.bounds), len(pairs), len(grid.needs)
    size = nx + ny + nq
    cost = np.zeros(size)
    cost[:nx] = [decision.weight[g] for g in decision.bounds]
    cost[nx + ny:] = SHORTFALL_PENALTY
    rows, low, high = [], [], []
    for gi, g in enumerate(groups):  # sum_q y[g, q] - x[g] <= 0 (or <= fixed count)
        row = np.zeros(size)
        row[[nx + k for k, (pg, _) in enumerate(pairs) if pg == gi]] = 1.0
        if gi < nx:
            row[gi] = -1.0
        rows.append(row)
        low.append(-np.inf)
        high.append(0.0 if gi < nx else float(decision.fixed[g][t]))
    for qi, need in enumerate(grid.needs):  # sum_g p y[g, q] + short[q] >= n[q]
        row = np.zeros(size)
        for k, (gi, pq) in enumerate(pairs):
            if pq == qi:
                row[nx + k] = _proficiency(scenario, groups[gi], need)
        row[nx + ny + qi] = 1.0
        rows.append(row)
        low.append(float(needed[qi]))
        high.append(np.inf)
    lower = np.zeros(size)
    upper = np.full(size, np.inf)
    for gi, g in enumerate(decision.bounds):
        lower[gi], top = decision.bounds[g]
        upper[gi] = np.inf if top is None else top
    integrality = np.zeros(size)
    integrality[:nx] = 1
    result = milp(cost, constraints=LinearConstraint(np.array(rows), low, high),
                  integrality=integrality, bounds=Bounds(lower, upper))
    if result.x is None:
        raise RuntimeError(f"the staffing program of interval {t} failed: {result.message}")
    counts = {g: int(round(result.x[gi])) for gi, g in enumerate(decision.bounds)}
    return counts, result.x[nx + ny:]


def _proficiency(scenario: Scenario, group: str, need: Need) -> float:
    """How much of a full-proficiency agent on the queues one paid agent of ``group``
    is on ``need`` (0: cannot serve it): its proficiency (on a pooled queue, the lowest
    over the channel's skills) times the share of time it is on the queues,
    ``1 - shrinkage``."""
    spec = scenario.agents[group]
    if need.channel not in spec.channels:
        return 0.0
    on_queue = 1.0 - spec.shrinkage
    if need.skill != POOLED:
        return spec.skills.get(need.skill, 0.0) * on_queue
    return min((spec.skills.get(s, 0.0) for s in need.pooled), default=0.0) * on_queue
