"""Per-interval KPIs in the columns of WFM files (docs/wfm_files.md).

The interval table of a result (:attr:`simcc.experiment.result.Result.intervals`) with
the conventions simcc's requirements and coverage CSVs use: ``date`` (ISO, blank without
a calendar), ``day`` (1 for the first simulated day), ``start`` (``HH:MM``) and
``interval_s`` (seconds), then per channel ``offered``, ``handled``, ``abandoned``,
``service_level``, ``asa_s``, ``handle_s`` and ``acw_s`` (mean handle time, talk and
hold, and mean wrap-up per conversation: the WFM AHT is their sum), ``agents`` (mean
agents logged in of the groups serving the channel) and ``occupancy``. The file reads
back as a forecast per channel (``offered`` a volume, ``handle_s`` an AHT and ``acw_s``
an ACW alias), so a simulated week can drive another scenario.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from simcc.experiment.result import Result
from simcc.units import DAY, format_clock

WFM_INTERVAL_COLUMNS = ("date", "day", "start", "interval_s", "channel", "offered", "handled",
                        "abandoned", "service_level", "asa_s", "handle_s", "acw_s", "agents",
                        "occupancy")


def wfm_intervals(result: Result) -> pd.DataFrame:
    """The interval table of ``result`` in WFM columns (see the module docstring)."""
    table = result.intervals
    scenario = result.scenario
    horizon = scenario.horizon
    clock = horizon.start + table["start_s"].to_numpy(dtype=float)
    day = np.floor(clock / DAY + 1e-9).astype(int)
    calendar = scenario.calendar
    dates = ([(calendar.start_date + dt.timedelta(days=int(d))).isoformat() for d in day]
             if calendar is not None else [""] * len(day))
    return pd.DataFrame({
        "date": dates, "day": day + 1, "start": [format_clock(c) for c in clock],
        "interval_s": horizon.interval, "channel": table["channel"],
        "offered": table["offered"], "handled": table["handled"],
        "abandoned": table["abandoned"], "service_level": table["service_level"],
        "asa_s": table["asa_s"], "handle_s": table["aht_s"] - table["acw_s"],
        "acw_s": table["acw_s"], "agents": table["staffed_agents"],
        "occupancy": table["occupancy"]}, columns=list(WFM_INTERVAL_COLUMNS))
