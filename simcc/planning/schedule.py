"""``simcc schedule``: shifts that cover per-interval requirements at least cost.

Inputs are the requirements of one agent group (the CSV that ``simcc staff
--requirements`` writes: ``group,date,start,required,interval``; one typical day when
``date`` is empty, else up to 7 consecutive dates) and a set of allowed shift
**patterns** (:class:`Patterns`, a YAML file). Every concrete shift — a pattern, a start
time in its window, a break start in its break window, a date (or, for a pattern with
weekly ``days_off``, the working days of a week: a tour) — is one integer variable
``x_j >= 0`` (agents working it). With ``a_ij = 1`` when shift ``j`` has an agent on duty
(not on break) in interval ``i`` and ``s_i >= 0`` the agents missing in interval ``i``::

    minimise   sum_j cost_j x_j  +  M sum_i s_i
    subject to sum_j a_ij x_j + s_i >= required_i      for every interval i
               sum_j x_j <= max_agents                 (per date, when given)

with ``M`` larger than the cost of any roster, so the shortfall is zero whenever the
requirements can be met and, when they cannot, the uncovered agent-intervals are as few
as possible and reported interval by interval. Solved by HiGHS through
:func:`scipy.optimize.milp`. Breaks and starts are on the requirements' interval grid,
so the coverage the solver claims is exactly what the rostered scenario's shifts log in.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import itertools
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import Field, ValidationError, model_validator
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csr_array, hstack, identity

from simcc.errors import ScenarioError, SimccError
from simcc.scenario.calendar import WEEKDAYS
from simcc.scenario.load import pydantic_problems, validate_document
from simcc.scenario.types import ClockTime, Duration, Name, Spec
from simcc.scenario.yamltext import read_text_file
from simcc.units import DAY, format_clock, parse_clock, parse_duration

MAX_REQUIREMENT_BYTES = 5 * 2 ** 20
"""Largest requirements file."""
MAX_DATES = 7
"""Most dates a roster covers (shifts are written per weekday)."""
MAX_SHIFTS = 200_000
"""Most concrete shifts (integer variables) in one program."""
REQUIRED_COLUMNS = ("group", "date", "start", "required")


class BreakRule(Spec):
    """A break of ``duration`` that starts between ``after[0]`` and ``after[1]`` after
    the shift's start (the solver picks the start on the interval grid)."""

    after: tuple[Duration, Duration]
    duration: Duration = Field(gt=0)


class StartWindow(Spec):
    """Allowed start times: from ``from`` to ``to`` (clock times) every ``every``."""

    start_from: ClockTime = Field(alias="from")
    to: ClockTime
    every: Duration = Field(gt=0)


class Pattern(Spec):
    """A kind of shift: its start times, its length, its breaks and its cost per paid
    hour (break time is not paid)."""

    name: Name
    start: StartWindow | ClockTime
    length: Duration = Field(gt=0, le=DAY)
    breaks: list[BreakRule] = Field(default_factory=list, max_length=3)
    cost: float = Field(default=1.0, gt=0, le=1e6, description="per paid hour")
    days_off: int = Field(default=0, ge=0, le=6, description="weekly days off: an agent "
                          "works the same shift on the other days of the week (needs 7 "
                          "dated days of requirements); 0: each date on its own")
    consecutive: bool = Field(default=True, description="the days off are in a row "
                              "(wrapping over the week's end)")

    def day_sets(self, dates: int) -> list[tuple[int, ...]]:
        """The working days (date indices) of one agent of this pattern: each date
        alone without days off; else every week minus ``days_off`` days (in a row, or
        any of them)."""
        if not self.days_off:
            return [(d,) for d in range(dates)]
        if dates != 7:
            raise SimccError(f"pattern {self.name}: days_off makes weekly tours, which "
                             f"need requirements for 7 consecutive dates (got {dates})")
        if self.consecutive:
            offs = [{(s + k) % 7 for k in range(self.days_off)} for s in range(7)]
        else:
            offs = [set(c) for c in itertools.combinations(range(7), self.days_off)]
        return [tuple(d for d in range(7) if d not in off) for off in offs]

    def starts(self) -> list[float]:
        """The allowed start clock times, seconds."""
        if not isinstance(self.start, StartWindow):
            return [self.start]
        span = (self.start.to - self.start.start_from) % DAY
        steps = int(math.floor(span / self.start.every + 1e-9))
        return [(self.start.start_from + k * self.start.every) % DAY for k in range(steps + 1)]


class Patterns(Spec):
    """The allowed shift patterns of one group, and the most agents per date."""

    group: Name
    patterns: list[Pattern] = Field(min_length=1, max_length=1000)
    max_agents: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _unique(self) -> Patterns:
        names = [p.name for p in self.patterns]
        if len(set(names)) != len(names):
            raise ValueError("pattern names must be unique")
        return self


@dataclass
class Requirements:
    """Agents required per interval of ``interval_s`` seconds from ``start_clock`` on
    each of ``dates`` (``[None]``: one typical day); ``required[d, k]``."""

    group: str
    dates: list[dt.date | None]
    start_clock: float
    interval_s: float
    required: np.ndarray


@dataclass
class Roster:
    """The solution: ``shifts`` (date, pattern, start clock, break starts as clocks,
    agents), ``coverage`` per interval (date, start, required, covered, shortfall,
    surplus), ``cost`` (per the patterns' cost per paid hour), solver facts."""

    requirements: Requirements
    shifts: pd.DataFrame
    coverage: pd.DataFrame
    cost: float
    variables: int
    seconds: float
    status: str
    notes: list[str] = field(default_factory=list)

    @property
    def shortfall(self) -> int:
        """Uncovered agent-intervals."""
        return int(self.coverage["shortfall"].sum())

    def shifts_csv(self) -> str:
        """The roster as CSV in the WFM files' conventions (docs/wfm_files.md):
        ``group,date,pattern,start,end,breaks,agents``, one row per date and shift, clock
        times ``HH:MM``, ``breaks`` as ``start/minutes`` joined by ``;``."""
        table = self.shifts
        breaks = [";".join(f"{format_clock(b)}/{d / 60:g}m" for b, d in
                           zip(row.breaks, row.break_s, strict=True))
                  for row in table.itertuples()]
        frame = pd.DataFrame({
            "group": self.requirements.group,
            "date": [d.isoformat() if isinstance(d, dt.date) else "" for d in table["date"]],
            "pattern": table["pattern"], "start": [format_clock(t) for t in table["start"]],
            "end": [format_clock(t) for t in table["end"]], "breaks": breaks,
            "agents": table["agents"]},
            columns=["group", "date", "pattern", "start", "end", "breaks", "agents"])
        return frame.to_csv(index=False, lineterminator="\n")


def read_requirements(path: Path, group: str) -> Requirements:
    """The requirements of ``group`` from a requirements CSV (errors name the line and
    the column)."""
    text = read_text_file(path, "requirements file")
    if len(text) > MAX_REQUIREMENT_BYTES:
        raise SimccError(f"{path}: larger than {MAX_REQUIREMENT_BYTES // 2 ** 20} MiB")
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except pd.errors.ParserError as exc:
        raise SimccError(f"{path}: not a CSV file ({exc})") from None
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise SimccError(f"{path}: missing column(s) {', '.join(missing)} (header: "
                         "group,date,start,required,interval)")
    frame = frame[frame["group"] == group]
    if frame.empty:
        raise SimccError(f"{path}: no rows for group '{group}'")
    rows = []
    for line, row in zip(frame.index + 2, frame.itertuples(), strict=True):
        rows.append((_date(path, line, row.date), _clock(path, line, row.start),
                     _count(path, line, row.required)))
    dates = sorted({r[0] for r in rows}, key=lambda d: (d is not None, d))
    if len(dates) > MAX_DATES or (None in dates and len(dates) > 1):
        raise SimccError(f"{path}: a roster covers one typical day (empty date) or up to "
                         f"{MAX_DATES} consecutive dates")
    if dates[0] is not None and (dates[-1] - dates[0]).days != len(dates) - 1:
        raise SimccError(f"{path}: the dates must be consecutive")
    interval = _interval(path, frame, rows)
    first = min(r[1] for r in rows if r[0] == dates[0])
    per_day = int(round(DAY / interval))
    required = np.zeros((len(dates), per_day), dtype=int)
    for date, clock, count in rows:
        k = int(round(((clock - first) % DAY) / interval))
        required[dates.index(date), k % per_day] = count
    return Requirements(group, dates, first, interval, required)


def _date(path: Path, line: int, text: str) -> dt.date | None:
    if not text.strip():
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise SimccError(f"{path} line {line}, column date: expected YYYY-MM-DD or empty, "
                         f"got {text[:40]!r}") from None


def _clock(path: Path, line: int, text: str) -> float:
    try:
        return parse_clock(text.strip())
    except ValueError:
        raise SimccError(f"{path} line {line}, column start: expected a clock time HH:MM, "
                         f"got {text[:40]!r}") from None


def _count(path: Path, line: int, text: str) -> int:
    if not text.strip().isdigit() or int(text) > 1_000_000:
        raise SimccError(f"{path} line {line}, column required: must be a whole number "
                         f">= 0, got {text[:40]!r}")
    return int(text)


def _interval(path: Path, frame: pd.DataFrame, rows: list) -> float:
    """The interval: the ``interval`` column (one value), or the spacing of starts."""
    if "interval" in frame.columns and frame["interval"].str.strip().any():
        values = {v.strip() for v in frame["interval"] if v.strip()}
        try:
            seconds = {parse_duration(v) for v in values}
        except ValueError:
            raise SimccError(f"{path}, column interval: expected seconds or a duration "
                             f"like 30m, got {sorted(values)[:3]}") from None
        if len(seconds) != 1:
            raise SimccError(f"{path}, column interval: one interval for all rows")
        interval = seconds.pop()
    else:
        clocks = sorted({r[1] for r in rows})
        gaps = np.diff(clocks)
        interval = float(gaps.min()) if len(gaps) else DAY
    if interval <= 0 or abs(DAY / interval - round(DAY / interval)) > 1e-9:
        raise SimccError(f"{path}, column interval: the interval must divide 24h")
    return interval


def load_patterns(document: dict[str, Any]) -> Patterns:
    """Validated patterns (errors name the field)."""
    try:
        return Patterns.model_validate(document)
    except ValidationError as exc:
        raise ScenarioError(pydantic_problems(exc)) from None


@dataclass(frozen=True)
class _Shift:
    dates: tuple[int, ...]  # the dates (indices) its agents work
    pattern: int
    start_k: int            # interval index of the start, from the requirements' first
    breaks: tuple[int, ...]  # interval offsets of break starts, from the shift start


def candidate_shifts(req: Requirements, patterns: Patterns) -> list[_Shift]:
    """Every concrete shift on the interval grid."""
    out = []
    step = req.interval_s
    for p, pattern in enumerate(patterns.patterns):
        for clock in pattern.starts():
            offset = ((clock - req.start_clock) % DAY) / step
            if abs(offset - round(offset)) > 1e-9:
                continue  # not on the grid
            for breaks in _break_choices(pattern, step):
                for days in pattern.day_sets(len(req.dates)):
                    out.append(_Shift(days, p, int(round(offset)), breaks))
    if len(out) > MAX_SHIFTS:
        raise SimccError(f"{len(out):,} candidate shifts: more than {MAX_SHIFTS:,}; narrow "
                         "the start or break windows")
    return out


def _break_choices(pattern: Pattern, step: float) -> list[tuple[int, ...]]:
    """Every combination of break starts (interval offsets) the rules allow."""
    choices: list[tuple[int, ...]] = [()]
    for rule in pattern.breaks:
        first, last = (math.ceil(rule.after[0] / step - 1e-9),
                       math.floor(rule.after[1] / step + 1e-9))
        choices = [c + (k,) for c in choices for k in range(first, last + 1)]
    return choices


def _on_duty(shift: _Shift, pattern: Pattern, step: float, per_day: int, days: int
             ) -> list[int]:
    """Indices (date x interval, flattened) where the shift has its agents on duty."""
    length = int(round(pattern.length / step))
    off = {b + j for b, rule in zip(shift.breaks, pattern.breaks, strict=True)
           for j in range(int(round(rule.duration / step)))}
    return [(d * per_day + shift.start_k + j) % (days * per_day)
            for d in shift.dates for j in range(length) if j not in off]


def solve(req: Requirements, patterns: Patterns, time_limit_s: float = 60.0) -> Roster:
    """The least-cost roster (see the module docstring)."""
    shifts = candidate_shifts(req, patterns)
    if not shifts:
        raise SimccError("no pattern has a start time on the requirements' interval grid")
    days, per_day = req.required.shape
    step = req.interval_s
    n, m = len(shifts), days * per_day
    rows, cols = [], []
    for j, shift in enumerate(shifts):
        for i in _on_duty(shift, patterns.patterns[shift.pattern], step, per_day, days):
            rows.append(i)
            cols.append(j)
    coverage = _sparse(rows, cols, m, n)
    cost = np.array([_paid_hours(patterns.patterns[s.pattern]) * patterns.patterns[s.pattern].cost
                     * len(s.dates) for s in shifts])
    big = float(cost.max()) * (m + 1) * 10
    c = np.concatenate([cost, np.full(m, big)])
    a_cover = hstack([coverage, identity(m, format="csr")], format="csr")
    constraints = [LinearConstraint(a_cover, lb=req.required.ravel().astype(float),
                                    ub=np.inf)]
    if patterns.max_agents is not None:
        per_date = _sparse([d for s in shifts for d in s.dates],
                           [j for j, s in enumerate(shifts) for _ in s.dates], days, n)
        constraints.append(LinearConstraint(hstack([per_date, csr_array((days, m))],
                                                   format="csr"), lb=0,
                                            ub=patterns.max_agents))
    integrality = np.concatenate([np.ones(n), np.zeros(m)])
    began = time.perf_counter()
    result = milp(c, constraints=constraints, integrality=integrality,
                  bounds=Bounds(0, np.inf), options={"time_limit": time_limit_s})
    seconds = time.perf_counter() - began
    if result.x is None:
        raise SimccError(f"the solver found no roster ({result.message})")
    x = np.round(result.x[:n]).astype(int)
    covered = (coverage @ x).reshape(days, per_day)
    notes = [] if result.status == 0 else [f"solver stopped: {result.message} (the roster "
                                           "is the best found, not proven optimal)"]
    return Roster(req, _shift_table(req, patterns, shifts, x), _coverage_table(req, covered),
                  float(cost @ x), n, seconds, result.message, notes)


def _paid_hours(pattern: Pattern) -> float:
    return (pattern.length - sum(b.duration for b in pattern.breaks)) / 3600.0


def _sparse(rows: list[int], cols: list[int], m: int, n: int) -> csr_array:
    """An ``m`` x ``n`` 0/1 matrix with ones at (``rows[k]``, ``cols[k]``)."""
    return csr_array((np.ones(len(rows)), (rows, cols)), shape=(m, n))


def _shift_table(req: Requirements, patterns: Patterns, shifts: list[_Shift],
                 x: np.ndarray) -> pd.DataFrame:
    step = req.interval_s
    rows = []
    for shift, agents in zip(shifts, x, strict=True):
        if agents <= 0:
            continue
        pattern = patterns.patterns[shift.pattern]
        start = (req.start_clock + shift.start_k * step) % DAY
        rows += [{"date": req.dates[d], "pattern": pattern.name, "start": start,
                  "end": (start + pattern.length) % DAY,
                  "breaks": tuple((start + b * step) % DAY for b in shift.breaks),
                  "break_s": tuple(r.duration for r in pattern.breaks),
                  "agents": int(agents)} for d in shift.dates]
    columns = ["date", "pattern", "start", "end", "breaks", "break_s", "agents"]
    table = pd.DataFrame(rows, columns=columns)
    if table.empty:
        return table
    keys = columns[:-1]  # tours and one-day shifts alike may share a date and a start
    return (table.groupby(keys, sort=False, dropna=False)["agents"].sum()
            .reset_index()[columns])


def _coverage_table(req: Requirements, covered: np.ndarray) -> pd.DataFrame:
    days, per_day = req.required.shape
    rows = []
    for d in range(days):
        for k in range(per_day):
            need, have = int(req.required[d, k]), int(covered[d, k])
            rows.append({"group": req.group,
                         "date": "" if req.dates[d] is None else req.dates[d].isoformat(),
                         "start": format_clock((req.start_clock + k * req.interval_s) % DAY),
                         "required": need, "covered": have,
                         "shortfall": max(need - have, 0), "surplus": max(have - need, 0)})
    return pd.DataFrame(rows)


def rostered_document(document: dict[str, Any], roster: Roster) -> dict[str, Any]:
    """``document`` with the group logged in by the roster's shifts (weekday-limited
    shifts and ``calendar.start_date`` for dated requirements); validated."""
    req = roster.requirements
    doc = copy.deepcopy(document)
    if req.group not in doc.get("agents", {}):
        raise SimccError(f"the scenario has no agent group '{req.group}'")
    group = doc["agents"][req.group]
    for key in ("count", "shifts", "staffing"):
        group.pop(key, None)
    shifts: dict[tuple, dict[str, Any]] = {}
    for row in roster.shifts.itertuples():
        key = (row.start, row.end, row.breaks, row.break_s)
        entry = shifts.setdefault(key, {"start": format_clock(row.start),
                                        "end": format_clock(row.end), "per_date": {}})
        entry["per_date"][row.date] = entry["per_date"].get(row.date, 0) + row.agents
    group["shifts"] = [shift for key, entry in shifts.items()
                       for shift in _shift_entries(key, entry, req)]
    if req.dates[0] is not None:
        calendar = doc.get("calendar") or {}
        first = req.dates[0].isoformat()
        if str(calendar.get("start_date", first)) != first:
            raise SimccError(f"the requirements start on {first} but the scenario's "
                             f"calendar.start_date is {calendar['start_date']}: the "
                             "roster's weekdays would not match its days")
        doc["calendar"] = {**calendar, "start_date": first}
    if not group["shifts"]:
        raise SimccError("the roster has no shift (all requirements are 0)")
    doc.pop("variants", None)
    validate_document(copy.deepcopy(doc))
    return doc


def _shift_entries(key: tuple, entry: dict[str, Any], req: Requirements
                   ) -> list[dict[str, Any]]:
    """The scenario shifts of one shift shape: one per count, with the weekdays that
    count applies to."""
    _, _, breaks, durations = key
    base = {"start": entry["start"], "end": entry["end"]}
    if breaks:
        base["breaks"] = [{"start": format_clock(b), "duration": float(d)}
                          for b, d in zip(breaks, durations, strict=True)]
    if req.dates[0] is None:
        return [{**base, "count": count} for count in entry["per_date"].values()]
    by_count: dict[int, list[str]] = {}
    for date, count in entry["per_date"].items():
        by_count.setdefault(count, []).append(WEEKDAYS[date.weekday()])
    return [{**base, "count": count, "days": days} for count, days in by_count.items()]
