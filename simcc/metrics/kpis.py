"""KPIs as pure functions of the record tables.

What each KPI means (label, unit, direction, scopes) is in :mod:`simcc.catalogue` and
its exact definition in docs/kpis.md; this module computes them. Counted contacts are
those arriving in ``[warmup, horizon)``; counted issues those whose first contact is
counted (all their contacts are followed, also after the horizon). Wait KPIs cover
*timed* contacts: offered contacts that did not accept a callback, on live channels (an
asynchronous channel's own contacts too in that channel's row). Agent KPIs are measured
over the counted period.

Every function returns a DataFrame indexed by the scope key with one column per KPI;
KPIs that do not apply to a scope (abandonment by agent group) are left out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from simcc.catalogue import keys
from simcc.metrics.issues import issues_frame
from simcc.metrics.timeweighted import overlap_per_bin
from simcc.scenario.schema import Scenario

GROUP_KPIS = keys("group")
OVERALL_KEY = "all"


@dataclass(frozen=True)
class Period:
    """The counted period ``[warmup_s, end_s)`` and the channel and group settings KPIs
    need: SL thresholds (s), cost per hour, concurrency, asynchronous channels, and the
    FCR window (s)."""

    warmup_s: float
    end_s: float
    thresholds: dict[str, float]
    cost_per_hour: dict[str, float]
    concurrency: dict[str, int] = field(default_factory=dict)
    asynchronous: frozenset[str] = frozenset()
    fcr_window_s: float = np.inf

    @classmethod
    def of(cls, scenario: Scenario) -> Period:
        channels = scenario.channels
        return cls(scenario.horizon.warmup, scenario.horizon.length_s,
                   {name: ch.service_level.threshold for name, ch in channels.items()},
                   {name: g.cost_per_hour for name, g in scenario.agents.items()},
                   {name: ch.concurrency for name, ch in channels.items()},
                   frozenset(name for name, ch in channels.items() if ch.asynchronous),
                   scenario.repeats.window if scenario.repeats else np.inf)


def contact_flags(contacts: pd.DataFrame, legs: pd.DataFrame, period: Period) -> pd.DataFrame:
    """Counted contacts with the per-contact values every contact KPI is built from.

    Besides outcome booleans: ``legs`` and ``work_s`` (number of conversation legs and
    their handle + wrap-up seconds), and the issue's values on its first contact
    (``issue_head`` and ``issue_*`` columns; see :func:`issues_frame`). Journey columns
    missing from a hand-built ``contacts`` table mean no journey events, and transfers
    are then counted from the legs.
    """
    contacts = _with_journey_defaults(contacts, legs)
    arrival = contacts["arrival_s"]
    counted = contacts[(arrival >= period.warmup_s) & (arrival < period.end_s)]
    frame = counted[["contact_id", "issue_id", "channel", "segment", "intent", "arrival_s",
                     "wait_s", "resolved", "resolved_s", "transfers", "self_service",
                     "callback_offered", "callback_accepted", "callback_accepted_s",
                     "callback_connected_s"]].reset_index(drop=True)
    outcome = counted["outcome"].to_numpy()
    frame["blocked"] = outcome == "blocked"
    frame["closed"] = outcome == "closed"
    frame["contained"] = outcome == "contained"
    frame["deflected"] = outcome == "deflected"
    frame["offered"] = ~(frame["blocked"] | frame["closed"] | frame["contained"]
                         | frame["deflected"])
    frame["handled"] = outcome == "handled"
    frame["abandoned"] = outcome == "abandoned"
    live = ~counted["channel"].isin(list(period.asynchronous)).to_numpy()
    untimed = frame["callback_accepted"].to_numpy() | ~frame["offered"].to_numpy()
    frame["timed"] = ~untimed & live
    frame["timed_async"] = ~untimed & ~live
    frame["waited"] = frame["offered"] & ~(frame["handled"] & frame["wait_s"].le(0.0))
    threshold = counted["channel"].map(period.thresholds).astype(float).to_numpy()
    frame["in_sl"] = frame["handled"] & (frame["wait_s"].to_numpy() <= threshold)
    _add_leg_totals(frame, legs)
    frame["transferred"] = frame["handled"] & (frame["transfers"] > 0)
    followup = (counted["kind"].isin(["retrial", "repeat"]).to_numpy() if "kind" in counted
                else frame["contact_id"].ne(frame["issue_id"]).to_numpy())
    frame["repeat"] = frame["offered"] & followup
    _add_issue_columns(frame, contacts, period)
    return frame


_JOURNEY_DEFAULTS = {"self_service": False, "callback_offered": False,
                     "callback_accepted": False, "callback_accepted_s": np.nan,
                     "callback_connected_s": np.nan, "resolved_s": np.nan}


def _with_journey_defaults(contacts: pd.DataFrame, legs: pd.DataFrame) -> pd.DataFrame:
    missing = {k: v for k, v in _JOURNEY_DEFAULTS.items() if k not in contacts}
    if "transfers" not in contacts:
        count = _conversations(legs).groupby("contact_id").size()
        missing["transfers"] = (contacts["contact_id"].map(count).fillna(0) - 1).clip(lower=0)
    return contacts.assign(**missing) if missing else contacts


def _conversations(legs: pd.DataFrame) -> pd.DataFrame:
    """The conversation legs (not failed callback attempts); all legs of a hand-built
    table without a ``kind`` column."""
    if "kind" not in legs:
        return legs
    return legs[legs["kind"].to_numpy() == "conversation"]


def _add_leg_totals(frame: pd.DataFrame, legs: pd.DataFrame) -> None:
    legs = _conversations(legs)
    ids = frame["contact_id"].to_numpy()
    order = np.argsort(ids, kind="stable")
    leg_ids = legs["contact_id"].to_numpy()
    where = np.minimum(np.searchsorted(ids, leg_ids, sorter=order), max(len(ids) - 1, 0))
    found = (ids[order[where]] == leg_ids) if len(ids) else np.zeros(len(leg_ids), bool)
    rows = order[where[found]]
    work = (legs["handle_s"].to_numpy() + legs["wrap_s"].to_numpy())[found]
    frame["legs"] = np.bincount(rows, minlength=len(ids))
    frame["work_s"] = np.bincount(rows, weights=work, minlength=len(ids))


def _add_issue_columns(frame: pd.DataFrame, contacts: pd.DataFrame, period: Period) -> None:
    """Issue values on the issue's first contact (zero or NaN on the other rows)."""
    heads = frame["contact_id"].eq(frame["issue_id"]).to_numpy()
    head_issues = frame["issue_id"].to_numpy()[heads]
    issues = issues_frame(contacts[contacts["issue_id"].isin(head_issues)],
                          period.fcr_window_s).set_index("issue_id").reindex(head_issues)
    n = len(frame)

    def on_heads(values: np.ndarray, fill: float) -> np.ndarray:
        out = np.full(n, fill, dtype=float)
        out[heads] = values
        return out

    frame["issue_head"] = heads
    frame["issue_answered"] = on_heads(issues["answered"].to_numpy(), 0) > 0
    frame["issue_fcr"] = on_heads(issues["fcr"].to_numpy(), 0) > 0
    frame["issue_resolved"] = on_heads(issues["resolved"].to_numpy(), 0) > 0
    frame["issue_contacts"] = on_heads(issues["contacts"].to_numpy(), 0)
    frame["issue_channels"] = on_heads(issues["channels"].to_numpy(), 0)
    frame["issue_ttr_s"] = on_heads(issues["time_to_resolution_s"].to_numpy(), np.nan)


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


_KPI_INPUTS = (
    "offered", "handled", "abandoned", "blocked", "closed", "contained", "deflected",
    "waited", "in_sl", "timed", "timed_async", "transferred", "transfers", "repeat", "wait_s",
    "legs", "work_s",
    "self_service", "callback_offered", "callback_accepted", "callback_accepted_s",
    "callback_connected_s", "issue_head", "issue_answered", "issue_fcr", "issue_resolved",
    "issue_contacts", "issue_channels", "issue_ttr_s")


def contact_kpis(flags: pd.DataFrame, by: str | None) -> pd.DataFrame:
    """Contact and issue KPIs of counted contacts, per value of column ``by`` (None:
    overall). By channel, an asynchronous channel's wait KPIs cover its own contacts."""
    sums = contact_sums(flags, by)
    return contact_ratios(sums, exact_wait_p90(flags, by).reindex(sums.index))


def _scope_codes(flags: pd.DataFrame, by: str | None) -> tuple[np.ndarray, pd.Index]:
    """Row codes and the sorted keys present (overall: one key)."""
    if by is None:
        return np.zeros(len(flags), dtype=np.int64), pd.Index([OVERALL_KEY])
    codes, labels = pd.factorize(flags[by], sort=True)
    return codes, pd.Index(labels)


def answered_timed(flags: pd.DataFrame, by: str | None) -> np.ndarray:
    """The contacts whose wait the wait KPIs describe: timed and answered (by channel,
    asynchronous contacts too)."""
    timed = flags["timed"].to_numpy()
    if by == "channel":
        timed = timed | flags["timed_async"].to_numpy()
    return timed & flags["handled"].to_numpy()


def exact_wait_p90(flags: pd.DataFrame, by: str | None) -> pd.Series:
    """The 90th percentile wait of the answered timed contacts per key, seconds
    (``numpy.quantile``, linear interpolation; NaN for a key without any)."""
    codes, labels = _scope_codes(flags, by)
    answered = answered_timed(flags, by)
    wait = flags["wait_s"].to_numpy()
    return pd.Series([_quantile(wait[(codes == k) & answered], 0.9)
                      for k in range(len(labels))], index=labels, dtype=float)


def contact_sums(flags: pd.DataFrame, by: str | None) -> pd.DataFrame:
    """The additive totals behind the contact and issue KPIs, per key of ``by``.

    Totals of disjoint sets of contacts add up (complete issues: an issue's contacts all
    in the same set), so KPIs can be accumulated chunk by chunk
    (:mod:`simcc.metrics.streaming`) and turned into ratios once by
    :func:`contact_ratios`. Counts are exact; times are sums in seconds.
    """
    codes, labels = _scope_codes(flags, by)
    m = len(labels)

    def total(values: pd.Series | np.ndarray) -> np.ndarray:
        return np.bincount(codes, weights=np.asarray(values, dtype=float), minlength=m)

    col = {name: flags[name].to_numpy() for name in _KPI_INPUTS}
    timed = col["timed"] | col["timed_async"] if by == "channel" else col["timed"]
    answered = timed & col["handled"]
    wait = col["wait_s"]
    connected = ~np.isnan(col["callback_connected_s"])
    ttr = col["issue_ttr_s"]
    resolved_issue = col["issue_head"] & ~np.isnan(ttr)
    sums = {
        "arrivals": np.bincount(codes, minlength=m).astype(float),
        "timed": total(timed), "answered_timed": total(answered),
        "waited_timed": total(col["waited"] & timed), "in_sl_timed": total(col["in_sl"] & timed),
        "wait_answered_s": total(np.where(answered, wait, 0.0)),
        "wait_timed_s": total(np.where(timed, wait, 0.0)),
        "handled_transfers": total(np.where(col["handled"], col["transfers"], 0)),
        "connected_accepted": total(connected & col["callback_accepted"]),
        "connected": total(connected),
        "to_callback_s": total(np.where(connected, col["callback_connected_s"]
                                        - col["callback_accepted_s"], 0.0)),
        "resolved_issues": total(resolved_issue),
        "ttr_s": total(np.where(resolved_issue, ttr, 0.0)),
    }
    for name in _SUMMED:
        sums[name] = total(col[name])
    return pd.DataFrame(sums, index=labels)


_SUMMED = ("offered", "handled", "abandoned", "blocked", "closed", "contained", "deflected",
           "transferred", "repeat", "legs", "work_s", "self_service", "callback_offered",
           "callback_accepted", "issue_head", "issue_answered", "issue_fcr", "issue_resolved",
           "issue_contacts", "issue_channels")


def contact_ratios(sums: pd.DataFrame, wait_p90_s: pd.Series) -> pd.DataFrame:
    """Contact, journey and issue KPIs (docs/kpis.md) from :func:`contact_sums` totals
    and the 90th percentile wait per key (seconds)."""
    t = {name: sums[name].to_numpy() for name in sums.columns}
    out = pd.DataFrame(index=sums.index)
    out["arrivals"] = t["arrivals"]
    out["offered"] = t["offered"]
    out["handled"] = t["handled"]
    out["abandoned"] = t["abandoned"]
    out["abandon_rate"] = _ratio(t["abandoned"], t["offered"])
    out["blocked_rate"] = _ratio(t["blocked"], t["offered"] + t["blocked"])
    out["p_wait"] = _ratio(t["waited_timed"], t["timed"])
    out["asa_s"] = _ratio(t["wait_answered_s"], t["answered_timed"])
    out["mean_wait_s"] = _ratio(t["wait_timed_s"], t["timed"])
    out["service_level"] = _ratio(t["in_sl_timed"], t["timed"])
    out["wait_p90_s"] = np.asarray(wait_p90_s, dtype=float)
    out["aht_s"] = _ratio(t["work_s"], t["legs"])
    out["transfer_rate"] = _ratio(t["transferred"], t["handled"])
    out["fcr"] = _ratio(t["issue_fcr"], t["issue_answered"])
    out["repeat_rate"] = _ratio(t["repeat"], t["offered"])
    out["closed_rate"] = _ratio(t["closed"], t["arrivals"])
    out["contained"] = t["contained"]
    out["deflected"] = t["deflected"]
    out["containment_rate"] = _ratio(t["contained"], t["self_service"])
    out["transfers_per_contact"] = _ratio(t["handled_transfers"], t["handled"])
    out["callbacks_offered"] = t["callback_offered"]
    out["callback_acceptance"] = _ratio(t["callback_accepted"], t["callback_offered"])
    out["callback_success"] = _ratio(t["connected_accepted"], t["callback_accepted"])
    out["time_to_callback_s"] = _ratio(t["to_callback_s"], t["connected"])
    out["issues"] = t["issue_head"]
    out["resolution_rate"] = _ratio(t["issue_resolved"], t["issue_head"])
    out["contacts_per_issue"] = _ratio(t["issue_contacts"], t["issue_head"])
    out["channels_per_issue"] = _ratio(t["issue_channels"], t["issue_head"])
    out["time_to_resolution_s"] = _ratio(t["ttr_s"], t["resolved_issues"])
    return out


def _quantile(values: np.ndarray, q: float) -> float:
    return float(np.quantile(values, q)) if len(values) else np.nan


def group_kpis(flags: pd.DataFrame, legs: pd.DataFrame, sessions: pd.DataFrame,
               period: Period) -> pd.DataFrame:
    """Per agent group: the contacts its agents answered first (handled, ASA, FCR,
    transfers), the legs they handled (AHT), their occupancy, staffing and cost."""
    return group_ratios(group_sums(flags, legs, sessions, period), period)


def group_sums(flags: pd.DataFrame, legs: pd.DataFrame, sessions: pd.DataFrame,
               period: Period) -> dict[str, pd.DataFrame]:
    """Additive totals behind :func:`group_kpis`: ``group_contacts`` (contact sums of the
    counted contacts each group answered first), ``group_legs`` (``work_s`` and ``legs``
    of the conversation legs of counted contacts) and ``group_agents``
    (:func:`agent_sums` by group)."""
    first_legs = legs.sort_values("answered_s", kind="stable").drop_duplicates("contact_id")
    answered_by = first_legs.set_index("contact_id")["group"]
    group_flags = flags.assign(group=flags["contact_id"].map(answered_by).astype(object))
    handled = group_flags[group_flags["handled"] & group_flags["group"].notna()]
    talk = _conversations(legs)
    counted = talk[talk["contact_id"].isin(flags["contact_id"])]
    work = (counted["handle_s"] + counted["wrap_s"]).groupby(counted["group"])
    return {"group_contacts": contact_sums(handled, "group"),
            "group_legs": pd.DataFrame({"work_s": work.sum(), "legs": work.size()},
                                       dtype=float),
            "group_agents": agent_sums(legs, sessions, period, by="group")}


def group_ratios(sums: dict[str, pd.DataFrame], period: Period) -> pd.DataFrame:
    """:func:`group_kpis` from :func:`group_sums` totals; one row per group with
    log-in sessions."""
    contacts = sums["group_contacts"]
    out = contact_ratios(contacts, pd.Series(np.nan, index=contacts.index))[
        ["handled", "asa_s", "transfer_rate", "fcr"]]
    legs = sums["group_legs"]
    out["aht_s"] = pd.Series(_ratio(legs["work_s"], legs["legs"]), index=legs.index)
    out = agent_ratios(sums["group_agents"], period).join(out, how="left")
    out["handled"] = out["handled"].fillna(0.0)
    out["cost_per_handled"] = _ratio(out["cost"], out["handled"])
    return out[list(GROUP_KPIS)]


def agent_kpis(legs: pd.DataFrame, sessions: pd.DataFrame, period: Period,
               by: str | None) -> pd.DataFrame:
    """Occupancy, mean logged-in agents and agent cost over the counted period."""
    return agent_ratios(agent_sums(legs, sessions, period, by), period)


def agent_sums(legs: pd.DataFrame, sessions: pd.DataFrame, period: Period,
               by: str | None) -> pd.DataFrame:
    """Agent-seconds in use (``busy_s``) and logged in (``staffed_s``) within the
    counted period, and the cost of the logged-in time, per group (``by="group"``: the
    groups with sessions or legs) or overall. Additive over disjoint sets of legs and sessions."""
    edges = np.array([period.warmup_s, period.end_s])
    keys = sorted(set(sessions["group"]) | set(legs["group"])) if by else [OVERALL_KEY]
    rows = {}
    for key in keys:
        sel_s = sessions if not by else sessions[sessions["group"] == key]
        sel_l = legs if not by else legs[legs["group"] == key]
        rate = sel_s["group"].map(period.cost_per_hour).astype(float)
        cost = float(sum(overlap_per_bin(s.start_s, s.end_s, edges)[0] / 3600 * r
                         for s, r in zip(_by_rate(sel_s, rate), sorted(set(rate)), strict=True)))
        rows[key] = {"busy_s": _busy_capacity(sel_l, edges, period.concurrency),
                     "staffed_s": float(overlap_per_bin(sel_s["start_s"], sel_s["end_s"],
                                                        edges)[0]),
                     "cost": cost}
    return pd.DataFrame.from_dict(rows, orient="index", columns=["busy_s", "staffed_s", "cost"])


def agent_ratios(sums: pd.DataFrame, period: Period) -> pd.DataFrame:
    """Occupancy (busy / staffed), staffed agents (mean logged in) and cost from
    :func:`agent_sums` totals."""
    length_s = period.end_s - period.warmup_s
    return pd.DataFrame({
        "occupancy": _ratio(sums["busy_s"], sums["staffed_s"]),
        "staffed_agents": (sums["staffed_s"] / length_s if length_s > 0
                           else np.full(len(sums), np.nan)),
        "cost": sums["cost"].to_numpy(dtype=float)}, index=sums.index)


def _busy_capacity(legs: pd.DataFrame, edges: np.ndarray, concurrency: dict[str, int]) -> float:
    """Agent-seconds of capacity in use within the edges: a leg on a channel with
    concurrency c counts 1/c of its duration."""
    if "channel" not in legs or not any(c > 1 for c in concurrency.values()):
        return float(overlap_per_bin(legs["answered_s"], legs["end_s"], edges)[0])
    busy = 0.0
    channel = legs["channel"].astype(object)
    for name, slots in concurrency.items():
        part = legs[(channel == name).to_numpy()]
        busy += overlap_per_bin(part["answered_s"], part["end_s"], edges)[0] / slots
    return busy


def _by_rate(sessions: pd.DataFrame, rate: pd.Series) -> list[pd.DataFrame]:
    return [sessions[rate == r] for r in sorted(set(rate))]


CONTACT_SCOPES = ("channel", "segment", "intent")


def replication_sums(frames: dict[str, pd.DataFrame], period: Period,
                     flags: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The additive totals behind every KPI of a set of complete issues: ``overall`` and
    one per contact scope (:func:`contact_sums`), ``agents`` (:func:`agent_sums`
    overall) and the group totals (:func:`group_sums`)."""
    legs, sessions = frames["legs"], frames["sessions"]
    return {"overall": contact_sums(flags, None),
            "agents": agent_sums(legs, sessions, period, None),
            **{scope: contact_sums(flags, scope) for scope in CONTACT_SCOPES},
            **group_sums(flags, legs, sessions, period)}


def kpis_from_sums(sums: dict[str, pd.DataFrame], wait_p90_s: dict[str, pd.Series],
                   period: Period) -> pd.DataFrame:
    """Every KPI in long form (columns scope, key, kpi, value) from
    :func:`replication_sums` totals and the 90th percentile waits per scope and key."""
    overall = contact_ratios(sums["overall"], wait_p90_s["overall"]).join(
        agent_ratios(sums["agents"], period))
    overall["cost_per_handled"] = _ratio(overall["cost"], overall["handled"])
    overall["cost_per_resolved_issue"] = _ratio(
        overall["cost"], overall["issues"] * overall["resolution_rate"])
    tables = {"overall": overall}
    for scope in CONTACT_SCOPES:
        tables[scope] = contact_ratios(sums[scope], wait_p90_s[scope].reindex(sums[scope].index))
    tables["group"] = group_ratios(sums, period)
    parts = []
    for scope, table in tables.items():
        long = table.rename_axis("key").reset_index().melt(
            id_vars="key", var_name="kpi", value_name="value")
        long.insert(0, "scope", scope)
        parts.append(long)
    result = pd.concat(parts, ignore_index=True)
    result["key"] = result["key"].astype(str)
    return result


def replication_kpis(frames: dict[str, pd.DataFrame], period: Period,
                     flags: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every KPI of one replication in long form: columns scope, key, kpi, value, from
    its complete records (percentiles exact).

    ``flags`` (from :func:`contact_flags`) is computed when not given.
    """
    if flags is None:
        flags = contact_flags(frames["contacts"], frames["legs"], period)
    p90 = {"overall": exact_wait_p90(flags, None),
           **{scope: exact_wait_p90(flags, scope) for scope in CONTACT_SCOPES}}
    return kpis_from_sums(replication_sums(frames, period, flags), p90, period)
