"""Special days of a log: days whose volume is far from the log's normal day.

Holidays, half days and outages inside a calibration period distort what is
estimated from it: they pull the daily mean down, inflate the day-to-day variability
(``busyness``) and blend other intraday shapes into the profile. A day is *special*
when its offered contacts are below ``low`` or above ``high`` times the **norm of its
weekday**: the median of the upper half of that weekday's days in the log (robust to up
to half of them being holidays, and blind to the weekly pattern: a quiet Friday is
compared with other Fridays). A weekday with fewer than :data:`MIN_SAME_WEEKDAY` days in
the log is not judged. Calibration and backtests leave special days out by default and
report them.
"""

from __future__ import annotations

import pandas as pd

SPECIAL_LOW = 0.6
"""A day with fewer than this share of its weekday's norm of offered contacts is special."""
SPECIAL_HIGH = 1.6
"""A day with more than this multiple of its weekday's norm is special."""
MIN_SAME_WEEKDAY = 3
"""Days of one weekday needed to judge them (fewer: never special)."""


def day_table(contacts: pd.DataFrame, low: float = SPECIAL_LOW,
              high: float = SPECIAL_HIGH) -> pd.DataFrame:
    """One row per date of offered ``contacts`` (see
    :func:`simcc.calibrate.observed.offered_contacts`): date, weekday (``Mon`` ...),
    offered, norm (its weekday's norm, NaN when not judged), ratio (offered / norm) and
    special (ratio outside ``[low, high]``)."""
    table = contacts.groupby("date").size().rename("offered").reset_index()
    table["weekday"] = pd.to_datetime(table["date"]).dt.strftime("%a")
    table["norm"] = table.groupby("weekday")["offered"].transform(_weekday_norm)
    table["ratio"] = table["offered"] / table["norm"]
    table["special"] = (table["ratio"] < low) | (table["ratio"] > high)
    return table[["date", "weekday", "offered", "norm", "ratio", "special"]]


def _weekday_norm(offered: pd.Series) -> float:
    """Median of the upper half of one weekday's daily volumes (NaN: too few days)."""
    if len(offered) < MIN_SAME_WEEKDAY:
        return float("nan")
    return float(offered[offered >= offered.median()].median())


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
                     f"a usual {row.weekday})" for row in special.itertuples())
    return f"special days left out ({len(special)} of {len(table)}): {days}"
