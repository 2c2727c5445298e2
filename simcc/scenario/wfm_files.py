"""WFM files: the forecast and staffing-plan CSVs a scenario may reference.

``demand[i].forecast: FILE.csv`` and ``agents.NAME.plan: FILE.csv`` name CSV files,
relative to the scenario's folder. Reading the scenario replaces each reference by the
file's content (:func:`resolve_files`): a forecast becomes an inline forecast mapping
(:class:`simcc.scenario.forecast.Forecast`), a plan becomes the group's ``staffing``
table. So every later step (variants, ``simcc staff``, written scenarios) sees plain
scenario data, and a written scenario does not depend on the CSV any more.

Column headers are normalised (lower case, every run of other characters -> ``_``)
and matched against :data:`COLUMN_ALIASES`, so the exports of common WFM tools read as
they are (docs/wfm_files.md); other columns are ignored. Cells: clock times
``HH:MM[:SS]``, dates ``YYYY-MM-DD`` (or one ``YYYY-MM-DD HH:MM`` cell), durations in
seconds or ``MM:SS`` / ``H:MM:SS``.
A file separated by ``;`` may use decimal commas. Errors name the file, the line and
the column; at most :data:`MAX_ROWS` rows are read.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simcc.errors import ScenarioError, shown
from simcc.scenario.yamltext import read_text_file
from simcc.units import DAY, parse_clock

MAX_ROWS = 200_000
"""Most data rows of one WFM file."""
MAX_VOLUME = 1e9
"""Largest volume of one row."""
MAX_AGENTS = 100_000
"""Largest agent count of one row."""
MAX_PROBLEMS = 10
"""Problems listed before reading stops."""

COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "date": ("date", "day", "interval_date", "report_date", "forecast_date"),
    "start": ("start", "interval", "interval_start", "start_time", "time", "period",
              "period_start", "interval_begin", "datetime", "date_time", "timestamp"),
    "channel": ("channel", "queue", "queue_name", "split", "media", "media_type"),
    "intent": ("intent", "call_type", "calltype", "contact_type", "contact_reason", "reason"),
    "volume": ("volume", "offered", "calls_offered", "offered_calls", "contacts", "calls",
               "forecast", "forecast_volume", "forecasted_volume", "handled", "calls_handled"),
    "aht": ("aht", "aht_s", "average_handle_time", "avg_handle_time", "handle_time",
            "handle_s", "forecast_aht"),
    "acw": ("acw", "acw_s", "after_call_work", "avg_acw", "wrap", "wrap_up", "wrap_s"),
    "group": ("group", "agent_group", "team", "staff_group", "skill_group"),
    "agents": ("agents", "staff", "staffed", "scheduled", "scheduled_agents",
               "agents_scheduled", "headcount", "positions", "required"),
}
"""Canonical column -> the normalised header names read as it."""

FORECAST_COLUMNS = ("date", "start", "channel", "intent", "volume", "aht", "acw")
PLAN_COLUMNS = ("date", "start", "group", "agents")


def normalise_header(text: str) -> str:
    """``" AHT (s)"`` -> ``"aht_s"``."""
    return re.sub(r"[^a-z0-9]+", "_", text.strip().lower()).strip("_")


@dataclass
class Sheet:
    """The rows of one WFM file: ``rows`` are ``(line number, cells)``, ``columns``
    maps each canonical column found to its cell index, ``headers`` to its header as
    written; ``decimal_comma`` when the file is separated by ``;``."""

    label: str
    columns: dict[str, int]
    headers: dict[str, str]
    rows: list[tuple[int, list[str]]]
    decimal_comma: bool

    def cell(self, cells: list[str], column: str) -> str:
        """The stripped cell of ``column`` ('' when the row is short or the column is
        absent)."""
        index = self.columns.get(column)
        return cells[index].strip() if index is not None and index < len(cells) else ""

    def where(self, line: int, column: str) -> str:
        """``"week.csv line 12, column 'AHT'"``."""
        return f"{self.label} line {line}, column {shown(self.headers[column], 40)}"

    def belongs(self, line: int, cells: list[str], column: str, known: Iterable[str],
                own: str, kind: str) -> bool:
        """Whether a row is for ``own`` by its ``column`` (a file without that column:
        every row is); ValueError when the cell names no ``kind`` in ``known``."""
        if column not in self.columns:
            return True
        value = self.cell(cells, column)
        names = list(map(str, known))
        if value not in names:
            raise ValueError(f"{self.where(line, column)}: {shown(value, 40)} is not "
                             f"{kind} of the scenario ({', '.join(names)})")
        return value == own


class Problems:
    """Problems found while reading one reference, raised together."""

    def __init__(self, path: str):
        self.path, self.items = path, []

    def add(self, message: str) -> None:
        self.items.append((self.path, message))
        if len(self.items) >= MAX_PROBLEMS:
            self.raise_any()

    def raise_any(self) -> None:
        if self.items:
            raise ScenarioError(self.items)


def read_sheet(path: Path, label: str, wanted: tuple[str, ...], where: str) -> Sheet:
    """Read the CSV at ``path`` and map its headers to the ``wanted`` canonical
    columns (a ScenarioError at ``where`` for an unreadable file or clashing headers)."""
    if path.suffix.lower() not in (".csv", ".txt"):
        raise ScenarioError([(where, f"{shown(label, 80)}: a WFM file is a .csv (or .txt) "
                                     "file")])
    try:
        text = read_text_file(path, "CSV file").removeprefix("\ufeff")
    except ScenarioError as exc:
        raise ScenarioError([(where, f"{shown(label, 80)}: {msg}")
                             for _, msg in exc.problems]) from None
    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = next(reader, None)
        if header is None:
            raise ScenarioError([(where, f"{label}: the file is empty")])
        columns, headers = _match_headers(header, wanted, label, where)
        rows = []
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue
            if len(rows) >= MAX_ROWS:
                raise ScenarioError([(where, f"{label}: more than {MAX_ROWS:,} rows")])
            rows.append((reader.line_num, cells))
    except csv.Error as exc:
        raise ScenarioError([(where, f"{label} line {reader.line_num}: not readable as "
                                     f"CSV ({exc})")]) from None
    if not rows:
        raise ScenarioError([(where, f"{label}: no data rows under the header")])
    return Sheet(label, columns, headers, rows, delimiter == ";")


def _match_headers(header: list[str], wanted: tuple[str, ...], label: str, where: str
                   ) -> tuple[dict[str, int], dict[str, str]]:
    """Cell index and header of each canonical column; when several headers give one
    column, the name listed first in :data:`COLUMN_ALIASES` wins (``offered`` before
    ``handled``); one header written twice is an error."""
    columns: dict[str, int] = {}
    headers: dict[str, str] = {}
    rank: dict[str, int] = {}
    alias = {name: (canon, k) for canon in wanted
             for k, name in enumerate(COLUMN_ALIASES[canon])}
    for index, raw in enumerate(header):
        found = alias.get(normalise_header(raw))
        if found is None:
            continue
        canon, k = found
        if canon in columns and k == rank[canon]:
            raise ScenarioError([(where, f"{label} line 1: the column {shown(raw, 40)} is "
                                         "written twice; keep one")])
        if canon not in columns or k < rank[canon]:
            columns[canon], headers[canon], rank[canon] = index, raw.strip(), k
    return columns, headers


def require_columns(sheet: Sheet, needed: tuple[str, ...], where: str) -> None:
    """A ScenarioError listing the ``needed`` columns ``sheet`` lacks, with their
    accepted names."""
    missing = [c for c in needed if c not in sheet.columns]
    if missing:
        raise ScenarioError([(where, f"{sheet.label}: no column for "
                              + "; ".join(f"'{c}' (accepted names: "
                                          f"{', '.join(COLUMN_ALIASES[c][:6])})"
                                          for c in missing))])


_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[ T](.+))?$")


def parse_start(sheet: Sheet, line: int, cells: list[str]) -> tuple[dt.date | None, float]:
    """The date (None: a typical day) and clock seconds of a row's interval start;
    ValueError with the place otherwise."""
    start = sheet.cell(cells, "start")
    date_text = sheet.cell(cells, "date")
    match = _DATE.match(start)
    if match:
        date_text, start = match.group(1), (match.group(2) or "00:00").strip()
    date = None
    if date_text:
        try:
            date = dt.date.fromisoformat(date_text)
        except ValueError:
            column = "date" if "date" in sheet.columns and not match else "start"
            raise ValueError(f"{sheet.where(line, column)}: {shown(date_text, 40)} is not a "
                             "date YYYY-MM-DD") from None
    try:
        seconds = parse_clock(start)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds < DAY:
        raise ValueError(f"{sheet.where(line, 'start')}: {shown(start, 40)} is not a clock "
                         "time HH:MM (or YYYY-MM-DD HH:MM) of the day")
    return date, seconds


def parse_number(sheet: Sheet, line: int, cells: list[str], column: str,
                 high: float) -> float | None:
    """The number in ``column`` (None when blank), from 0 to ``high``; ValueError with
    the place otherwise."""
    text = sheet.cell(cells, column)
    if not text:
        return None
    if sheet.decimal_comma:
        text = text.replace(",", ".")
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 <= value <= high:
        raise ValueError(f"{sheet.where(line, column)}: must be a number from 0 to {high:g}, "
                         f"got {shown(sheet.cell(cells, column), 40)}")
    return value


def parse_seconds(sheet: Sheet, line: int, cells: list[str], column: str) -> float | None:
    """A duration cell: seconds, ``MM:SS`` or ``H:MM:SS`` (None when blank)."""
    text = sheet.cell(cells, column)
    parts = text.split(":")
    if len(parts) in (2, 3) and all(p.strip().replace(".", "", 1).isdigit() for p in parts):
        seconds = sum(float(v) * 60 ** k for k, v in enumerate(reversed(parts)))
        if seconds > DAY:
            raise ValueError(f"{sheet.where(line, column)}: must be at most 24 hours, got "
                             f"{shown(text, 40)}")
        return seconds
    return parse_number(sheet, line, cells, column, DAY)


def collect(sheet: Sheet, where: str, parse_row) -> Iterator[Any]:
    """``parse_row(line, cells)`` for every row, with the ValueErrors collected into one
    ScenarioError at ``where`` (at most :data:`MAX_PROBLEMS`)."""
    problems = Problems(where)
    for line, cells in sheet.rows:
        try:
            yield parse_row(line, cells)
        except ValueError as exc:
            problems.add(str(exc))
    problems.raise_any()


def infer_interval(clocks: list[float], dated: bool, sheet: Sheet, where: str) -> float | None:
    """The interval of a file, seconds: the smallest gap between the distinct clock
    times its rows start at; every start must lie on that grid (and, for dated rows,
    the interval must divide 24 h). None when all rows start at one clock time."""
    distinct = sorted(set(clocks))
    if len(distinct) < 2:
        return None
    step = min(b - a for a, b in zip(distinct, distinct[1:], strict=False))
    off = [t for t in distinct if abs((t - distinct[0]) / step - round((t - distinct[0]) / step))
           > 1e-6]
    if step < 60 or off:
        raise ScenarioError([(where, f"{sheet.label}: the interval starts are not on one grid "
                              f"(smallest gap {step:g} s); give every interval the same "
                              "length, at least one minute")])
    if dated and abs(DAY / step - round(DAY / step)) > 1e-9:
        raise ScenarioError([(where, f"{sheet.label}: dated rows need an interval that "
                              f"divides 24 h (the rows are {step:g} s apart)")])
    return step


def resolve_files(document: dict[str, Any], base_dir: Path | None,
                  overridden: bool = False) -> dict[str, Any]:
    """``document`` with every ``demand[i].forecast`` and ``agents.NAME.plan`` that names
    a file replaced by the file's content (see the module docstring); paths are relative
    to ``base_dir`` (None: the working directory). ``overridden``: the references come
    from overrides (``--set``, variants), so a plan replaces the group's other staffing.
    The input is not changed."""
    from simcc.scenario.forecast import read_forecast
    from simcc.scenario.plan_file import read_plan

    if base_dir is not None and isinstance(document.get("variants"), dict):
        document = {**document, "variants": _anchored(document["variants"], base_dir)}
    demands, agents = document.get("demand"), document.get("agents")
    refs_in_demand = isinstance(demands, list) and any(
        isinstance(d, dict) and isinstance(d.get("forecast"), str) for d in demands)
    refs_in_agents = isinstance(agents, dict) and any(
        isinstance(g, dict) and isinstance(g.get("plan"), str) for g in agents.values())
    if not (refs_in_demand or refs_in_agents):
        return document
    out = dict(document)
    base = base_dir if base_dir is not None else Path.cwd()
    if refs_in_demand:
        out["demand"] = [
            {**d, "forecast": read_forecast(base / d["forecast"], d["forecast"], d, out,
                                            f"demand[{i}].forecast")}
            if isinstance(d, dict) and isinstance(d.get("forecast"), str) else d
            for i, d in enumerate(demands)]
    if refs_in_agents:
        out["agents"] = {
            name: read_plan(base / g["plan"], g["plan"], name, g, out, f"agents.{name}.plan",
                            replace=overridden)
            if isinstance(g, dict) and isinstance(g.get("plan"), str) else g
            for name, g in agents.items()}
    return out


FILE_KEYS = ("forecast", "plan")
"""Keys whose text values name WFM files."""


def _anchored(node: Any, base_dir: Path) -> Any:
    """``node`` (a variants section) with every relative file reference — a
    ``forecast`` or ``plan`` key, or a dotted key ending in one, with a text value —
    made relative to ``base_dir`` (the scenario's folder) instead of the working
    directory."""
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        last = str(key).rsplit(".", 1)[-1]
        if last in FILE_KEYS and isinstance(value, str) and not Path(value).is_absolute():
            out[key] = str(base_dir / value)
        else:
            out[key] = _anchored(value, base_dir)
    return out


def with_file_references(schema: dict[str, Any]) -> dict[str, Any]:
    """The scenario JSON Schema with the file references a scenario file may hold before
    :func:`resolve_files` reads them: ``demand[i].forecast`` may be a CSV path, and an
    agent group may give ``plan`` (a CSV path) instead of count, shifts or staffing."""
    defs = schema["$defs"]
    path = {"type": "string", "pattern": r"(?i)\.(csv|txt)$",
            "description": "a CSV file, relative to the scenario file (docs/wfm_files.md)"}
    forecast = defs["Demand"]["properties"]["forecast"]
    forecast["anyOf"] = [path, *forecast["anyOf"]]
    defs["AgentGroup"]["properties"]["plan"] = {
        **path, "description": "a staffing-plan CSV (agents per interval), read into "
        "'staffing' (docs/wfm_files.md)"}
    return schema
