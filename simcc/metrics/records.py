"""What the engine writes: plain record rows, one kind per table.

The engine appends values to typed columns in the event loop (cheap) and the exogenous attributes
of arriving contacts in column chunks; :func:`to_frames` joins them into DataFrames at
the run boundary. Times are simulation seconds from the horizon start.

``arrivals``   column chunks of the issues' first contacts: contact_id, channel, intent,
               segment (codes into ``categories``), priority, arrival_s
``followups``  one row per later contact of an issue (retrials and repeats): the same
               columns plus issue_id and kind
``outcomes``   one row per contact that did not end with an agent, when it ends
``legs``       one row per stretch of a contact with one agent (or callback attempt)
``events``     journey events of contacts (self-service, callbacks, transfers)
``agents``     one row per agent: index, name, group
``sessions``   one row per agent log-in period (the agent state intervals)
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from simcc.errors import ModelError
from simcc.metrics.codes import ContactKind, JourneyEvent, LegKind, Outcome, names
from simcc.runtime import paused_gc

OUTCOMES = names(Outcome)
"""Contact outcomes by code (see :class:`~simcc.metrics.codes.Outcome`)."""
(HANDLED, ABANDONED, BLOCKED, UNSERVED, CLOSED, CONTAINED, CALLBACK_FAILED,
 DEFLECTED) = map(int, sorted(Outcome))

KINDS = names(ContactKind)
"""Contact kinds by code (see :class:`~simcc.metrics.codes.ContactKind`)."""

LEG_KINDS = names(LegKind)
"""Leg kinds by code (see :class:`~simcc.metrics.codes.LegKind`)."""
CONVERSATION, ATTEMPT = map(int, sorted(LegKind))

EVENTS = names(JourneyEvent)
"""Journey events by code (see :class:`~simcc.metrics.codes.JourneyEvent`)."""
(SELF_SERVICE, CALLBACK_OFFERED, CALLBACK_ACCEPTED, CALLBACK_CONNECTED, MISROUTED,
 ESCALATED, OFFERED_CHANNEL, OFFERED_SELF_SERVICE) = map(int, sorted(JourneyEvent))


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
        """The columns as numpy arrays (copies: the table may grow or shrink later)."""
        return {name: np.frombuffer(column, dtype=column.typecode).copy() if len(column)
                else np.empty(0, dtype=column.typecode)
                for name, column in self.columns.items()}

    def __len__(self) -> int:
        return len(next(iter(self.columns.values())))

    def move_rows(self, rows: np.ndarray, target: Table) -> None:
        """Append the rows where the boolean mask ``rows`` is set to ``target`` and keep
        the others here, in order (the column objects are kept: appenders stay valid)."""
        if not rows.any():
            return
        for (name, column), values in zip(self.columns.items(), self.arrays().values(),
                                          strict=True):
            target.columns[name].frombytes(values[rows].tobytes())
            column[:] = array(column.typecode, values[~rows].tobytes())


def outcome_table() -> Table:
    """One row per contact no agent answered (outcome: index in OUTCOMES); answered
    contacts are known from their legs."""
    return Table(contact_id="q", outcome="b", wait_s="d", end_s="d")


def leg_table() -> Table:
    """One row per stretch of a contact with one agent; ``resolved``: the agent resolved
    the issue; ``kind``: CONVERSATION or ATTEMPT; ``skill``: code of the skill it was
    routed for."""
    return Table(contact_id="q", agent_index="q", queued_s="d", answered_s="d", handle_s="d",
                 wrap_s="d", resolved="b", kind="b", skill="q")


def followup_table() -> Table:
    """One row per retrial or repeat contact (codes as in the arrival chunks)."""
    return Table(contact_id="q", issue_id="q", channel="q", intent="q", segment="q",
                 priority="q", arrival_s="d", kind="b")


def event_table() -> Table:
    """One row per journey event of a contact (event: index in EVENTS)."""
    return Table(contact_id="q", event="b", time_s="d")


def ended_table() -> Table:
    """The ids of contacts that ended (no further leg or outcome will be recorded)."""
    return Table(contact_id="q")


def _concat_chunks(chunks: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Arrival column chunks as one set of columns (empty columns when none)."""
    names = ("contact_id", "channel", "intent", "segment", "priority", "arrival_s")
    if not chunks:
        return {name: np.empty(0, dtype=np.float64 if name == "arrival_s" else np.int64)
                for name in names}
    return {name: np.concatenate([c[name] for c in chunks]) for name in names}


def session_table() -> Table:
    """One row per agent log-in period."""
    return Table(agent_index="q", start_s="d", end_s="d")


@dataclass
class Records:
    """Rows written by one replication, and the simulated time the drain ended."""

    arrivals: list[dict[str, np.ndarray]] = field(default_factory=list)
    followups: Table = field(default_factory=followup_table)
    outcomes: Table = field(default_factory=outcome_table)
    legs: Table = field(default_factory=leg_table)
    events: Table = field(default_factory=event_table)
    sessions: Table = field(default_factory=session_table)
    agents: list[tuple[int, str, str]] = field(default_factory=list)
    categories: dict[str, list[str]] = field(default_factory=dict)
    end_s: float = 0.0
    ended: Table = field(default_factory=ended_table)

    def pending_rows(self) -> int:
        """Rows held for contacts (legs, outcomes and follow-up contacts)."""
        return len(self.legs) + len(self.outcomes) + len(self.followups)

    def take_finished(self, everything: bool = False) -> Records:
        """Move the rows of every *finished* issue (all its contacts have ended, no later
        contact is planned) into a new :class:`Records` and return it; the open issues'
        rows stay. Sessions (closed log-in periods) all move. ``everything``: take every
        row (the end of the run). The column objects stay the same, so the engine's
        appenders keep working."""
        chunk = Records(agents=self.agents, categories=self.categories, end_s=self.end_s)
        first = _concat_chunks(self.arrivals)
        followups = self.followups.arrays()
        ids = np.concatenate([first["contact_id"], followups["contact_id"]])
        issue = np.concatenate([first["contact_id"], followups["issue_id"]])
        if everything:
            done = np.ones(len(ids), dtype=bool)
        else:
            live = ~np.isin(ids, self.ended.arrays()["contact_id"])
            done = ~np.isin(issue, issue[live])
        done_ids = ids[done]
        n_first = len(first["contact_id"])
        first_done = done[:n_first]
        chunk.arrivals.append({k: v[first_done] for k, v in first.items()})
        kept = {k: v[~first_done] for k, v in first.items()}
        self.arrivals[:] = [kept] if len(kept["contact_id"]) else []
        self.followups.move_rows(done[n_first:], chunk.followups)
        for name in ("outcomes", "legs", "events", "ended"):
            table = getattr(self, name)
            table.move_rows(np.isin(table.arrays()["contact_id"], done_ids),
                            getattr(chunk, name))
        self.sessions.move_rows(np.ones(len(self.sessions), dtype=bool), chunk.sessions)
        return chunk


def contacts_frame(records: Records) -> pd.DataFrame:
    """One row per contact, in order of arrival.

    Columns: contact_id, issue_id, kind (first, retrial, repeat), channel, intent, segment,
    priority, arrival_s, outcome, wait_s (until the first answer, or until it left),
    answered, resolved (by the last agent who talked to the customer, or by
    self-service), resolved_s (when: end of that agent's handling, before wrap-up),
    transfers (conversation legs - 1), self_service (went through it),
    callback_offered, callback_accepted, callback_accepted_s and callback_connected_s
    (when the customer accepted, and when an attempt reached the customer). Text columns
    are categorical.
    """
    attrs = _contact_attributes(records)
    ids = attrs["contact_id"]
    n = len(ids)
    if len(np.unique(ids)) != n:
        raise ModelError("records: a contact id was recorded twice")
    order = np.argsort(ids, kind="stable")

    def rows_of(contact_ids: np.ndarray) -> np.ndarray:
        if not len(contact_ids):
            return np.empty(0, dtype=np.int64)
        where = np.searchsorted(ids, contact_ids, sorter=order)
        rows = order[np.minimum(where, max(n - 1, 0))]
        if len(contact_ids) and not np.array_equal(ids[rows], contact_ids):
            raise ModelError("records: a row refers to an unknown contact")
        return rows

    outcome = np.full(n, -1, dtype=np.int8)
    wait = np.full(n, np.nan)
    resolved_s = np.full(n, np.nan)
    out = records.outcomes.arrays()
    rows = rows_of(out["contact_id"])
    if len(np.unique(rows)) != len(rows):
        raise ModelError("records: a contact has two outcomes")
    outcome[rows] = out["outcome"]
    wait[rows] = out["wait_s"]
    contained = out["outcome"] == CONTAINED
    resolved_s[rows[contained]] = out["end_s"][contained]
    resolved = outcome == CONTAINED
    legs = records.legs.arrays()
    talk = legs["kind"] == CONVERSATION
    leg_rows = rows_of(legs["contact_id"][talk])
    leg_order = np.lexsort((legs["answered_s"][talk], leg_rows))
    by_contact = leg_rows[leg_order]
    first = np.r_[True, by_contact[1:] != by_contact[:-1]] if len(by_contact) else by_contact > 0
    last = np.r_[by_contact[1:] != by_contact[:-1], True] if len(by_contact) else by_contact > 0
    if np.any(outcome[by_contact[first]] != -1):
        raise ModelError("records: a contact was both answered and not answered")
    outcome[by_contact[first]] = HANDLED
    answered_s = legs["answered_s"][talk][leg_order]
    wait[by_contact[first]] = (answered_s - legs["queued_s"][talk][leg_order])[first]
    ended_resolved = legs["resolved"][talk][leg_order][last].astype(bool)
    resolved[by_contact[last]] = ended_resolved
    done_s = (answered_s + legs["handle_s"][talk][leg_order])[last]
    resolved_s[by_contact[last][ended_resolved]] = done_s[ended_resolved]
    if np.any(outcome < 0):
        raise ModelError("records: every contact must have an outcome")
    frame = pd.DataFrame({
        "contact_id": ids,
        "issue_id": attrs["issue_id"],
        "kind": pd.Categorical.from_codes(attrs["kind"], KINDS),
        **{name: pd.Categorical.from_codes(attrs[name], records.categories[name])
           for name in ("channel", "intent", "segment")},
        "priority": attrs["priority"].astype(np.int64),
        "arrival_s": attrs["arrival_s"].astype(float),
        "outcome": pd.Categorical.from_codes(outcome, OUTCOMES),
        "wait_s": wait,
        "answered": outcome == HANDLED,
        "resolved": resolved,
        "resolved_s": resolved_s,
        "transfers": np.maximum(np.bincount(leg_rows, minlength=n) - 1, 0),
        **_journey_columns(records, rows_of, n),
    })
    if len(records.followups):  # first contacts alone are already in order of arrival
        frame = frame.sort_values(["arrival_s", "contact_id"], kind="stable",
                                  ignore_index=True)
    return frame


def _contact_attributes(records: Records) -> dict[str, np.ndarray]:
    """First contacts (arrival chunks) and later ones (follow-up rows) as columns."""
    first = _concat_chunks(records.arrivals)
    first = {name: values.astype(np.float64 if name == "arrival_s" else np.int64)
             for name, values in first.items()}
    first["issue_id"] = first["contact_id"]
    first["kind"] = np.zeros(len(first["contact_id"]), dtype=np.int8)
    later = records.followups.arrays()
    return {name: np.concatenate([first[name], later[name].astype(first[name].dtype)])
            for name in first}


def _journey_columns(records: Records, rows_of, n: int) -> dict[str, np.ndarray]:
    events = records.events.arrays()
    columns: dict[str, np.ndarray] = {}
    for name, code in (("self_service", SELF_SERVICE), ("callback_offered", CALLBACK_OFFERED),
                       ("callback_accepted", CALLBACK_ACCEPTED)):
        flag = np.zeros(n, dtype=bool)
        flag[rows_of(events["contact_id"][events["event"] == code])] = True
        columns[name] = flag
    for name, code in (("callback_accepted_s", CALLBACK_ACCEPTED),
                       ("callback_connected_s", CALLBACK_CONNECTED)):
        times = np.full(n, np.nan)
        is_event = events["event"] == code
        times[rows_of(events["contact_id"][is_event])] = events["time_s"][is_event]
        columns[name] = times
    return columns


def legs_frame(records: Records) -> pd.DataFrame:
    """One row per leg: contact_id, leg (0 = first), agent, group, kind (conversation, or
    a callback attempt that failed), skill (routed for), queued_s (the contact's place in
    the queue), answered_s, handle_s, wrap_s, resolved, end_s (when the agent is free)."""
    cols = records.legs.arrays()
    names, groups = _agent_lookup(records)
    index = cols["agent_index"].astype(np.int64)
    frame = pd.DataFrame({
        "contact_id": cols["contact_id"].astype(np.int64),
        "agent": names[index], "group": groups[index],
        "kind": pd.Categorical.from_codes(cols["kind"].astype(np.int8), LEG_KINDS),
        "skill": pd.Categorical.from_codes(cols["skill"], records.categories["skill"]),
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
    """The records as DataFrames ``contacts``, ``legs`` and ``sessions``; legs also get
    the ``channel`` of their contact."""
    with paused_gc():
        contacts, legs = contacts_frame(records), legs_frame(records)
        ids = contacts["contact_id"].to_numpy()
        order = np.argsort(ids, kind="stable")
        rows = order[np.searchsorted(ids, legs["contact_id"].to_numpy(), sorter=order)]
        legs.insert(4, "channel", contacts["channel"].take(rows).to_numpy())
        return {"contacts": contacts, "legs": legs, "sessions": sessions_frame(records)}
