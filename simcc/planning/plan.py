"""The result of ``simcc staff``: a :class:`StaffingPlan` and its staffed scenario file."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import yaml

from simcc.errors import ScenarioError
from simcc.experiment.result import json_number
from simcc.planning.grid import Grid
from simcc.planning.targets import Target
from simcc.scenario.load import validate_document
from simcc.scenario.schema import Scenario
from simcc.units import format_clock_exact


@dataclass
class StaffingPlan:
    """A staffing plan: ``groups`` agents per interval of ``interval_s`` seconds from
    clock time ``start_clock`` (seconds after midnight; repeated daily) of each planned
    group, its ``cost`` per day (cost per hour x agent-hours of the planned groups),
    ``scenario`` (the input with these staffing tables, validated), ``verification``
    (target, scope, key, interval, clock, kpi, mean, ci_low, ci_high, goal, verdict,
    met, gap, note: :mod:`simcc.planning.verify`), ``simulations`` (plans simulated, each
    with ``replications``; the verification with twice as many), ``seconds`` (wall
    time), and ``feasible``: every target met on verification and none found out of
    reach. ``seed_groups`` is the analytic seed, ``requirement`` the Erlang agents per
    channel/skill queue and interval (full proficiency)."""

    groups: dict[str, list[int]]
    interval_s: float
    start_clock: float
    cost: float
    scenario: Scenario
    document: dict[str, Any]
    targets: list[Target]
    verification: pd.DataFrame
    simulations: int
    replications: int
    seconds: float
    feasible: bool
    seed_groups: dict[str, list[int]] = field(default_factory=dict)
    requirement: dict[str, list[int]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def agent_hours(self) -> float:
        """Agent-hours of the planned groups over one day of the grid."""
        return sum(sum(c) for c in self.groups.values()) * self.interval_s / 3600.0

    def to_json(self) -> dict[str, Any]:
        """``{"groups", "interval_s", "cost", "targets", "verification", "simulations",
        "seconds", "feasible"}`` (plus the start clock, seed and notes)."""
        rows = self.verification.astype(object).where(self.verification.notna(), None)
        verification = [{k: (json_number(v) if isinstance(v, float) else v)
                         for k, v in row.items()} for row in rows.to_dict("records")]
        return {"groups": self.groups, "interval_s": self.interval_s,
                "start": format_clock_exact(self.start_clock), "cost": self.cost,
                "targets": [t.label for t in self.targets], "verification": verification,
                "simulations": self.simulations, "replications": self.replications,
                "seconds": round(self.seconds, 3), "feasible": self.feasible,
                "seed": self.seed_groups, "requirement": self.requirement,
                "notes": self.notes}

    def to_yaml(self) -> str:
        """The staffed scenario as YAML: it validates and runs as is."""
        return yaml.safe_dump(self.document, sort_keys=False, allow_unicode=True)


def staffed_document(document: dict[str, Any], grid: Grid, plan: dict
                     ) -> tuple[dict[str, Any], list[str]]:
    """``document`` with each planned group logged in by ``staffing: {counts, start,
    interval}`` instead of its count or shifts, and the names of the variants dropped
    because they no longer apply (e.g. they changed a shift that is gone)."""
    staffed = copy.deepcopy(document)
    for name, counts in plan.items():
        group = staffed["agents"][name]
        for key in ("count", "shifts", "staffing"):
            group.pop(key, None)
        group["staffing"] = {"counts": [int(c) for c in counts],
                             "start": format_clock_exact(grid.start_clock),
                             "interval": grid.interval_s}
    variants = staffed.pop("variants", None) or {}
    validate_document(copy.deepcopy(staffed))
    kept, dropped = {}, []
    for name, overrides in variants.items():
        try:
            validate_document({**copy.deepcopy(staffed), "variants": {name: overrides}})
            kept[name] = overrides
        except ScenarioError:
            dropped.append(name)
    if kept:
        staffed["variants"] = kept
    return staffed, dropped
