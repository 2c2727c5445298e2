"""Issue-level records: one row per customer issue, built from the contact records.

An issue is one customer need; its contacts are its first contact and every retrial or
repeat contact (same ``issue_id``). All contacts of an issue are used, also those that
arrive after the horizon (during the drain), so an issue is followed to its end.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simcc.metrics.outcomes import OUTCOME_COLUMNS, OutcomeModel, frame_inputs, issue_outcomes

ISSUE_COLUMNS = (
    "issue_id", "customer", "segment", "intent", "channel", "arrival_s", "contacts",
    "channels", "channels_used", "transfers", "answered", "resolved", "fcr", "resolved_s",
    "time_to_resolution_s",
)


def issues_frame(contacts: pd.DataFrame, fcr_window_s: float = np.inf,
                 outcomes: OutcomeModel | None = None) -> pd.DataFrame:
    """One row per issue (see :data:`ISSUE_COLUMNS`), and with ``outcomes`` the
    columns of :data:`~simcc.metrics.outcomes.OUTCOME_COLUMNS` (docs/outcomes.md).

    ``channel`` and ``arrival_s`` are those of the issue's first contact; ``contacts``
    counts all its contacts and ``channels`` the distinct channels they used;
    ``answered``: an agent answered one of them; ``resolved``: an agent or self-service
    resolved it, at ``resolved_s``; ``fcr``: its first answered contact resolved it with
    no transfer and no later contact of the issue arrived within ``fcr_window_s`` of that
    contact's arrival (see :func:`issue_values`). One customer has one issue, so
    ``customer`` is the issue id.
    """
    columns = {name: contacts[name].to_numpy() for name in
               ("issue_id", "contact_id", "arrival_s", "answered", "resolved", "transfers",
                "resolved_s")}
    columns["channel"] = pd.factorize(contacts["channel"])[0].astype(np.int64)
    order, starts, issues = issue_values(columns, fcr_window_s,
                                         one_per_issue=contacts["issue_id"].is_unique)
    c = contacts.reset_index(drop=True)
    if order is not None:
        c = c.take(order).reset_index(drop=True)
    head = c.iloc[starts]
    frame = pd.DataFrame({
        "issue_id": issues["issue_id"],
        "customer": issues["issue_id"],
        "segment": head["segment"].to_numpy(),
        "intent": head["intent"].to_numpy(),
        "channel": head["channel"].to_numpy(),
        "arrival_s": issues["arrival_s"],
        "contacts": issues["contacts"],
        "channels": issues["channels"],
        "channels_used": _channels_used(c, starts, starts + issues["contacts"]),
        **{name: issues[name] for name in ("transfers", "answered", "resolved", "fcr",
                                           "resolved_s", "time_to_resolution_s")},
    })
    if outcomes is not None:
        inputs, labels = frame_inputs(contacts)
        values = issue_outcomes(inputs, outcomes, labels, contacts["issue_id"].is_unique)
        values["effort_events"] = values["effort"]
        for name in OUTCOME_COLUMNS:
            frame[name] = values[name]
    return frame


def issue_values(contacts: dict[str, np.ndarray], fcr_window_s: float,
                 one_per_issue: bool) -> tuple[np.ndarray | None, np.ndarray,
                                               dict[str, np.ndarray]]:
    """The values of each issue from the columns of its contacts: issue_id,
    contact_id, arrival_s, answered, resolved, transfers, resolved_s, and channel (any
    integer codes).

    Returns ``order``, the contacts sorted by issue, arrival and contact id (None when
    ``one_per_issue``: each contact is its own issue, kept in place), ``starts``, the
    first contact of each issue in that order, and per issue: issue_id, arrival_s (of
    its first contact), contacts, channels (distinct), transfers, answered, resolved,
    fcr, resolved_s (earliest) and time_to_resolution_s, as in :func:`issues_frame`.
    """
    if one_per_issue:
        return None, np.arange(len(contacts["issue_id"])), _single_contact_issues(contacts)
    order = np.lexsort((contacts["contact_id"], contacts["arrival_s"], contacts["issue_id"]))
    c = {name: values[order] for name, values in contacts.items()}
    issue, arrival = c["issue_id"], c["arrival_s"]
    n = len(issue)
    starts = np.flatnonzero(np.r_[True, issue[1:] != issue[:-1]]) if n else np.empty(0, int)
    ends = np.r_[starts[1:], n].astype(np.int64)
    resolved, transfers = np.asarray(c["resolved"], dtype=bool), c["transfers"]
    first_answer = _reduce(np.minimum, np.where(c["answered"], np.arange(n), n), starts)
    has_answer = first_answer < n
    pick = np.minimum(first_answer, max(n - 1, 0))
    following = np.minimum(pick + 1, max(n - 1, 0))
    repeated = (pick + 1 < ends) & (arrival[following] - arrival[pick] <= fcr_window_s)
    values = {
        "issue_id": issue[starts], "arrival_s": arrival[starts], "contacts": ends - starts,
        "channels": _distinct_per_issue(c["channel"], starts, n),
        "transfers": _reduce(np.add, transfers, starts),
        "answered": has_answer,
        "resolved": _reduce(np.maximum, resolved.astype(np.int8), starts).astype(bool),
        "fcr": has_answer & resolved[pick] & (transfers[pick] == 0) & ~repeated,
        "resolved_s": _reduce(np.fmin, np.asarray(c["resolved_s"], dtype=float), starts)}
    values["time_to_resolution_s"] = values["resolved_s"] - values["arrival_s"]
    return order, starts, values


def _single_contact_issues(c: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """:func:`issue_values` when every issue has one contact."""
    ones = np.ones(len(c["issue_id"]), dtype=np.int64)
    resolved, answered = np.asarray(c["resolved"], dtype=bool), np.asarray(c["answered"], bool)
    resolved_s = np.asarray(c["resolved_s"], dtype=float)
    return {"issue_id": c["issue_id"], "arrival_s": c["arrival_s"], "contacts": ones,
            "channels": ones, "transfers": c["transfers"], "answered": answered,
            "resolved": resolved, "fcr": answered & resolved & (c["transfers"] == 0),
            "resolved_s": resolved_s, "time_to_resolution_s": resolved_s - c["arrival_s"]}


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
