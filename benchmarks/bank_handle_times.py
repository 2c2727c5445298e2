"""Experiment on the Anonymous Bank months (docs/calibration.md, "Why the calibrated rows
miss the quiet months"): how much of the calibrated scenarios' excess abandonment in the
quiet months comes from drawing handle times independently per call?

Each month is replayed (``simcc replay --staffing log``: the log's own calls, arrival
times, patience consistent with the observed waits, each day's session staffing) under
its own calibrated scenario; only the handle times of the replayed calls change:

- ``own``: the log's handle time of every served call (the replay as it is);
- ``shuffle-slot`` / ``shuffle-day``: the log's handle times permuted among the served
  calls of the same call type and half hour / day;
- ``model``: independent draws from the calibrated handle-time distribution;
- ``model-slot``: the same, scaled to the half hour's mean handle time in the log;
- ``model-sum``: the same, rescaled so that the served calls of each half hour and call
  type have exactly the log's total;
- ``empirical-slot``: draws from the month's own handle times of the call type, scaled to
  the half hour's mean.

Calls the log saw abandon have no logged handle time: they always get model draws.

    python benchmarks/bank_handle_times.py [FORM ...] [--months October,January]
        [--segments labels|equal] [--replications 3]

Prints one line per month and form with the replay's relative errors. About ten seconds
per month and form on the 2-core machine.
"""

from __future__ import annotations

import argparse
import dataclasses
import warnings

import numpy as np
from bank_months import MONTHS, calibrated, clean_contacts, month_logs

import simcc.calibrate.replay as replay_module
from simcc.model.trace import Trace

FORMS = ("own", "shuffle-slot", "shuffle-day", "model", "model-slot", "model-sum",
         "empirical-slot")
SLOT_S = 1800.0


def handle_times(trace: Trace, scenario, form: str, month_values: dict[str, np.ndarray],
                 rng: np.random.Generator) -> np.ndarray:
    """The replayed calls' handle times under ``form`` (NaN: drawn by the replay)."""
    logged = np.asarray(trace.handle_s, dtype=float)
    if form == "own":
        return logged
    served = np.isfinite(logged) & (logged > 0)
    slot = (np.asarray(trace.time_s) // SLOT_S).astype(int)
    if form == "shuffle-day":
        slot = np.zeros_like(slot)
    out = logged.copy() if form.startswith("shuffle") else np.full(len(logged), np.nan)
    intent = np.asarray(trace.intent)
    for name in np.unique(intent):
        sampler = scenario.intents[name].handle_time.sampler()
        for k in np.unique(slot[intent == name]):
            rows = np.flatnonzero((intent == name) & (slot == k))
            known = logged[rows][served[rows]]
            if form.startswith("shuffle"):
                out[rows[served[rows]]] = rng.permutation(known)
                continue
            if form == "empirical-slot":
                pool = month_values[name]
                draws, mean = rng.choice(pool, len(rows)), pool.mean()
            else:
                draws, mean = sampler.quantiles(rng.random(len(rows))), sampler.mean
            if form in ("model-slot", "empirical-slot") and len(known):
                draws = draws * (known.mean() / mean)
            if form == "model-sum" and len(known):
                draws = draws * (known.sum() / draws[served[rows]].sum())
            out[rows] = draws
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("forms", nargs="*", help=f"any of {', '.join(FORMS)} (default: all)")
    parser.add_argument("--months", default="October")
    parser.add_argument("--segments", choices=("labels", "equal"), default="equal")
    parser.add_argument("--replications", type=int, default=3)
    args = parser.parse_args()
    if unknown := set(args.forms) - set(FORMS):
        parser.error(f"unknown forms {sorted(unknown)}; choose from {', '.join(FORMS)}")
    forms = args.forms or list(FORMS)
    warnings.filterwarnings("ignore")
    wanted = [m for m in MONTHS if m[3:] in args.months.split(",")]
    logs = month_logs(args.segments)
    original = replay_module.day_trace
    for month in wanted:
        model = calibrated(logs[month], args.segments)
        served = clean_contacts(logs[month])
        served = served[served["handled"] & (served["handle_s"] > 0)]
        month_values = {k: v["handle_s"].to_numpy() for k, v in served.groupby("intent")}
        for form in forms:
            rng = np.random.default_rng(1)

            def day_trace(day, scenario, form=form, rng=rng, values=month_values):
                trace = original(day, scenario)
                return dataclasses.replace(trace, handle_s=handle_times(
                    trace, scenario, form, values, rng))

            replay_module.day_trace = day_trace
            overall = replay_module.replay(logs[month], model, staffing="log",
                                           replications=args.replications).overall()
            print(f"{month[3:]:<10} {form:<15} abandonment {overall.abandon_rate_relerr:+.0%}"
                  f", ASA {overall.asa_s_relerr:+.0%}", flush=True)
    replay_module.day_trace = original


if __name__ == "__main__":
    main()
