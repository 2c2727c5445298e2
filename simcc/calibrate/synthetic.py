"""Simulated records written as a contact log (generic format): known truth for
testing calibration, and a way to hand simulated days to tools that read logs."""

from __future__ import annotations

import pandas as pd

from simcc.experiment import Result

EPOCH = pd.Timestamp("2026-01-05")  # a Monday


def result_to_log(result: Result, first_day: pd.Timestamp = EPOCH) -> pd.DataFrame:
    """The contacts of a result (kept records) as a generic contact log.

    Replication ``r`` becomes day ``first_day + r``; the horizon's ``start`` clock time
    maps simulated time 0. Blocked contacts are left out (they never reached a queue).
    """
    contacts, legs = result.contacts, result.legs
    if contacts.empty:
        raise ValueError("the result has no records: simulate with records='all'")
    first_legs = (legs.sort_values("answered_s").drop_duplicates(["replication", "contact_id"])
                  [["replication", "contact_id", "agent", "answered_s", "end_s", "wrap_s"]])
    frame = contacts[contacts["outcome"].isin(["handled", "abandoned"])].merge(
        first_legs, on=["replication", "contact_id"], how="left")
    day_zero = (first_day + pd.to_timedelta(frame["replication"], unit="D")
                + pd.Timedelta(seconds=result.scenario.horizon.start))

    def at(seconds: pd.Series) -> pd.Series:
        return day_zero + pd.to_timedelta(seconds, unit="s")

    handled = frame["outcome"].eq("handled")
    return pd.DataFrame({
        "contact_id": frame["replication"].astype(str) + "-" + frame["contact_id"].astype(str),
        "customer_id": "",
        "channel": frame["channel"].astype(str),
        "intent": frame["intent"].astype(str),
        "segment": frame["segment"].astype(str),
        "arrival": at(frame["arrival_s"]),
        "queue_entry": at(frame["arrival_s"]),
        "queue_exit": at(frame["arrival_s"] + frame["wait_s"]),
        "answer": at(frame["answered_s"]).where(handled),
        "end": at(frame["end_s"] - frame["wrap_s"]).where(handled),
        "outcome": frame["outcome"].astype(str),
        "agent": frame["agent"].where(handled, ""),
    })
