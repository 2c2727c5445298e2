"""Experiment on the nine Anonymous Bank months (docs/calibration.md, "Post-call time"):
which form of the agents' unlogged post-call time replays the months best?

The bank's log records no wrap-up. While callers wait, an available agent answers at
once, so the gap between the end of an agent's call and its next answer, measured when
at least two callers were waiting (and at most the 5-minute session gap;
:func:`simcc.calibrate.postcall.busy_gaps`), is time the agent was not available:
after-call work, connection delay, short breaks. Each month is replayed (``simcc replay
--staffing log``) with that time as the group's wrap-up, in one of four forms: ``none``,
``median`` (a constant: what ``simcc calibrate`` writes), ``trunc`` (the gaps up to
30 s, as an empirical distribution), ``all`` (every gap up to 5 minutes).

    python benchmarks/bank_post_call.py [none|median|trunc|all] [--replications 4]
        [--segments labels|equal|one]

Prints per month the gaps' count, mean and median and the replay's relative errors,
then the mean absolute errors. About a minute per form on the 2-core machine.
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np
from bank_months import MONTHS, calibrated, clean_contacts, month_logs

from simcc.calibrate.postcall import busy_gaps
from simcc.calibrate.replay import replay

SHORT_S = 30.0


def wrap_up_spec(gaps: np.ndarray, form: str):
    """The group's wrap-up from the gaps (see the module docstring)."""
    if form == "none":
        return None
    if form == "median":
        return float(np.median(gaps))
    values = gaps[gaps <= SHORT_S] if form == "trunc" else gaps
    return {"dist": "empirical",
            "values": [float(v) for v in np.quantile(values, np.linspace(0.0025, 0.9975, 200))]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("form", nargs="?", choices=("none", "median", "trunc", "all"),
                        default="median")
    parser.add_argument("--replications", type=int, default=4)
    parser.add_argument("--segments", choices=("labels", "equal", "one"), default="equal",
                        help="as in bank_months.py")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    logs = month_logs(args.segments)
    errors = []
    for m in MONTHS:
        gaps = busy_gaps(clean_contacts(logs[m]))
        model = calibrated(logs[m], args.segments)
        group = next(iter(model.agents))
        model = model.with_overrides({f"agents.{group}.wrap_up": wrap_up_spec(gaps, args.form)})
        overall = replay(logs[m], model, replications=args.replications,
                         staffing="log").overall()
        errors.append((overall.abandon_rate_relerr, overall.asa_s_relerr))
        print(f"{m[3:]}: {len(gaps)} gaps, mean {gaps.mean():.1f} s, median "
              f"{np.median(gaps):.1f} s; abandonment {overall.abandon_rate_relerr:+.0%}, "
              f"ASA {overall.asa_s_relerr:+.0%}", flush=True)
    ab = np.abs([e[0] for e in errors])
    asa = np.abs([e[1] for e in errors])
    print(f"{args.form}: mean |error| abandonment {ab.mean():.1%}, ASA {asa.mean():.1%}; "
          f"abandonment within 15 %: {(ab <= 0.15).sum()}/9; ASA within 10 %: "
          f"{(asa <= 0.10).sum()}/9, within 20 %: {(asa <= 0.20).sum()}/9")


if __name__ == "__main__":
    main()
