"""Replay of history: the log's own contacts under a scenario's routing and staffing.

``simcc replay LOG -s SCENARIO`` answers "what would last month have looked like with
intent routing, or two more agents at 9:00?". Each day of the log (special days left
out unless kept) is simulated as its own day, from midnight, with exactly that day's
offered contacts as arrivals (:mod:`simcc.model.trace`: their queue-entry times, call
types and segments; the logged handle time of a served call, the scenario's model for
the others; patience equal to the observed wait for a caller who abandoned, drawn from
the scenario's patience model beyond the observed wait for one who was served). The
center is the scenario's: routing, agent groups and, by default, staffing; with
``staffing="log"`` the scenario's one agent group is logged in each day by that day's
inferred session staffing, which is what replaying the month as it was needs.

The table is the backtest's: observed vs replayed per hour and ``all``, rates pooled over
the days on both sides, and 95 % intervals of the replayed overall rates over
replications (:mod:`simcc.calibrate.pooled`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from simcc.calibrate.backtest import observed_kpis
from simcc.calibrate.observed import SESSION_GAP_S, offered_contacts
from simcc.calibrate.planfrom import clean_days, only_group, with_day_staffing
from simcc.calibrate.pooled import pooled_hours, pooled_overall, side_by_side
from simcc.errors import SimccError
from simcc.experiment.executors import Executor, LocalExecutor
from simcc.experiment.replications import run_scenarios
from simcc.model.trace import Trace
from simcc.scenario.schema import Scenario

Staffing = Literal["scenario", "log"]
DEFAULT_REPLICATIONS = 10
"""Replications of the replayed period (each replays every day once)."""


@dataclass
class Replay:
    """``table``: as :class:`~simcc.calibrate.planfrom.PlannedBacktest` (observed and
    replayed KPIs per hour and ``all``, relative errors, the replayed overall rates' 95 %
    intervals); ``days``: the replayed dates with their contacts; ``special_days``: the
    log's day table; ``dropped``: contacts of intents the scenario does not know."""

    table: pd.DataFrame
    days: pd.DataFrame
    special_days: pd.DataFrame
    dropped: int

    def overall(self) -> pd.Series:
        """The ``all`` row."""
        return self.table.loc["all"]


def replay(records: pd.DataFrame, scenario: Scenario, replications: int | None = None,
           seed: int | None = None, staffing: Staffing = "scenario",
           keep_special_days: bool = False, session_gap_s: float = SESSION_GAP_S,
           workers: int | None = None, executor: Executor | None = None) -> Replay:
    """Replay the offered contacts of ``records`` (a generic-format log) day by day
    under ``scenario`` (see the module docstring). The days' replications run on
    ``executor`` (default: local worker processes, ``workers`` of them); every executor
    gives the same numbers."""
    if staffing not in ("scenario", "log"):
        raise SimccError(f"staffing: expected scenario or log, got {staffing!r}")
    group = only_group(scenario) if staffing == "log" else None
    contacts, special = clean_days(offered_contacts(records), keep_special_days)
    known = contacts["intent"].isin(list(scenario.intents))
    dropped = int((~known).sum())
    contacts = contacts[known]
    _check_names(contacts, scenario)
    if contacts.empty:
        raise SimccError("the log has no offered contacts of the scenario's intents")
    dates = sorted(contacts["date"].unique())
    interval = scenario.horizon.interval
    replications = DEFAULT_REPLICATIONS if replications is None else replications
    seed = scenario.seed if seed is None else seed
    by_date = [contacts[contacts["date"] == date] for date in dates]
    models = [scenario if group is None else
              with_day_staffing(scenario, group, day, interval, session_gap_s)
              for day in by_date]
    outputs = run_scenarios(models, replications, seed, executor or LocalExecutor(workers),
                            "none", traces=[day_trace(day, scenario) for day in by_date])
    threshold = next(iter(scenario.channels.values())).service_level.threshold
    table = side_by_side(observed_kpis(contacts, threshold, interval),
                         pooled_hours(outputs), pooled_overall(outputs))
    days = pd.DataFrame({"date": dates, "contacts": [len(day) for day in by_date]})
    return Replay(table, days, special, dropped)


def day_trace(day: pd.DataFrame, scenario: Scenario) -> Trace:
    """One day's offered contacts as a trace from that day's midnight (the scenario
    must simulate its day from midnight, as ``simcc calibrate`` writes it)."""
    start = scenario.horizon.start
    handled = day["handled"].to_numpy(dtype=bool)
    return Trace(time_s=day["queued_s"].to_numpy(dtype=float) - start,
                 channel=day["channel"].to_numpy(dtype=object),
                 intent=day["intent"].to_numpy(dtype=object),
                 segment=day["segment"].to_numpy(dtype=object),
                 handle_s=np.where(handled, day["handle_s"].to_numpy(dtype=float), np.nan),
                 wait_s=day["wait_s"].to_numpy(dtype=float),
                 abandoned=~handled)


def _check_names(contacts: pd.DataFrame, scenario: Scenario) -> None:
    """Every channel and segment of the replayed contacts exists in the scenario."""
    for column, known in (("channel", scenario.channels), ("segment", scenario.segments)):
        unknown = sorted(set(contacts[column]) - set(known))
        if unknown:
            raise SimccError(f"the log's {column}s {', '.join(map(repr, unknown[:5]))} are "
                             f"not in the scenario (it has {', '.join(known)}): replay "
                             "with a scenario calibrated from this log, or rename them")
