"""KPIs as pure functions of the records.

What each KPI means (label, unit, direction, scopes) is in :mod:`simcc.catalogue` and
its exact definition in docs/kpis.md; this module computes them, from the per-contact
flags of :mod:`simcc.metrics.flags` (counted contacts and issues, timed contacts). Agent
KPIs are measured over the counted period.

The records come as :class:`~simcc.metrics.records.Columns` (numpy columns, text as
integer codes); record tables (DataFrames) are converted by
:func:`~simcc.metrics.columns.columns_of_frames`. Every KPI is a ratio of additive
totals: :func:`replication_sums` gives the totals per scope code (arrays, one row per
code and one column per name of :data:`CONTACT_SUMS`, :data:`AGENT_SUMS` or
:data:`GROUP_LEG_SUMS`), :func:`kpis_from_sums` the KPIs in long form. Totals of
disjoint sets of complete issues add up, which is what :mod:`simcc.metrics.streaming`
relies on.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from simcc.catalogue import keys
from simcc.metrics.columns import columns_of_frames
from simcc.metrics.flags import CONTACT_SCOPES, Flags, Period, answered_timed, contact_flags
from simcc.metrics.outcomes import OUTCOME_SUMS
from simcc.metrics.records import CONVERSATION, Columns

GROUP_KPIS = keys("group")
OVERALL_KEY = "all"


TIMED_SUMS = ("timed", "answered_timed", "waited_timed", "in_sl_timed", "wait_answered_s",
              "wait_timed_s")
_SUMMED = ("offered", "handled", "abandoned", "blocked", "closed", "contained", "deflected",
           "transferred", "repeat", "legs", "work_s", "self_service", "callback_offered",
           "callback_accepted", "issue_head", "issue_answered", "issue_fcr", "issue_resolved",
           "issue_contacts", "issue_channels")
CONTACT_SUMS = ("arrivals", *TIMED_SUMS, "handled_transfers", "connected_accepted",
                "connected", "to_callback_s", "resolved_issues", "ttr_s", *_SUMMED)
"""The additive totals behind the contact and issue KPIs (columns of the contact sums):
counts are exact, times are sums in seconds."""
AGENT_SUMS = ("busy_s", "staffed_s", "cost", "rows")
"""Agent totals per group: agent-seconds in use and logged in within the counted
period, the cost of the logged-in time, and the legs and sessions seen (a group is
reported when it has any)."""
GROUP_LEG_SUMS = ("work_s", "legs")
_SUM = {name: k for k, name in enumerate(CONTACT_SUMS)}
_TIMED = [_SUM[name] for name in TIMED_SUMS]


def _timed_values(f: Flags, timed: np.ndarray) -> list[np.ndarray]:
    answered = timed & f["handled"]
    wait = f["wait_s"]
    return [timed, answered, f["waited"] & timed, f["in_sl"] & timed,
            np.where(answered, wait, 0.0), np.where(timed, wait, 0.0)]


def _contact_values(f: Flags) -> list[np.ndarray | None]:
    """The summands of :data:`CONTACT_SUMS` per contact (None: count)."""
    connected = ~np.isnan(f["callback_connected_s"])
    ttr = f["issue_ttr_s"]
    resolved_issue = f["issue_head"] & ~np.isnan(ttr)
    return [None, *_timed_values(f, f["timed"]),
            np.where(f["handled"], f["transfers"], 0), connected & f["callback_accepted"],
            connected, np.where(connected, f["callback_connected_s"]
                                - f["callback_accepted_s"], 0.0),
            resolved_issue, np.where(resolved_issue, ttr, 0.0),
            *(f[name] for name in _SUMMED)]


def contact_sums(flags: Flags, labels: dict[str, list[str]]) -> dict[str, np.ndarray]:
    """The contact totals (:data:`CONTACT_SUMS` columns) ``overall`` (one row), per code
    of each contact scope, and ``group_contacts``: those of the handled contacts by the
    group that answered them first. By channel, an asynchronous channel's own contacts
    are timed too. With outcome flags (``outcome_*``), ``outcomes_overall`` and
    ``outcomes_<scope>`` hold their totals (:data:`OUTCOME_SUMS` columns)."""
    answered_by = np.where(flags["handled"] & (flags["group"] >= 0), flags["group"] + 1, 0)
    codes = [flags[scope] for scope in CONTACT_SCOPES] + [answered_by]
    sizes = [len(labels[scope]) for scope in CONTACT_SCOPES] + [len(labels["group"]) + 1]
    values = _contact_values(flags)
    k = len(CONTACT_SUMS)
    timed_async = bool(flags["timed_async"].any())
    if timed_async:
        values += _timed_values(flags, flags["timed"] | flags["timed_async"])
    with_outcomes = "outcome_satisfaction" in flags
    if with_outcomes:
        values += [flags[f"outcome_{name}"] for name in OUTCOME_SUMS]
    total, (channel, segment, intent, group) = _marginal_sums(codes, sizes, values)
    channel_timed = channel[:, :k].copy()
    if timed_async:
        channel_timed[:, _TIMED] = channel[:, k:k + len(_TIMED)]
    sums = {"overall": total[None, :k], "channel": channel_timed, "segment": segment[:, :k],
            "intent": intent[:, :k], "group_contacts": group[1:, :k]}
    if with_outcomes:
        tail = slice(len(values) - len(OUTCOME_SUMS), len(values))
        sums.update({"outcomes_overall": total[None, tail], "outcomes_channel": channel[:, tail],
                     "outcomes_segment": segment[:, tail], "outcomes_intent": intent[:, tail]})
    return sums


def _marginal_sums(codes: list[np.ndarray], sizes: list[int], values: list[np.ndarray | None]
                   ) -> tuple[np.ndarray, list[np.ndarray]]:
    """Totals of each of ``values`` (None: number of rows) over all rows, and per code of
    each dimension (arrays of ``size x len(values)``). With few combinations of codes,
    the totals per combination first, then sums of that small table."""
    n, cells = len(codes[0]), math.prod(sizes)
    if cells > max(n, 4096):
        per_code = [totals_by_code(code, size, values)
                    for code, size in zip(codes, sizes, strict=True)]
        return per_code[0].sum(axis=0), per_code
    cell = np.zeros(n, dtype=np.int64)
    for code, size in zip(codes, sizes, strict=True):
        cell = cell * size + code
    table = totals_by_code(cell, cells, values).reshape(*sizes, len(values))
    axes = range(len(sizes))
    per_code = [table.sum(axis=tuple(a for a in axes if a != d)) for d in axes]
    return table.reshape(-1, len(values)).sum(axis=0), per_code


def totals_by_code(codes: np.ndarray, size: int, values: list[np.ndarray | None]
                   ) -> np.ndarray:
    """``size x len(values)`` totals of ``values`` (None: number of rows) per code in
    ``range(size)``. Booleans are counted several at a time (their bits packed beside the
    code, one ``bincount``), or with one mask per code when there are few codes; a value
    that is all False or zero adds nothing."""
    out = np.zeros((size, len(values)))
    flags = []
    for j, v in enumerate(values):
        if v is None:
            out[:, j] = np.bincount(codes, minlength=size)
        elif v.dtype == bool:
            if v.any():
                flags.append(j)
        elif v.any():
            out[:, j] = np.bincount(codes, weights=v, minlength=size)
    if size <= 4:
        masks = [codes == k for k in range(size)]
        for j in flags:
            out[:, j] = [np.count_nonzero(values[j] & mask) for mask in masks]
        return out
    for start in range(0, len(flags), _PACKED):
        packed_flags = flags[start:start + _PACKED]
        width = len(packed_flags)
        packed = codes << width
        for bit, j in enumerate(packed_flags):
            packed |= values[j].view(np.uint8) << bit
        counts = np.bincount(packed, minlength=size << width).reshape(size, 1 << width)
        patterns = np.arange(1 << width)
        for bit, j in enumerate(packed_flags):
            out[:, j] = counts[:, (patterns >> bit) & 1 == 1].sum(axis=1)
    return out


_PACKED = 6
"""Booleans counted per ``bincount`` in :func:`totals_by_code` (64 patterns a code)."""


def agent_sums(columns: Columns, period: Period) -> dict[str, np.ndarray]:
    """``agents`` (one row: busy_s, staffed_s, cost) and ``group_agents`` (per group code,
    :data:`AGENT_SUMS` columns) of all legs and sessions: a leg is busy from its answer
    to the end of its wrap-up, counting 1/c of its time on a channel with concurrency c."""
    legs, sessions = columns.legs, columns.sessions
    groups = columns.labels["group"]
    busy = _in_period(legs["answered_s"], legs["end_s"], period) / _slots(columns, period)
    staffed = _in_period(sessions["start_s"], sessions["end_s"], period)
    m = len(groups)
    busy_g = np.bincount(legs["group"], weights=busy, minlength=m)
    staffed_g = np.bincount(sessions["group"], weights=staffed, minlength=m)
    rate = np.array([period.cost_per_hour.get(g, np.nan) for g in groups], dtype=float)
    cost_g = np.where(staffed_g > 0, staffed_g / 3600 * rate, 0.0)
    seen = np.bincount(legs["group"], minlength=m) + np.bincount(sessions["group"], minlength=m)
    return {"agents": np.array([[busy.sum(), staffed.sum(), cost_g.sum()]]),
            "group_agents": np.column_stack([busy_g, staffed_g, cost_g, seen]).astype(float)}


def _in_period(start: np.ndarray, end: np.ndarray, period: Period) -> np.ndarray:
    """Length of each ``[start, end)`` inside the counted period (seconds)."""
    return np.clip(np.minimum(end, period.end_s) - np.maximum(start, period.warmup_s),
                   0.0, None)


def _slots(columns: Columns, period: Period) -> np.ndarray:
    """Per leg, the concurrency of its channel (1 when unknown)."""
    slots = np.array([period.concurrency.get(name, 1) for name in columns.labels["channel"]]
                     + [1], dtype=float)
    return slots[columns.legs["channel"]]  # code -1 (unknown) picks the final 1


def group_leg_sums(columns: Columns, flags: Flags) -> np.ndarray:
    """Per group code: handle + wrap-up seconds and number of the conversation legs of
    counted contacts (:data:`GROUP_LEG_SUMS`)."""
    legs = columns.legs
    counted = np.zeros(len(columns.contacts["contact_id"]) + 1, dtype=bool)
    counted[flags["row"]] = True  # the extra last entry stands for row -1 (unknown)
    talk = (legs["kind"] == CONVERSATION) & counted[legs["row"]]
    m = len(columns.labels["group"])
    work = np.bincount(legs["group"][talk], weights=(legs["handle_s"] + legs["wrap_s"])[talk],
                       minlength=m)
    return np.column_stack([work, np.bincount(legs["group"][talk], minlength=m)]).astype(float)


def replication_sums(columns: Columns, flags: Flags, period: Period) -> dict[str, np.ndarray]:
    """The additive totals behind every KPI of a set of complete issues, rows indexed by
    scope code: ``overall``, one per contact scope and ``group_contacts``
    (:func:`contact_sums`), ``group_legs`` (:func:`group_leg_sums`), ``agents`` and
    ``group_agents`` (:func:`agent_sums`)."""
    return {**contact_sums(flags, columns.labels),
            "group_legs": group_leg_sums(columns, flags), **agent_sums(columns, period)}


def ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """``num / den`` where ``den > 0``, NaN elsewhere."""
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    return np.divide(num, den, out=np.full(np.broadcast(num, den).shape, np.nan),
                     where=den > 0)


def contact_ratios(sums: np.ndarray, wait_p90_s: np.ndarray) -> dict[str, np.ndarray]:
    """Contact, journey and issue KPIs (docs/kpis.md) from contact totals (rows of
    :data:`CONTACT_SUMS` columns) and the 90th percentile wait per row (seconds)."""
    t = {name: sums[:, k] for name, k in _SUM.items()}
    return {
        "arrivals": t["arrivals"], "offered": t["offered"], "handled": t["handled"],
        "abandoned": t["abandoned"],
        "abandon_rate": ratio(t["abandoned"], t["offered"]),
        "blocked_rate": ratio(t["blocked"], t["offered"] + t["blocked"]),
        "p_wait": ratio(t["waited_timed"], t["timed"]),
        "asa_s": ratio(t["wait_answered_s"], t["answered_timed"]),
        "mean_wait_s": ratio(t["wait_timed_s"], t["timed"]),
        "service_level": ratio(t["in_sl_timed"], t["timed"]),
        "wait_p90_s": np.asarray(wait_p90_s, dtype=float),
        "aht_s": ratio(t["work_s"], t["legs"]),
        "transfer_rate": ratio(t["transferred"], t["handled"]),
        "fcr": ratio(t["issue_fcr"], t["issue_answered"]),
        "repeat_rate": ratio(t["repeat"], t["offered"]),
        "closed_rate": ratio(t["closed"], t["arrivals"]),
        "contained": t["contained"], "deflected": t["deflected"],
        "containment_rate": ratio(t["contained"], t["self_service"]),
        "transfers_per_contact": ratio(t["handled_transfers"], t["handled"]),
        "callbacks_offered": t["callback_offered"],
        "callback_acceptance": ratio(t["callback_accepted"], t["callback_offered"]),
        "callback_success": ratio(t["connected_accepted"], t["callback_accepted"]),
        "time_to_callback_s": ratio(t["to_callback_s"], t["connected"]),
        "issues": t["issue_head"],
        "resolution_rate": ratio(t["issue_resolved"], t["issue_head"]),
        "contacts_per_issue": ratio(t["issue_contacts"], t["issue_head"]),
        "channels_per_issue": ratio(t["issue_channels"], t["issue_head"]),
        "time_to_resolution_s": ratio(t["ttr_s"], t["resolved_issues"]),
    }


def outcome_ratios(sums: np.ndarray, issues: np.ndarray) -> dict[str, np.ndarray]:
    """The outcome KPIs (docs/outcomes.md) from outcome totals (rows of
    :data:`OUTCOME_SUMS` columns) and the number of issues of each row: mean
    satisfaction, effort events and disloyalty per issue, and the total value at risk."""
    t = {name: sums[:, k] for k, name in enumerate(OUTCOME_SUMS)}
    return {"csat": ratio(t["satisfaction"], issues), "effort": ratio(t["effort"], issues),
            "disloyalty_rate": ratio(t["disloyalty"], issues),
            "value_at_risk": t["value_at_risk"].astype(float)}


def agent_ratios(sums: np.ndarray, period: Period) -> dict[str, np.ndarray]:
    """Occupancy (busy / staffed), staffed agents (mean logged in) and cost from agent
    totals (rows of busy_s, staffed_s, cost)."""
    length_s = period.end_s - period.warmup_s
    return {"occupancy": ratio(sums[:, 0], sums[:, 1]),
            "staffed_agents": sums[:, 1] / length_s if length_s > 0
            else np.full(len(sums), np.nan),
            "cost": sums[:, 2].astype(float)}


def group_ratios(sums: dict[str, np.ndarray], period: Period, present: np.ndarray
                 ) -> dict[str, np.ndarray]:
    """Per agent group (the ``present`` codes): what it answered first (handled, ASA,
    FCR, transfers), the legs it handled (AHT, for a group that answered contacts
    first), its occupancy, staffing and cost (:data:`GROUP_KPIS`)."""
    contacts = sums["group_contacts"][present]
    first = contact_ratios(contacts, np.full(len(contacts), np.nan))
    legs = sums["group_legs"][present]
    out = agent_ratios(sums["group_agents"][present], period)
    out.update({name: first[name] for name in ("handled", "asa_s", "transfer_rate", "fcr")})
    out["aht_s"] = np.where(contacts[:, _SUM["arrivals"]] > 0,
                            ratio(legs[:, 0], legs[:, 1]), np.nan)
    out["cost_per_handled"] = ratio(out["cost"], out["handled"])
    return {name: out[name] for name in GROUP_KPIS}


def kpis_from_sums(sums: dict[str, np.ndarray], wait_p90_s: dict[str, np.ndarray],
                   labels: dict[str, list[str]], period: Period) -> pd.DataFrame:
    """Every KPI in long form (columns scope, key, kpi, value) from
    :func:`replication_sums` totals, the 90th percentile waits per scope code
    (``overall`` and each contact scope) and the labels of the codes. A contact scope
    lists the keys with counted contacts; ``group`` the groups with legs or sessions.
    The outcome KPIs are there when ``sums`` has outcome totals."""
    issues = _SUM["issue_head"]
    overall = contact_ratios(sums["overall"], wait_p90_s["overall"])
    if "outcomes_overall" in sums:
        overall.update(outcome_ratios(sums["outcomes_overall"], sums["overall"][:, issues]))
    overall.update(agent_ratios(sums["agents"], period))
    overall["cost_per_handled"] = ratio(overall["cost"], overall["handled"])
    overall["cost_per_resolved_issue"] = ratio(
        overall["cost"], overall["issues"] * overall["resolution_rate"])
    tables = [("overall", [OVERALL_KEY], overall)]
    for scope in CONTACT_SCOPES:
        present = sums[scope][:, _SUM["arrivals"]] > 0
        table = contact_ratios(sums[scope][present], wait_p90_s[scope][present])
        if f"outcomes_{scope}" in sums:
            table.update(outcome_ratios(sums[f"outcomes_{scope}"][present],
                                        sums[scope][present][:, issues]))
        tables.append((scope, np.asarray(labels[scope], dtype=object)[present], table))
    present = sums["group_agents"][:, AGENT_SUMS.index("rows")] > 0
    tables.append(("group", np.asarray(labels["group"], dtype=object)[present],
                   group_ratios(sums, period, present)))
    return _long_form(tables)


def _long_form(tables: list[tuple[str, np.ndarray, dict[str, np.ndarray]]]) -> pd.DataFrame:
    """Tables (scope, keys, {kpi: value per key}) stacked kpi by kpi, key by key."""
    parts: dict[str, list[np.ndarray]] = {"scope": [], "key": [], "kpi": [], "value": []}
    for scope, scope_keys, table in tables:
        m, names = len(scope_keys), list(table)
        parts["scope"].append(np.full(m * len(names), scope, dtype=object))
        parts["key"].append(np.tile(np.asarray(scope_keys, dtype=object), len(names)))
        parts["kpi"].append(np.repeat(np.asarray(names, dtype=object), m))
        parts["value"].append(np.concatenate([np.asarray(table[name], dtype=float)
                                              for name in names]))
    return pd.DataFrame({name: np.concatenate(values) for name, values in parts.items()},
                        copy=False)


def exact_wait_p90(flags: Flags, by: str | None, keys_count: int) -> np.ndarray:
    """The 90th percentile wait of the answered timed contacts per code of ``by`` (None:
    overall, one value), seconds (``numpy.quantile``, linear interpolation; NaN for a
    code without any)."""
    codes = np.zeros(len(flags["row"]), dtype=np.int64) if by is None else flags[by]
    answered = answered_timed(flags, by)
    wait = flags["wait_s"]
    return np.array([_quantile(wait[(codes == k) & answered], 0.9)
                     for k in range(keys_count)], dtype=float)


def _quantile(values: np.ndarray, q: float) -> float:
    return float(np.quantile(values, q)) if len(values) else np.nan


def replication_kpis(frames: dict[str, pd.DataFrame], period: Period) -> pd.DataFrame:
    """Every KPI of one replication in long form (columns scope, key, kpi, value) from
    its complete record tables (``contacts``, ``legs``, ``sessions``; see
    :mod:`simcc.metrics.columns`), percentiles exact."""
    columns = columns_of_frames(frames)
    flags = contact_flags(columns, period)
    p90 = {"overall": exact_wait_p90(flags, None, 1),
           **{scope: exact_wait_p90(flags, scope, len(columns.labels[scope]))
              for scope in CONTACT_SCOPES}}
    return kpis_from_sums(replication_sums(columns, flags, period), p90, columns.labels, period)
