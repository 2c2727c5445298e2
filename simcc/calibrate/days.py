"""Special days of a log: days whose volume is far from the log's normal day.

Holidays, half days and outages inside a calibration period distort what is
estimated from it: they pull the daily mean down, inflate the day-to-day variability
(``busyness``) and blend other intraday shapes into the profile. A day is *special*
when its offered contacts are below ``low`` or above ``high`` times the median day of
the log (the median, unlike the mean, is not moved by the special days themselves).
Calibration and backtests leave special days out by default and report them.
"""

from __future__ import annotations

import pandas as pd

SPECIAL_LOW = 0.6
"""A day with fewer than this share of the median day's offered contacts is special."""
SPECIAL_HIGH = 1.6
"""A day with more than this multiple of the median day's offered contacts is special."""


def day_table(contacts: pd.DataFrame, low: float = SPECIAL_LOW,
              high: float = SPECIAL_HIGH) -> pd.DataFrame:
    """One row per date of offered ``contacts`` (see
    :func:`simcc.calibrate.observed.offered_contacts`): date, weekday (``Mon`` ...),
    offered, ratio (offered / the median day's) and special (ratio outside
    ``[low, high]``)."""
    offered = contacts.groupby("date").size().rename("offered")
    table = offered.reset_index()
    median = float(offered.median()) if len(offered) else 0.0
    table["weekday"] = pd.to_datetime(table["date"]).dt.strftime("%a")
    table["ratio"] = table["offered"] / median if median > 0 else 1.0
    table["special"] = (table["ratio"] < low) | (table["ratio"] > high)
    return table[["date", "weekday", "offered", "ratio", "special"]]


def leave_out_special_days(contacts: pd.DataFrame, low: float = SPECIAL_LOW,
                           high: float = SPECIAL_HIGH
                           ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``contacts`` without the special days, and the :func:`day_table` of all days.
    Nothing is left out when every day would be."""
    table = day_table(contacts, low, high)
    special = set(table.loc[table["special"], "date"])
    if not special or len(special) == len(table):
        return contacts, table
    return contacts[~contacts["date"].isin(special)].reset_index(drop=True), table


def describe_special_days(table: pd.DataFrame) -> str:
    """One line naming the special days with their volume ratio (empty when none)."""
    special = table[table["special"]]
    if special.empty:
        return ""
    days = ", ".join(f"{pd.Timestamp(row.date).date()} ({row.weekday}, {row.ratio:.0%} of "
                     f"the median day)" for row in special.itertuples())
    return f"special days left out ({len(special)} of {len(table)}): {days}"
