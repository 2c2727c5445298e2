"""The result of ``simcc staff``: a :class:`StaffingPlan` and its staffed scenario file."""

from __future__ import annotations

import copy
import datetime as dt
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
from simcc.units import DAY, format_clock, format_clock_exact

REQUIREMENT_COLUMNS = ["group", "date", "start", "required", "interval"]
"""Columns of the requirements export (``simcc staff --requirements``)."""


@dataclass
class StaffingPlan:
    """A staffing plan: ``groups`` agents per interval of ``interval_s`` seconds from
    clock time ``start_clock`` (seconds after midnight; repeated daily, or date after
    date for a calendar plan: ``dates``) of each planned group, its ``cost`` per day
    (over every date of a calendar plan; cost per hour x agent-hours of the planned
    groups),
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
    dates: list[dt.date] = field(default_factory=list)
    """A calendar plan: the date of each day of the horizon, planned one by one; the
    counts of ``groups`` run day after day (``len(groups[g]) / len(dates)`` intervals a
    day, from ``start_clock`` on that date) and ``verification`` has a ``date`` column.
    Empty for a typical-day plan (its counts repeat every day)."""
    loads: dict[str, list[float]] = field(default_factory=dict)
    """Offered load per ``channel/skill`` queue and interval, Erlangs (the seed's)."""
    shifts: dict[str, list[int]] = field(default_factory=dict)
    """``simcc staff --shifts``: the count of each shift of the groups decided by their
    shifts (in the order of the scenario's ``shifts``; 0: the shift is dropped)."""
    paid_hours: float | None = None
    """``simcc staff --shifts``: the paid agent-hours of the shifts' schedule over the
    horizon (breaks unpaid, weekday-limited shifts on their days only); ``cost`` is then
    over the horizon too."""
    horizon_days: float = 1.0
    """Days the horizon covers (what a shift plan's cost and hours are over)."""

    @property
    def agent_hours(self) -> float:
        """Agent-hours of the planned groups over one day of the grid (over every date
        of a calendar plan; a shift plan's scheduled hours over the horizon)."""
        if self.paid_hours is not None:
            return self.paid_hours
        return sum(sum(c) for c in self.groups.values()) * self.interval_s / 3600.0

    @property
    def span(self) -> str:
        """What ``cost`` and ``agent_hours`` cover: ``per day``, ``over N dates``, or for a
        shift plan over a longer horizon ``over N days``."""
        if self.dates:
            return f"over {len(self.dates)} dates"
        if self.paid_hours is not None and self.horizon_days > 1:
            return f"over {self.horizon_days:g} days"
        return "per day"

    def requirements_frame(self) -> pd.DataFrame:
        """The planned agents per group and interval, the requirements a shift
        scheduler reads: ``group``, ``date`` (``YYYY-MM-DD`` of the interval's start for
        a calendar plan, empty for a typical day), ``start`` (``HH:MM`` clock),
        ``required`` (agents planned in the interval) and ``interval`` (seconds)."""
        rows = []
        per_day = len(next(iter(self.groups.values()), [])) // max(1, len(self.dates))
        interval = int(self.interval_s) if float(self.interval_s).is_integer() \
            else self.interval_s
        for group, counts in self.groups.items():
            for k, count in enumerate(counts):
                offset = self.start_clock + (k % per_day if self.dates else k) * self.interval_s
                date = (self.dates[k // per_day] + dt.timedelta(days=int(offset // DAY))
                        ).isoformat() if self.dates else ""
                rows.append((group, date, format_clock(offset), int(count), interval))
        return pd.DataFrame(rows, columns=REQUIREMENT_COLUMNS)

    def requirements_csv(self) -> str:
        """:meth:`requirements_frame` as CSV text (header
        ``group,date,start,required,interval``)."""
        return self.requirements_frame().to_csv(index=False, lineterminator="\n")

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
                "notes": self.notes} | self._calendar_json()

    def _calendar_json(self) -> dict[str, Any]:
        """``dates``, ``period_days`` and ``per_date`` (date -> group -> agents per
        interval) of a calendar plan, ``shifts`` of a shift plan (nothing for a
        typical-day plan)."""
        extra: dict[str, Any] = {}
        if self.dates:
            per_day = len(next(iter(self.groups.values()), [])) // len(self.dates)
            extra |= {"dates": [d.isoformat() for d in self.dates],
                      "period_days": len(self.dates),
                      "per_date": {d.isoformat(): {g: c[k * per_day:(k + 1) * per_day]
                                                   for g, c in self.groups.items()}
                                   for k, d in enumerate(self.dates)}}
        if self.shifts:
            extra["shifts"] = self.shifts
        return extra

    def to_yaml(self) -> str:
        """The staffed scenario as YAML: it validates and runs as is."""
        return yaml.safe_dump(self.document, sort_keys=False, allow_unicode=True)


def staffed_document(document: dict[str, Any], grid: Grid, plan: dict,
                     period_days: int | None = None) -> tuple[dict[str, Any], list[str]]:
    """``document`` with each planned group logged in by ``staffing: {counts, start,
    interval}`` (and ``period`` when ``period_days`` is given) instead of its count or
    shifts, and the names of the variants dropped because they no longer apply (e.g.
    they changed a shift that is gone)."""
    staffed = copy.deepcopy(document)
    for name, counts in plan.items():
        group = staffed["agents"][name]
        for key in ("count", "shifts", "staffing"):
            group.pop(key, None)
        group["staffing"] = {"counts": [int(c) for c in counts],
                             "start": format_clock_exact(grid.start_clock),
                             "interval": grid.interval_s}
        if period_days is not None:
            group["staffing"]["period"] = f"{period_days}d"
    return keep_valid_variants(staffed)


def keep_valid_variants(staffed: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """``staffed`` (validated) with only the variants that still validate, and the names
    of those dropped."""
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
