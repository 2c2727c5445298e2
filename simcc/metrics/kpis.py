"""KPIs as pure functions of the record tables (DESIGN section 6).

Counted contacts are those arriving in ``[warmup, horizon)``. Definitions:

- ``arrivals``: counted contacts reaching the routing (before any queue capacity check);
- ``offered``: counted contacts that reached an agent queue, i.e. not ``blocked``;
- ``blocked_rate`` = blocked / arrivals (refused because the queue was full);
- ``handled``, ``abandoned``, ``abandon_rate`` = abandoned / offered;
- ``p_wait``: offered contacts not answered at once (abandoned ones count as waited);
- ``asa_s``: mean wait of answered contacts; ``mean_wait_s``: mean time in queue of all
  offered contacts (answered, abandoned or unserved); ``wait_p90_s``: 90th percentile of
  the wait of answered contacts;
- ``service_level``: contacts answered with a wait <= the channel threshold / offered
  (abandoned contacts count against it, whenever they left);
- ``aht_s``: mean handle + wrap-up time of the legs of counted contacts;
- ``occupancy``: agent busy time / agent logged-in time, both within the counted period
  (busy = from answer to the end of wrap-up, whoever the contact is);
- ``transfer_rate``: answered contacts with more than one leg / answered contacts;
- ``fcr``: issues whose first answered contact resolved them with no transfer and no
  repeat contact / issues with at least one answered contact;
- ``repeat_rate``: offered contacts that repeat an earlier contact of the same issue /
  offered;
- ``agent_cost``: logged-in hours in the counted period x the group's cost per hour;
  ``cost_per_handled`` = agent_cost / handled.

Every function returns a DataFrame indexed by the scope key with one column per KPI;
KPIs that do not apply to a scope (abandonment by agent group) are left out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from simcc.metrics.timeweighted import overlap_per_bin
from simcc.scenario.schema import Scenario

CONTACT_KPIS = (
    "arrivals", "offered", "handled", "abandoned", "abandon_rate", "blocked_rate", "p_wait",
    "asa_s", "mean_wait_s", "service_level", "wait_p90_s", "aht_s", "transfer_rate", "fcr",
    "repeat_rate",
)
AGENT_KPIS = ("occupancy", "staffed_agents", "agent_cost", "cost_per_handled")
ALL_KPIS = CONTACT_KPIS + AGENT_KPIS
GROUP_KPIS = ("handled", "asa_s", "aht_s", "transfer_rate", "fcr") + AGENT_KPIS
SCOPES = ("overall", "channel", "segment", "intent", "group")
OVERALL_KEY = "all"


@dataclass(frozen=True)
class Period:
    """The counted period ``[warmup_s, end_s)`` and per-channel SL thresholds (s)."""

    warmup_s: float
    end_s: float
    thresholds: dict[str, float]
    cost_per_hour: dict[str, float]

    @classmethod
    def of(cls, scenario: Scenario) -> Period:
        return cls(scenario.horizon.warmup, scenario.horizon.length_s,
                   {name: ch.service_level.threshold for name, ch in scenario.channels.items()},
                   {name: g.cost_per_hour for name, g in scenario.agents.items()})


def contact_flags(contacts: pd.DataFrame, legs: pd.DataFrame, period: Period) -> pd.DataFrame:
    """Counted contacts with the per-contact booleans every contact KPI is built from."""
    counted = contacts[(contacts["arrival_s"] >= period.warmup_s)
                       & (contacts["arrival_s"] < period.end_s)]
    frame = counted[["contact_id", "issue_id", "channel", "segment", "intent", "wait_s",
                     "resolved"]].copy()
    outcome = counted["outcome"]
    frame["blocked"] = outcome.eq("blocked")
    frame["offered"] = ~frame["blocked"]
    frame["handled"] = outcome.eq("handled")
    frame["abandoned"] = outcome.eq("abandoned")
    frame["waited"] = frame["offered"] & ~(frame["handled"] & frame["wait_s"].le(0.0))
    threshold = counted["channel"].map(period.thresholds).astype(float)
    frame["in_sl"] = frame["handled"] & frame["wait_s"].le(threshold)
    legs_per_contact = legs.groupby("contact_id").size()
    n_legs = frame["contact_id"].map(legs_per_contact).fillna(0)
    frame["transferred"] = frame["handled"] & n_legs.gt(1)
    frame["repeat"] = frame["offered"] & frame["contact_id"].ne(frame["issue_id"])
    return frame


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def contact_kpis(flags: pd.DataFrame, legs: pd.DataFrame, by: str | None) -> pd.DataFrame:
    """Contact KPIs of counted contacts, per value of column ``by`` (None: overall)."""
    if by is None:
        codes, labels = np.zeros(len(flags), dtype=np.int64), pd.Index([OVERALL_KEY])
    else:
        codes, labels = pd.factorize(flags[by], sort=True)
        labels = pd.Index(labels)
    m = len(labels)

    def total(values: pd.Series | np.ndarray) -> np.ndarray:
        return np.bincount(codes, weights=np.asarray(values, dtype=float), minlength=m)

    col = {name: flags[name].to_numpy() for name in (
        "offered", "handled", "abandoned", "blocked", "waited", "in_sl", "transferred",
        "repeat", "wait_s")}
    arrivals = np.bincount(codes, minlength=m).astype(float)
    offered, handled = total(col["offered"]), total(col["handled"])
    wait = col["wait_s"]
    out = pd.DataFrame(index=labels)
    out["arrivals"] = arrivals
    out["offered"] = offered
    out["handled"] = handled
    out["abandoned"] = total(col["abandoned"])
    out["abandon_rate"] = _ratio(out["abandoned"], offered)
    out["blocked_rate"] = _ratio(total(col["blocked"]), arrivals)
    out["p_wait"] = _ratio(total(col["waited"]), offered)
    out["asa_s"] = _ratio(total(np.where(col["handled"], wait, 0.0)), handled)
    out["mean_wait_s"] = _ratio(total(np.where(col["offered"], wait, 0.0)), offered)
    out["service_level"] = _ratio(total(col["in_sl"]), offered)
    out["wait_p90_s"] = [_quantile(wait[(codes == k) & col["handled"]], 0.9) for k in range(m)]
    out["aht_s"] = _aht(flags, legs, codes, m)
    out["transfer_rate"] = _ratio(total(col["transferred"]), handled)
    out["fcr"] = _fcr(flags, codes, m)
    out["repeat_rate"] = _ratio(total(col["repeat"]), offered)
    return out


def _quantile(values: np.ndarray, q: float) -> float:
    return float(np.quantile(values, q)) if len(values) else np.nan


def _aht(flags: pd.DataFrame, legs: pd.DataFrame, codes: np.ndarray, m: int) -> np.ndarray:
    """Mean handle + wrap time of the legs of counted contacts, per scope code."""
    ids = flags["contact_id"].to_numpy()
    order = np.argsort(ids, kind="stable")
    leg_ids = legs["contact_id"].to_numpy()
    where = np.searchsorted(ids, leg_ids, sorter=order)
    where = np.minimum(where, len(ids) - 1) if len(ids) else where
    found = (ids[order[where]] == leg_ids) if len(ids) else np.zeros(len(leg_ids), bool)
    leg_codes = codes[order[where[found]]]
    work = (legs["handle_s"].to_numpy() + legs["wrap_s"].to_numpy())[found]
    return _ratio(np.bincount(leg_codes, weights=work, minlength=m),
                  np.bincount(leg_codes, minlength=m))


def _fcr(flags: pd.DataFrame, codes: np.ndarray, m: int) -> np.ndarray:
    """Issue-level FCR, attributed to the scope of the issue's first contact."""
    order = np.lexsort((flags["contact_id"].to_numpy(), flags["issue_id"].to_numpy()))
    issue = flags["issue_id"].to_numpy()[order]
    n = len(issue)
    if n == 0:
        return np.full(m, np.nan)
    starts = np.flatnonzero(np.r_[True, issue[1:] != issue[:-1]])
    contacts_per_issue = np.diff(np.r_[starts, n])
    position = np.where(flags["handled"].to_numpy()[order], np.arange(n), n)
    first_answered = np.minimum.reduceat(position, starts)
    answered = first_answered < n
    pick = order[first_answered[answered]]
    ok = (flags["resolved"].to_numpy()[pick] & ~flags["transferred"].to_numpy()[pick]
          & (contacts_per_issue[answered] == 1))
    issue_codes = codes[order[starts[answered]]]
    return _ratio(np.bincount(issue_codes, weights=ok.astype(float), minlength=m),
                  np.bincount(issue_codes, minlength=m))


def group_kpis(flags: pd.DataFrame, legs: pd.DataFrame, sessions: pd.DataFrame,
               period: Period) -> pd.DataFrame:
    """Per agent group: what its agents answered, their occupancy, staffing and cost."""
    answered_by = (legs.sort_values("answered_s", kind="stable")
                   .drop_duplicates("contact_id")
                   .set_index("contact_id")["group"])
    group_flags = flags.assign(group=flags["contact_id"].map(answered_by))
    handled = group_flags[group_flags["handled"] & group_flags["group"].notna()]
    out = contact_kpis(handled, legs, "group")[["handled", "asa_s", "aht_s", "transfer_rate",
                                                "fcr"]]
    agents = agent_kpis(legs, sessions, period, by="group")
    out = agents.join(out, how="left")
    out["handled"] = out["handled"].fillna(0.0)
    out["cost_per_handled"] = _ratio(out["agent_cost"], out["handled"])
    return out[list(GROUP_KPIS)]


def agent_kpis(legs: pd.DataFrame, sessions: pd.DataFrame, period: Period,
               by: str | None) -> pd.DataFrame:
    """Occupancy, mean logged-in agents and agent cost over the counted period."""
    edges = np.array([period.warmup_s, period.end_s])
    length_h = (period.end_s - period.warmup_s) / 3600.0
    keys = sorted(sessions["group"].unique()) if by else [OVERALL_KEY]
    rows = {}
    for key in keys:
        sel_s = sessions if not by else sessions[sessions["group"] == key]
        sel_l = legs if not by else legs[legs["group"] == key]
        staffed = overlap_per_bin(sel_s["start_s"], sel_s["end_s"], edges)[0]
        busy = overlap_per_bin(sel_l["answered_s"], sel_l["end_s"], edges)[0]
        rate = sel_s["group"].map(period.cost_per_hour).astype(float)
        cost = float(sum(overlap_per_bin(s.start_s, s.end_s, edges)[0] / 3600 * r
                         for s, r in zip(_by_rate(sel_s, rate), sorted(set(rate)), strict=True)))
        rows[key] = {"occupancy": busy / staffed if staffed > 0 else np.nan,
                     "staffed_agents": staffed / 3600.0 / length_h if length_h > 0 else np.nan,
                     "agent_cost": cost}
    return pd.DataFrame.from_dict(rows, orient="index")


def _by_rate(sessions: pd.DataFrame, rate: pd.Series) -> list[pd.DataFrame]:
    return [sessions[rate == r] for r in sorted(set(rate))]


def replication_kpis(frames: dict[str, pd.DataFrame], period: Period) -> pd.DataFrame:
    """Every KPI of one replication in long form: columns scope, key, kpi, value."""
    contacts, legs, sessions = frames["contacts"], frames["legs"], frames["sessions"]
    flags = contact_flags(contacts, legs, period)
    overall = contact_kpis(flags, legs, None).join(agent_kpis(legs, sessions, period, None))
    overall["cost_per_handled"] = _ratio(overall["agent_cost"], overall["handled"])
    tables = {
        "overall": overall,
        "channel": contact_kpis(flags, legs, "channel"),
        "segment": contact_kpis(flags, legs, "segment"),
        "intent": contact_kpis(flags, legs, "intent"),
        "group": group_kpis(flags, legs, sessions, period),
    }
    parts = []
    for scope, table in tables.items():
        long = table.rename_axis("key").reset_index().melt(
            id_vars="key", var_name="kpi", value_name="value")
        long.insert(0, "scope", scope)
        parts.append(long)
    result = pd.concat(parts, ignore_index=True)
    result["key"] = result["key"].astype(str)
    return result
