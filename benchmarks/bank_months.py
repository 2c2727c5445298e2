"""Calibration credibility on the nine Anonymous Bank months (docs/calibration.md,
"Evidence on all nine months"): for every month the in-sample planner's backtest
(calibrate on the month, backtest it with its own plan), for every consecutive pair
the held-out one (calibrate on month A, backtest month B with B's plan: volume, handle
times and staffing of B, behaviour of A), for every month its day-by-day scenario
(``simcc calibrate --days-out``: each day its own volume per interval and call type, AHT
and staffing, simulated as one calendar), and for every month the replay of its own
calls with its own daily staffing. Weekdays, special days left out.

    python benchmarks/bank_months.py [--replications 10] [--segments equal|labels|one]

Prints the markdown rows of the table in docs/calibration.md and the mean absolute
relative errors. About a minute and a half on the 2-core machine.
"""

from __future__ import annotations

import argparse
import tempfile
import warnings
from pathlib import Path

import pandas as pd

import simcc
from simcc.calibrate.backtest import observed_kpis
from simcc.calibrate.daily import day_by_day, write_day_by_day
from simcc.calibrate.days import leave_out_special_days
from simcc.calibrate.estimate import estimate
from simcc.calibrate.logs import filter_days, load_log
from simcc.calibrate.observed import offered_contacts
from simcc.calibrate.planfrom import planned_backtest
from simcc.calibrate.replay import replay

DATA = Path(__file__).resolve().parents[1] / "data" / "anonymous_bank"
MONTHS = ("01_January", "02_February", "03_March", "04_April", "05_May", "06_June",
          "07_July", "09_September", "10_October")


def month_logs(segments: str = "equal") -> dict[str, object]:
    """Weekday records of every month (``segments="one"``: every caller in one segment)."""
    logs = {m: filter_days(load_log(DATA / f"{m}.txt.gz", "anonymous-bank"),
                           "weekdays").records for m in MONTHS}
    if segments == "one":
        logs = {m: records.assign(segment="all") for m, records in logs.items()}
    return logs


def clean_contacts(records):
    """A month's offered contacts without special days."""
    return leave_out_special_days(offered_contacts(records))[0]


def typical_day(clean, segments: str = "equal") -> dict:
    """The calibrated typical-day document (``segments="equal"``: equal priority)."""
    return estimate(clean, "bank", priority="equal" if segments == "equal" else
                    "labels").scenario


def calibrated(records, segments: str = "equal") -> simcc.Scenario:
    """The scenario calibrated on a month's clean days."""
    return simcc.load_scenario(typical_day(clean_contacts(records), segments))


def day_by_day_overall(records, replications: int, segments: str = "equal") -> pd.Series:
    """Observed and simulated pooled KPIs of a month's day-by-day scenario (the
    simulated rates pooled over each replication's days, then averaged)."""
    clean = clean_contacts(records)
    typical = typical_day(clean, segments)
    observed = observed_kpis(clean, 20.0, 1800.0).loc["all"]
    with tempfile.TemporaryDirectory() as folder:
        write_day_by_day(day_by_day(clean, typical, 1800.0), Path(folder))
        result = simcc.simulate(Path(folder) / "scenario.yaml", replications=replications,
                                records="none")
    row = {}
    for kpi in ("abandon_rate", "asa_s", "service_level"):
        sim = result.kpi(kpi)
        row |= {f"{kpi}_obs": observed[kpi], f"{kpi}_sim": sim,
                f"{kpi}_relerr": sim / observed[kpi] - 1}
    return pd.Series(row)


def markdown_row(label: str, overall) -> str:
    """One table row: observed -> simulated (relative error) per KPI."""
    o = overall
    return (f"| {label} | {100 * o.abandon_rate_obs:.1f} % → {100 * o.abandon_rate_sim:.1f} % "
            f"({100 * o.abandon_rate_relerr:+.0f} %) | {o.asa_s_obs:.1f} s → {o.asa_s_sim:.1f} s "
            f"({100 * o.asa_s_relerr:+.0f} %) | {100 * o.service_level_obs:.1f} % → "
            f"{100 * o.service_level_sim:.1f} % ({100 * o.service_level_relerr:+.0f} %) |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=10)
    parser.add_argument("--segments", choices=("labels", "equal", "one"), default="equal",
                        help="equal priority (calibrate's default for the bank's log), the "
                        "log's priority labels served first (--priority labels), or one "
                        "segment")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")  # days without agents at the edges, expected
    logs = month_logs(args.segments)
    models = {m: calibrated(logs[m], args.segments) for m in MONTHS}
    pairs = [(m, m) for m in MONTHS] + list(zip(MONTHS[:-1], MONTHS[1:], strict=True))
    errors: dict[str, list[tuple[float, float]]] = {"in-sample": [], "held-out": []}
    for a, b in pairs:
        overall = planned_backtest(logs[b], models[a], logs[b],
                                   replications=args.replications).overall()
        label = a[3:] if a == b else f"{a[3:]} → {b[3:]}"
        print(markdown_row(label, overall), flush=True)
        errors["in-sample" if a == b else "held-out"].append(
            (abs(overall.abandon_rate_relerr), abs(overall.asa_s_relerr)))
    errors["day-by-day"] = []
    for m in MONTHS:
        overall = day_by_day_overall(logs[m], args.replications, args.segments)
        print(markdown_row(f"{m[3:]} (day by day)", overall), flush=True)
        errors["day-by-day"].append((abs(overall.abandon_rate_relerr),
                                     abs(overall.asa_s_relerr)))
    errors["replay"] = []
    for m in MONTHS:
        overall = replay(logs[m], models[m], replications=args.replications,
                         staffing="log").overall()
        print(markdown_row(f"{m[3:]} (replay)", overall), flush=True)
        errors["replay"].append((abs(overall.abandon_rate_relerr),
                                 abs(overall.asa_s_relerr)))
    for kind, rows in errors.items():
        ab = [r[0] for r in rows]
        asa = [r[1] for r in rows]
        print(f"{kind}: mean |error| abandonment {sum(ab) / len(ab):.1%}, ASA "
              f"{sum(asa) / len(asa):.1%}; abandonment within 15 %: "
              f"{sum(e <= 0.15 for e in ab)}/{len(ab)}, within 20 %: "
              f"{sum(e <= 0.20 for e in ab)}/{len(ab)}; ASA within 20 %: "
              f"{sum(e <= 0.20 for e in asa)}/{len(asa)}, within 10 %: "
              f"{sum(e <= 0.10 for e in asa)}/{len(asa)}")


if __name__ == "__main__":
    main()
