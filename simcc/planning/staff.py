"""``staff``: the cheapest per-interval staffing that meets the targets, by simulation.

Steps (docs/staffing.md): the interval grid and its loads (:mod:`~simcc.planning.grid`),
an analytic seed covered at least cost by an integer program
(:mod:`~simcc.planning.seed`), simulation-based adding and removal on common random
numbers (:mod:`~simcc.planning.search`), and a verification of the final plan on fresh
seeds with twice the replications (:mod:`~simcc.planning.verify`).
"""

from __future__ import annotations

import copy
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from simcc.errors import SimccError
from simcc.experiment.executors import Executor, LocalExecutor
from simcc.experiment.replications import Progress
from simcc.experiment.simulate import prepare
from simcc.planning.dates import horizon_dates, staff_dates
from simcc.planning.grid import Grid, fixed_agents, plan_grid
from simcc.planning.plan import StaffingPlan, staffed_document
from simcc.planning.search import Plan, Search
from simcc.planning.seed import Decision, cover, need_requirements, pooled_needs
from simcc.planning.shifts import staff_shifts
from simcc.planning.targets import measured_scenario, scenario_targets
from simcc.planning.verify import uncertainty_note, verification_table
from simcc.scenario.load import read_document
from simcc.scenario.schema import Scenario

VERIFY_SEED_OFFSET = 1_000_003
"""The verification runs on seed ``seed + VERIFY_SEED_OFFSET`` (fresh draws)."""
VERIFY_FACTOR = 2
"""Verification replications per search replication."""
REPAIR_ROUNDS = 2
"""Times a plan shown to miss on verification is repaired and verified again."""
TIE_BREAK = 1e-3
"""Objective per agent-hour added to the cost (ties broken by agent count), as a share
of the mean cost per hour (of 1 when every group costs nothing)."""


def staff(scenario: str | Path | Mapping[str, Any] | Scenario,
          replications: int | None = None, seed: int | None = None,
          workers: int | None = None, executor: Executor | None = None,
          progress: Progress | None = None, shifts: bool = False) -> StaffingPlan:
    """The cheapest staffing per interval of the staffable groups that meets the
    scenario's targets (``targets``, ``staffable``: docs/staffing.md), found with
    ``replications`` per candidate plan (default: the scenario's) on ``seed`` (default:
    the scenario's), and verified on fresh seeds with twice as many. ``executor``
    (default: ``workers`` local processes) runs the replications; ``progress(done,
    total)`` follows each batch of them. Raises
    :class:`~simcc.errors.ScenarioError` for invalid input; an unreachable target gives
    a plan with ``feasible`` False (the best plan found), never an exception.

    With a ``calendar`` each date of the horizon is planned on its own
    (:mod:`simcc.planning.dates`). With ``shifts`` the decided groups that have shifts
    get the count of each shift instead of staffing tables
    (:mod:`simcc.planning.shifts`; the whole horizon at once, calendar or not)."""
    began = time.monotonic()
    model = prepare(scenario)
    reps = model.replications if replications is None else replications
    seed = model.seed if seed is None else seed
    if reps < 2:
        raise SimccError("simcc staff needs at least 2 replications (-n): the search "
                         "judges targets with their standard errors")
    document = _source_document(scenario, model)
    if model.calendar is not None and not shifts:
        horizon_dates(model)  # its errors before any executor starts
    runner = LocalExecutor(workers) if executor is None else executor
    try:
        if shifts:
            plan = staff_shifts(
                document, model, decision_of(model, plan_grid(model)), reps, seed,
                lambda search, counts: _verify(search.search, counts, seed, VERIFY_FACTOR * reps,
                                               search.improve), runner, progress)
        elif model.calendar is not None:
            plan = staff_dates(document, model, lambda doc, day: _staff_day(
                doc, day, reps, seed, runner, progress))
        else:
            plan = _staff_day(document, model, reps, seed, runner, progress)
    finally:
        if executor is None:
            runner.close()
    plan.seconds = time.monotonic() - began
    return plan


def _staff_day(document: dict[str, Any], model: Scenario, reps: int,
               seed: int, runner: Executor, progress: Progress | None) -> StaffingPlan:
    """The typical-day plan of ``model`` (its staffing tables repeat every day; one date
    of a calendar), the analytic seed computed from its rates over the day; ``document``
    is the scenario file the staffed one is made from."""
    began = time.monotonic()
    targets = scenario_targets(model)
    grid = plan_grid(model)
    decision = decision_of(model, grid)
    requirement = need_requirements(model, grid, targets)
    seed_plan, _short = cover(model, grid, requirement, decision,
                              pooled_needs(model, grid, targets))
    search = Search(measured_scenario(model), grid, targets, decision, reps, seed, runner,
                    progress)
    plan, measured = search.improve(seed_plan, search.evaluate([seed_plan])[0])
    plan, measured = search.trim(plan, measured)
    plan, verified = _verify(search, plan, seed, VERIFY_FACTOR * reps)
    staffed, dropped = staffed_document(document, grid, plan)
    table = verification_table(verified, targets, grid, search.infeasible)
    uncertain = uncertainty_note(table, VERIFY_FACTOR * reps)
    return StaffingPlan(
        groups={g: [int(c) for c in counts] for g, counts in plan.items()},
        interval_s=grid.interval_s, start_clock=grid.start_clock, cost=plan_cost(model, grid,
                                                                                 plan),
        scenario=prepare(staffed), document=staffed, targets=targets,
        verification=table, simulations=search.simulations,
        replications=reps, seconds=time.monotonic() - began,
        feasible=bool(table["met"].all()) and not search.infeasible,
        seed_groups={g: [int(c) for c in counts] for g, counts in seed_plan.items()},
        requirement={f"{n.channel}/{n.skill}": [int(v) for v in requirement[i]]
                     for i, n in enumerate(grid.needs)},
        notes=search.notes + [f"variant {name} dropped: it no longer applies to the "
                              "staffed groups" for name in dropped]
        + ([uncertain] if uncertain else []),
        loads={f"{n.channel}/{n.skill}": [float(v) for v in n.load] for n in grid.needs})


def _verify(search: Search, plan: Plan, seed: int, replications: int, improve=None):
    """Simulate ``plan`` on fresh seeds; while some target falls short there (its mean
    below the goal: ``within noise`` or ``missed``), repair it with the adding step
    (``improve``, default ``search.improve``) on those draws and verify again on draws
    never used before (at most :data:`REPAIR_ROUNDS` times). Returns the plan and its
    last verification measurement."""
    improve = search.improve if improve is None else improve
    for round_ in range(REPAIR_ROUNDS + 1):
        fresh = seed + (round_ + 1) * VERIFY_SEED_OFFSET
        verified = search.evaluate([plan], fresh, replications)[0]
        shown = verification_table(verified, search.targets, search.grid, {})
        short = int((shown["verdict"] != "met").sum())
        if round_ == REPAIR_ROUNDS or not short:
            return plan, verified
        search.seed, search.replications = fresh, replications
        plan, _ = improve(plan, verified)
        search.notes.append(f"verification round {round_ + 1}: {short} target interval(s) "
                            "short of the goal; repaired on those draws and verified "
                            "again on fresh ones")
    raise AssertionError("unreachable")


def decision_of(scenario: Scenario, grid: Grid) -> Decision:
    """The staffable groups with their bounds, the others' agents per interval, and the
    objective weight per agent and interval."""
    chosen = scenario.staffable
    bounds = {name: (0, None) for name in scenario.agents} if chosen is None else {
        name: (spec.low, spec.high) for name, spec in chosen.items()}
    fixed = {name: fixed_agents(scenario, grid, name) for name in scenario.agents
             if name not in bounds}
    costs = [g.cost_per_hour for g in scenario.agents.values()]
    tie = TIE_BREAK * (float(np.mean(costs)) if any(costs) else 1.0)
    weight = {name: (scenario.agents[name].cost_per_hour + tie) * grid.hours
              for name in bounds}
    return Decision(bounds, fixed, weight)


def plan_cost(scenario: Scenario, grid: Grid, plan: Plan) -> float:
    """Cost of the planned groups over one day of the grid (cost per hour x hours)."""
    return float(sum(scenario.agents[g].cost_per_hour * counts.sum() * grid.hours
                     for g, counts in plan.items()))


def _source_document(source: Any, model: Scenario) -> dict[str, Any]:
    """The input scenario as a mapping (a file as written, a Scenario dumped)."""
    if isinstance(source, str | Path):
        return read_document(Path(source))
    if isinstance(source, Mapping):
        return copy.deepcopy(dict(source))
    return model.model_dump(mode="json", exclude_none=True)
