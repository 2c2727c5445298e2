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
            live = ~member_of(ids, np.sort(self.ended.arrays()["contact_id"]))
            done = ~member_of(issue, np.unique(issue[live]))
        done_ids = np.sort(ids[done])
        n_first = len(first["contact_id"])
        first_done = done[:n_first]
        chunk.arrivals.append({k: v[first_done] for k, v in first.items()})
        kept = {k: v[~first_done] for k, v in first.items()}
        self.arrivals[:] = [kept] if len(kept["contact_id"]) else []
        self.followups.move_rows(done[n_first:], chunk.followups)
        for name in ("outcomes", "legs", "events", "ended"):
            table = getattr(self, name)
            table.move_rows(member_of(table.arrays()["contact_id"], done_ids),
                            getattr(chunk, name))
        self.sessions.move_rows(np.ones(len(self.sessions), dtype=bool), chunk.sessions)
        return chunk


def member_of(values: np.ndarray, pool: np.ndarray) -> np.ndarray:
    """Whether each of ``values`` is in ``pool`` (sorted ascending): ``np.isin`` by
    binary search, several times faster on the engine's id columns."""
    if not len(pool):
        return np.zeros(len(values), dtype=bool)
    at = np.minimum(np.searchsorted(pool, values), len(pool) - 1)
    return pool[at] == values


@dataclass(frozen=True)
class Columns:
    """The records of a set of complete issues as numpy columns, text as integer codes
    into ``labels``: what every KPI is computed from (:mod:`simcc.metrics.kpis`) and
    what :func:`frames_of` turns into DataFrames.

    ``contacts``, one entry per contact in no particular order: contact_id, issue_id,
    kind (index in KINDS), channel, intent, segment, priority, arrival_s, outcome (index
    in OUTCOMES), wait_s, resolved, resolved_s, transfers, self_service,
    callback_offered, callback_accepted, callback_accepted_s, callback_connected_s (as
    the columns of the ``contacts`` frame). ``legs``, one entry per leg in no particular
    order: contact_id, row (of its contact in ``contacts``), agent_index (code into
    ``labels["agent"]``, -1 when unknown), group, channel (of its contact, -1 when
    unknown), kind (index in LEG_KINDS), skill, queued_s, answered_s, handle_s, wrap_s,
    resolved, end_s (answer + handle + wrap-up). ``sessions``: agent_index, group,
    start_s, end_s. ``labels``: the names of channel, intent, segment, skill, agent and
    group codes (groups in order of name).
    """

    contacts: dict[str, np.ndarray]
    legs: dict[str, np.ndarray]
    sessions: dict[str, np.ndarray]
    labels: dict[str, list[str]]


def record_columns(records: Records) -> Columns:
    """The records as :class:`Columns`; raises :class:`~simcc.errors.ModelError` when
    they are inconsistent (a contact recorded twice, without an outcome or with two, a
    row of an unknown contact)."""
    contacts = _contact_attributes(records)
    rows_of = _row_finder(contacts["contact_id"])
    n = len(contacts["contact_id"])
    legs = records.legs.arrays()
    leg_rows = rows_of(legs["contact_id"])
    contacts.update(_outcome_columns(records, rows_of, legs, leg_rows, n))
    contacts.update(_journey_columns(records, rows_of, n))
    names, group_names, group_of = _agent_lookup(records)
    agent = np.asarray(legs["agent_index"], dtype=np.int64)
    leg_columns = {
        "contact_id": np.asarray(legs["contact_id"], dtype=np.int64), "row": leg_rows,
        "agent_index": agent, "group": group_of[agent], "channel": contacts["channel"][leg_rows],
        "kind": np.asarray(legs["kind"], dtype=np.int8),
        "skill": np.asarray(legs["skill"], dtype=np.int64),
        **{name: np.asarray(legs[name], dtype=float)
           for name in ("queued_s", "answered_s", "handle_s", "wrap_s")},
        "resolved": legs["resolved"].astype(bool),
        "end_s": legs["answered_s"] + legs["handle_s"] + legs["wrap_s"]}
    sessions = records.sessions.arrays()
    session_agent = np.asarray(sessions["agent_index"], dtype=np.int64)
    session_columns = {"agent_index": session_agent, "group": group_of[session_agent],
                       "start_s": np.asarray(sessions["start_s"], dtype=float),
                       "end_s": np.asarray(sessions["end_s"], dtype=float)}
    labels = {**records.categories, "agent": names, "group": group_names}
    return Columns(contacts, leg_columns, session_columns, labels)


def _row_finder(ids: np.ndarray):
    """``rows_of(contact_ids)``: the positions of those contacts in ``ids`` (raises
    ModelError for an id recorded twice in ``ids`` or a contact id not in it)."""
    n = len(ids)
    order = None
    sorted_ids = ids
    if n > 1 and not np.all(ids[1:] > ids[:-1]):
        order = np.argsort(ids, kind="stable")
        sorted_ids = ids[order]
        if np.any(sorted_ids[1:] == sorted_ids[:-1]):
            raise ModelError("records: a contact id was recorded twice")

    def rows_of(contact_ids: np.ndarray) -> np.ndarray:
        if not len(contact_ids):
            return np.empty(0, dtype=np.int64)
        where = np.minimum(np.searchsorted(sorted_ids, contact_ids), max(n - 1, 0))
        if n == 0 or not np.array_equal(sorted_ids[where], contact_ids):
            raise ModelError("records: a row refers to an unknown contact")
        return where if order is None else order[where]

    return rows_of


def _outcome_columns(records: Records, rows_of, legs: dict[str, np.ndarray],
                     leg_rows: np.ndarray, n: int) -> dict[str, np.ndarray]:
    """outcome, wait_s, resolved, resolved_s and transfers of every contact, from the
    outcome rows and the conversation legs (the first answers, the last resolves)."""
    outcome = np.full(n, -1, dtype=np.int8)
    wait = np.full(n, np.nan)
    resolved_s = np.full(n, np.nan)
    out = records.outcomes.arrays()
    rows = rows_of(out["contact_id"])
    if len(rows) and np.bincount(rows).max() > 1:
        raise ModelError("records: a contact has two outcomes")
    outcome[rows] = out["outcome"]
    wait[rows] = out["wait_s"]
    contained = out["outcome"] == CONTAINED
    resolved_s[rows[contained]] = out["end_s"][contained]
    resolved = outcome == CONTAINED
    talk = legs["kind"] == CONVERSATION
    talk = slice(None) if talk.all() else np.flatnonzero(talk)  # a slice: no copies
    per_contact = np.bincount(leg_rows[talk], minlength=n)
    first = last = talk
    if per_contact.max(initial=0) > 1:  # several legs: first and last by answer
        talk = np.arange(len(leg_rows))[talk]
        talk = talk[np.lexsort((legs["answered_s"][talk], leg_rows[talk]))]
        by_contact = leg_rows[talk]
        change = by_contact[1:] != by_contact[:-1]
        first, last = talk[np.r_[True, change]], talk[np.r_[change, True]]
    if np.any(outcome[leg_rows[first]] != -1):
        raise ModelError("records: a contact was both answered and not answered")
    outcome[leg_rows[first]] = HANDLED
    wait[leg_rows[first]] = legs["answered_s"][first] - legs["queued_s"][first]
    ended_resolved = legs["resolved"][last].astype(bool)
    resolved[leg_rows[last]] = ended_resolved
    done_s = legs["answered_s"][last] + legs["handle_s"][last]
    resolved_s[leg_rows[last][ended_resolved]] = done_s[ended_resolved]
    if np.any(outcome < 0):
        raise ModelError("records: every contact must have an outcome")
    return {"outcome": outcome, "wait_s": wait, "resolved": resolved,
            "resolved_s": resolved_s, "transfers": np.maximum(per_contact - 1, 0)}


def _contact_attributes(records: Records) -> dict[str, np.ndarray]:
    """First contacts (arrival chunks) and later ones (follow-up rows) as columns."""
    first = _concat_chunks(records.arrivals)
    first = {name: np.asarray(values, dtype=np.float64 if name == "arrival_s" else np.int64)
             for name, values in first.items()}
    first["issue_id"] = first["contact_id"]
    first["kind"] = np.zeros(len(first["contact_id"]), dtype=np.int8)
    later = records.followups.arrays()
    if not len(later["contact_id"]):
        return first
    return {name: np.concatenate([first[name], later[name]], dtype=first[name].dtype)
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


def _agent_lookup(records: Records) -> tuple[list[str], list[str], np.ndarray]:
    """Agent names by index, the group names in order of name, and each agent's group
    code."""
    names = [""] * len(records.agents)
    groups = [""] * len(records.agents)
    for index, name, group in records.agents:
        names[index], groups[index] = name, group
    group_names = sorted(set(groups))
    code = {name: k for k, name in enumerate(group_names)}
    return names, group_names, np.array([code[g] for g in groups], dtype=np.int64)


def frames_of(columns: Columns) -> dict[str, pd.DataFrame]:
    """:class:`Columns` as the DataFrames of :func:`to_frames`."""
    with paused_gc():
        return {"contacts": _contacts_frame(columns), "legs": _legs_frame(columns),
                "sessions": _sessions_frame(columns)}


def _contacts_frame(columns: Columns) -> pd.DataFrame:
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
    c = columns.contacts
    if np.any(c["kind"] != 0):  # first contacts alone are already in order of arrival
        order = np.lexsort((c["contact_id"], c["arrival_s"]))
        c = {name: values[order] for name, values in c.items()}
    return pd.DataFrame({
        "contact_id": c["contact_id"],
        "issue_id": c["issue_id"],
        "kind": pd.Categorical.from_codes(c["kind"], KINDS),
        **{name: pd.Categorical.from_codes(c[name], columns.labels[name])
           for name in ("channel", "intent", "segment")},
        "priority": c["priority"],
        "arrival_s": c["arrival_s"],
        "outcome": pd.Categorical.from_codes(c["outcome"], OUTCOMES),
        "wait_s": c["wait_s"],
        "answered": c["outcome"] == HANDLED,
        **{name: c[name] for name in ("resolved", "resolved_s", "transfers", "self_service",
                                      "callback_offered", "callback_accepted",
                                      "callback_accepted_s", "callback_connected_s")},
    })


def _legs_frame(columns: Columns) -> pd.DataFrame:
    """One row per leg, by contact and time of answer: contact_id, leg (0 = first),
    agent, group, channel (of the contact), kind (conversation, or a callback attempt
    that failed), skill (routed for), queued_s (the contact's place in the queue),
    answered_s, handle_s, wrap_s, resolved, end_s (when the agent is free)."""
    legs = columns.legs
    order = np.lexsort((legs["answered_s"], legs["contact_id"]))
    cols = {name: values[order] for name, values in legs.items()}
    contact = cols["contact_id"]
    position = np.arange(len(contact))
    starts = np.r_[True, contact[1:] != contact[:-1]] if len(contact) else position > 0
    labels = columns.labels
    return pd.DataFrame({
        "contact_id": contact,
        "leg": position - np.maximum.accumulate(np.where(starts, position, 0)),
        "agent": np.array(labels["agent"], dtype=object)[cols["agent_index"]],
        "group": np.array(labels["group"], dtype=object)[cols["group"]],
        "channel": np.array(labels["channel"], dtype=object)[cols["channel"]],
        "kind": pd.Categorical.from_codes(cols["kind"], LEG_KINDS),
        "skill": pd.Categorical.from_codes(cols["skill"], labels["skill"]),
        **{name: cols[name] for name in ("queued_s", "answered_s", "handle_s", "wrap_s",
                                         "resolved", "end_s")},
    })


def _sessions_frame(columns: Columns) -> pd.DataFrame:
    """One row per agent log-in period, by start and agent: agent, group, start_s,
    end_s."""
    s = columns.sessions
    names = np.array(columns.labels["agent"], dtype=object)
    rank = np.empty(len(names), dtype=np.int64)
    rank[np.argsort(names, kind="stable")] = np.arange(len(names))
    order = np.lexsort((rank[s["agent_index"]], s["start_s"]))
    return pd.DataFrame({"agent": names[s["agent_index"][order]],
                         "group": np.array(columns.labels["group"], dtype=object)[
                             s["group"][order]],
                         "start_s": s["start_s"][order], "end_s": s["end_s"][order]})


def to_frames(records: Records) -> dict[str, pd.DataFrame]:
    """The records as DataFrames ``contacts``, ``legs`` and ``sessions`` (see
    :func:`frames_of`)."""
    return frames_of(record_columns(records))
