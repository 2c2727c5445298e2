"""Staffing-plan CSVs: ``agents.NAME.plan: FILE.csv``, agents per interval from a WFM tool.

A plan gives, per interval start (and group, when the file holds several), the agents
logged in. Reading the scenario turns it into the group's ``staffing`` table
(docs/scenario.md#agents), so a plan is checked exactly as the WFM tool wrote it:

* rows with a clock time only are a typical day (the table repeats every day);
* dated rows (``YYYY-MM-DD``) need ``calendar.start_date``; the table then starts on
  that date and repeats every whole number of weeks that holds the plan (7 days for a
  week's plan, at most 366 days); intervals and dates the plan does not list have no
  agents (a Monday-to-Saturday plan has nobody on Sunday).
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

from simcc.errors import ScenarioError, shown
from simcc.scenario.schema import MAX_STAFFING_PERIOD_DAYS
from simcc.scenario.wfm_files import (
    MAX_AGENTS,
    PLAN_COLUMNS,
    collect,
    infer_interval,
    parse_number,
    parse_start,
    read_sheet,
    require_columns,
)
from simcc.units import DAY, format_clock_exact

STAFFING_KEYS = ("count", "shifts", "staffing")


def read_plan(path: Path, label: str, name: str, group: dict[str, Any],
              document: dict[str, Any], where: str, replace: bool = False) -> dict[str, Any]:
    """``group`` (the mapping of ``agents.NAME``) with its plan file turned into a
    ``staffing`` table. A group that also gives ``count``, ``shifts`` or ``staffing`` is
    an error, unless ``replace`` (the plan comes from an override: it replaces them)."""
    clash = [k for k in STAFFING_KEYS if k in group]
    if clash and not replace:
        raise ScenarioError([(where, f"a plan gives the group's agents: remove "
                                     f"'{clash[0]}' (or the plan)")])
    group = {k: v for k, v in group.items() if k not in STAFFING_KEYS}
    sheet = read_sheet(path, label, PLAN_COLUMNS, where)
    require_columns(sheet, ("start", "agents"), where)
    groups = document.get("agents") if isinstance(document.get("agents"), dict) else {}

    def parse_row(line: int, cells: list[str]) -> tuple | None:
        if not sheet.belongs(line, cells, "group", groups, name, "an agent group"):
            return None
        date, start = parse_start(sheet, line, cells)
        agents = parse_number(sheet, line, cells, "agents", MAX_AGENTS)
        if agents is None or agents != int(agents):
            raise ValueError(f"{sheet.where(line, 'agents')}: must be a whole number of "
                             f"agents, got {shown(sheet.cell(cells, 'agents'), 40)}")
        return line, date, start, int(agents)

    rows = [row for row in collect(sheet, where, parse_row) if row is not None]
    if not rows:
        raise ScenarioError([(where, f"{label}: no row for group {shown(name, 40)}")])
    times = _row_times(rows, document, sheet.label, where)
    interval = infer_interval([row[2] for row in rows], rows[0][1] is not None, sheet, where)
    table = _staffing(rows, times, interval, sheet.label, where)
    return {k: v for k, v in group.items() if k != "plan"} | {"staffing": table}


def _row_times(rows: list[tuple], document: dict[str, Any], label: str, where: str
               ) -> dict[int, float]:
    """Seconds since midnight of the first simulated day of each row (by line)."""
    dated = {row[1] is not None for row in rows}
    if len(dated) > 1:
        raise ScenarioError([(where, f"{label}: give a date on every row or on none")])
    if dated == {False}:
        return {line: start for line, _, start, _ in rows}
    first = _calendar_start(document, where)
    times = {}
    for line, date, start, _ in rows:
        offset = (date - first).days
        if offset < 0:
            raise ScenarioError([(where, f"{label} line {line}: {date} is before "
                                         f"calendar.start_date {first}")])
        times[line] = offset * DAY + start
    return times


def _calendar_start(document: dict[str, Any], where: str) -> dt.date:
    calendar = document.get("calendar")
    value = calendar.get("start_date") if isinstance(calendar, dict) else None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ScenarioError([(where, "a dated plan needs calendar.start_date (YYYY-MM-DD) "
                                     "to place its days")]) from None


def _staffing(rows: list[tuple], times: dict[int, float], step: float | None,
              label: str, where: str) -> dict[str, Any]:
    """The ``staffing`` mapping of the rows: counts every ``step`` seconds (None: one
    row) from the first interval start, zeros where the plan lists nothing."""
    first = min(times.values())
    dated = rows[0][1] is not None
    day_zero = math.floor(first / DAY) * DAY if dated else 0.0
    if step is None:
        if len(set(times.values())) > 1:
            raise ScenarioError([(where, f"{label}: every row starts at the same clock time, "
                                         "so the interval length is unknown; list every "
                                         "interval of the day")])
        if len(rows) > 1:
            raise ScenarioError([(where, f"{label} lines {rows[0][0]} and {rows[1][0]}: the "
                                         "same interval twice")])
        counts = [rows[0][3]]
    else:
        slots = round((max(times.values()) - first) / step) + 1
        lead = round(day_zero / step) if dated else 0
        counts = [0] * (lead + slots)
        seen: dict[int, int] = {}
        for line, _, _, agents in rows:
            k = lead + round((times[line] - first) / step)
            if k in seen:
                raise ScenarioError([(where, f"{label} lines {seen[k]} and {line}: the same "
                                             "interval twice")])
            seen[k], counts[k] = line, agents
    table: dict[str, Any] = {"counts": counts, "start": format_clock_exact(first - day_zero)}
    if step is not None:
        table["interval"] = step
    if dated:
        span = first - day_zero + len(counts) * (step or 0)
        days = max(1, math.ceil(span / DAY - 1e-9))
        if days > MAX_STAFFING_PERIOD_DAYS:
            raise ScenarioError([(where, f"{label}: the plan covers {days} days; at most "
                                         f"{MAX_STAFFING_PERIOD_DAYS} are read")])
        weeks = math.ceil(days / 7) * 7  # a Monday-to-Saturday plan leaves Sunday empty
        table["period"] = (weeks if weeks <= MAX_STAFFING_PERIOD_DAYS else days) * DAY
    return table
