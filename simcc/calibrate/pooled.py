"""Simulated KPIs pooled over many simulated days, beside the observed ones.

When a log's days are simulated each as its own day (the planner's backtest, the
replay), the simulated side must use the observed side's estimator: rates pooled over
all days (total abandoned / total offered), by hour of queue entry and overall. The
outputs are one list per day of one :class:`~simcc.experiment.replications.
ReplicationOutput` per replication; replication ``r`` of every day together is one
simulated period, and the overall rates get a 95 % interval over those periods.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simcc.calibrate.backtest import METRICS
from simcc.experiment.aggregate import mean_ci
from simcc.experiment.replications import ReplicationOutput

HOUR_SUMS = ("offered", "handled", "abandoned", "asa_x_handled", "sl_x_offered",
             "occ_x_staffed", "staffed_agents")


def pooled_hours(outputs: list[list[ReplicationOutput]]) -> pd.DataFrame:
    """Simulated KPIs by hour, pooled over the days (and averaged over replications)."""
    days = len(outputs)
    frames = []
    for day in outputs:
        iv = pd.concat([out.intervals for out in day], ignore_index=True)
        iv = iv.assign(hour=(iv["start_s"] // 3600).astype(int) % 24,
                       asa_x_handled=iv["asa_s"].fillna(0) * iv["handled"],
                       sl_x_offered=iv["service_level"].fillna(0) * iv["offered"],
                       occ_x_staffed=iv["occupancy"].fillna(0) * iv["staffed_agents"])
        frames.append(iv.groupby("hour")[list(HOUR_SUMS)].sum() / len(day))
    hours = pd.concat(frames).groupby(level=0).sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        return pd.DataFrame({
            "offered_per_day": hours["offered"] / days,
            "abandon_rate": hours["abandoned"] / hours["offered"],
            "asa_s": hours["asa_x_handled"] / hours["handled"],
            "service_level": hours["sl_x_offered"] / hours["offered"],
            "occupancy": hours["occ_x_staffed"] / hours["staffed_agents"]})


def pooled_overall(outputs: list[list[ReplicationOutput]]) -> dict[str, tuple]:
    """Overall simulated KPIs pooled over the days: per metric (mean, ci_low, ci_high)
    over replications, each replication pooling every day."""
    totals = []
    for r in range(len(outputs[0])):
        t = dict.fromkeys(("offered", "handled", "abandoned", "asa", "sl", "busy",
                           "staffed"), 0.0)
        for day in outputs:
            k = day[r].kpis
            v = k[k["scope"] == "overall"].set_index("kpi")["value"]
            t["offered"] += v["offered"]
            t["handled"] += v["handled"]
            t["abandoned"] += v["abandoned"]
            t["asa"] += np.nan_to_num(v["asa_s"]) * v["handled"]
            t["sl"] += np.nan_to_num(v["service_level"]) * v["offered"]
            t["busy"] += np.nan_to_num(v["occupancy"]) * v["staffed_agents"]
            t["staffed"] += v["staffed_agents"]
        totals.append(t)
    frame = pd.DataFrame(totals)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_rep = {"offered_per_day": frame["offered"] / len(outputs),
                   "abandon_rate": frame["abandoned"] / frame["offered"],
                   "asa_s": frame["asa"] / frame["handled"],
                   "service_level": frame["sl"] / frame["offered"],
                   "occupancy": frame["busy"] / frame["staffed"]}
    out = {}
    for metric, values in per_rep.items():
        bounded = metric in ("abandon_rate", "service_level", "occupancy")
        mean, low, high, _ = mean_ci(values.to_numpy(dtype=float), bounded=bounded,
                                     nonnegative=True)
        out[metric] = (mean, low, high)
    return out


def side_by_side(observed: pd.DataFrame, hours: pd.DataFrame,
                  overall: dict[str, tuple]) -> pd.DataFrame:
    """The backtest table: observed, simulated and relative error per metric, by hour
    and ``all``; the ``all`` row's simulated 95 % interval."""
    simulated = hours.copy()
    simulated.loc["all"] = [overall[m][0] for m in simulated.columns]
    index = sorted({h for h in observed.index if h != "all"}
                   | {h for h in simulated.index if h != "all"}) + ["all"]
    table = pd.DataFrame(index=pd.Index(index, name="hour", dtype=object))
    for metric in METRICS:
        obs = observed[metric].reindex(index).to_numpy(dtype=float)
        sim = simulated[metric].reindex(index).to_numpy(dtype=float)
        table[f"{metric}_obs"], table[f"{metric}_sim"] = obs, sim
        with np.errstate(invalid="ignore", divide="ignore"):
            table[f"{metric}_relerr"] = sim / obs - 1.0
    for metric in ("abandon_rate", "asa_s", "service_level"):
        low = np.full(len(index), np.nan)
        high = low.copy()
        low[-1], high[-1] = overall[metric][1], overall[metric][2]
        table[f"{metric}_sim_ci_low"], table[f"{metric}_sim_ci_high"] = low, high
    return table
