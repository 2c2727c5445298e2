"""``simcc staff --shifts``: the count of each existing shift, decided by simulation.

One-step staffing and scheduling (Avramidis, Chan, Gendreau, L'Ecuyer & Pisacane
2010): for the decided groups that have ``shifts``, the decision vector is the count
of each of their shifts; an interval's staffing is the sum of the shifts on duty in it.
The search uses the per-interval machinery of :mod:`~simcc.planning.search` (common
random numbers, the safety margin, the verification) with shift counts as the plan:

1. **Seed.** The per-interval analytic seed (:mod:`~simcc.planning.seed`), covered by
   the shifts at least cost: an integer program (HiGHS) ``min sum_j c_j x_j`` with
   ``sum_j a[t, j] x_j >= seed[t]`` for every interval some shift covers (``a[t, j]``
   the share of interval ``t`` shift ``j`` is on duty, ``c_j`` its cost per day).
2. **Adding.** While a target is missed, every shift that covers a missed interval
   (or, for a day target, any interval with the target's work) is tried with one agent
   more, all in one batch; the one with the best simulated gain per cost is kept. When
   no trial improves any missed target over :data:`STALL_ROUNDS` iterations, the
   targets still missed are out of reach.
3. **Removal.** Every shift above its lower bound is tried with one agent fewer (one
   batch); of the trials that still meet every target, the one saving the most is
   kept; repeated until no single removal keeps the targets. The result is locally
   optimal on the search's draws: one agent fewer in any shift misses a target.
4. **Verification** on fresh draws with twice the replications, repaired by adding as
   for per-interval plans.
"""

from __future__ import annotations

import copy
import math
import time
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, milp

from simcc.errors import SimccError
from simcc.experiment.executors import Executor
from simcc.experiment.replications import Progress
from simcc.experiment.simulate import prepare
from simcc.model.staffing import scheduled_hours
from simcc.planning.evaluate import DAY_ROW
from simcc.planning.grid import Grid, fixed_agents, plan_grid
from simcc.planning.plan import StaffingPlan, keep_valid_variants
from simcc.planning.search import STALL_ROUNDS, Plan, Search, gap_scale
from simcc.planning.seed import Decision, cover, need_requirements, pooled_needs
from simcc.planning.targets import measured_scenario, scenario_targets
from simcc.planning.verify import uncertainty_note, verification_table
from simcc.scenario.schema import Scenario
from simcc.scenario.timeline import shift_on
from simcc.units import DAY

MAX_ROUNDS = 200
"""Adding or removal iterations at most (each one simulation batch)."""


class ShiftSearch:
    """The search over shift counts of ``groups`` (the decided groups with shifts):
    ``coverage[g]`` is the share of each grid interval each of their shifts is on duty
    (intervals x shifts), ``cost[g]`` a shift agent's objective per day."""

    def __init__(self, model: Scenario, grid: Grid, decision: Decision, reps: int, seed: int,
                 runner: Executor, progress: Progress | None) -> None:
        self.model, self.grid, self.decision = model, grid, decision
        self.groups = list(decision.bounds)
        self.coverage = {g: coverage(model, grid, g) for g in self.groups}
        hours = {g: np.array([s.length_s / 3600.0 for s in model.agents[g].shifts])
                 for g in self.groups}
        self.cost = {g: decision.weight[g] / grid.hours * hours[g] for g in self.groups}
        self.search = Search(measured_scenario(model), grid, scenario_targets(model),
                             decision, reps, seed, runner, progress, build=self.scenario)

    # ---------------------------------------------------------------- plans

    def intervals(self, counts: Plan) -> Plan:
        """Agents logged in per grid interval of each group (shifts summed)."""
        return {g: self.coverage[g] @ counts[g] for g in self.groups}

    def scenario(self, counts: Plan) -> Scenario:
        """The scenario to simulate: each group's shifts with the given counts (shifts at
        0 left out; a group with none has ``count: 0``)."""
        base = self.search.scenario
        agents = dict(base.agents)
        for g in self.groups:
            kept = [s.model_copy(update={"count": int(c)})
                    for s, c in zip(base.agents[g].shifts, counts[g], strict=True) if c > 0]
            update = {"shifts": kept, "count": None} if kept else {"shifts": None, "count": 0}
            agents[g] = agents[g].model_copy(update=update)
        return base.model_copy(update={"agents": agents, "variants": {}, "sweep": None})

    def price(self, counts: Plan) -> float:
        """Objective of ``counts`` (cost per day plus the agent-count tie-break)."""
        return float(sum(self.cost[g] @ counts[g] for g in self.groups))

    def seed_counts(self, per_interval: Plan) -> Plan:
        """The cheapest shift counts covering ``per_interval`` agents (see step 1)."""
        counts = {}
        for g in self.groups:
            a, need = self.coverage[g], per_interval[g].astype(float)
            rows = a.sum(axis=1) > 0
            low, high = self.decision.bounds[g]
            upper = np.inf if high is None else high
            constraints = [LinearConstraint(a[rows], need[rows], np.inf)] if rows.any() else []
            result = milp(self.cost[g] + 1e-9, constraints=constraints,
                          integrality=np.ones(a.shape[1]), bounds=Bounds(low, upper))
            counts[g] = (np.round(result.x).astype(int) if result.success
                         else np.full(a.shape[1], low, dtype=int))
        return counts

    # ---------------------------------------------------------------- search steps

    def improve(self, counts: Plan, measured: pd.DataFrame) -> tuple[Plan, pd.DataFrame]:
        """Add one agent at a time to the shift with the best simulated gain per cost
        while targets are missed (step 2)."""
        stalls = 0
        for _ in range(MAX_ROUNDS):
            missed = self._missed(measured)
            if missed.empty:
                return counts, measured
            trials = self._additions(counts, missed)
            if not trials:
                self._out_of_reach(missed, "every shift that covers it is at its bound")
                continue
            results = self.search.evaluate([plan for _, plan in trials])
            gains = [self._gain(missed, measured, result) / self.cost[g][j]
                     for ((g, j), _), result in zip(trials, results, strict=True)]
            best = int(np.argmax(gains))
            stalls = stalls + 1 if gains[best] <= 0 else 0
            if stalls >= STALL_ROUNDS:
                self._out_of_reach(missed, "adding agents no longer improves it")
                continue
            counts, measured = trials[best][1], results[best]
        self.search.notes.append(f"adding stopped after {MAX_ROUNDS} iterations (the cap)")
        return counts, measured

    def trim(self, counts: Plan, measured: pd.DataFrame) -> tuple[Plan, pd.DataFrame]:
        """Remove one agent at a time, the biggest saving that keeps every target met,
        until no single removal does (step 3)."""
        for _ in range(MAX_ROUNDS):
            trials = [((g, j), _changed(counts, g, j, -1)) for g in self.groups
                      for j in range(len(counts[g]))
                      if counts[g][j] > self.decision.bounds[g][0]]
            if not trials:
                return counts, measured
            results = self.search.evaluate([plan for _, plan in trials])
            fine = [(self.cost[g][j], k) for k, ((g, j), _) in enumerate(trials)
                    if self._missed(results[k]).empty]
            if not fine:
                return counts, measured
            _, k = max(fine)
            counts, measured = trials[k][1], results[k]
        self.search.notes.append(f"removal stopped after {MAX_ROUNDS} passes (the cap)")
        return counts, measured

    def _missed(self, measured: pd.DataFrame) -> pd.DataFrame:
        """Rows missing their target with the safety margin, out-of-reach ones aside."""
        rows = self.search.misses(measured)
        keep = [(int(r.target), int(r.interval)) not in self.search.infeasible
                for r in rows.itertuples()]
        return rows[np.array(keep, dtype=bool)] if len(rows) else rows

    def _additions(self, counts: Plan, missed: pd.DataFrame) -> list[tuple[tuple[str, int], Plan]]:
        """``((group, shift), counts with one agent more)`` for every shift with room
        that covers a missed interval (any interval, for a missed day target) of a
        group that can serve the target."""
        wanted: set[tuple[str, int]] = set()
        for r in missed.itertuples():
            target = self.search.targets[int(r.target)]
            for g in self.search.eligible(target):
                a = self.coverage[g]
                on = a.sum(axis=0) > 0 if int(r.interval) == DAY_ROW else a[int(r.interval)] > 0
                wanted |= {(g, int(j)) for j in np.flatnonzero(on)}
        return [((g, j), _changed(counts, g, j, 1)) for g, j in sorted(wanted)
                if self.decision.bounds[g][1] is None
                or counts[g][j] < self.decision.bounds[g][1]]

    def _gain(self, missed: pd.DataFrame, before: pd.DataFrame, after: pd.DataFrame
              ) -> float:
        """Sum over the missed rows of how much closer ``after`` is to the goal."""
        total = 0.0
        for r in missed.itertuples():
            target = self.search.targets[int(r.target)]
            change = (target.gap(_mean(after, r.target, r.interval))
                      - target.gap(_mean(before, r.target, r.interval))) / gap_scale(target)
            total += 0.0 if math.isnan(change) else change
        return total

    def _out_of_reach(self, missed: pd.DataFrame, why: str) -> None:
        for r in missed.itertuples():
            self.search.infeasible[(int(r.target), int(r.interval))] = why


def coverage(model: Scenario, grid: Grid, group: str) -> np.ndarray:
    """Share of each grid interval (rows) each shift of ``group`` (columns) is on."""
    clock = grid.points()
    return np.stack([shift_on(s.start, s.length_s, clock.ravel()).reshape(grid.count, -1)
                     .mean(axis=1) for s in model.agents[group].shifts], axis=1)


def shift_decision(model: Scenario, decision: Decision, grid: Grid) -> tuple[Decision, list[str]]:
    """``decision`` limited to the groups with shifts (their bounds apply to each
    shift's count), the other decided groups kept at their own staffing; their names."""
    shifted = {g: b for g, b in decision.bounds.items() if model.agents[g].shifts is not None}
    if not shifted:
        raise SimccError("simcc staff --shifts decides the counts of existing shifts, but "
                         "no decided group has 'shifts' (see 'staffable')")
    kept = [g for g in decision.bounds if g not in shifted]
    fixed = dict(decision.fixed) | {g: fixed_agents(model, grid, g) for g in kept}
    return Decision(shifted, fixed, {g: decision.weight[g] for g in shifted}), kept


def staff_shifts(document: dict[str, Any], model: Scenario, decision: Decision, reps: int,
                 seed: int, verify, runner: Executor, progress: Progress | None
                 ) -> StaffingPlan:
    """The cheapest shift counts of the decided groups with shifts meeting the targets
    (the module docstring); ``verify(search, plan)`` verifies (and repairs) a plan."""
    began = time.monotonic()
    grid = plan_grid(model)
    decision, kept = shift_decision(model, decision, grid)
    shifts = ShiftSearch(model, grid, decision, reps, seed, runner, progress)
    targets = shifts.search.targets
    requirement = need_requirements(model, grid, targets)
    per_interval, _ = cover(model, grid, requirement, decision,
                            pooled_needs(model, grid, targets))
    counts = shifts.seed_counts(per_interval)
    counts, measured = shifts.improve(counts, shifts.search.evaluate([counts])[0])
    counts, measured = shifts.trim(counts, measured)
    counts, verified = verify(shifts, counts)
    staffed, dropped = shifted_document(document, counts)
    table = verification_table(verified, targets, grid, shifts.search.infeasible)
    uncertain = uncertainty_note(table, 2 * reps)
    notes = shifts.search.notes + [
        f"{g}: not decided by --shifts (no shifts): kept at its own staffing" for g in kept]
    notes += [f"variant {name} dropped: it no longer applies to the staffed groups"
              for name in dropped] + ([uncertain] if uncertain else [])
    logged = shifts.intervals(counts)
    planned = prepare(staffed)
    hours = {g: scheduled_hours(planned, g) for g in counts}
    return StaffingPlan(
        groups={g: [int(round(v)) for v in logged[g]] for g in logged},
        interval_s=grid.interval_s, start_clock=grid.start_clock,
        cost=float(sum(model.agents[g].cost_per_hour * h for g, h in hours.items())),
        paid_hours=float(sum(hours.values())),
        horizon_days=model.horizon.length_s / DAY,
        scenario=planned, document=staffed, targets=targets, verification=table,
        simulations=shifts.search.simulations, replications=reps,
        seconds=time.monotonic() - began,
        feasible=bool(table["met"].all()) and not shifts.search.infeasible,
        seed_groups={g: [int(v) for v in per_interval[g]] for g in per_interval},
        requirement={f"{n.channel}/{n.skill}": [int(v) for v in requirement[i]]
                     for i, n in enumerate(grid.needs)},
        notes=notes, shifts={g: [int(c) for c in counts[g]] for g in counts})


def shifted_document(document: dict[str, Any], counts: Plan) -> tuple[dict[str, Any], list[str]]:
    """``document`` with each decided group's shifts at their new counts (shifts at 0
    left out; ``count: 0`` when none is left), every other key of a shift kept; and
    the variants dropped because they no longer apply."""
    staffed = copy.deepcopy(document)
    for g, values in counts.items():
        group = staffed["agents"][g]
        kept = [{**shift, "count": int(c)} for shift, c in zip(group["shifts"], values,
                                                                strict=True) if c > 0]
        group.pop("shifts")
        if kept:
            group["shifts"] = kept
        else:
            group["count"] = 0
    return keep_valid_variants(staffed)


def _changed(counts: Plan, group: str, shift: int, amount: int) -> Plan:
    """A copy of ``counts`` with ``amount`` agents more in ``shift`` of ``group``."""
    new = {g: c.copy() for g, c in counts.items()}
    new[group][shift] += amount
    return new


def _mean(measured: pd.DataFrame, target: int, interval: int) -> float:
    row = measured[(measured["target"] == target) & (measured["interval"] == interval)]
    return float(row["mean"].iloc[0]) if len(row) else math.nan
