"""What the engine writes: plain record rows, one kind per table.

The engine appends values to typed columns in the event loop (cheap) and the exogenous attributes
of arriving contacts in column chunks; :func:`to_frames` joins them into DataFrames at
the run boundary. Times are simulation seconds from the horizon start.

``arrivals``   column chunks: contact_id, channel, intent, segment (codes into
               ``categories``), priority, arrival_s
``outcomes``   one row per contact when its outcome is known
``legs``       one row per stretch of a contact with one agent
``agents``     one row per agent: index, name, group
``sessions``   one row per agent log-in period (the agent state intervals)
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from simcc.errors import ModelError
from simcc.runtime import paused_gc

OUTCOMES = ("handled", "abandoned", "blocked", "unserved")
"""Contact outcomes, recorded as their index: answered by an agent; left the queue;
refused because the queue was full; still waiting when no agent could ever take it (end
of the drain)."""
HANDLED, ABANDONED, BLOCKED, UNSERVED = range(len(OUTCOMES))


class Table:
    """Typed columns filled one value at a time (no per-row Python objects kept).

    ``appenders()`` gives one ``append`` per column, in declaration order, for the
    engine's hot path; ``arrays()`` returns the columns as numpy arrays without copying.
    """

    def __init__(self, **typecodes: str):
        self.columns = {name: array(code) for name, code in typecodes.items()}

    def appenders(self) -> tuple:
        return tuple(column.append for column in self.columns.values())

    def arrays(self) -> dict[str, np.ndarray]:
        return {name: np.frombuffer(column, dtype=column.typecode) if len(column)
                else np.empty(0, dtype=column.typecode)
                for name, column in self.columns.items()}

    def __len__(self) -> int:
        return len(next(iter(self.columns.values())))


def outcome_table() -> Table:
    """One row per contact no agent answered (outcome: index in OUTCOMES); answered
    contacts are known from their legs."""
    return Table(contact_id="q", outcome="b", wait_s="d")


def leg_table() -> Table:
    """One row per stretch of a contact with one agent; ``resolved``: the agent resolved
    the issue."""
    return Table(contact_id="q", agent_index="q", queued_s="d", answered_s="d", handle_s="d",
                 wrap_s="d", resolved="b")


def session_table() -> Table:
    """One row per agent log-in period."""
    return Table(agent_index="q", start_s="d", end_s="d")


@dataclass
class Records:
    """Rows written by one replication, and the simulated time the drain ended."""

    arrivals: list[dict[str, np.ndarray]] = field(default_factory=list)
    outcomes: Table = field(default_factory=outcome_table)
    legs: Table = field(default_factory=leg_table)
    sessions: Table = field(default_factory=session_table)
    agents: list[tuple[int, str, str]] = field(default_factory=list)
    categories: dict[str, list[str]] = field(default_factory=dict)
    end_s: float = 0.0


def contacts_frame(records: Records) -> pd.DataFrame:
    """One row per contact: its attributes, outcome, wait (seconds) and resolution.

    Columns: contact_id, issue_id, channel, intent, segment, priority, arrival_s,
    outcome, wait_s (until the first answer, or until it left), answered, resolved (by
    the last agent who handled it). Text columns are categorical.
    """
    chunks = records.arrivals
    names = ("contact_id", "channel", "intent", "segment", "priority", "arrival_s")
    attrs = {name: np.concatenate([c[name] for c in chunks]) if chunks
             else np.empty(0, dtype=np.int64) for name in names}
    n = len(attrs["contact_id"])
    if not np.array_equal(attrs["contact_id"], np.arange(n)):
        raise ModelError("records: contact ids must be 0..n-1 in order of arrival")
    outcome = np.full(n, -1, dtype=np.int8)
    wait = np.full(n, np.nan)
    resolved = np.zeros(n, dtype=bool)
    out = records.outcomes.arrays()
    outcome[out["contact_id"]] = out["outcome"]
    wait[out["contact_id"]] = out["wait_s"]
    legs = records.legs.arrays()
    order = np.lexsort((legs["answered_s"], legs["contact_id"]))
    ids = legs["contact_id"][order]
    first = np.r_[True, ids[1:] != ids[:-1]] if len(ids) else np.empty(0, dtype=bool)
    last = np.r_[ids[1:] != ids[:-1], True] if len(ids) else np.empty(0, dtype=bool)
    if np.any(outcome[ids[first]] != -1):
        raise ModelError("records: a contact was both answered and not answered")
    outcome[ids[first]] = HANDLED
    wait[ids[first]] = (legs["answered_s"] - legs["queued_s"])[order][first]
    resolved[ids[last]] = legs["resolved"][order][last].astype(bool)
    if np.any(outcome < 0):
        raise ModelError("records: every contact must have an outcome")
    categories = records.categories
    return pd.DataFrame({
        "contact_id": attrs["contact_id"],
        "issue_id": attrs["contact_id"],
        **{name: pd.Categorical.from_codes(attrs[name], categories[name])
           for name in ("channel", "intent", "segment")},
        "priority": attrs["priority"].astype(np.int64),
        "arrival_s": attrs["arrival_s"].astype(float),
        "outcome": pd.Categorical.from_codes(outcome, OUTCOMES),
        "wait_s": wait,
        "answered": outcome == HANDLED,
        "resolved": resolved,
    })


def legs_frame(records: Records) -> pd.DataFrame:
    """One row per leg: contact_id, leg (0 = first), agent, group, queued_s, answered_s,
    handle_s, wrap_s, end_s (when the agent is free again)."""
    cols = records.legs.arrays()
    names, groups = _agent_lookup(records)
    index = cols["agent_index"].astype(np.int64)
    frame = pd.DataFrame({
        "contact_id": cols["contact_id"].astype(np.int64),
        "agent": names[index], "group": groups[index],
        "queued_s": cols["queued_s"].astype(float),
        "answered_s": cols["answered_s"].astype(float),
        "handle_s": cols["handle_s"].astype(float),
        "wrap_s": cols["wrap_s"].astype(float),
        "resolved": cols["resolved"].astype(bool),
    })
    frame["end_s"] = frame["answered_s"] + frame["handle_s"] + frame["wrap_s"]
    frame = frame.sort_values(["contact_id", "answered_s"], kind="stable", ignore_index=True)
    frame.insert(1, "leg", frame.groupby("contact_id").cumcount())
    return frame


def sessions_frame(records: Records) -> pd.DataFrame:
    """One row per agent log-in period: agent, group, start_s, end_s."""
    cols = records.sessions.arrays()
    names, groups = _agent_lookup(records)
    index = cols["agent_index"].astype(np.int64)
    frame = pd.DataFrame({"agent": names[index], "group": groups[index],
                          "start_s": cols["start_s"].astype(float),
                          "end_s": cols["end_s"].astype(float)})
    return frame.sort_values(["start_s", "agent"], kind="stable", ignore_index=True)


def _agent_lookup(records: Records) -> tuple[np.ndarray, np.ndarray]:
    names = np.empty(len(records.agents), dtype=object)
    groups = np.empty(len(records.agents), dtype=object)
    for index, name, group in records.agents:
        names[index], groups[index] = name, group
    return names, groups


def to_frames(records: Records) -> dict[str, pd.DataFrame]:
    """The records as DataFrames ``contacts``, ``legs`` and ``sessions``."""
    with paused_gc():
        return {"contacts": contacts_frame(records), "legs": legs_frame(records),
                "sessions": sessions_frame(records)}
