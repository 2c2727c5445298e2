"""Simulation-based improvement of a staffing plan on common random numbers.

Every candidate plan is simulated with the same seed and replications, so differences
between candidates come from the staffing, not from the draws (Atlason, Epelman &
Henderson 2004; Cezik & L'Ecuyer 2008). A target counts as met in the search only when
its mean beats the goal by one standard error of the mean over replications (the
safety margin, docs/staffing.md): a plan that just scrapes through on the search's
draws would miss about half the time on fresh ones.

1. **Adding** (:meth:`Search.improve`): while targets are missed, every missed
   (interval, channel) gets one more agent of the eligible group with the best simulated
   gain per cost (each eligible group tried once per iteration, one simulation each, when
   there are several). All missed intervals are handled in the same iteration, in
   interval order. A missed day target adds agents in the quarter of its intervals with
   the least capacity per offered load. A target whose groups are at their bounds, or
   whose shortfall does not shrink at all over :data:`STALL_ROUNDS` additions, is
   infeasible.
2. **Removal** (:meth:`Search.trim`): one agent is removed from every interval with
   slack (the most expensive group that may lose one), all in one simulation; removals
   in intervals that then miss, and in the interval before them (its backlog reaches
   the next), are put back and never tried again. A removal never leaves a (channel,
   skill) with work in the interval without an eligible agent.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from simcc.experiment.executors import Executor
from simcc.planning.evaluate import DAY_ROW, measure, run_plans
from simcc.planning.grid import Grid
from simcc.planning.seed import Decision
from simcc.planning.targets import Target
from simcc.scenario.schema import Scenario, Staffing
from simcc.units import format_clock_exact

Plan = dict[str, np.ndarray]
"""Agents per grid interval of each staffable group."""
MAX_ADD_ROUNDS = 60
"""Adding iterations at most; the search reports the cap when it is reached."""
MAX_TRIM_ROUNDS = 40
"""Removal passes at most."""
STALL_ROUNDS = 3
"""Additions in a row that do not shrink a shortfall at all (on common random numbers
one more agent almost always helps a little) before the target is infeasible."""
DAY_SHARE = 0.25
"""Share of its intervals a missed day target adds an agent to per iteration."""


def plan_scenario(scenario: Scenario, grid: Grid, plan: Plan) -> Scenario:
    """``scenario`` with each planned group logged in by a staffing table (unvalidated
    copy for simulation; :func:`simcc.planning.staff.staffed_document` writes the file)."""
    agents = dict(scenario.agents)
    for name, counts in plan.items():
        table = Staffing(counts=[int(c) for c in counts],
                         start=format_clock_exact(grid.start_clock), interval=grid.interval_s)
        agents[name] = agents[name].model_copy(
            update={"count": None, "shifts": None, "staffing": table})
    return scenario.model_copy(update={"agents": agents, "variants": {}, "sweep": None})


@dataclass
class Search:
    """The state of one staffing search: the scenario (thresholds set to the targets'),
    grid, targets and decision, how to simulate, and what was found out."""

    scenario: Scenario
    grid: Grid
    targets: list[Target]
    decision: Decision
    replications: int
    seed: int
    executor: Executor
    progress: Callable[[int, int], None] | None = None
    build: Callable[[Plan], Scenario] | None = None
    """The scenario a candidate plan is simulated as (default: per-interval staffing
    tables, :func:`plan_scenario`; ``simcc staff --shifts``: shift counts)."""
    simulations: int = 0
    infeasible: dict[tuple[int, int], str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def evaluate(self, plans: list[Plan], seed: int | None = None,
                 replications: int | None = None) -> list[pd.DataFrame]:
        """Simulate each plan (one batch) and measure every target."""
        reps = self.replications if replications is None else replications
        scenarios = [self.build(p) if self.build is not None
                     else plan_scenario(self.scenario, self.grid, p) for p in plans]
        outputs = run_plans(scenarios, reps, self.seed if seed is None else seed,
                            self.executor, self.progress)
        self.simulations += len(plans)
        return [measure(out, self.targets, self.grid) for out in outputs]

    def misses(self, measured: pd.DataFrame) -> pd.DataFrame:
        """The rows of ``measured`` that miss their target with the safety margin."""
        keep = [not self.targets[int(r.target)].met(r.mean, 0.0 if math.isnan(r.se) else r.se)
                for r in measured.itertuples()]
        return measured[np.array(keep, dtype=bool)] if len(measured) else measured

    # ------------------------------------------------------------------ adding

    def improve(self, plan: Plan, measured: pd.DataFrame) -> tuple[Plan, pd.DataFrame]:
        """Add agents until every target is met or known infeasible (see the module
        docstring); returns the plan and its measurement."""
        stalls: dict[tuple[int, int], int] = {}
        previous: dict[tuple[int, int], float] = {}
        for _ in range(MAX_ADD_ROUNDS):
            wanted = self._wanted(plan, measured, stalls, previous)
            if not wanted:
                return plan, measured
            plan = self._add(plan, measured, wanted)
            measured = self.evaluate([plan])[0]
        self.notes.append(f"adding stopped after {MAX_ADD_ROUNDS} iterations (the cap)")
        return plan, measured

    def _wanted(self, plan: Plan, measured: pd.DataFrame, stalls: dict, previous: dict
                ) -> dict[int, list[tuple[int, list[str]]]]:
        """Interval -> [(target, eligible groups)] where one agent should be added;
        marks infeasible targets (bounds reached, or shortfall no longer shrinking)."""
        wanted: dict[int, list[tuple[int, list[str]]]] = {}
        for row in self.misses(measured).itertuples():
            key = (int(row.target), int(row.interval))
            if key in self.infeasible:
                continue
            target = self.targets[key[0]]
            gap = target.gap(row.mean) / gap_scale(target)
            stalls[key] = stalls.get(key, 0) + 1 if gap <= previous.get(key, -math.inf) \
                else 0
            previous[key] = max(gap, previous.get(key, -math.inf))
            if stalls[key] >= STALL_ROUNDS:
                self.infeasible[key] = "adding agents no longer improves it"
                continue
            added = False
            for t in self._intervals_of(plan, target, key[1]):
                groups = [g for g in self.eligible(target) if _room(self.decision, plan, g, t)]
                if groups:
                    wanted.setdefault(t, []).append((key[0], groups))
                    added = True
            if not added:
                self.infeasible[key] = "every eligible group is at its bound"
        return wanted

    def _intervals_of(self, plan: Plan, target: Target, interval: int) -> list[int]:
        """Where a missed target adds agents: its interval, or for a day target the
        intervals of its channels with the least capacity per offered load."""
        if interval != DAY_ROW:
            return [interval]
        needs = [n for n in self.grid.needs if n.channel in self._channels(target)]
        load = sum((n.load for n in needs), np.zeros(self.grid.count))
        busy = np.flatnonzero(load > 0)
        capacity = sum((plan[g] for g in self.eligible(target)), np.zeros(self.grid.count))
        order = busy[np.argsort(capacity[busy] / load[busy], kind="stable")]
        return sorted(order[:max(1, math.ceil(DAY_SHARE * len(busy)))].tolist())

    def _channels(self, target: Target) -> set[str]:
        """The channels whose contacts a target measures."""
        s = self.scenario
        if target.scope == "channel":
            return {target.key}
        if target.scope == "intent":
            return {d.channel for d in s.demand if target.key in d.mix}
        return {d.channel for d in s.demand if s.segment_mix(d).get(target.key, 0) > 0}

    def eligible(self, target: Target) -> list[str]:
        """Planned groups that can answer contacts the target measures."""
        channels = self._channels(target)
        skills = ({self.scenario.intents[target.key].skill} if target.scope == "intent"
                  else {n.skill for n in self.grid.needs if n.channel in channels})
        return [g for g in self.decision.bounds
                if set(self.scenario.agents[g].channels) & channels
                and set(self.scenario.agents[g].skills) & skills]

    def _add(self, plan: Plan, measured: pd.DataFrame,
             wanted: dict[int, list[tuple[int, list[str]]]]) -> Plan:
        """One agent per wanted interval, of the group chosen by :meth:`_choose`."""
        groups = sorted({g for items in wanted.values() for _, gs in items for g in gs})
        trials: dict[str, pd.DataFrame] = {}
        if len(groups) > 1:
            plans = [_plus(plan, {t: g for t, items in wanted.items()
                                  if any(g in gs for _, gs in items)}) for g in groups]
            trials = dict(zip(groups, self.evaluate(plans), strict=True))
        choice = {t: self._choose(t, items, measured, trials) for t, items in wanted.items()}
        return _plus(plan, choice)

    def _choose(self, t: int, items: list[tuple[int, list[str]]], measured: pd.DataFrame,
                trials: dict[str, pd.DataFrame]) -> str:
        """The group with the best simulated gain per cost for interval ``t``'s missed
        targets (the cheapest when no trial was run or nothing gains)."""
        candidates = sorted({g for _, gs in items for g in gs},
                            key=lambda g: (self.decision.weight[g], g))
        if not trials:
            return candidates[0]

        def gain(group: str) -> float:
            total = 0.0
            for target, _ in items:
                interval = t if self.targets[target].per == "interval" else DAY_ROW
                before = _value(measured, target, interval)
                after = _value(trials[group], target, interval)
                change = (self.targets[target].gap(after) - self.targets[target].gap(before)
                          ) / gap_scale(self.targets[target])
                total += 0.0 if math.isnan(change) else change
            return total / self.decision.weight[group]

        best = max(candidates, key=gain)
        return best if gain(best) > 0 else candidates[0]

    # ------------------------------------------------------------------ removal

    def trim(self, plan: Plan, measured: pd.DataFrame) -> tuple[Plan, pd.DataFrame]:
        """Remove agents where targets have slack (see the module docstring)."""
        blocked: set[tuple[str, int]] = set()
        for _ in range(MAX_TRIM_ROUNDS):
            removal = self._removals(plan, measured, blocked)
            if not removal:
                return plan, measured
            trial = _plus(plan, removal, -1)
            trial_measured = self.evaluate([trial])[0]
            missed = self.misses(trial_measured)
            if (missed["interval"] == DAY_ROW).any():
                blocked |= {(g, t) for t, g in removal.items()}
                continue
            bad = set(missed["interval"].astype(int))
            back = {t: g for t, g in removal.items() if t in bad or t + 1 in bad}
            blocked |= {(g, t) for t, g in back.items()}
            if not back:
                plan, measured = trial, trial_measured
                continue
            plan = _plus(trial, back)
            measured = self.evaluate([plan])[0]
            if len(self.misses(measured)):
                plan, measured = self.improve(plan, measured)
        self.notes.append(f"removal stopped after {MAX_TRIM_ROUNDS} passes (the cap)")
        return plan, measured

    def _removals(self, plan: Plan, measured: pd.DataFrame, blocked: set) -> dict[int, str]:
        """Interval -> group losing one agent: every judged interval whose targets all
        have slack, the most expensive group above its lower bound not yet blocked."""
        judged = measured[measured["interval"] != DAY_ROW]
        missed = set(self.misses(judged)["interval"].astype(int))
        removal = {}
        for t in sorted(set(judged["interval"].astype(int)) - missed):
            groups = [g for g in self.decision.bounds if (g, t) not in blocked
                      and plan[g][t] > self.decision.bounds[g][0]
                      and self._leaves_every_skill_served(plan, g, t)]
            if groups:
                removal[t] = max(groups, key=lambda g: (self.decision.weight[g], g))
        return removal


    def _leaves_every_skill_served(self, plan: Plan, group: str, t: int) -> bool:
        """Whether ``group`` can lose one agent in interval ``t`` and every (channel,
        skill) with work then still has an eligible agent logged in: a channel-wide
        target alone would let a small skill's queue go unstaffed."""
        for need in self.grid.needs:
            if need.rate[t] <= 0 or not self._serves(group, need.channel, need.skill):
                continue
            serving = sum(int(counts[t]) for g, counts in plan.items()
                          if self._serves(g, need.channel, need.skill))
            serving += sum(int(counts[t]) for g, counts in self.decision.fixed.items()
                           if self._serves(g, need.channel, need.skill))
            if serving <= 1:
                return False
        return True

    def _serves(self, group: str, channel: str, skill: str) -> bool:
        spec = self.scenario.agents[group]
        return skill in spec.skills and channel in spec.channels


def _room(decision: Decision, plan: Plan, group: str, t: int) -> bool:
    """Whether ``group`` may get one more agent in interval ``t``."""
    high = decision.bounds[group][1]
    return high is None or plan[group][t] < high


def _plus(plan: Plan, where: dict[int, str], amount: int = 1) -> Plan:
    """A copy of ``plan`` with ``amount`` agents more of group ``where[t]`` at each ``t``."""
    new = {g: counts.copy() for g, counts in plan.items()}
    for t, group in where.items():
        new[group][t] += amount
    return new


def _value(measured: pd.DataFrame, target: int, interval: int) -> float:
    """The measured mean of one target and interval (NaN when not measured)."""
    row = measured[(measured["target"] == target) & (measured["interval"] == interval)]
    return float(row["mean"].iloc[0]) if len(row) else math.nan


def gap_scale(target: Target) -> float:
    """Unit in which gaps of different KPIs are compared: 1 for rates, the goal for
    ASA (seconds)."""
    return max(target.goal, 1.0) if target.kpi == "asa_s" else 1.0
