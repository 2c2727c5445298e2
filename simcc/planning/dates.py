"""``simcc staff`` on a calendar: every date of the horizon planned on its own.

A scenario with a ``calendar`` has days that differ (volume, profile), so one typical
day's plan would not fit them all. Each date of the horizon (the day from the horizon's
start clock on that date to the same clock the next day) becomes a one-day scenario:
the same document with ``calendar.start_date`` that date and a horizon of one day (the
whole horizon when it is shorter), the same start clock, interval, warm-up and drain.
That day is planned exactly like a typical day (:func:`simcc.planning.staff.staff`),
its analytic seed computed from the day's own rates (its rule's volume and profile).
Dates whose one-day scenarios have identical arrival rates (the same rules around them)
get identical plans on the same seed, so each is planned once and reused.

The plans are then put end to end: one staffing table per planned group spanning the
horizon's dates, ``period`` that many days, from the horizon's start clock.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
from collections.abc import Callable
from typing import Any

import pandas as pd

from simcc.errors import ScenarioError, SimccError
from simcc.experiment.simulate import prepare
from simcc.model.demand import rate_pieces
from simcc.planning.grid import Grid
from simcc.planning.plan import StaffingPlan, staffed_document
from simcc.scenario.forecast import intent_pieces
from simcc.scenario.schema import Scenario
from simcc.units import DAY, format_clock_exact

MAX_PLANNED_DATES = 28
"""Most dates one ``simcc staff`` run plans."""

DayPlanner = Callable[[dict[str, Any], Scenario], StaffingPlan]
"""Plans one day: (document, its one-day scenario) -> plan (the analytic seed reads the
day's rates through its calendar)."""


def horizon_dates(model: Scenario) -> list[dt.date]:
    """The dates whose days (from the horizon's start clock) the horizon covers; a
    :class:`~simcc.errors.SimccError` beyond :data:`MAX_PLANNED_DATES` dates, a
    :class:`~simcc.errors.ScenarioError` when several days do not line up on the
    interval grid."""
    horizon = model.horizon
    count = max(1, math.ceil(horizon.length_s / DAY - 1e-9))
    if count > MAX_PLANNED_DATES:
        raise SimccError(f"simcc staff plans a calendar horizon date by date, at most "
                         f"{MAX_PLANNED_DATES} dates; this one has {count}: shorten "
                         "horizon.duration or horizon.days")
    if count > 1 and abs(DAY / horizon.interval - round(DAY / horizon.interval)) > 1e-9:
        raise ScenarioError([("horizon.interval", "simcc staff plans each date on the "
                              "same intervals: the interval must divide 24h")])
    decided = model.agents if model.staffable is None else model.staffable
    for name, group in model.agents.items():
        if name not in decided and group.staffing is not None \
                and group.staffing.period_s != DAY:
            raise ScenarioError([(f"agents.{name}.staffing.period", "simcc staff plans "
                                  "each date on its own: a table kept as it is must "
                                  "repeat every day")])
    first = model.calendar.start_date
    return [first + dt.timedelta(days=k) for k in range(count)]


def day_document(document: dict[str, Any], model: Scenario, date: dt.date) -> dict[str, Any]:
    """The one-day scenario of ``date``: ``calendar.start_date`` that date, the horizon
    one day long (or the whole horizon when shorter) with the same start clock,
    interval, warm-up and drain; no variants."""
    day = copy.deepcopy(document)
    day.pop("variants", None)
    horizon = {k: v for k, v in day["horizon"].items() if k not in ("duration", "days")}
    horizon["duration"] = min(model.horizon.length_s, DAY)
    horizon["start"] = format_clock_exact(model.horizon.start)
    horizon["drain"] = model.drain_s
    day["horizon"] = horizon
    day["calendar"] = {**day["calendar"], "start_date": date.isoformat()}
    return day


def day_key(day: Scenario) -> tuple:
    """What makes two one-day scenarios plan alike: their arrival rates over the day
    (the only thing a calendar changes), and a forecast's AHT and ACW."""
    return tuple(tuple(rate_pieces(day, demand)) if demand.forecast is None else
                 tuple((name, rows.tobytes())
                       for name, rows in intent_pieces(day, demand).items())
                 for demand in day.demand)


def staff_dates(document: dict[str, Any], model: Scenario, plan_day: DayPlanner
                ) -> StaffingPlan:
    """Plan every date of ``model``'s horizon with ``plan_day`` (once per distinct day)
    and join the plans (see the module docstring)."""
    dates = horizon_dates(model)
    plans: list[StaffingPlan] = []
    planned: dict[tuple, tuple[dt.date, StaffingPlan]] = {}
    reused: dict[dt.date, list[dt.date]] = {}
    for date in dates:
        day_doc = day_document(document, model, date)
        day = prepare(day_doc)
        key = day_key(day)
        if key not in planned:
            planned[key] = (date, plan_day(day_doc, day))
        else:
            reused.setdefault(planned[key][0], []).append(date)
        plans.append(planned[key][1])
    return _joined(document, model, dates, plans, [p for _, p in planned.values()], reused)


def _joined(document: dict[str, Any], model: Scenario, dates: list[dt.date],
            plans: list[StaffingPlan], distinct: list[StaffingPlan],
            reused: dict[dt.date, list[dt.date]]) -> StaffingPlan:
    """One plan out of the per-date ``plans`` (``distinct``: those actually searched)."""
    first = plans[0]
    per_day = len(next(iter(first.groups.values()), []))
    groups = {g: [c for p in plans for c in p.groups[g]] for g in first.groups}
    grid = Grid(first.interval_s, first.start_clock, per_day * len(dates), [])
    period = len(dates) if len(dates) > 1 else None
    staffed, dropped = staffed_document(document, grid, groups, period)
    notes = [f"{date.isoformat()}: {note}" for k, (date, p) in enumerate(zip(dates, plans,
                                                                            strict=True))
             if _first_use(plans, p) == k for note in p.notes]
    notes += [f"{', '.join(d.isoformat() for d in again)}: the plan of {date.isoformat()} "
              "(same arrival rates, planned once)" for date, again in reused.items()]
    notes += [f"variant {name} dropped: it no longer applies to the staffed groups"
              for name in dropped]
    notes.append("each date is planned on its own: it starts empty at "
                 f"{format_clock_exact(first.start_clock)[:5]} (no queue carried over from "
                 "the day before) with the scenario's warm-up")
    return StaffingPlan(
        groups=groups, interval_s=first.interval_s, start_clock=first.start_clock,
        cost=float(sum(p.cost for p in plans)), scenario=prepare(staffed), document=staffed,
        targets=first.targets, verification=_verification(dates, plans, per_day),
        simulations=sum(p.simulations for p in distinct), replications=first.replications,
        seconds=sum(p.seconds for p in distinct), feasible=all(p.feasible for p in plans),
        seed_groups={g: [c for p in plans for c in p.seed_groups[g]]
                     for g in first.seed_groups},
        requirement={q: [c for p in plans for c in p.requirement.get(q, [0] * per_day)]
                     for q in dict.fromkeys(q for p in plans for q in p.requirement)},
        notes=notes, dates=dates,
        loads={q: [v for p in plans for v in p.loads.get(q, [0.0] * per_day)]
               for q in dict.fromkeys(q for p in plans for q in p.loads)})


def _first_use(plans: list[StaffingPlan], plan: StaffingPlan) -> int:
    """Index of the first date that uses ``plan``."""
    return next(i for i, p in enumerate(plans) if p is plan)


def _verification(dates: list[dt.date], plans: list[StaffingPlan], per_day: int
                  ) -> pd.DataFrame:
    """The per-date verification tables stacked, with a leading ``date`` column and
    ``interval`` counted from the horizon's first date (a position in the joined
    counts; None for day targets)."""
    tables = []
    for k, (date, plan) in enumerate(zip(dates, plans, strict=True)):
        table = plan.verification.copy()
        table["interval"] = [None if pd.isna(t) else int(t) + k * per_day
                             for t in table["interval"]]
        table.insert(0, "date", date.isoformat())
        tables.append(table)
    return pd.concat(tables, ignore_index=True)
