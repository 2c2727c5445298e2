"""Backtest: simulate a scenario and put it beside what a log observed.

Observed and simulated KPIs use the same definitions (docs/kpis.md), by hour of queue
entry and overall: offered contacts per day, abandonment rate, ASA, service level and
occupancy. The scenario is expected to simulate one day from midnight (as
``simcc calibrate`` writes it); each replication is one day.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from simcc.calibrate.days import leave_out_special_days
from simcc.calibrate.observed import agents_per_interval, kpis_by_hour, offered_contacts
from simcc.experiment import Result, simulate
from simcc.scenario.schema import Scenario

METRICS = ("offered_per_day", "abandon_rate", "asa_s", "service_level", "occupancy")


@dataclass
class Backtest:
    """``table``: one row per hour of the day plus ``all``; columns ``<metric>_obs``,
    ``<metric>_sim`` and ``<metric>_relerr`` (sim / obs - 1). ``days``: the log's days
    (:func:`~simcc.calibrate.days.day_table`), the special ones left out of the
    observed side when ``special_days_left_out``."""

    table: pd.DataFrame
    result: Result
    days: pd.DataFrame
    special_days_left_out: bool = True

    def overall(self) -> pd.Series:
        """The ``all`` row."""
        return self.table.loc["all"]


def observed_kpis(contacts: pd.DataFrame, threshold_s: float, interval_s: float
                  ) -> pd.DataFrame:
    """Observed KPIs by hour and overall from offered ``contacts``
    (:func:`~simcc.calibrate.observed.offered_contacts`), with occupancy measured
    against the agents seen serving (so it is near 1 by construction where agents are
    only seen busy)."""
    table = kpis_by_hour(contacts, threshold_s)
    days = max(contacts["date"].nunique(), 1)
    staffed = agents_per_interval(contacts, interval_s) * interval_s  # agent-seconds / day
    busy = _busy_per_interval(contacts, interval_s) / days
    per_hour = int(round(3600 / interval_s))
    staffed_h = staffed.reshape(-1, per_hour).sum(axis=1)
    busy_h = busy.reshape(-1, per_hour).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        occupancy = pd.Series(np.where(staffed_h > 0, busy_h / staffed_h, np.nan))
    table["occupancy"] = occupancy.reindex(table.index[:-1]).tolist() + [
        busy.sum() / staffed.sum() if staffed.sum() > 0 else np.nan]
    return table


def _busy_per_interval(contacts: pd.DataFrame, interval_s: float) -> np.ndarray:
    served = contacts[contacts["handled"] & contacts["handle_s"].notna()]
    bins = int(round(86400 / interval_s))
    edges = np.arange(bins + 1) * interval_s
    start = served["answer_s"].to_numpy() % 86400
    end = start + served["handle_s"].to_numpy()
    busy = np.zeros(bins)
    for shift in (0.0, 86400.0):  # services running past midnight wrap to the next day
        lo = np.clip(start[:, None] - shift, edges[:-1], edges[1:])
        hi = np.clip(end[:, None] - shift, edges[:-1], edges[1:])
        busy += (hi - lo).sum(axis=0)
    return busy


def simulated_kpis(result: Result) -> pd.DataFrame:
    """Simulated KPIs by hour of the day and overall (means over replication-days)."""
    iv = result.intervals.copy()
    iv["hour"] = (iv["start_s"] // 3600).astype(int) % 24
    iv["asa_x_handled"] = iv["asa_s"].fillna(0) * iv["handled"]
    iv["sl_x_offered"] = iv["service_level"].fillna(0) * iv["offered"]
    iv["occ_x_staffed"] = iv["occupancy"].fillna(0) * iv["staffed_agents"]
    hours = iv.groupby("hour")[["offered", "handled", "abandoned", "asa_x_handled",
                                "sl_x_offered", "occ_x_staffed", "staffed_agents"]].sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        table = pd.DataFrame({
            "offered_per_day": hours["offered"],
            "abandon_rate": hours["abandoned"] / hours["offered"],
            "asa_s": hours["asa_x_handled"] / hours["handled"],
            "service_level": hours["sl_x_offered"] / hours["offered"],
            "occupancy": hours["occ_x_staffed"] / hours["staffed_agents"],
        })
    table.loc["all"] = [result.kpi("offered"), result.kpi("abandon_rate"), result.kpi("asa_s"),
                        result.kpi("service_level"), result.kpi("occupancy")]
    return table


def backtest(records: pd.DataFrame, scenario: Scenario, replications: int | None = None,
             seed: int | None = None, workers: int | None = None,
             keep_special_days: bool = False) -> Backtest:
    """Simulate ``scenario`` and compare it with the log's ``records`` (generic format),
    the log's special days left out unless ``keep_special_days``."""
    threshold = next(iter(scenario.channels.values())).service_level.threshold
    every_day = offered_contacts(records)
    contacts, days = leave_out_special_days(every_day)
    if keep_special_days:
        contacts = every_day
    observed = observed_kpis(contacts, threshold, scenario.horizon.interval)
    result = simulate(scenario, replications=replications, seed=seed, workers=workers,
                      records="none")
    simulated = simulated_kpis(result)
    index = [h for h in observed.index if h != "all"]
    index = sorted(set(index) | {h for h in simulated.index if h != "all"}) + ["all"]
    table = pd.DataFrame(index=pd.Index(index, name="hour", dtype=object))
    for metric in METRICS:
        obs = observed[metric].reindex(index)
        sim = simulated[metric].reindex(index)
        table[f"{metric}_obs"] = obs.to_numpy(dtype=float)
        table[f"{metric}_sim"] = sim.to_numpy(dtype=float)
        with np.errstate(invalid="ignore", divide="ignore"):
            table[f"{metric}_relerr"] = (sim / obs - 1.0).to_numpy(dtype=float)
    return Backtest(table, result, days, not keep_special_days)
