"""Customer and business outcomes per issue, from its journey: satisfaction (top-box
probability), effort events, disloyalty probability and value at risk.

This is a *model* with assumptions (scenario section ``outcomes:``,
:mod:`simcc.scenario.outcomes`), not a measurement; docs/outcomes.md states every
formula, the source of each default and its caveats. In brief, for an issue of segment
``s`` whose contacts are taken in order of arrival:

- journey counts: ``T`` transfers, ``R`` contacts after the first, ``S`` changes of
  channel between consecutive contacts, ``C`` accepted callbacks, ``L`` on-line waits
  longer than ``effort.wait_threshold``, ``X`` transfers without context (``T`` when
  ``transfers.context`` is false, else 0), ``W`` the total on-line wait (seconds), ``OCR``
  resolved by its first contact with no transfer, ``resolved`` in the end, ``gave_up``
  never resolved and its last contact not answered by an agent. *On-line* contacts are
  offered contacts of live channels that did not accept a callback (the timed contacts
  of docs/kpis.md).
- satisfaction ``p = base_s x nrf^(1-OCR) x u^(1-resolved) x tf^T x sf^S x w(W)`` with
  ``w(W) = max(floor, 1 - per_minute x max(0, W - threshold) / 60)``;
- effort ``E = a_T T + a_R R + a_S S + a_C C + a_L L + a_X X``;
- disloyalty ``d = table(E)`` (linear between entries, the last beyond), or ``gave_up``
  for an issue the customer gave up on when that is set;
- value at risk ``v_s x d`` (0 for a gave-up issue unless ``include_gave_up``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from simcc.metrics.records import BLOCKED, CLOSED, CONTAINED, DEFLECTED, HANDLED, OUTCOMES
from simcc.scenario.outcomes import Outcomes
from simcc.scenario.schema import Scenario

OUTCOME_SUMS = ("satisfaction", "effort", "disloyalty", "value_at_risk")
"""The per-issue outcome values summed per scope (their KPIs divide the first three by
the number of issues)."""
OUTCOME_COLUMNS = ("switches", "effort_events", "satisfaction", "disloyalty",
                   "value_at_risk", "gave_up")
"""Columns the ``issues`` records gain when outcomes are configured."""
CONTACT_INPUTS = ("issue_id", "contact_id", "arrival_s", "channel", "segment", "outcome",
                  "wait_s", "transfers", "resolved", "callback_accepted")
"""Contact columns the outcomes are computed from (channel, segment, outcome as codes)."""


@dataclass(frozen=True)
class OutcomeModel:
    """The ``outcomes`` section with the scenario facts it needs: each segment's
    ``value``, whether transfers carry context, and the asynchronous channels."""

    spec: Outcomes
    values: dict[str, float]
    context: bool = True
    asynchronous: frozenset[str] = frozenset()

    @classmethod
    def of(cls, scenario: Scenario) -> OutcomeModel | None:
        """The model of ``scenario`` (None when it has no ``outcomes`` section)."""
        if scenario.outcomes is None:
            return None
        return cls(scenario.outcomes,
                   {name: seg.value for name, seg in scenario.segments.items()},
                   scenario.transfers.context,
                   frozenset(n for n, ch in scenario.channels.items() if ch.asynchronous))

    def segment_arrays(self, segments: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Baseline top-box probability and value per segment code (a segment the
        scenario does not know has value 1, the schema's default)."""
        sat = self.spec.satisfaction
        return (np.array([sat.baseline_of(name) for name in segments], dtype=float),
                np.array([self.values.get(name, 1.0) for name in segments], dtype=float))


def issue_outcomes(contacts: dict[str, np.ndarray], model: OutcomeModel,
                   labels: dict[str, list[str]], one_per_issue: bool
                   ) -> dict[str, np.ndarray]:
    """Per issue: ``issue_id`` and :data:`OUTCOME_SUMS` plus the journey counts
    (transfers, later, switches, callbacks, long_waits, wait_s, ocr, resolved, gave_up),
    from the contact columns :data:`CONTACT_INPUTS` (``labels`` name the channel and
    segment codes). Issues are in the order of
    :func:`~simcc.metrics.issues.issue_values`: by issue id, or the contacts' own order
    when ``one_per_issue``."""
    if one_per_issue:
        c, starts = contacts, np.arange(len(contacts["issue_id"]))
    else:
        order = np.lexsort((contacts["contact_id"], contacts["arrival_s"],
                            contacts["issue_id"]))
        c = {name: np.asarray(values)[order] for name, values in contacts.items()}
        issue = c["issue_id"]
        starts = (np.flatnonzero(np.r_[True, issue[1:] != issue[:-1]]) if len(issue)
                  else np.empty(0, dtype=np.int64))
    counts = journey_counts(c, starts, model, labels["channel"])
    base, value = model.segment_arrays(labels["segment"])
    segment = np.asarray(c["segment"], dtype=np.int64)[starts]
    return {"issue_id": np.asarray(c["issue_id"])[starts], **counts,
            **outcome_values(counts, base[segment], value[segment], model)}


def journey_counts(c: dict[str, np.ndarray], starts: np.ndarray, model: OutcomeModel,
                   channels: list[str]) -> dict[str, np.ndarray]:
    """The journey counts of :func:`issue_outcomes` from contacts sorted by issue and
    arrival (``starts``: the first row of each issue)."""
    n = len(c["issue_id"])
    ends = np.r_[starts[1:], n].astype(np.int64)
    outcome = np.asarray(c["outcome"])
    channel = np.asarray(c["channel"], dtype=np.int64)
    live = np.array([name not in model.asynchronous for name in channels] + [True])[channel]
    offered = ~np.isin(outcome, (BLOCKED, CLOSED, CONTAINED, DEFLECTED))
    accepted = np.asarray(c["callback_accepted"], dtype=bool)
    online = offered & live & ~accepted
    wait = np.where(online, np.nan_to_num(np.asarray(c["wait_s"], dtype=float)), 0.0)
    switched = np.r_[False, channel[1:] != channel[:-1]] if n else np.zeros(0, dtype=bool)
    switched[starts] = False
    transfers = np.asarray(c["transfers"], dtype=np.int64)
    resolved = np.asarray(c["resolved"], dtype=bool)
    long_wait = online & (wait > model.spec.effort.wait_threshold)
    counts = {"contacts": ends - starts,
              "transfers": _per_issue(transfers, starts),
              "switches": _per_issue(switched, starts),
              "callbacks": _per_issue(accepted, starts),
              "long_waits": _per_issue(long_wait, starts),
              "wait_s": _per_issue(wait, starts, float),
              "resolved": _per_issue(resolved, starts) > 0}
    counts["later"] = counts["contacts"] - 1
    first = starts if n else np.empty(0, dtype=np.int64)
    counts["ocr"] = (counts["contacts"] == 1) & resolved[first] & (transfers[first] == 0)
    last = np.maximum(ends - 1, 0)
    counts["gave_up"] = ~counts["resolved"] & (outcome[last] != HANDLED) if n else \
        np.zeros(0, dtype=bool)
    return counts


def _per_issue(values: np.ndarray, starts: np.ndarray, dtype: type = np.int64) -> np.ndarray:
    """Sum of ``values`` over each issue's run of rows."""
    if not len(starts):
        return np.empty(0, dtype=dtype)
    return np.add.reduceat(np.asarray(values, dtype=dtype), starts)


def outcome_values(counts: dict[str, np.ndarray], base: np.ndarray, value: np.ndarray,
                   model: OutcomeModel) -> dict[str, np.ndarray]:
    """Satisfaction, effort events, disloyalty and value at risk per issue from its
    journey counts, its segment's baseline and value (docs/outcomes.md)."""
    sat, effort = model.spec.satisfaction, model.spec.effort
    wait = sat.wait
    beyond_min = np.maximum(counts["wait_s"] - wait.threshold, 0.0) / 60.0
    wait_factor = np.maximum(wait.floor, 1.0 - wait.per_minute * beyond_min)
    satisfaction = (base * np.where(counts["ocr"], 1.0, sat.not_resolved_first)
                    * np.where(counts["resolved"], 1.0, sat.unresolved)
                    * sat.transfer_factor ** counts["transfers"]
                    * sat.switch_factor ** counts["switches"] * wait_factor)
    a = effort.weights
    explained = counts["transfers"] if not model.context else 0
    events = (a.transfer * counts["transfers"] + a.repeat * counts["later"]
              + a.switch * counts["switches"] + a.callback * counts["callbacks"]
              + a.long_wait * counts["long_waits"] + a.explain_again * explained)
    events = np.asarray(events, dtype=float)
    table = np.asarray(effort.disloyalty, dtype=float)
    disloyalty = np.interp(events, np.arange(len(table), dtype=float), table)
    if effort.gave_up is not None:
        disloyalty = np.where(counts["gave_up"], effort.gave_up, disloyalty)
    at_risk = value * disloyalty
    if not model.spec.value_at_risk.include_gave_up:
        at_risk = np.where(counts["gave_up"], 0.0, at_risk)
    return {"satisfaction": np.clip(satisfaction, 0.0, 1.0), "effort": events,
            "disloyalty": disloyalty, "value_at_risk": at_risk}


def frame_inputs(contacts: pd.DataFrame) -> tuple[dict[str, np.ndarray], dict[str, list[str]]]:
    """The :data:`CONTACT_INPUTS` columns of a ``contacts`` record table and the labels
    of their channel and segment codes (``callback_accepted`` missing: none; ``outcome``
    as names in OUTCOMES)."""
    columns: dict[str, np.ndarray] = {}
    labels: dict[str, list[str]] = {}
    for name in ("channel", "segment"):
        codes, uniques = pd.factorize(contacts[name].astype(str), sort=True)
        columns[name], labels[name] = codes.astype(np.int64), [str(u) for u in uniques]
    columns["outcome"] = pd.Categorical(contacts["outcome"].astype(str),
                                        categories=list(OUTCOMES)).codes.astype(np.int8)
    for name in ("issue_id", "contact_id", "arrival_s", "wait_s", "transfers", "resolved"):
        columns[name] = contacts[name].to_numpy()
    columns["callback_accepted"] = (contacts["callback_accepted"].to_numpy(bool)
                                    if "callback_accepted" in contacts
                                    else np.zeros(len(contacts), dtype=bool))
    return columns, labels
