"""Solver time of ``simcc schedule`` for a week of 30-minute intervals.

Requirements: 7 dates x 48 intervals of one group (a two-peak weekday shape, Saturday at
60 %, Sunday at 30 %, closed at night). Two pattern sets:

* ``four``: starts every 30 minutes from 06:00 to 14:00 (17 starts) x lengths 4 h, 6 h,
  8 h, 10 h (4 patterns; the 8 h and 10 h shifts with a 30-minute unpaid break placed
  by the solver within a two-hour window) = 68 pattern-start combinations;
* ``fifty_six``: 56 patterns: lengths 4 h to 10 h (7) x four start windows (06:00,
  08:00, 10:00, 12:00, each with starts every 30 minutes for 1.5 h), each once as a
  day-by-day shift and once as a weekly tour with two days off in a row; shifts of 6 h
  or more have a 30-minute break in a two-hour window.

Prints, per set, the number of integer variables, the solver time, the cost and the
shortfall.

    python benchmarks/bench_schedule.py
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np

from simcc.planning.schedule import load_patterns, read_requirements, solve

PATTERNS = {"group": "team", "patterns": [
    {"name": "h4", "start": {"from": "06:00", "to": "14:00", "every": "30m"}, "length": "4h",
     "cost": 1.1},
    {"name": "h6", "start": {"from": "06:00", "to": "14:00", "every": "30m"}, "length": "6h",
     "cost": 1.05},
    {"name": "h8", "start": {"from": "06:00", "to": "14:00", "every": "30m"}, "length": "8h30m",
     "breaks": [{"after": ["3h", "5h"], "duration": "30m"}]},
    {"name": "h10", "start": {"from": "06:00", "to": "14:00", "every": "30m"},
     "length": "10h30m", "breaks": [{"after": ["4h", "6h"], "duration": "30m"}]},
]}


def fifty_six_patterns() -> dict:
    """The 56-pattern set (see the module docstring)."""
    patterns = []
    for hours in range(4, 11):
        for first in (6, 8, 10, 12):
            for tour in (False, True):
                pattern = {"name": f"h{hours}_{first:02d}{'_tour' if tour else ''}",
                           "start": {"from": f"{first:02d}:00", "to": f"{first + 1:02d}:30",
                                     "every": "30m"},
                           "length": f"{hours}h", "cost": 1.0 + 0.02 * (10 - hours)}
                if hours >= 6:
                    pattern["length"] = f"{hours}h30m"
                    pattern["breaks"] = [{"after": [f"{hours // 2 - 1}h", f"{hours // 2 + 1}h"],
                                          "duration": "30m"}]
                if tour:
                    pattern["days_off"] = 2
                patterns.append(pattern)
    return {"group": "team", "patterns": patterns}


def week_requirements() -> str:
    """The requirements CSV text of the benchmark week."""
    clock = np.arange(48) * 0.5
    shape = np.where((clock >= 7) & (clock < 22),
                     20 + 25 * np.exp(-((clock - 10.5) / 2) ** 2)
                     + 18 * np.exp(-((clock - 16) / 2.5) ** 2), 0)
    rows = ["group,date,start,required,interval"]
    for d, factor in enumerate([1.0, 0.95, 0.95, 1.0, 1.05, 0.6, 0.3]):
        for k, need in enumerate(np.round(shape * factor).astype(int)):
            rows.append(f"team,2026-03-{2 + d:02d},{int(clock[k]):02d}:{'30' if k % 2 else '00'},"
                        f"{need},1800")
    return "\n".join(rows) + "\n"


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "week.csv"
        path.write_text(week_requirements())
        req = read_requirements(path, "team")
    print(f"intervals {req.required.size}, required agent-intervals {req.required.sum()}")
    for name, spec in (("four", PATTERNS), ("fifty_six", fifty_six_patterns())):
        patterns = load_patterns(spec)
        began = time.perf_counter()
        roster = solve(req, patterns, time_limit_s=120)
        wall = time.perf_counter() - began
        print(f"[{name}] {len(patterns.patterns)} patterns, variables {roster.variables}, "
              f"solver {roster.seconds:.2f} s (wall {wall:.2f} s), status: {roster.status}")
        print(f"[{name}] cost {roster.cost:,.1f} paid-hour units, "
              f"{int(roster.shifts['agents'].sum())} agent-shifts, shortfall "
              f"{roster.shortfall}, surplus {int(roster.coverage['surplus'].sum())} "
              "agent-intervals")


if __name__ == "__main__":
    main()
