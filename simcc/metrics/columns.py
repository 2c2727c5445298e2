"""Record tables (DataFrames) as :class:`~simcc.metrics.records.Columns`, so that KPIs of
observed logs, hand-built tables and simulated records all go through the one
implementation in :mod:`simcc.metrics.kpis`.

Accepted tables: those of :func:`~simcc.metrics.records.to_frames`, or hand-built ones
with at least

- ``contacts``: contact_id, issue_id, channel, intent, segment, arrival_s, outcome (a name
  in OUTCOMES), wait_s, resolved; optional kind (a name in KINDS; missing: a contact whose
  id is not its issue's is a retrial), priority, resolved_s, transfers (missing: counted
  from the legs) and the journey columns (missing: no journey event);
- ``legs``: contact_id, group, answered_s, handle_s, wrap_s, end_s; optional kind (missing:
  all conversations) and channel (missing: concurrency is not applied);
- ``sessions``: group, start_s, end_s.

Text columns may be categorical (codes follow the category order) or plain (codes follow
the sorted values); groups are coded in order of name.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simcc.metrics.records import CONVERSATION, KINDS, LEG_KINDS, OUTCOMES, Columns

_JOURNEY_DEFAULTS = {"self_service": False, "callback_offered": False,
                     "callback_accepted": False, "callback_accepted_s": np.nan,
                     "callback_connected_s": np.nan, "resolved_s": np.nan}
RETRIAL = KINDS.index("retrial")


def columns_of_frames(frames: dict[str, pd.DataFrame]) -> Columns:
    """The tables ``contacts``, ``legs`` and ``sessions`` as :class:`Columns`."""
    contacts, legs, sessions = frames["contacts"], frames["legs"], frames["sessions"]
    labels: dict[str, list[str]] = {"agent": [], "skill": []}
    c: dict[str, np.ndarray] = {}
    for name in ("channel", "intent", "segment"):
        c[name], labels[name] = _codes(contacts[name])
    labels["group"] = sorted(set(legs["group"].astype(str)) | set(sessions["group"].astype(str)))
    ids = contacts["contact_id"].to_numpy(np.int64)
    c["contact_id"], c["issue_id"] = ids, contacts["issue_id"].to_numpy(np.int64)
    c["kind"] = (_named_codes(contacts["kind"], KINDS) if "kind" in contacts
                 else np.where(ids != c["issue_id"], RETRIAL, 0).astype(np.int8))
    c["priority"] = (contacts["priority"].to_numpy(np.int64) if "priority" in contacts
                     else np.zeros(len(ids), dtype=np.int64))
    c["arrival_s"] = contacts["arrival_s"].to_numpy(float)
    c["outcome"] = _named_codes(contacts["outcome"], OUTCOMES)
    c["wait_s"] = contacts["wait_s"].to_numpy(float)
    c["resolved"] = contacts["resolved"].to_numpy(bool)
    for name, default in _JOURNEY_DEFAULTS.items():
        c[name] = (contacts[name].to_numpy(type(default)) if name in contacts
                   else np.full(len(ids), default))
    leg_columns = _leg_columns(legs, ids, labels)
    if "transfers" in contacts:
        c["transfers"] = contacts["transfers"].to_numpy(np.int64)
    else:
        talk = leg_columns["row"][(leg_columns["kind"] == CONVERSATION)
                                  & (leg_columns["row"] >= 0)]
        c["transfers"] = np.maximum(np.bincount(talk, minlength=len(ids)) - 1, 0)
    leg_columns["channel"] = (_label_codes(legs["channel"], labels["channel"]) if "channel" in legs
                              else np.full(len(legs), -1, dtype=np.int64))
    session_columns = {"agent_index": np.full(len(sessions), -1, dtype=np.int64),
                       "group": _label_codes(sessions["group"], labels["group"]),
                       "start_s": sessions["start_s"].to_numpy(float),
                       "end_s": sessions["end_s"].to_numpy(float)}
    return Columns(c, leg_columns, session_columns, labels)


def _leg_columns(legs: pd.DataFrame, ids: np.ndarray, labels: dict[str, list[str]]
                 ) -> dict[str, np.ndarray]:
    """The legs' columns; ``row`` is -1 for a leg of a contact not in ``ids``."""
    n = len(legs)
    order = np.argsort(ids, kind="stable")
    leg_ids = legs["contact_id"].to_numpy(np.int64)
    where = np.minimum(np.searchsorted(ids, leg_ids, sorter=order), max(len(ids) - 1, 0))
    found = ids[order[where]] == leg_ids if len(ids) else np.zeros(n, dtype=bool)
    answered, handle, wrap = (legs[name].to_numpy(float)
                              for name in ("answered_s", "handle_s", "wrap_s"))
    return {
        "contact_id": leg_ids, "row": np.where(found, order[where], -1) if len(ids)
        else np.full(n, -1, dtype=np.int64),
        "agent_index": np.full(n, -1, dtype=np.int64),
        "group": _label_codes(legs["group"], labels["group"]),
        "kind": (_named_codes(legs["kind"], LEG_KINDS) if "kind" in legs
                 else np.full(n, CONVERSATION, dtype=np.int8)),
        "skill": np.full(n, -1, dtype=np.int64),
        "queued_s": legs["queued_s"].to_numpy(float) if "queued_s" in legs
        else np.full(n, np.nan),
        "answered_s": answered, "handle_s": handle, "wrap_s": wrap,
        "resolved": legs["resolved"].to_numpy(bool) if "resolved" in legs
        else np.zeros(n, dtype=bool),
        "end_s": (legs["end_s"].to_numpy(float) if "end_s" in legs
                  else answered + handle + wrap)}


def _codes(values: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Codes and labels of a text column: category order for a categorical one, sorted
    values for a plain one."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return (values.cat.codes.to_numpy(np.int64),
                [str(label) for label in values.cat.categories])
    codes, labels = pd.factorize(values.astype(str), sort=True)
    return codes.astype(np.int64), [str(label) for label in labels]


def _label_codes(values: pd.Series, labels: list[str]) -> np.ndarray:
    """Codes of text ``values`` into ``labels`` (-1 for a value not among them)."""
    return pd.Categorical(values.astype(str), categories=labels).codes.astype(np.int64)


def _named_codes(values: pd.Series, names: tuple[str, ...]) -> np.ndarray:
    """Indices of ``values`` in ``names`` (-1 for any other value)."""
    return pd.Categorical(values.astype(str), categories=list(names)).codes.astype(np.int8)
