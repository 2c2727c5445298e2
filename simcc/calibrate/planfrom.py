"""The planner's backtest: "with this period's volume, handle times and staffing, what
service does my scenario predict, and what did the center get?"

``simcc backtest LOG -s SCENARIO --plan-from PLAN_LOG`` keeps the scenario's behaviour
(patience, segments, routing) and takes from ``PLAN_LOG`` what a planner knows ahead of
a period: the volume per call type of **each day**, the handle times, and **each day's**
staffing. Each day of the plan log is simulated as its own day:

- volume: that day's offered contacts per intent, spread by the plan log's intraday
  profile of the intent (the mean over its days), without ``busyness`` (the day's volume
  is given, and the staffing is the day's own);
- handle times: fitted per intent on the plan log (lognormal or gamma, lower AIC), the
  drift from the scenario's means reported (:attr:`PlannedBacktest.handle_time_drift`);
- staffing: that day's inferred session staffing (agents logged in per interval, as
  :func:`simcc.calibrate.observed.agents_per_interval` over that day alone) for the
  scenario's one agent group.

Both sides use the same estimator: rates pooled over all days (total abandoned / total
offered), by hour of queue entry and overall. One replication simulates every day of
the plan once; the overall simulated rates get a 95 % interval over replications.
Special days are left out of both logs unless kept (:mod:`simcc.calibrate.days`).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from simcc.calibrate.backtest import observed_kpis
from simcc.calibrate.days import leave_out_special_days
from simcc.calibrate.estimate import fit_handle_time, profile_weights, staffing_counts
from simcc.calibrate.observed import SESSION_GAP_S, agents_per_interval, offered_contacts
from simcc.calibrate.pooled import pooled_hours, pooled_overall, side_by_side
from simcc.errors import SimccError
from simcc.experiment.executors import Executor, LocalExecutor
from simcc.experiment.replications import run_scenarios
from simcc.scenario.schema import Scenario

DEFAULT_REPLICATIONS = 10
"""Replications of the whole plan (each simulates every day once): with ~20 days a
month that is ~200 simulated days, enough for an interval of a few tenths of a point on
the pooled abandonment rate."""


@dataclass
class PlannedBacktest:
    """``table`` as :class:`~simcc.calibrate.backtest.Backtest` (one row per hour plus
    ``all``: ``<metric>_obs``, ``_sim``, ``_relerr``), with ``<metric>_sim_ci_low`` and
    ``_ci_high`` on the ``all`` row for abandonment, ASA and service level; ``days``:
    the dates planned with their offered contacts and staffed agent-hours;
    ``handle_time_drift``: per intent the scenario's and the plan's mean handle time
    (seconds) and their ratio; ``special_days``: the day table of the plan log."""

    table: pd.DataFrame
    days: pd.DataFrame
    handle_time_drift: pd.DataFrame
    special_days: pd.DataFrame

    def overall(self) -> pd.Series:
        """The ``all`` row."""
        return self.table.loc["all"]


def planned_backtest(records: pd.DataFrame, scenario: Scenario, plan_records: pd.DataFrame,
                     replications: int | None = None, seed: int | None = None,
                     workers: int | None = None, executor: Executor | None = None,
                     keep_special_days: bool = False,
                     session_gap_s: float = SESSION_GAP_S) -> PlannedBacktest:
    """Simulate ``scenario`` day by day with the volume, handle times and staffing of
    ``plan_records`` and compare it with what ``records`` observed (both logs in the
    generic format; usually the same log)."""
    group = only_group(scenario)
    plan, special = clean_days(offered_contacts(plan_records), keep_special_days)
    observed_contacts, _ = clean_days(offered_contacts(records), keep_special_days)
    interval = scenario.horizon.interval
    intents = [i for i in plan["intent"].unique() if i in scenario.intents]
    if not intents:
        raise SimccError("--plan-from: the plan log has none of the scenario's intents "
                         f"({', '.join(scenario.intents)})")
    plan = plan[plan["intent"].isin(intents)]
    handle, drift = _handle_times(plan, scenario)
    base = scenario.with_overrides({
        **{f"intents.{name}.handle_time": spec for name, spec in handle.items()},
        "profiles": {**{k: v.model_dump(mode="json") for k, v in scenario.profiles.items()},
                     **_profiles(plan, interval)}})
    dates = sorted(plan["date"].unique())
    day_scenarios = [_day_scenario(base, group, plan[plan["date"] == date], interval,
                                   session_gap_s) for date in dates]
    replications = DEFAULT_REPLICATIONS if replications is None else replications
    outputs = run_scenarios(day_scenarios, replications,
                            scenario.seed if seed is None else seed,
                            executor or LocalExecutor(workers), "none")
    threshold = next(iter(scenario.channels.values())).service_level.threshold
    observed = observed_kpis(observed_contacts, threshold, interval)
    table = side_by_side(observed, pooled_hours(outputs), pooled_overall(outputs))
    days = pd.DataFrame({
        "date": dates, "offered": [int((plan["date"] == d).sum()) for d in dates],
        "agent_hours": [sum(s.agents[group].staffing.counts) * interval / 3600
                        for s in day_scenarios]})
    return PlannedBacktest(table, days, drift, special)


def only_group(scenario: Scenario) -> str:
    """The scenario's one agent group (the plan's staffing is for one group)."""
    if len(scenario.agents) != 1:
        raise SimccError(f"--plan-from: the scenario must have one agent group, as simcc "
                         f"calibrate writes it (it has {len(scenario.agents)}: "
                         f"{', '.join(scenario.agents)})")
    return next(iter(scenario.agents))


def clean_days(contacts: pd.DataFrame, keep: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Offered contacts without special days (unless ``keep``) and the day table."""
    clean, table = leave_out_special_days(contacts)
    return (contacts if keep else clean), table


def _handle_times(plan: pd.DataFrame, scenario: Scenario) -> tuple[dict, pd.DataFrame]:
    """Handle-time specs fitted per intent on the plan log, and their drift from the
    scenario's means."""
    specs, rows = {}, []
    for intent, part in plan.groupby("intent"):
        values = part["handle_s"].dropna()
        if len(values) < 2:
            continue
        spec, diag = fit_handle_time(values.to_numpy())
        specs[intent] = spec
        before = scenario.intents[intent].handle_time.sampler().mean
        rows.append({"intent": intent, "scenario_mean_s": before,
                     "plan_mean_s": diag["mean_s"], "ratio": diag["mean_s"] / before})
    return specs, pd.DataFrame(rows, columns=["intent", "scenario_mean_s", "plan_mean_s",
                                              "ratio"])


def _profiles(plan: pd.DataFrame, interval_s: float) -> dict[str, dict]:
    """The plan log's intraday profile of each intent (named ``plan_<intent>``)."""
    days = plan["date"].nunique()
    return {f"plan_{intent}": {"start": "00:00", "interval": interval_s,
                               "weights": profile_weights(part["queued_s"], interval_s, days)}
            for intent, part in plan.groupby("intent")}


def _day_scenario(base: Scenario, group: str, day: pd.DataFrame, interval_s: float,
                  gap_s: float) -> Scenario:
    """``base`` for one day of the plan: its volume per intent, its own staffing."""
    channel = next(iter(base.channels))
    demand = [{"channel": channel,
               "rate": {"per_day": float(len(part)), "profile": f"plan_{intent}"},
               "mix": {intent: 1.0}}
              for intent, part in day.groupby("intent")]
    return with_day_staffing(base.with_overrides({"demand": demand}), group, day,
                             interval_s, gap_s)


def day_staffing(day: pd.DataFrame, interval_s: float, gap_s: float) -> list[int]:
    """Whole agents per interval of the day (from midnight) inferred from the sessions
    of one ``day``'s offered contacts."""
    return staffing_counts(agents_per_interval(day, interval_s, gap_s))


def with_day_staffing(scenario: Scenario, group: str, day: pd.DataFrame, interval_s: float,
                      gap_s: float) -> Scenario:
    """``scenario`` with ``group`` logged in by the session staffing inferred from the
    offered contacts of one ``day`` (agents per interval from midnight)."""
    counts = day_staffing(day, interval_s, gap_s)
    return scenario.with_overrides({
        f"agents.{group}": {**scenario.agents[group].model_dump(
            mode="json", exclude={"count", "shifts", "staffing"}, exclude_none=True),
            "staffing": {"start": "00:00", "interval": interval_s, "counts": counts}}})
