"""Day-by-day calibration output: every observed day as its own day of a calendar.

``simcc calibrate LOG -o typical.yaml --days-out DIR`` writes, beside the typical-day
scenario, a scenario whose horizon runs from the log's first clean day to its last,
with ``calendar.start_date`` the first one, and two WFM files (docs/wfm_files.md):

* ``DIR/forecast.csv`` — per date, interval and call type: the offered contacts
  (``volume``, by interval of queue entry) and their mean handle time (``aht``, over
  the interval's handled contacts with a positive handle time; that day's mean of the
  call type when the interval has none; blank when the day has none), as a WFM
  forecast gives it (on the bank's months the results moved within noise against one
  AHT per day: docs/calibration.md);
* ``DIR/plan.csv`` — per date and interval: the agents logged in, inferred from that
  day's own sessions (as :func:`~simcc.calibrate.observed.agents_per_interval` over the
  day alone, rounded as in the typical-day table).

The scenario (``DIR/scenario.yaml``) keeps the typical scenario's behaviour (patience,
segments, routing, handle-time shapes) and takes volume, AHT and staffing day by day
from the files, without ``busyness`` (each day's volume is given). Special days left
out of the calibration are days without demand or agents. Simulating it is the
planner's backtest of the log against itself (:mod:`simcc.calibrate.planfrom`) as one
scenario, which other commands (``simcc compare`` of routing variants, ``simcc staff``,
``simcc run --out``) can use.
"""

from __future__ import annotations

import copy
import datetime as dt
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from simcc.calibrate.observed import SESSION_GAP_S
from simcc.calibrate.planfrom import day_staffing
from simcc.errors import SimccError
from simcc.runtime import write_atomic
from simcc.scenario.load import load_scenario
from simcc.scenario.plan_file import STAFFING_KEYS
from simcc.units import DAY, format_clock

FORECAST_FILE = "forecast.csv"
PLAN_FILE = "plan.csv"
SCENARIO_FILE = "scenario.yaml"


@dataclass
class DayByDay:
    """The texts of the three files, and the dates they cover."""

    forecast_csv: str
    plan_csv: str
    document: dict[str, Any]
    dates: list[dt.date]


def day_by_day(contacts: pd.DataFrame, typical: dict[str, Any], interval_s: float,
               gap_s: float = SESSION_GAP_S) -> DayByDay:
    """The day-by-day files of offered ``contacts`` (:func:`offered_contacts`, special
    days already left out) for the calibrated ``typical`` scenario document."""
    channel = next(iter(typical["channels"]))
    group = next(iter(typical["agents"]))
    contacts = contacts[contacts["intent"].isin(list(typical["intents"]))]
    if contacts.empty:
        raise SimccError("--days-out: no offered contact to lay out day by day")
    dates = sorted(pd.Timestamp(d).date() for d in contacts["date"].unique())
    forecast = _forecast_rows(contacts, channel, interval_s)
    plan = _plan_rows(contacts, dates, group, interval_s, gap_s)
    return DayByDay(forecast.to_csv(index=False, lineterminator="\n"),
                    plan.to_csv(index=False, lineterminator="\n"),
                    _document(typical, dates, channel, group, interval_s), dates)


def _forecast_rows(contacts: pd.DataFrame, channel: str, interval_s: float) -> pd.DataFrame:
    """``date,start,channel,intent,volume,aht`` rows of every interval with contacts (a
    contact queued after midnight counts on the next date's interval)."""
    day = pd.to_datetime(contacts["date"]).dt.normalize()
    queued = contacts["queued_s"].to_numpy(dtype=float)
    spill = np.floor(queued / DAY).astype(int)
    when = day + pd.to_timedelta(spill, unit="D")
    slot = np.floor((queued - spill * DAY) / interval_s).astype(int)
    frame = pd.DataFrame({"date": when.dt.date, "slot": slot, "intent": contacts["intent"],
                          "day": day.dt.date, "handle_s": contacts["handle_s"]})
    keys = ["date", "slot", "intent"]
    volume = frame.groupby(keys).size().rename("volume").reset_index()
    handled = frame[frame["handle_s"] > 0]  # a log's negative or zero times are artefacts
    in_slot = handled.groupby(keys)["handle_s"].mean().rename("aht").reset_index()
    of_day = (handled.groupby(["day", "intent"])["handle_s"].mean().rename("day_aht")
              .reset_index().rename(columns={"day": "date"}))
    rows = volume.merge(in_slot, on=keys, how="left").merge(of_day, on=["date", "intent"],
                                                              how="left")
    rows["aht"] = rows["aht"].fillna(rows["day_aht"])
    return pd.DataFrame({
        "date": [d.isoformat() for d in rows["date"]],
        "start": [format_clock(k * interval_s) for k in rows["slot"]],
        "channel": channel, "intent": rows["intent"], "volume": rows["volume"],
        "aht": rows["aht"].round(1)})


def _plan_rows(contacts: pd.DataFrame, dates: list[dt.date], group: str, interval_s: float,
               gap_s: float) -> pd.DataFrame:
    """``date,start,group,agents`` for every interval of every date."""
    per_day = int(round(DAY / interval_s))
    day = pd.to_datetime(contacts["date"]).dt.date
    rows = []
    for date in dates:
        counts = day_staffing(contacts[day == date], interval_s, gap_s)
        rows += [(date.isoformat(), format_clock(k * interval_s), group, counts[k])
                 for k in range(per_day)]
    return pd.DataFrame(rows, columns=["date", "start", "group", "agents"])


def _document(typical: dict[str, Any], dates: list[dt.date], channel: str, group: str,
              interval_s: float) -> dict[str, Any]:
    """The typical scenario laid over the dates, demand and staffing from the files."""
    doc = copy.deepcopy(typical)
    doc["name"] = f"{typical['name']}-days"
    doc["description"] = (f"Day by day from {dates[0]} to {dates[-1]}: each day its own "
                          "volume and AHT per call type (forecast.csv) and its own "
                          "inferred staffing (plan.csv), behaviour from the typical day.")
    doc["horizon"] = {"days": (dates[-1] - dates[0]).days + 1, "interval": interval_s,
                      "start": "00:00"}
    doc["calendar"] = {"start_date": dates[0].isoformat()}
    doc["demand"] = [{"channel": channel, "forecast": FORECAST_FILE}]
    doc.pop("profiles", None)
    agents = {k: v for k, v in doc["agents"][group].items() if k not in STAFFING_KEYS}
    doc["agents"] = {group: {**agents, "plan": PLAN_FILE}}
    doc.pop("variants", None)
    return doc


def write_day_by_day(days: DayByDay, folder: Path) -> list[Path]:
    """Write the three files into ``folder`` (created if needed), each atomically, after
    checking in a scratch folder that the scenario validates with them."""
    with tempfile.TemporaryDirectory() as scratch:
        scratch_dir = Path(scratch)
        _write_all(days, scratch_dir)
        load_scenario(scratch_dir / SCENARIO_FILE)  # never write what does not validate
    folder.mkdir(parents=True, exist_ok=True)
    return _write_all(days, folder)


def _write_all(days: DayByDay, folder: Path) -> list[Path]:
    texts = {FORECAST_FILE: days.forecast_csv, PLAN_FILE: days.plan_csv,
             SCENARIO_FILE: yaml.safe_dump(days.document, sort_keys=False)}
    return [write_atomic(folder / name, lambda p, t=text: Path(p).write_text(t))
            for name, text in texts.items()]
