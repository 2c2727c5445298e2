"""Issue-level records: one row per customer issue, built from the contact records.

An issue is one customer need; its contacts are its first contact and every retrial or
repeat contact (same ``issue_id``). All contacts of an issue are used, also those that
arrive after the horizon (during the drain), so an issue is followed to its end.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

ISSUE_COLUMNS = (
    "issue_id", "customer", "segment", "intent", "channel", "arrival_s", "contacts",
    "channels", "channels_used", "transfers", "answered", "resolved", "fcr", "resolved_s",
    "time_to_resolution_s",
)


def issues_frame(contacts: pd.DataFrame, fcr_window_s: float = np.inf) -> pd.DataFrame:
    """One row per issue (see :data:`ISSUE_COLUMNS`).

    ``channel`` and ``arrival_s`` are those of the issue's first contact; ``contacts``
    counts all its contacts and ``channels`` the distinct channels they used;
    ``answered``: an agent answered one of them; ``resolved``: an agent or self-service
    resolved it, at ``resolved_s``; ``fcr``: its first answered contact resolved it with
    no transfer and no later contact of the issue arrived within ``fcr_window_s`` of that
    contact's arrival. One customer has one issue, so ``customer`` is the issue id.
    """
    if contacts["issue_id"].is_unique:  # one contact per issue: nothing to group
        c = contacts.reset_index(drop=True)
    else:
        c = contacts.sort_values(["issue_id", "arrival_s", "contact_id"], kind="stable",
                                 ignore_index=True)
    n = len(c)
    issue = c["issue_id"].to_numpy()
    starts = np.flatnonzero(np.r_[True, issue[1:] != issue[:-1]]) if n else np.empty(0, int)
    ends = np.r_[starts[1:], n].astype(np.int64)
    answered = c["answered"].to_numpy()
    resolved = c["resolved"].to_numpy()
    transfers = c["transfers"].to_numpy()
    arrival = c["arrival_s"].to_numpy()
    first_answer = _reduce(np.minimum, np.where(answered, np.arange(n), n), starts)
    has_answer = first_answer < n
    pick = np.minimum(first_answer, max(n - 1, 0))
    following = np.minimum(pick + 1, max(n - 1, 0))
    repeated = (pick + 1 < ends) & (arrival[following] - arrival[pick] <= fcr_window_s)
    fcr = has_answer & resolved[pick] & (transfers[pick] == 0) & ~repeated
    channel_codes = pd.factorize(c["channel"])[0].astype(np.int64)
    head = c.iloc[starts]
    frame = pd.DataFrame({
        "issue_id": head["issue_id"].to_numpy(),
        "customer": head["issue_id"].to_numpy(),
        "segment": head["segment"].to_numpy(),
        "intent": head["intent"].to_numpy(),
        "channel": head["channel"].to_numpy(),
        "arrival_s": head["arrival_s"].to_numpy(),
        "contacts": ends - starts,
        "channels": _distinct_per_issue(channel_codes, starts, n),
        "channels_used": _channels_used(c, starts, ends),
        "transfers": _reduce(np.add, transfers, starts),
        "answered": has_answer,
        "resolved": _reduce(np.maximum, resolved.astype(np.int8), starts).astype(bool),
        "fcr": fcr,
        "resolved_s": _reduce(np.fmin, c["resolved_s"].to_numpy(), starts),
    })
    frame["time_to_resolution_s"] = frame["resolved_s"] - frame["arrival_s"]
    return frame


def _reduce(ufunc: np.ufunc, values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    if not len(starts):
        return np.empty(0, dtype=np.asarray(values).dtype)
    return ufunc.reduceat(values, starts)


def _distinct_per_issue(codes: np.ndarray, starts: np.ndarray, n: int) -> np.ndarray:
    """Number of distinct channel codes in each issue's run of rows (only issues with
    several contacts need the sort)."""
    lengths = np.diff(np.r_[starts, n]).astype(np.int64)
    distinct = np.ones(len(starts), dtype=np.int64)
    several = np.flatnonzero(lengths > 1)
    if len(several):
        runs = lengths[several]
        issue_index = np.repeat(several, runs)
        within = np.arange(runs.sum()) - np.repeat(np.cumsum(runs) - runs, runs)
        rows = np.repeat(starts[several], runs) + within
        pairs = np.unique(issue_index * (codes.max() + 1) + codes[rows])
        distinct[several] = np.bincount(pairs // (codes.max() + 1),
                                        minlength=len(starts))[several]
    return distinct


def _channels_used(c: pd.DataFrame, starts: np.ndarray, ends: np.ndarray) -> list[str]:
    """Channels of each issue's contacts in order of first use, joined by '>'."""
    names = c["channel"].astype(str).to_numpy()
    single = ends - starts == 1
    out = names[starts].astype(object)
    for k in np.flatnonzero(~single):
        out[k] = ">".join(dict.fromkeys(names[starts[k]:ends[k]]))
    return list(out)
