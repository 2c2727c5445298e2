"""Per-contact flags: the counted contacts of a set of complete issues, with the
per-contact values every contact KPI is built from (:func:`contact_flags`), and the
counted period and settings they depend on (:class:`Period`).

Counted contacts are those arriving in ``[warmup, horizon)``; counted issues those whose
first contact is counted (all their contacts are followed, also after the horizon). Wait
KPIs cover *timed* contacts: offered contacts that did not accept a callback, on live
channels (an asynchronous channel's own contacts too in that channel's row).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from simcc.metrics.issues import issue_values
from simcc.metrics.outcomes import CONTACT_INPUTS, OUTCOME_SUMS, OutcomeModel, issue_outcomes
from simcc.metrics.records import (
    ABANDONED,
    BLOCKED,
    CLOSED,
    CONTAINED,
    CONVERSATION,
    DEFLECTED,
    HANDLED,
    KINDS,
    Columns,
)
from simcc.scenario.schema import Scenario

CONTACT_SCOPES = ("channel", "segment", "intent")
FOLLOW_UPS = (KINDS.index("retrial"), KINDS.index("repeat"))

Flags = dict[str, np.ndarray]
"""Per counted contact (same length arrays): see :func:`contact_flags`."""


@dataclass(frozen=True)
class Period:
    """The counted period ``[warmup_s, end_s)`` and the channel and group settings KPIs
    need: SL thresholds (s), cost per staffed hour (``cost_per_hour / (1 - shrinkage)``:
    the paid hours behind each staffed hour, in expectation), concurrency, asynchronous
    channels, and the FCR window (s), and the outcome model (None: no outcome KPIs)."""

    warmup_s: float
    end_s: float
    thresholds: dict[str, float]
    cost_per_hour: dict[str, float]
    concurrency: dict[str, int] = field(default_factory=dict)
    asynchronous: frozenset[str] = frozenset()
    fcr_window_s: float = np.inf
    outcomes: OutcomeModel | None = None

    @classmethod
    def of(cls, scenario: Scenario) -> Period:
        channels = scenario.channels
        return cls(scenario.horizon.warmup, scenario.horizon.length_s,
                   {name: ch.service_level.threshold for name, ch in channels.items()},
                   {name: g.cost_per_hour / (1.0 - g.shrinkage)
                    for name, g in scenario.agents.items()},
                   {name: ch.concurrency for name, ch in channels.items()},
                   frozenset(name for name, ch in channels.items() if ch.asynchronous),
                   scenario.repeats.window if scenario.repeats else np.inf,
                   OutcomeModel.of(scenario))


_COPIED = ("contact_id", "issue_id", "channel", "segment", "intent", "arrival_s", "wait_s",
           "resolved", "transfers", "self_service", "callback_offered", "callback_accepted",
           "callback_accepted_s", "callback_connected_s")


def contact_flags(columns: Columns, period: Period) -> Flags:
    """The counted contacts with the per-contact values every contact KPI is built from.

    ``row`` (position in ``columns.contacts``), the contact columns of :data:`_COPIED`
    (channel, segment and intent as codes), outcome booleans (blocked, closed,
    contained, deflected, offered, handled, abandoned), ``timed`` and ``timed_async``
    (whose wait the wait KPIs describe, on live and asynchronous channels), waited,
    in_sl, transferred, repeat; ``legs`` and ``work_s`` (number of conversation legs and
    their handle + wrap-up seconds); ``group`` (code of the group of the agent of the
    contact's first leg, -1 for none); and the issue's values on its first contact
    (``issue_head`` and ``issue_*``, zero or NaN on the other rows), with the outcome
    values ``outcome_*`` (:data:`~simcc.metrics.outcomes.OUTCOME_SUMS`) when
    ``period.outcomes`` is set.
    """
    c = columns.contacts
    arrival = c["arrival_s"]
    counted = (arrival >= period.warmup_s) & (arrival < period.end_s)
    rows = np.flatnonzero(counted)
    every = len(rows) == len(arrival)

    def pick(values: np.ndarray) -> np.ndarray:
        return values if every else values[rows]  # all counted: no copies

    f = {name: pick(c[name]) for name in _COPIED}
    f["row"] = rows
    outcome = pick(c["outcome"])
    for name, code in (("blocked", BLOCKED), ("closed", CLOSED), ("contained", CONTAINED),
                       ("deflected", DEFLECTED), ("handled", HANDLED),
                       ("abandoned", ABANDONED)):
        f[name] = outcome == code
    f["offered"] = ~(f["blocked"] | f["closed"] | f["contained"] | f["deflected"])
    channels = columns.labels["channel"]
    live = ~np.array([name in period.asynchronous for name in channels], dtype=bool)[f["channel"]]
    untimed = f["callback_accepted"] | ~f["offered"]
    f["timed"] = ~untimed & live
    f["timed_async"] = ~untimed & ~live
    f["waited"] = f["offered"] & ~(f["handled"] & (f["wait_s"] <= 0.0))
    threshold = np.array([period.thresholds.get(name, np.nan) for name in channels],
                         dtype=float)[f["channel"]]
    f["in_sl"] = f["handled"] & (f["wait_s"] <= threshold)
    legs, work_s, wrap_s, group = _leg_values(columns)
    f["legs"], f["work_s"], f["group"] = pick(legs), pick(work_s), pick(group)
    f["wrap_s"] = pick(wrap_s)
    f["transferred"] = f["handled"] & (f["transfers"] > 0)
    kind = pick(c["kind"])
    f["repeat"] = f["offered"] & ((kind == FOLLOW_UPS[0]) | (kind == FOLLOW_UPS[1]))
    f.update(_issue_flags(c, rows, period.fcr_window_s))
    if period.outcomes is not None:
        f.update(_outcome_flags(c, rows, f["issue_head"], period.outcomes, columns.labels))
    return f


def _outcome_flags(c: dict[str, np.ndarray], rows: np.ndarray, heads: np.ndarray,
                   model: OutcomeModel, labels: dict[str, list[str]]) -> Flags:
    """The outcome values of each counted issue on its first contact's row (0 on the
    other rows): ``outcome_satisfaction``, ``outcome_effort``, ..."""
    inputs = {name: c[name] for name in CONTACT_INPUTS}
    one_per_issue = bool(np.all(c["contact_id"] == c["issue_id"]))
    values = issue_outcomes(inputs, model, labels, one_per_issue)
    head_ids = c["issue_id"][rows][heads]
    where = (rows[heads] if one_per_issue
             else np.searchsorted(values["issue_id"], head_ids))
    out = {}
    for name in OUTCOME_SUMS:
        column = np.zeros(len(rows), dtype=float)
        column[heads] = values[name][where]
        out[f"outcome_{name}"] = column
    return out


def _leg_values(columns: Columns
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per contact: its conversation legs, their handle + wrap-up seconds, their wrap-up
    seconds, and the group code of the agent of its first leg by time of answer (-1 for
    none)."""
    legs = columns.legs
    n = len(columns.contacts["contact_id"])
    row = legs["row"]
    known = row >= 0
    every = bool(known.all())
    talk = legs["kind"] == CONVERSATION
    talk = talk if every else talk & known
    count = np.bincount(row[talk], minlength=n)
    work = np.bincount(row[talk], weights=(legs["handle_s"] + legs["wrap_s"])[talk],
                       minlength=n)
    wrap = np.bincount(row[talk], weights=legs["wrap_s"][talk], minlength=n)
    group = np.full(n, -1, dtype=np.int64)
    rows, groups = (row, legs["group"]) if every else (row[known], legs["group"][known])
    several = (count.max(initial=0) > 1 if talk.all()
               else len(rows) and np.bincount(rows).max() > 1)
    if several:
        order = np.lexsort((legs["answered_s"][known], rows))
        rows, groups = rows[order], groups[order]
        first = np.r_[True, rows[1:] != rows[:-1]]
        rows, groups = rows[first], groups[first]
    group[rows] = groups
    return count, work, wrap, group


def _issue_flags(c: dict[str, np.ndarray], rows: np.ndarray, fcr_window_s: float) -> Flags:
    """The issue values (:func:`~simcc.metrics.issues.issue_values`) on the counted rows
    that are their issue's first contact."""
    ids, issue = c["contact_id"], c["issue_id"]
    one_per_issue = bool(np.all(ids == issue))
    _, _, values = issue_values(
        {"issue_id": issue, "contact_id": ids, "arrival_s": c["arrival_s"],
         "answered": c["outcome"] == HANDLED, "resolved": c["resolved"],
         "transfers": c["transfers"], "resolved_s": c["resolved_s"],
         "channel": c["channel"]}, fcr_window_s, one_per_issue)
    heads = ids[rows] == issue[rows]
    if one_per_issue and len(rows) == len(ids):  # every contact a counted issue
        return {"issue_head": heads, **{f"issue_{name}": values[name] for name in
                                        ("answered", "fcr", "resolved")},
                "issue_contacts": values["contacts"].astype(float),
                "issue_channels": values["channels"].astype(float),
                "issue_ttr_s": values["time_to_resolution_s"]}
    where = rows[heads] if one_per_issue else np.searchsorted(values["issue_id"],
                                                               issue[rows][heads])

    def on_heads(name: str, fill: float) -> np.ndarray:
        out = np.full(len(rows), fill, dtype=float)
        out[heads] = values[name][where]
        return out

    return {"issue_head": heads, "issue_answered": on_heads("answered", 0) > 0,
            "issue_fcr": on_heads("fcr", 0) > 0, "issue_resolved": on_heads("resolved", 0) > 0,
            "issue_contacts": on_heads("contacts", 0), "issue_channels": on_heads("channels", 0),
            "issue_ttr_s": on_heads("time_to_resolution_s", np.nan)}


def answered_timed(flags: Flags, by: str | None) -> np.ndarray:
    """The contacts whose wait the wait KPIs describe: timed and answered (by channel,
    asynchronous contacts too)."""
    timed = flags["timed"] | flags["timed_async"] if by == "channel" else flags["timed"]
    return timed & flags["handled"]
